package pack

import (
	"errors"
	"github.com/dkms-go/dkms/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dkms-go/dkms/internal/run"
)

// needTool makes sure a packaging tool the checks use is installed;
// without it the test skips (fails under the strict CI switch).
func needTool(t *testing.T, name string) {
	t.Helper()
	testenv.LookPath(t, name)
}

// fixture is a module hello/1.0 with its source and builds for two kernels.
type fixture struct {
	root string
	o    Options
}

func newFixture(t *testing.T) *fixture {
	root := t.TempDir()
	src := filepath.Join(root, "src/hello-1.0")
	write(t, filepath.Join(src, "dkms.conf"), "PACKAGE_NAME=Hello_World\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=hello\n")
	write(t, filepath.Join(src, "hello.c"), "int x;\n")
	write(t, filepath.Join(src, "sub/inc.h"), "#define X 1\n")
	o := Options{
		Module: "hello", Version: "1.0", Name: "Hello_World", PackageVersion: "1.0",
		SourceDir: src, Conf: filepath.Join(src, "dkms.conf"),
		OutDir: filepath.Join(root, "dkms/hello/1.0/deb"), TmpDir: root,
		Maintainer: "DKMS Test <dkms-test@example.org>", MTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Target: Target{SourceTree: "/usr/src", ShareDir: "/usr/share", DocDir: "/usr/share/doc",
			CommonPostinst: "/usr/lib/dkms/common.postinst", ModuleRoot: "/lib/modules"},
	}
	for _, k := range []string{"6.1.0-1-amd64", "6.12.3+deb12-amd64"} {
		dir := filepath.Join(root, "dkms/hello/1.0", k, "x86_64")
		ko := filepath.Join(dir, "module/hello.ko")
		write(t, ko, "\x7fELF fake module for "+k)
		write(t, filepath.Join(dir, "log/make.log"), "make\n")
		o.Builds = append(o.Builds, Build{Kernel: k, Arch: "x86_64", Dir: dir,
			Modules: []Module{{Src: ko, Dest: "/lib/modules/" + k + "/updates/dkms/hello.ko"}}})
	}
	return &fixture{root: root, o: o}
}

func write(t *testing.T, name, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func (f *fixture) write(t *testing.T) []string {
	t.Helper()
	paths, err := Write(t.Context(), run.New(nil, nil), f.o)
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func TestDebSource(t *testing.T) {
	needTool(t, "dpkg-deb")
	f := newFixture(t)
	paths := f.write(t)
	want := []string{filepath.Join(f.o.OutDir, "hello-world-dkms_1.0_amd64.deb")}
	if !slices.Equal(paths, want) {
		t.Fatalf("paths %q, want %q", paths, want)
	}
	fields := output(t, "dpkg-deb", "-f", paths[0], "Package", "Version", "Architecture", "Depends", "Section")
	if wantF := "Package: hello-world-dkms\nVersion: 1.0\nArchitecture: amd64\nDepends: dkms\nSection: kernel\n"; fields != wantF {
		t.Errorf("control fields:\n%s\nwant:\n%s", fields, wantF)
	}
	list := output(t, "dpkg-deb", "-c", paths[0])
	for _, p := range []string{"./usr/src/hello-1.0/dkms.conf", "./usr/src/hello-1.0/hello.c", "./usr/src/hello-1.0/sub/inc.h",
		"./usr/share/hello-world-dkms/hello-1.0.dkms.tar.gz", "./usr/share/doc/hello-world-dkms/copyright"} {
		if !strings.Contains(list, p+"\n") {
			t.Errorf("package lacks %s:\n%s", p, list)
		}
	}
	tarball := extractFile(t, paths[0], "usr/share/hello-world-dkms/hello-1.0.dkms.tar.gz")
	entries := output(t, "tar", "-tzf", tarball)
	for _, e := range []string{"./dkms_main_tree/6.1.0-1-amd64/x86_64/module/hello.ko", "./dkms_main_tree/6.12.3+deb12-amd64/x86_64/log/make.log",
		"./dkms_source_tree/dkms.conf", "./dkms_source_tree/sub/inc.h"} {
		if !strings.Contains(entries, e+"\n") {
			t.Errorf("tarball lacks %s:\n%s", e, entries)
		}
	}
	ctl := t.TempDir()
	output(t, "dpkg-deb", "-e", paths[0], ctl)
	post, _ := os.ReadFile(filepath.Join(ctl, "postinst"))
	if !strings.Contains(string(post), "/usr/lib/dkms/common.postinst 'hello' '1.0' '/usr/share/hello-world-dkms' \"\" \"$2\"") {
		t.Errorf("postinst does not call common.postinst as dh_dkms does:\n%s", post)
	}
	prerm, _ := os.ReadFile(filepath.Join(ctl, "prerm"))
	if !strings.Contains(string(prerm), "dkms remove -m 'hello' -v '1.0' --all") {
		t.Errorf("prerm does not remove the module:\n%s", prerm)
	}
}

// extractFile unpacks one file of a .deb and returns its path.
func extractFile(t *testing.T, deb, name string) string {
	dir := t.TempDir()
	output(t, "dpkg-deb", "-x", deb, dir)
	return filepath.Join(dir, name)
}

func TestDebSourceOnlyAndBinariesOnly(t *testing.T) {
	needTool(t, "dpkg-deb")
	f := newFixture(t)
	f.o.SourceOnly = true
	paths := f.write(t)
	if filepath.Base(paths[0]) != "hello-world-dkms_1.0_all.deb" {
		t.Errorf("source-only package %s, want Architecture all", paths[0])
	}
	if list := output(t, "dpkg-deb", "-c", paths[0]); strings.Contains(list, ".dkms.tar.gz") {
		t.Errorf("source-only package has a tarball:\n%s", list)
	}

	f = newFixture(t)
	f.o.BinariesOnly = true
	paths = f.write(t)
	list := output(t, "dpkg-deb", "-c", paths[0])
	if strings.Contains(list, "hello.c") || !strings.Contains(list, "./usr/src/hello-1.0/dkms.conf\n") {
		t.Errorf("binaries-only package should hold dkms.conf and no source:\n%s", list)
	}
	entries := output(t, "tar", "-tzf", extractFile(t, paths[0], "usr/share/hello-world-dkms/hello-1.0.dkms.tar.gz"))
	if !strings.Contains(entries, "./dkms_binaries_only/PACKAGE_NAME\n") || strings.Contains(entries, "dkms_source_tree") {
		t.Errorf("binaries-only tarball:\n%s", entries)
	}
}

func TestBinaryDeb(t *testing.T) {
	needTool(t, "dpkg-deb")
	f := newFixture(t)
	f.o.Kind = BinaryDeb
	paths := f.write(t)
	want := []string{filepath.Join(f.o.OutDir, "hello-world-modules-6.1.0-1-amd64_1.0_amd64.deb"),
		filepath.Join(f.o.OutDir, "hello-world-modules-6.12.3+deb12-amd64_1.0_amd64.deb")}
	if !slices.Equal(paths, want) {
		t.Fatalf("paths %q, want %q", paths, want)
	}
	list := output(t, "dpkg-deb", "-c", paths[1])
	if !strings.Contains(list, "./lib/modules/6.12.3+deb12-amd64/updates/dkms/hello.ko\n") || strings.Contains(list, "6.1.0-1") || strings.Contains(list, "/usr/src") {
		t.Errorf("binary package contents:\n%s", list)
	}
	if dep := output(t, "dpkg-deb", "-f", paths[0], "Depends"); dep != "kmod\n" {
		t.Errorf("Depends %q, want kmod only (no dkms)", dep)
	}
}

func TestRPM(t *testing.T) {
	needTool(t, "rpm")
	f := newFixture(t)
	f.o.Kind = RPM
	f.o.PackageVersion = "1.0-rc1"
	f.o.OutDir = filepath.Join(f.root, "dkms/hello/1.0/rpm")
	paths := f.write(t)
	if want := filepath.Join(f.o.OutDir, "Hello_World-dkms-1.0_rc1-1.x86_64.rpm"); len(paths) != 1 || paths[0] != want {
		t.Fatalf("paths %q, want %q", paths, want)
	}
	list := output(t, "rpm", "-qpl", paths[0])
	for _, p := range []string{"/usr/src/hello-1.0/hello.c", "/usr/share/Hello_World-dkms/hello-1.0.dkms.tar.gz"} {
		if !strings.Contains(list, p+"\n") {
			t.Errorf("rpm lacks %s:\n%s", p, list)
		}
	}
	scripts := output(t, "rpm", "-qp", "--scripts", paths[0])
	for _, s := range []string{"postinstall scriptlet", "/usr/lib/dkms/common.postinst 'hello' '1.0' '/usr/share/Hello_World-dkms'",
		"preuninstall scriptlet", "dkms remove -m 'hello' -v '1.0' --all"} {
		if !strings.Contains(scripts, s) {
			t.Errorf("rpm scripts lack %q:\n%s", s, scripts)
		}
	}
	if out := output(t, "rpm", "-K", "--nosignature", paths[0]); !strings.Contains(out, "digests OK") {
		t.Errorf("rpm -K: %s", out)
	}
}

// TestRefused: names and versions the format cannot carry are refused
// before anything is written.
func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		kind          Kind
		name, version string
		wantFormat    string
	}{
		{Deb, "héllo", "1.0", "deb"},
		{Deb, "hello", "v1.0", "deb"},
		{BinaryDeb, "x", "1.0", "deb"},
		{RPM, "hello world", "1.0", "rpm"},
		{RPM, "hello", "1.0/2", "rpm"},
	} {
		f := newFixture(t)
		f.o.Kind, f.o.Name, f.o.PackageVersion = tc.kind, tc.name, tc.version
		_, err := Write(t.Context(), run.New(nil, nil), f.o)
		var ne *NameError
		if !errors.As(err, &ne) || ne.Format != tc.wantFormat {
			t.Errorf("%q %q: error %v, want a %s NameError", tc.name, tc.version, err, tc.wantFormat)
		}
		if _, err := os.Stat(f.o.OutDir); !os.IsNotExist(err) {
			t.Errorf("%q %q: output directory made for a refused package", tc.name, tc.version)
		}
		if left, _ := filepath.Glob(filepath.Join(f.root, "dkms-pack.*")); len(left) > 0 {
			t.Errorf("work directory left behind: %v", left)
		}
	}
}

// TestNothingWrittenOnFailure: a package that cannot be made (its source
// is unreadable half way) leaves no output directory or work files.
func TestNothingWrittenOnFailure(t *testing.T) {
	f := newFixture(t)
	f.o.Builds[1].Dir = filepath.Join(f.root, "missing")
	if _, err := Write(t.Context(), run.New(nil, nil), f.o); err == nil {
		t.Fatal("no error for a missing build directory")
	}
	if _, err := os.Stat(f.o.OutDir); !os.IsNotExist(err) {
		t.Errorf("output directory exists after a failure")
	}
	if left, _ := filepath.Glob(filepath.Join(f.root, "dkms-pack.*")); len(left) > 0 {
		t.Errorf("work directory left behind: %v", left)
	}
}
