package conf

import (
	"errors"
	"fmt"
)

// Error is an error in a conf file: a construct that could not be evaluated
// faithfully, a time-out, or an exit injected through a written-back value.
// Line is 0 when the position is not known. The CLI uses errors.As to tell
// conf errors from its own.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrUnsupported marks a construct the in-process interpreter would get
// wrong (see detect.go). Eval answers it by switching to bash; it reaches
// the caller only when bash is not available.
var ErrUnsupported = errors.New("construct not supported by the built-in shell interpreter")

// ErrTimeout is returned when evaluating a file takes longer than
// Context.Timeout (for example a conf that loops forever).
var ErrTimeout = errors.New("evaluation timed out")

// ErrExit is returned when a written-back value runs exit in the parent
// shell; upstream dkms itself would exit at that point.
var ErrExit = errors.New("a written-back value ran exit in dkms's own shell")

// unsupportedf returns an ErrUnsupported error with a detail.
func unsupportedf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}
