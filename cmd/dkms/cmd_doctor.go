package main

import (
	"encoding/json"
	"fmt"

	"github.com/dkms-go/dkms/internal/doctor"
)

// Output of `dkms doctor` (ours; the reference has no such action). One
// line per finding on stdout, meant for grep:
//
//	<kind>: <path>: <message> [<state>: <action>]
//
// where <state> is "fix" (what --fix would do), "fixed", "fix failed" or
// "needs a person" (what to do by hand); then one summary line,
// "doctor: no problems found" or
// "doctor: N problems: fixed=F fixable=X needs-person=P failed=E".
// The exit status is 0 when nothing is left to do, 1 otherwise.

// cmdDoctor checks the trees and, with --fix, repairs what needs no
// guessing (lifecycle.Session.Doctor), and prints the findings.
func (a *app) cmdDoctor() error {
	results := a.s.Doctor(a.ctx, a.o.fix)
	if a.o.json {
		if err := a.printDoctorJSON(results); err != nil {
			return err
		}
	} else {
		a.printDoctor(results)
	}
	if doctorRemaining(results) > 0 {
		return &exitError{code: exitGeneric}
	}
	return nil
}

// doctorState words what became of a finding.
func doctorState(r doctor.Result) string {
	switch {
	case r.NeedsPerson:
		return "needs a person: " + r.Action
	case r.Fixed:
		return "fixed: " + r.Action
	case r.Err != nil:
		return "fix failed: " + r.Action + ": " + r.Err.Error()
	}
	return "fix: " + r.Action
}

func (a *app) printDoctor(results []doctor.Result) {
	var fixed, fixable, person, failed int
	for _, r := range results {
		a.rep.say("%s: %s: %s [%s]", r.Kind, r.Path, r.Message, doctorState(r))
		switch {
		case r.NeedsPerson:
			person++
		case r.Fixed:
			fixed++
		case r.Err != nil:
			failed++
		default:
			fixable++
		}
	}
	if len(results) == 0 {
		a.rep.say("doctor: no problems found")
		return
	}
	a.rep.say("doctor: %d problems: fixed=%d fixable=%d needs-person=%d failed=%d", len(results), fixed, fixable, person, failed)
}

// doctorJSON is one finding in `doctor --json`.
type doctorJSON struct {
	doctor.Finding
	Fixed bool   `json:"fixed"`
	Error string `json:"error,omitempty"`
}

func (a *app) printDoctorJSON(results []doctor.Result) error {
	doc := struct {
		Version   int          `json:"format_version"`
		Findings  []doctorJSON `json:"findings"`
		Remaining int          `json:"remaining"`
	}{Version: 1, Findings: []doctorJSON{}, Remaining: doctorRemaining(results)}
	for _, r := range results {
		j := doctorJSON{Finding: r.Finding, Fixed: r.Fixed}
		if r.Err != nil {
			j.Error = r.Err.Error()
		}
		doc.Findings = append(doc.Findings, j)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding doctor report: %w", err)
	}
	fmt.Fprintf(a.rep.out, "%s\n", b)
	return nil
}

// doctorRemaining counts the findings not fixed.
func doctorRemaining(results []doctor.Result) int {
	n := 0
	for _, r := range results {
		if !r.Fixed {
			n++
		}
	}
	return n
}
