package lifecycle

import (
	"context"
	"io"

	"github.com/dkms-go/dkms/internal/doctor"
)

// Doctor checks the trees and, with fix, repairs what needs no guessing
// (package doctor). It runs under the lock but without the recovery of
// other mutating actions, so it can report the interrupted runs that
// recovery would silently roll back.
func (s *Session) Doctor(ctx context.Context, fix bool) []doctor.Result {
	findings := doctor.Check(s.Layout, s.extraLocations()...)
	if fix {
		inst := s.installer()
		inst.Out = io.Discard
		return doctor.Fix(ctx, inst, findings)
	}
	results := make([]doctor.Result, len(findings))
	for i, f := range findings {
		results[i] = doctor.Result{Finding: f}
	}
	return results
}
