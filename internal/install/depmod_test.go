package install

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/testenv"
)

func TestDepmodBase(t *testing.T) {
	tmp := t.TempDir()
	for _, tc := range []struct {
		it   string
		base string // "" for the host's; "TEMP" for a temporary link
	}{
		{"/lib/modules", ""},
		{"/lib/modules/", ""},
		{"/usr/lib/modules", ""},
		{"//usr/lib/../lib/modules", ""},
		{"/srv/root/lib/modules", "/srv/root"},
		{"/srv/root/usr/lib/modules", "/srv/root"},
		{"/srv/root/lib/modules/", "/srv/root"},
		{"/srv/xlib/modules", "TEMP"},
		{filepath.Join(tmp, "modules"), "TEMP"},
		{"relative/tree", "TEMP"},
	} {
		t.Run(tc.it, func(t *testing.T) {
			base, cleanup, err := depmodBase(tc.it)
			if err != nil {
				t.Fatal(err)
			}
			if tc.base != "TEMP" {
				if base != tc.base {
					t.Errorf("base = %q, want %q", base, tc.base)
				}
				cleanup()
				return
			}
			if base == "" || !filepath.IsAbs(base) {
				t.Fatalf("base = %q, want a temporary directory", base)
			}
			target, err := os.Readlink(filepath.Join(base, "lib", "modules"))
			abs, _ := filepath.Abs(tc.it)
			if err != nil || target != abs {
				t.Errorf("lib/modules -> %q, %v; want %q", target, err, abs)
			}
			cleanup()
			if _, err := os.Lstat(base); !os.IsNotExist(err) {
				t.Errorf("temporary base %s not removed: %v", base, err)
			}
		})
	}
}

func TestDepmodSkipped(t *testing.T) {
	f := newFixture(t)
	// No modules.dep: the kernel has no image installed, depmod is not run.
	f.e.NoDepmod = false
	if err := f.e.Depmod(t.Context(), kver); err != nil || f.e.Runner.Steps() != 0 {
		t.Errorf("Depmod without modules.dep = %v after %d steps", err, f.e.Runner.Steps())
	}
	writeFile(t, f.kpath("modules.dep"), "")
	f.e.NoDepmod = true
	if err := f.e.Depmod(t.Context(), kver); err != nil || f.e.Runner.Steps() != 0 {
		t.Errorf("Depmod with --no-depmod = %v after %d steps", err, f.e.Runner.Steps())
	}
}

// TestDepmodReal runs kmod's depmod on a hermetic X/lib/modules tree: it
// must write that tree's maps (never the host's) and, once the last module
// went, drop the empty maps and the kernel directory.
func TestDepmodReal(t *testing.T) {
	testenv.LookPath(t, "depmod", "/usr/sbin/depmod", "/sbin/depmod")
	f := newFixture(t)
	f.e.NoDepmod = false
	f.built(t, "1.0", "1.0")
	writeFile(t, f.kpath("modules.dep"), "")
	if err := f.e.Install(t.Context(), f.req("1.0")); err != nil {
		t.Fatal(err)
	}
	if err := f.e.Depmod(t.Context(), kver); err != nil {
		t.Fatal(err)
	}
	dep, err := os.ReadFile(f.kpath("modules.dep"))
	if err != nil || !strings.Contains(string(dep), "updates/dkms/foo.ko:") {
		t.Fatalf("modules.dep = %q, %v", dep, err)
	}
	if _, err := uninstallNow(f.e, f.req("1.0")); err != nil {
		t.Fatal(err)
	}
	if err := f.e.Depmod(t.Context(), kver); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.l.KernelDir(kver)); !os.IsNotExist(err) {
		ents, _ := os.ReadDir(f.l.KernelDir(kver))
		t.Errorf("kernel directory kept after its last module went: %v", ents)
	}
}

func TestDepmodFailure(t *testing.T) {
	f := newFixture(t)
	f.e.NoDepmod = false
	writeFile(t, f.kpath("modules.dep"), "")
	fake := t.TempDir()
	if err := os.WriteFile(filepath.Join(fake, "depmod"), []byte("#!/bin/sh\necho \"$@\"; exit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", fake+string(os.PathListSeparator)+os.Getenv("PATH"))
	f.e.BootDir = t.TempDir()
	writeFile(t, filepath.Join(f.e.BootDir, "System.map-"+kver), "")
	err := f.e.Depmod(t.Context(), kver)
	if !errors.Is(err, ErrDepmod) {
		t.Fatalf("Depmod = %v, want ErrDepmod", err)
	}
	root := filepath.Dir(filepath.Dir(f.l.Install))
	if want := "-a -b " + root + " " + kver + " -F " + filepath.Join(f.e.BootDir, "System.map-"+kver); !strings.Contains(err.Error(), want) {
		t.Errorf("depmod arguments: %v, want %q", err, want)
	}
	if _, err := os.Stat(f.kpath("modules.dep")); err != nil {
		t.Error("a failed depmod dropped the maps")
	}
}
