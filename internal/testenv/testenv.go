// Package testenv is the one place where a test may decide not to run
// because the machine lacks something it needs: a program, kernel headers,
// the shared reference material next to the repository, or time (-short).
//
// Locally such a test skips, loudly, naming what is missing. Under the
// strict switch (StrictEnv, which CI sets through .ci/run) nothing may
// skip: the same call fails the test instead, so a CI run that is green
// ran every test. Opt-in tests that are off by design (OptIn) are the only
// exception. Tests never call t.Skip themselves; TestNoDirectSkip enforces
// that over the repository.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// StrictEnv names the environment variable that turns every skip into a
// failure. The name predates its widening from kernel headers to
// everything; .ci/run sets it.
const StrictEnv = "DKMS_TEST_REQUIRE_HEADERS"

// Strict reports whether StrictEnv is set to a non-empty value.
func Strict() bool { return os.Getenv(StrictEnv) != "" }

// Skipf skips t with the reason, or fails it when Strict.
func Skipf(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Strict() {
		t.Fatalf("%s (%s is set: nothing may skip)", msg, StrictEnv)
	}
	t.Skip("SKIP: " + msg)
}

// SkipIfShort skips t under -short, saying why it is long; under Strict
// it fails instead, like every skip.
func SkipIfShort(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		Skipf(t, "-short: %s", why)
	}
}

// LookPath finds the program name in PATH, else at the first of the extra
// paths (glob patterns allowed) that is an executable file, and returns
// its path. When none is found it skips t, or fails it when Strict.
func LookPath(t testing.TB, name string, extra ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, pattern := range extra {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				return m
			}
		}
	}
	Skipf(t, "%s not found: install it (test/setup.sh)", name)
	return ""
}

// Shared returns the shared reference material (tools, corpus, reference
// source) that lives next to the repository, or skips t (fails it when
// Strict) when it is absent. rel is the path from the test's package
// directory to the repository root, e.g. "../..".
func Shared(t testing.TB, rel string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join(rel, "..", "shared"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tools", "conf-conformance")); err != nil {
		Skipf(t, "shared reference material not found at %s", dir)
	}
	return dir
}

// OptIn skips t unless the environment variable env is "1", even when
// Strict: it is for tests that are off by design because they need what
// CI does not give (a QEMU boot takes minutes). Each use is listed in the
// README's Tests section.
func OptIn(t testing.TB, env, why string) {
	t.Helper()
	if os.Getenv(env) != "1" {
		t.Skipf("SKIP: set %s=1 to run: %s", env, why)
	}
}
