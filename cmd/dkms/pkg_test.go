package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// pkgTools are the programs the package scripts check packages with.
var pkgTools = []string{"dpkg-deb", "dpkg", "rpm", "lintian"}

// pkgToolsCondition answers [pkgtools]: every tool of pkgTools is
// installed. When one is missing and CI demands every test run
// (DKMS_TEST_REQUIRE_HEADERS), it fails loudly.
func pkgToolsCondition() (bool, error) {
	for _, t := range pkgTools {
		if _, err := exec.LookPath(t); err != nil {
			if os.Getenv(requireHeadersEnv) != "" {
				return false, fmt.Errorf("%s is required (%s is set): run test/setup.sh", t, requireHeadersEnv)
			}
			return false, nil
		}
	}
	return true, nil
}

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
