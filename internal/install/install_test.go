package install

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/tree"
)

func TestFindModule(t *testing.T) {
	for _, tc := range []struct {
		files []string
		want  string
	}{
		{nil, ""},
		{[]string{"foo.ko"}, "foo.ko"},
		{[]string{"foo.ko.zst"}, "foo.ko.zst"},
		{[]string{"foo.ko", "foo.ko.gz", "foo.ko.xz", "foo.ko.zst"}, "foo.ko"},
		{[]string{"foo.ko.gz", "foo.ko.xz", "foo.ko.zst"}, "foo.ko.gz"},
		{[]string{"foo.ko.xz", "foo.ko.zst"}, "foo.ko.xz"},
		{[]string{"foo.ko.bz2", "foo", "foo.o", "foobar.ko", "sub/foo.ko"}, ""},
	} {
		dir := t.TempDir()
		for _, f := range tc.files {
			writeFile(t, filepath.Join(dir, f), f)
		}
		got := FindModule(dir, "foo")
		if want := filepath.Join(dir, tc.want); (tc.want == "" && got != "") || (tc.want != "" && got != want) {
			t.Errorf("FindModule with %q = %q, want %q", tc.files, got, tc.want)
		}
	}
}

func TestSearchModule(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  string
	}{
		{"none", []string{"kernel/bar.ko", "foo", "foo.o"}, ""},
		{"plain", []string{"kernel/drivers/net/foo.ko"}, "kernel/drivers/net/foo.ko"},
		{"compressed", []string{"kernel/foo.ko.zst"}, "kernel/foo.ko.zst"},
		{"lexical order", []string{"updates/foo.ko", "extra/foo.ko", "kernel/foo.ko"}, "extra/foo.ko"},
		{"files before deeper dirs", []string{"a/b/foo.ko", "a/foo.ko.xz"}, "a/b/foo.ko"},
		{"headers links skipped", []string{"build/foo.ko", "source/foo.ko"}, ""},
		{"nested build dir searched", []string{"kernel/build/foo.ko"}, "kernel/build/foo.ko"},
		{"other suffix", []string{"kernel/foo.ko.bak"}, ""},
		{"prefix name", []string{"kernel/foo2.ko", "kernel/foo.ko.gz"}, "kernel/foo.ko.gz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				writeFile(t, filepath.Join(dir, f), f)
			}
			got := SearchModule(dir, "foo")
			want := ""
			if tc.want != "" {
				want = filepath.Join(dir, tc.want)
			}
			if got != want {
				t.Errorf("SearchModule = %q, want %q", got, want)
			}
		})
	}
	if got := SearchModule(filepath.Join(t.TempDir(), "missing"), "foo"); got != "" {
		t.Errorf("SearchModule(missing dir) = %q", got)
	}
}

func TestModuleBase(t *testing.T) {
	for in, want := range map[string]string{
		"foo.ko": "foo", "foo.ko.gz": "foo", "foo.ko.xz": "foo", "foo.ko.zst": "foo",
		"foo": "foo", "foo.ko.bz2": "foo.ko.bz2", "a.ko.ko": "a.ko",
	} {
		if got := moduleBase(in); got != want {
			t.Errorf("moduleBase(%q) = %q, want %q", in, got, want)
		}
	}
	if got := suffixOf("/x/foo.ko.zst"); got != ".ko.zst" {
		t.Errorf("suffixOf = %q", got)
	}
}

// TestInstallUninstall installs over an original module, checks the tree,
// the manifest and the order of the side effects, then uninstalls and
// checks the install tree is as it was.
func TestInstallUninstall(t *testing.T) {
	f := newFixture(t)
	src := f.built(t, "1.0", "1.0")
	orig := f.kpath("kernel/drivers/foo.ko")
	kmod(t, orig, "version=0.9", "orig")
	origHash := hash(t, orig)

	if err := f.e.Install(t.Context(), f.req("1.0")); err != nil {
		t.Fatalf("Install: %v\n%s%s", err, &f.out, &f.errb)
	}
	dst := f.kpath("updates/dkms/foo.ko")
	archived := filepath.Join(f.l.Originals("foo", kver, arch), "foo.ko")
	wantSame(t, dst, src)
	wantExists(t, false, orig)
	if hash(t, archived) != origHash {
		t.Error("archived original differs from the original")
	}
	if b, _ := os.ReadFile(archived + ".origin"); string(b) != orig+"\n" {
		t.Errorf(".origin holds %q", b)
	}
	if target, _ := os.Readlink(f.l.KernelLink("foo", kver, arch)); target != "1.0/"+kver+"/"+arch {
		t.Errorf("kernel link -> %q", target)
	}
	if !f.l.IsInstalled("foo", "1.0", kver, arch) {
		t.Error("not installed")
	}
	wantOut := "Found pre-existing " + orig + ", archiving for uninstallation\nInstalling " + dst + "\n"
	if f.out.String() != wantOut {
		t.Errorf("output %q, want %q", f.out.String(), wantOut)
	}
	man, err := f.l.ReadManifest("foo", kver, arch)
	if err != nil || man == nil {
		t.Fatalf("manifest: %v, %v", man, err)
	}
	want := &tree.Manifest{
		Module: "foo", Version: "1.0", Kernel: kver, Arch: arch,
		Files:     []tree.File{{Path: dst, SHA256: hash(t, src), Source: src}},
		Originals: []tree.Original{{From: orig, Archived: archived, SHA256: origHash}},
	}
	if !reflect.DeepEqual(man, want) {
		t.Errorf("manifest\n got %+v\nwant %+v", man, want)
	}

	// The journal: manifest first, kernel link last.
	steps := f.traceLines(t)
	iManifest := slices.Index(steps, "write "+f.l.Manifest("foo", kver, arch))
	iArchive := slices.Index(steps, "rename "+orig+" "+archived)
	iCopy := slices.Index(steps, "copy "+src+" "+dst)
	iLink := slices.Index(steps, "symlink "+f.l.KernelLink("foo", kver, arch)+" -> 1.0/"+kver+"/"+arch)
	if iManifest < 0 || iArchive < 0 || iCopy < 0 || iLink < 0 {
		t.Fatalf("missing steps in trace:\n%s", strings.Join(steps, "\n"))
	}
	if !(iManifest < iArchive && iArchive < iCopy && iLink == len(steps)-1) {
		t.Errorf("side effects out of order:\n%s", strings.Join(steps, "\n"))
	}

	f.out.Reset()
	active, err := uninstallNow(f.e, f.req("1.0"))
	if err != nil || !active {
		t.Fatalf("Uninstall = %v, %v", active, err)
	}
	wantOut = "Before uninstall, this module version was ACTIVE on this kernel.\nDeleting " + dst + "\nRestoring archived original module " + orig + "\n"
	if f.out.String() != wantOut {
		t.Errorf("output %q, want %q", f.out.String(), wantOut)
	}
	if hash(t, orig) != origHash {
		t.Error("original not restored")
	}
	wantExists(t, false, dst, f.kpath("updates"), archived, archived+".origin",
		filepath.Join(f.l.Module("foo"), "original_module"),
		f.l.Manifest("foo", kver, arch), f.l.KernelLink("foo", kver, arch))
	wantExists(t, true, f.l.KernelDir(kver), f.l.BuiltModules("foo", "1.0", kver, arch))

	f.out.Reset()
	active, err = uninstallNow(f.e, f.req("1.0"))
	if err != nil || active || f.out.String() != "This module version was INACTIVE for this kernel.\n" {
		t.Errorf("second Uninstall = %v, %v, %q", active, err, f.out.String())
	}
}

func TestInstallSymlink(t *testing.T) {
	f := newFixture(t)
	src := f.built(t, "1.0", "1.0")
	f.e.Symlink = true
	if err := f.e.Install(t.Context(), f.req("1.0")); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(f.kpath("updates/dkms/foo.ko")); err != nil || target != src {
		t.Errorf("installed module links to %q, %v; want %q", target, err, src)
	}
}

func TestInstallLocation(t *testing.T) {
	f := newFixture(t)
	f.built(t, "1.0", "1.0")
	f.e.Location = func(raw string) string { return "/updates/dkms" + strings.TrimPrefix(raw, "/kernel") }
	req := f.req("1.0")
	req.Modules[0].DestLocation = "/kernel/drivers/net"
	if err := f.e.Install(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	wantExists(t, true, f.kpath("updates/dkms/drivers/net/foo.ko"))
}

func TestReinstallKeepsOriginals(t *testing.T) {
	f := newFixture(t)
	f.built(t, "1.0", "1.0")
	orig := f.kpath("kernel/foo.ko")
	kmod(t, orig, "version=0.9", "orig")
	req := f.req("1.0")
	req.Force = true
	for range 2 {
		if err := f.e.Install(t.Context(), req); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(f.out.String(), "An original module was already stored during a previous install\n") {
		t.Errorf("output %q", f.out.String())
	}
	man, _ := f.l.ReadManifest("foo", kver, arch)
	if man == nil || len(man.Originals) != 1 || man.Originals[0].From != orig {
		t.Fatalf("originals lost on reinstall: %+v", man)
	}
	if _, err := uninstallNow(f.e, req); err != nil {
		t.Fatal(err)
	}
	wantExists(t, true, orig)
}

// TestInstallVersionChecks covers the reference's refusal rules (§7.1)
// with a same-named module already in the kernel's tree.
func TestInstallVersionChecks(t *testing.T) {
	for _, tc := range []struct {
		name      string
		existing  string // modinfo of IT/K/kernel/foo.ko; "" for none
		sameBytes bool   // existing is a copy of the built module
		built     string // modinfo of the built module
		edit      func(*Request)
		installed bool
		errText   string
		block     []string
	}{
		{name: "nothing there", built: "version=1.0", installed: true},
		{name: "older there", existing: "version=0.9", built: "version=1.0", installed: true},
		{name: "same version, other srcversion", existing: "version=1.0\x00srcversion=AAA", built: "version=1.0\x00srcversion=BBB", installed: true},
		{name: "same version and srcversion", existing: "version=1.0\x00srcversion=AAA", built: "version=1.0\x00srcversion=AAA",
			errText: "Module K/kernel/foo.ko already installed at version 1.0, override by specifying --force\n"},
		{name: "same, forced", existing: "version=1.0", built: "version=1.0", edit: func(r *Request) { r.Force = true }, installed: true},
		{name: "newer there", existing: "version=2.0", built: "version=1.0",
			block: []string{"Module version 1.0 for foo.ko", "is not newer than what is already found in kernel " + kver + " (2.0).", "You may override by specifying --force."}},
		{name: "newer there, forced", existing: "version=2.0", built: "version=1.0", edit: func(r *Request) { r.Force = true }, installed: true},
		{name: "newer there, version override", existing: "version=2.0", built: "version=1.0", edit: func(r *Request) { r.ForceVersion = true }, installed: true},
		{name: "unversioned, identical", existing: "license=GPL", sameBytes: true, built: "license=GPL",
			errText: "Module K/kernel/foo.ko already installed (unversioned module), override by specifying --force\n"},
		{name: "unversioned, different", existing: "license=GPL", built: "license=GPL", installed: true},
		{name: "obsoleted", built: "version=1.0", edit: func(r *Request) { r.ObsoleteBy = "6.0" },
			errText: "\nModule has been obsoleted due to being included in kernel 6.0.\nWe will avoid installing for future kernels above 6.0.\nYou may override by specifying --force.\n"},
		{name: "obsoleted by a later kernel", built: "version=1.0", edit: func(r *Request) { r.ObsoleteBy = "7.0" }, installed: true},
		{name: "obsoleted, forced", built: "version=1.0", edit: func(r *Request) { r.ObsoleteBy = "6.0"; r.Force = true }, installed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			src := filepath.Join(f.l.BuiltModules("foo", "1.0", kver, arch), "foo.ko")
			kmod(t, src, tc.built, "built")
			existing := f.kpath("kernel/foo.ko")
			if tc.sameBytes {
				writeFile(t, existing, "")
				if err := os.Link(src, existing+".tmp"); err != nil {
					t.Fatal(err)
				}
				os.Rename(existing+".tmp", existing)
			} else if tc.existing != "" {
				kmod(t, existing, tc.existing, "existing")
			}
			req := f.req("1.0")
			if tc.edit != nil {
				tc.edit(&req)
			}
			err := f.e.Install(t.Context(), req)
			if tc.installed {
				if err != nil {
					t.Fatalf("Install: %v\n%s", err, &f.errb)
				}
				wantSame(t, f.kpath("updates/dkms/foo.ko"), src)
				return
			}
			if !errors.Is(err, ErrAborted) {
				t.Fatalf("Install = %v, want ErrAborted", err)
			}
			if got := strings.ReplaceAll(f.errb.String(), f.l.KernelDir(kver), "K"); got != tc.errText {
				t.Errorf("stderr %q, want %q", got, tc.errText)
			}
			if tc.block != nil && !reflect.DeepEqual(f.errBlocks, [][]string{tc.block}) {
				t.Errorf("error blocks %q, want %q", f.errBlocks, tc.block)
			}
			// A refused install changes nothing.
			wantExists(t, false, f.kpath("updates"), f.l.Manifest("foo", kver, arch), f.l.KernelLink("foo", kver, arch),
				filepath.Join(f.l.Module("foo"), "original_module"))
			if tc.existing != "" {
				wantExists(t, true, existing)
			}
		})
	}
}

// TestInstallPartialRefusal: a module refused by the version checks must
// stay where it is; only the accepted ones are installed (and only the
// originals they shadow archived).
func TestInstallPartialRefusal(t *testing.T) {
	f := newFixture(t)
	f.built(t, "1.0", "1.0")
	kmod(t, filepath.Join(f.l.BuiltModules("foo", "1.0", kver, arch), "bar.ko"), "version=1.0", "bar")
	kmod(t, f.kpath("kernel/bar.ko"), "version=3.0", "newer")
	req := f.req("1.0")
	req.Modules = append(req.Modules, Module{DestName: "bar", DestLocation: "/updates/dkms"})
	if err := f.e.Install(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	wantExists(t, true, f.kpath("updates/dkms/foo.ko"), f.kpath("kernel/bar.ko"))
	wantExists(t, false, f.kpath("updates/dkms/bar.ko"))
	if len(f.errBlocks) != 1 {
		t.Errorf("error blocks %q", f.errBlocks)
	}
}

func TestInstallErrors(t *testing.T) {
	t.Run("no kernel dir", func(t *testing.T) {
		f := newFixture(t)
		f.built(t, "1.0", "1.0")
		os.Remove(f.l.KernelDir(kver))
		if err := f.e.Install(t.Context(), f.req("1.0")); !errors.Is(err, ErrNoKernelDir) {
			t.Errorf("Install = %v, want ErrNoKernelDir", err)
		}
	})
	t.Run("module not built", func(t *testing.T) {
		f := newFixture(t)
		f.built(t, "1.0", "1.0")
		req := f.req("1.0")
		req.Modules = append(req.Modules, Module{DestName: "bar"})
		err := f.e.Install(t.Context(), req)
		var me *MissingError
		if !errors.Is(err, ErrMissingModule) || !errors.As(err, &me) || me.Name != "bar" || me.Dir != f.l.Built("foo", "1.0", kver, arch) {
			t.Errorf("Install = %v, want a MissingError for bar", err)
		}
		wantExists(t, false, f.l.Manifest("foo", kver, arch), f.kpath("updates"))
	})
	t.Run("placing fails", func(t *testing.T) {
		f := newFixture(t)
		f.built(t, "1.0", "1.0")
		orig := f.kpath("kernel/foo.ko")
		kmod(t, orig, "version=0.9", "orig")
		origHash := hash(t, orig)
		writeFile(t, f.kpath("updates"), "a file where a directory goes")
		if err := f.e.Install(t.Context(), f.req("1.0")); err == nil {
			t.Fatal("Install succeeded")
		}
		// Rolled back: original in place, no journal, no link.
		if hash(t, orig) != origHash {
			t.Error("original not restored after a failed install")
		}
		wantExists(t, false, f.l.Manifest("foo", kver, arch), f.l.KernelLink("foo", kver, arch),
			filepath.Join(f.l.Module("foo"), "original_module"))
	})
}
