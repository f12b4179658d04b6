package install

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/tree"
)

// TestRecover hand-makes the states an install killed part way leaves
// (manifest present, kernel link absent) and checks Recover puts the
// install tree back as it was before the install.
func TestRecover(t *testing.T) {
	for _, tc := range []struct {
		name string
		// interrupt turns a finished install into an interrupted one.
		interrupt func(t *testing.T, f *fixture)
		wantDst   bool // the installed file survives the rollback
	}{
		{"killed before the link", func(t *testing.T, f *fixture) {
			os.Remove(f.l.KernelLink("foo", kver, arch))
		}, false},
		{"killed before copying", func(t *testing.T, f *fixture) {
			os.Remove(f.l.KernelLink("foo", kver, arch))
			os.Remove(f.kpath("updates/dkms/foo.ko"))
		}, false},
		{"killed after writing the manifest", func(t *testing.T, f *fixture) {
			os.Remove(f.l.KernelLink("foo", kver, arch))
			os.Remove(f.kpath("updates/dkms/foo.ko"))
			man, _ := f.l.ReadManifest("foo", kver, arch)
			o := man.Originals[0]
			os.Rename(o.Archived, o.From)
			os.Remove(o.Archived + ".origin")
		}, false},
		{"killed between restoring and cleaning up", func(t *testing.T, f *fixture) {
			os.Remove(f.l.KernelLink("foo", kver, arch))
			man, _ := f.l.ReadManifest("foo", kver, arch)
			o := man.Originals[0]
			os.Rename(o.Archived, o.From) // the .origin note stays
		}, false},
		{"installed file changed since", func(t *testing.T, f *fixture) {
			os.Remove(f.l.KernelLink("foo", kver, arch))
			writeFile(t, f.kpath("updates/dkms/foo.ko"), "someone else's")
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.built(t, "1.0", "1.0")
			orig := f.kpath("kernel/foo.ko")
			kmod(t, orig, "version=0.9", "orig")
			origHash := hash(t, orig)
			if err := f.e.Install(t.Context(), f.req("1.0")); err != nil {
				t.Fatal(err)
			}
			tc.interrupt(t, f)

			f.out.Reset()
			done := f.e.RollBack(t.Context())
			if want := []string{"foo/1.0 on " + kver + " (" + arch + ")"}; !reflect.DeepEqual(done, want) {
				t.Errorf("Recover = %q, want %q", done, want)
			}
			if f.out.Len() != 0 {
				t.Errorf("rollback printed %q", f.out.String())
			}
			if hash(t, orig) != origHash {
				t.Error("original not restored")
			}
			wantExists(t, tc.wantDst, f.kpath("updates/dkms/foo.ko"))
			wantExists(t, false, f.l.Manifest("foo", kver, arch), f.l.KernelLink("foo", kver, arch),
				filepath.Join(f.l.Module("foo"), "original_module"))
			if tc.name == "killed before the link" {
				// Empty directories go with the last file removed. (When
				// the file was never copied, an empty IT/K/updates/dkms
				// made before the kill stays; files are what count.)
				wantExists(t, false, f.kpath("updates"))
			}
			if again := f.e.RollBack(t.Context()); again != nil {
				t.Errorf("second Recover = %q", again)
			}
		})
	}
}

func TestRecoverConsistent(t *testing.T) {
	f := newFixture(t)
	f.built(t, "1.0", "1.0")
	if err := f.e.Install(t.Context(), f.req("1.0")); err != nil {
		t.Fatal(err)
	}
	before := f.e.Runner.Steps()
	if done := f.e.RollBack(t.Context()); done != nil {
		t.Errorf("Recover of a finished install = %q", done)
	}
	if f.e.Runner.Steps() != before {
		t.Error("Recover of a consistent tree changed something")
	}
	wantExists(t, true, f.kpath("updates/dkms/foo.ko"), f.l.Manifest("foo", kver, arch))
}

// TestRecoverUpgrade interrupts an upgrade from 1.0 to 2.0 after the files
// were replaced but before the kernel link moved: Recover must bring back
// 1.0's files and manifest, keeping the originals 1.0 archived.
func TestRecoverUpgrade(t *testing.T) {
	f := newFixture(t)
	src1 := f.built(t, "1.0", "1.0")
	src2 := f.built(t, "2.0", "2.0")
	orig := f.kpath("kernel/foo.ko")
	kmod(t, orig, "version=0.9", "orig")
	if err := f.e.Install(t.Context(), f.req("1.0")); err != nil {
		t.Fatal(err)
	}
	man1, _ := f.l.ReadManifest("foo", kver, arch)
	if err := f.e.Install(t.Context(), f.req("2.0")); err != nil {
		t.Fatal(err)
	}
	man2, _ := f.l.ReadManifest("foo", kver, arch)
	if man2.Previous == nil || !reflect.DeepEqual(man2.Previous, man1) || !reflect.DeepEqual(man2.Originals, man1.Originals) {
		t.Fatalf("upgrade manifest does not keep the previous one:\n%+v", man2)
	}
	wantSame(t, f.kpath("updates/dkms/foo.ko"), src2)
	// The kill: the link still names 1.0.
	if err := os.Remove(f.l.KernelLink("foo", kver, arch)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("1.0/"+kver+"/"+arch, f.l.KernelLink("foo", kver, arch)); err != nil {
		t.Fatal(err)
	}

	if done := f.e.RollBack(t.Context()); len(done) != 1 {
		t.Errorf("Recover = %q", done)
	}
	wantSame(t, f.kpath("updates/dkms/foo.ko"), src1)
	got, _ := f.l.ReadManifest("foo", kver, arch)
	if !reflect.DeepEqual(got, man1) {
		t.Errorf("manifest after recovery\n got %+v\nwant %+v", got, man1)
	}
	wantExists(t, false, orig)
	wantExists(t, true, man1.Originals[0].Archived)
	if !f.l.IsInstalled("foo", "1.0", kver, arch) {
		t.Error("1.0 no longer installed")
	}

	// And a normal uninstall of 1.0 from there restores the original.
	if _, err := uninstallNow(f.e, f.req("1.0")); err != nil {
		t.Fatal(err)
	}
	wantExists(t, true, orig)
	wantExists(t, false, f.kpath("updates"))
}

// TestRecoverUninstall: an uninstall killed after removing the link but
// before removing the files is finished by Recover.
func TestRecoverUninstall(t *testing.T) {
	f := newFixture(t)
	f.built(t, "1.0", "1.0")
	if err := f.e.Install(t.Context(), f.req("1.0")); err != nil {
		t.Fatal(err)
	}
	os.Remove(f.l.KernelLink("foo", kver, arch))
	f.e.RollBack(t.Context())
	wantExists(t, false, f.kpath("updates"), f.l.Manifest("foo", kver, arch))
	wantExists(t, true, f.l.KernelDir(kver))
}

func TestUninstallLegacy(t *testing.T) {
	f := newFixture(t)
	src := f.built(t, "1.0", "1.0")
	dst := f.kpath("updates/dkms/foo.ko")
	// An install by the reference dkms: no manifest, a .origin note.
	writeFile(t, dst, "")
	data, _ := os.ReadFile(src)
	writeFile(t, dst, string(data))
	orig := f.kpath("kernel/foo.ko")
	archived := filepath.Join(f.l.Originals("foo", kver, arch), "foo.ko")
	kmod(t, archived, "version=0.9", "orig")
	writeFile(t, archived+".origin", orig+"\n")
	bad := filepath.Join(f.l.Originals("foo", kver, arch), "evil.ko")
	writeFile(t, bad, "x")
	writeFile(t, bad+".origin", "/etc/evil.ko\n")
	if err := os.Symlink("1.0/"+kver+"/"+arch, f.l.KernelLink("foo", kver, arch)); err != nil {
		t.Fatal(err)
	}

	active, err := uninstallNow(f.e, f.req("1.0"))
	if err != nil || !active {
		t.Fatalf("Uninstall = %v, %v", active, err)
	}
	wantExists(t, false, dst, archived, archived+".origin", f.l.KernelLink("foo", kver, arch))
	wantExists(t, true, orig, bad)
	if want := [][]string{{"Bad original location '/etc/evil.ko' in " + bad + ".origin"}}; !reflect.DeepEqual(f.warns, want) {
		t.Errorf("warnings %q, want %q", f.warns, want)
	}
}

func TestUninstallLegacyVersionMismatch(t *testing.T) {
	f := newFixture(t)
	f.built(t, "1.0", "1.0")
	// The file at the destination is some other version: the legacy
	// uninstall still removes the default location, as the reference does.
	kmod(t, f.kpath("updates/dkms/foo.ko"), "version=7.7", "other")
	if err := os.Symlink("1.0/"+kver+"/"+arch, f.l.KernelLink("foo", kver, arch)); err != nil {
		t.Fatal(err)
	}
	got := f.e.InstalledFile(f.req("1.0"), f.req("1.0").Modules[0], f.l.BuiltModules("foo", "1.0", kver, arch))
	if got != "" {
		t.Errorf("InstalledFile = %q, want none for a version mismatch", got)
	}
	man := f.e.legacyManifest(f.req("1.0"))
	if want := []tree.File{{Path: f.kpath("updates/dkms/foo.ko")}}; !reflect.DeepEqual(man.Files, want) {
		t.Errorf("legacy files %+v, want %+v", man.Files, want)
	}
}

// TestUpgradeMovesLocation upgrades 1.0 (in /updates/dkms) to 2.0 whose
// dkms.conf puts the module in /extra. Afterwards only 2.0's file may be in
// the install tree: depmod searches updates/ before extra/, so a 1.0 copy
// left in updates/dkms would be the one modprobe loads.
func TestUpgradeMovesLocation(t *testing.T) {
	f := newFixture(t)
	f.built(t, "1.0", "1.0")
	src2 := f.built(t, "2.0", "2.0")
	if err := f.e.Install(t.Context(), f.req("1.0")); err != nil {
		t.Fatal(err)
	}
	req2 := f.req("2.0")
	req2.Modules[0].DestLocation = "/extra"
	if err := f.e.Install(t.Context(), req2); err != nil {
		t.Fatal(err)
	}
	wantSame(t, f.kpath("extra/foo.ko"), src2)
	wantExists(t, false, f.kpath("updates/dkms/foo.ko"))
	if _, err := uninstallNow(f.e, req2); err != nil {
		t.Fatal(err)
	}
	wantExists(t, false, f.kpath("updates"), f.kpath("extra"))
}

// TestRecoverTempsAndDepmod checks the parts of Recover beyond RollBack:
// it deletes the temporaries tree.Layout.Temporaries lists and finishes
// a pending depmod (here skipped by NoDepmod, which counts as done), and
// leaves a tree with nothing to recover untouched.
func TestRecoverTempsAndDepmod(t *testing.T) {
	f := newFixture(t)
	temp := filepath.Join(f.l.DKMS, "foo", fileutil.TempPrefix+"add-1.0")
	staged := filepath.Join(f.l.Version("foo", "1.0"), kver, ".tmp_x86_64_abc")
	mkdir(t, temp)
	mkdir(t, staged)
	marker := f.l.DepmodMarker(kver, arch)
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if done := f.e.Recover(t.Context()); done != nil {
		t.Errorf("Recover rolled back %q, want nothing", done)
	}
	wantExists(t, false, temp, staged, marker)
	before := f.e.Runner.Steps()
	f.e.Recover(t.Context())
	if f.e.Runner.Steps() != before {
		t.Error("a second Recover changed something")
	}
}
