package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/run"
)

// realInstallSteps is the number of side effects of the install that
// TestKillRealHeaders kills (see killCase for how to update it): the
// depmod marker, manifest, directory, module copy, kernel link, depmod,
// marker removal.
const realInstallSteps = 7

// TestKillRealHeaders is the kill-point harness on one action with the
// real Debian 6.1 headers and real depmod: installing the signed example
// module, killed before each of its side effects, then checked and rerun,
// then uninstalled for the next kill point (the build is done once). The
// real depmod's modules.dep must list exactly what is installed.
func TestKillRealHeaders(t *testing.T) {
	k, _ := needRealKernels(t)
	s := newSandbox(t, dkmsBinary(t))
	kdir := filepath.Join(s.root, "modules", k)
	headers, err := filepath.EvalSymlinks(filepath.Join("/lib/modules", k, "build"))
	must(t, err)
	must(t, os.MkdirAll(kdir, 0o755))
	must(t, os.Symlink(headers, filepath.Join(kdir, "build")))
	must(t, os.WriteFile(filepath.Join(kdir, "modules.dep"), nil, 0o644))
	fw := fmt.Sprintf("\nmok_signing_key=%s/mok.key\nmok_certificate=%s/mok.pub\ntry_sign_modules=true\n", s.root, s.root)
	appendFile(t, filepath.Join(s.root, "etc", "framework.conf"), fw)
	must(t, os.MkdirAll(filepath.Join(s.root, "src"), 0o755))
	out, err := exec.Command("cp", "-r", "../../examples/dkms-example", filepath.Join(s.root, "src", "dkms_example-1.0")).CombinedOutput()
	must(t, errOut(err, out))
	s.mustDkms("build", "dkms_example/1.0", "-k", k, "-a", "x86_64")

	args := []string{"install", "dkms_example/1.0", "-k", k, "-a", "x86_64"}
	built := "dkms_example/1.0, " + k + ", x86_64: built\n"
	installed := "dkms_example/1.0, " + k + ", x86_64: installed\n"
	// The first install also makes what later ones find in place (the
	// signing key's first use, directories): count the steps of a second.
	s.mustDkms(args...)
	s.mustDkms("uninstall", "dkms_example/1.0", "-k", k, "-a", "x86_64")
	trace := filepath.Join(t.TempDir(), "trace")
	if out, err := s.dkms([]string{run.TraceEnv + "=" + trace}, args...); err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	n := traceSteps(t, "real-header install", trace, realInstallSteps)
	s.mustDkms("uninstall", "dkms_example/1.0", "-k", k, "-a", "x86_64")
	bad := 0
	for i := 1; i <= n; i++ {
		if err := killRealOnce(s, args, i, built, installed); err != nil {
			bad++
			t.Errorf("kill at step %d of %d: %v", i, n, err)
		}
		s.mustDkms("uninstall", "dkms_example/1.0", "-k", k, "-a", "x86_64")
	}
	t.Logf("real headers, install: %d kill points, %d inconsistent", n, bad)
}

func killRealOnce(s *sandbox, args []string, step int, built, installed string) error {
	out, err := s.dkms([]string{fmt.Sprintf("%s=%d", run.KillAfterEnv, step)}, args...)
	if err == nil || !strings.Contains(err.Error(), "killed") {
		return fmt.Errorf("expected a kill, got %v\n%s", err, out)
	}
	if st, err := s.status(); err != nil || (st != built && st != installed) {
		return fmt.Errorf("status after kill: %q, %v", st, err)
	}
	if out, err := s.dkms(nil, args...); err != nil {
		return fmt.Errorf("rerun: %v\n%s", err, out)
	}
	if st, _ := s.status(); st != installed {
		return fmt.Errorf("status after rerun %q", st)
	}
	return s.consistent()
}

func appendFile(t *testing.T, path, text string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	_, err = f.WriteString(text)
	must(t, err)
	must(t, f.Close())
}

func errOut(err error, out []byte) error {
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}
