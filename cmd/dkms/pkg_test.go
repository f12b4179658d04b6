package main

import (
	"os/exec"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdLintian runs lintian on each package and fails on an error-level
// tag (warnings are allowed: a locally made package has no real
// copyright file).
func cmdLintian(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: lintian PACKAGE...")
	}
	for _, p := range args {
		out, _ := exec.Command("lintian", "--tag-display-limit", "0", ts.MkAbs(p)).CombinedOutput()
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "E: ") {
				ts.Fatalf("lintian %s: %s\n%s", p, l, out)
			}
		}
	}
}
