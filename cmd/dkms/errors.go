package main

import (
	"context"
	"errors"
	"strings"
)

// exitError is an error the CLI has already worded: its lines become an
// "Error!" block (or a "Warning:" block when warn is set) and code the exit
// status. A nil lines slice prints nothing (the message was shown earlier).
type exitError struct {
	code  int
	lines []string
	warn  bool
}

func (e *exitError) Error() string { return strings.Join(e.lines, " ") }

// errf makes an exitError.
func errf(code int, lines ...string) error { return &exitError{code: code, lines: lines} }

// silent is an exit status whose message was already printed.
func silent(code int) error { return &exitError{code: code} }

// report prints err the reference's way and returns the exit code. It is
// the one place where errors become text and exit statuses.
func (a *app) report(err error) int {
	if code, lines, warn, ok := a.describe(err); ok {
		switch {
		case len(lines) == 0:
		case warn:
			a.rep.warn(lines...)
		default:
			a.rep.errorBlock(lines...)
		}
		return code
	}
	if errors.Is(err, context.Canceled) {
		a.rep.errorBlock("Interrupted.")
		return 130
	}
	a.rep.errorBlock(err.Error())
	return exitGeneric
}

// describe maps an error to its exit code and message lines.
func (a *app) describe(err error) (code int, lines []string, warn, ok bool) {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, ee.lines, ee.warn, true
	}
	return describeDomain(err)
}
