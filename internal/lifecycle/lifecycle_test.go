package lifecycle

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/status"
)

func TestAddConditions(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture)
		req   Request
		want  Kind
	}{
		{name: "no module", req: Request{}, want: NoModuleVersion},
		{name: "no source", req: Request{Module: "foo", Version: "1.0"}, want: NoSourceDir},
		{name: "added twice", setup: func(t *testing.T, f *fixture) {
			f.module(t, "foo", "")
			must(t, f.s.Add(t.Context(), f.req("foo")))
		}, req: Request{Module: "foo", Version: "1.0"}, want: AlreadyAdded},
		{name: "directory without dkms.conf", setup: func(t *testing.T, f *fixture) {
			f.write(t, "dir/x.c", "")
		}, req: Request{SourceDir: "DIR"}, want: NoConfInDir},
		{name: "package name that is a path", setup: func(t *testing.T, f *fixture) {
			f.write(t, "dir/dkms.conf", "PACKAGE_NAME=../x\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME[0]=x\nDEST_MODULE_LOCATION[0]=/updates\n")
		}, req: Request{SourceDir: "DIR"}, want: BadPackageName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.setup != nil {
				tt.setup(t, f)
			}
			if tt.req.SourceDir == "DIR" {
				tt.req.SourceDir = filepath.Join(f.root, "dir")
			}
			if got := kind(f.s.Add(t.Context(), tt.req)); got != tt.want {
				t.Errorf("Add: kind %d, want %d\nstderr:\n%s", got, tt.want, f.err.String())
			}
		})
	}
}

// TestAddFromDirectory adds a source directory: its dkms.conf names the
// module, the tree is copied to the source tree and linked.
func TestAddFromDirectory(t *testing.T) {
	f := newFixture(t)
	f.write(t, "dir/dkms.conf", "PACKAGE_NAME=foo\nPACKAGE_VERSION=2.0\nBUILT_MODULE_NAME[0]=foo\nDEST_MODULE_LOCATION[0]=/updates\n")
	f.write(t, "dir/foo.c", "")
	must(t, f.s.Add(t.Context(), Request{SourceDir: filepath.Join(f.root, "dir")}))
	if !f.s.Layout.IsAdded("foo", "2.0") || !isFile(filepath.Join(f.s.Layout.SourceDir("foo", "2.0"), "foo.c")) {
		t.Errorf("foo/2.0 not added from the directory; stdout:\n%s", f.out.String())
	}
}

// TestInstallLifecycle installs on a fake kernel (adding and building
// first), then uninstalls, unbuilds and removes, checking the state the
// tree is in after each step.
func TestInstallLifecycle(t *testing.T) {
	f := newFixture(t)
	f.fakeKernel(t, testK)
	f.module(t, "foo", "")
	ctx, req, l := t.Context(), f.req("foo", testK), f.s.Layout
	must(t, f.s.Install(ctx, req))
	state := func() string {
		var out []string
		for _, e := range f.s.Status(ctx, "", "", nil, "", false) {
			out = append(out, e.Module+"/"+e.Version+" "+e.Kernel+" "+string(e.State))
		}
		return strings.Join(out, ", ")
	}
	if got := state(); got != "foo/1.0 "+testK+" installed" {
		t.Fatalf("after install: %s\nstdout:\n%s\nstderr:\n%s", got, f.out.String(), f.err.String())
	}
	if isFile(l.DepmodMarker(testK, testArch)) {
		t.Error("the depmod marker outlived the install")
	}
	if !strings.Contains(f.out.String(), "Installing "+filepath.Join(l.KernelDir(testK), "updates", "dkms", "foo.ko")) {
		t.Errorf("install output:\n%s", f.out.String())
	}
	must(t, f.s.Uninstall(ctx, req))
	if got := state(); got != "foo/1.0 "+testK+" built" {
		t.Errorf("after uninstall: %s", got)
	}
	must(t, f.s.Unbuild(ctx, req))
	if got := state(); got != "foo/1.0  added" {
		t.Errorf("after unbuild: %s", got)
	}
	must(t, f.s.Remove(ctx, req))
	if got := state(); got != "" || fileutilExists(l.Module("foo")) {
		t.Errorf("after remove: %q", got)
	}
}

func fileutilExists(p string) bool { _, err := os.Lstat(p); return err == nil }

// TestEachKernelScope builds for two kernels with a --directive: each
// kernel's conf read starts without the exports of the other's, as the
// reference's per-kernel subshell (so both make lines say FOO=none), and
// each prints its DIRECTIVE line.
func TestEachKernelScope(t *testing.T) {
	f := newFixture(t, "FOO=bar")
	const k2 = "6.2.0-test"
	f.fakeKernel(t, testK)
	f.fakeKernel(t, k2)
	f.module(t, "foo", `MAKE[0]="make -C ${kernel_source_dir} M=${dkms_tree}/foo/1.0/build FOO=${FOO:-none}"`+"\n")
	if err := f.s.Build(t.Context(), f.req("foo", testK, k2)); err != nil {
		t.Fatalf("Build: %v %v\n%s\n%s", err, f.failed, f.out.String(), f.err.String())
	}
	for _, k := range []string{testK, k2} {
		log, err := os.ReadFile(filepath.Join(f.s.Layout.Built("foo", "1.0", k, testArch), "log", "make.log"))
		must(t, err)
		cmd := filepath.Join(f.s.Layout.KernelDir(k), "build") + " M=" + f.s.Layout.BuildDir("foo", "1.0") + " FOO=none\n"
		if !strings.Contains(string(log), "# command: make -j1 KERNELRELEASE="+k+" -C "+cmd) {
			t.Errorf("make.log of %s:\n%s", k, log)
		}
	}
	if n := strings.Count(f.out.String(), `DIRECTIVE: FOO="bar"`); n != 2 {
		t.Errorf("%d DIRECTIVE lines, want one per kernel:\n%s", n, f.out.String())
	}
}

// TestBuildFailureRecord checks that a failed kernel is reported, its
// failure recorded for status --json, and the next kernel still built.
func TestBuildFailureRecord(t *testing.T) {
	f := newFixture(t)
	const k2 = "6.2.0-test"
	f.fakeKernel(t, k2) // testK has no headers
	f.module(t, "foo", "")
	err := f.s.Build(t.Context(), f.req("foo", testK, k2))
	if err != Status(9) || len(f.failed) != 1 || kind(f.failed[0]) != NoHeaders {
		t.Fatalf("Build = %v, failures %v", err, f.failed)
	}
	if !f.s.Layout.IsBuilt("foo", "1.0", k2, testArch) {
		t.Error("the second kernel was not built")
	}
	entries := f.s.Status(t.Context(), "foo", "", nil, "", true)
	if len(entries) != 1 || len(entries[0].Failures) != 0 {
		t.Errorf("the built entry of %s shows failures of another kernel: %+v", k2, entries)
	}
	fs := f.s.Layout.Failures("foo", "1.0")
	if len(fs) != 1 || fs[0].Kernel != testK || !strings.Contains(fs[0].Text, " exit 9") {
		t.Errorf("failure records: %+v", fs)
	}
}

// TestAutoinstall installs three modules, one depending on another, with
// two build workers, and checks the reference's summary and that the
// output is the serial one (each module's lines together, in order).
func TestAutoinstall(t *testing.T) {
	f := newFixture(t)
	f.s.Jobs = 2
	f.fakeKernel(t, testK)
	f.module(t, "aa", "AUTOINSTALL=yes\n")
	f.module(t, "bb", "AUTOINSTALL=yes\nBUILD_DEPENDS[0]=aa\n")
	f.module(t, "cc", "AUTOINSTALL=yes\n")
	f.module(t, "dd", "")
	for _, m := range []string{"aa", "bb", "cc", "dd"} {
		must(t, f.s.Add(t.Context(), f.req(m)))
	}
	f.out.Reset()
	must(t, f.s.Autoinstall(t.Context(), f.req("", testK)))
	out := f.out.String()
	if !strings.Contains(out, "Autoinstall on "+testK+" succeeded for module(s) aa cc bb.") {
		t.Errorf("summary:\n%s", out)
	}
	var order []string
	for _, line := range strings.Split(out, "\n") {
		if m, ok := strings.CutPrefix(line, "Autoinstall of module "); ok {
			order = append(order, strings.Fields(m)[0])
		}
	}
	if want := []string{"aa/1.0", "cc/1.0", "bb/1.0"}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	if f.s.Layout.IsInstalled("dd", "1.0", testK, testArch) {
		t.Error("dd installed without AUTOINSTALL")
	}
}

// TestKernelRemove unbuilds every module of a kernel and runs depmod once
// at the end.
func TestKernelRemove(t *testing.T) {
	f := newFixture(t)
	f.fakeKernel(t, testK)
	for _, m := range []string{"aa", "bb"} {
		f.module(t, m, "")
		must(t, f.s.Install(t.Context(), f.req(m, testK)))
	}
	f.out.Reset()
	must(t, f.s.KernelRemove(t.Context(), f.req("", testK), false))
	if n := strings.Count(f.out.String(), "Running depmod..."); n != 1 {
		t.Errorf("%d depmod runs, want 1:\n%s", n, f.out.String())
	}
	for _, e := range status.Entries(f.s.Layout, "", "", testK, "") {
		if e.State != status.Added {
			t.Errorf("left on the kernel: %+v", e)
		}
	}
}

// TestTarballRoundTrip makes a tarball of a built module and loads it
// into another tree, where it is built for the same kernel; loading it
// again is refused without --force.
func TestTarballRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.fakeKernel(t, testK)
	f.module(t, "foo", "")
	must(t, f.s.Build(t.Context(), f.req("foo", testK)))
	arc := filepath.Join(f.root, "foo.tar.gz")
	req := f.req("foo", testK)
	req.Archive = arc
	must(t, f.s.Mktarball(t.Context(), req))

	g := newFixture(t)
	load := Request{Archive: arc}
	must(t, g.s.Ldtarball(t.Context(), load))
	if !g.s.Layout.IsAdded("foo", "1.0") || !g.s.Layout.IsBuilt("foo", "1.0", testK, testArch) {
		t.Fatalf("loaded tree:\n%s\n%s", g.out.String(), g.err.String())
	}
	if err := g.s.Ldtarball(t.Context(), load); kind(err) != TarballAdded {
		t.Errorf("second load: %v, want TarballAdded", err)
	}
}

func TestAllBuilds(t *testing.T) {
	f := newFixture(t)
	l := f.s.Layout
	for _, ka := range []string{"6.10.0/x86_64", "6.9.0/x86_64", "6.2.0/i386", "6.2.0/x86_64"} {
		must(t, os.MkdirAll(filepath.Join(l.Version("foo", "1.0"), ka, "module"), 0o755))
	}
	must(t, os.Symlink("1.0/6.2.0/i386", l.KernelLink("foo", "6.2.0", "i386")))
	k, a := f.s.AllBuilds("foo", "1.0")
	got := []string{}
	for i := range k {
		got = append(got, k[i]+"/"+a[i])
	}
	want := []string{"6.2.0/x86_64", "6.9.0/x86_64", "6.10.0/x86_64", "6.2.0/i386"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AllBuilds = %v, want %v (built first, installed last, each in version order)", got, want)
	}
}

func TestMatchConditions(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		req  Request
		want Kind
	}{
		{Request{Kernels: []string{testK}, Arches: []string{testArch}}, MatchUsage},
		{Request{Kernels: []string{testK}, Arches: []string{testArch}, TemplateKernel: testK}, MatchSameKernel},
		{Request{Module: "nope", Kernels: []string{testK}, Arches: []string{testArch}, TemplateKernel: "6.0"}, ModuleNotInTree},
	} {
		if got := kind(f.s.Match(t.Context(), tc.req)); got != tc.want {
			t.Errorf("Match(%+v): kind %d, want %d", tc.req, got, tc.want)
		}
	}
}

// TestUninstallDepmodMarker checks that an uninstall whose depmod fails
// leaves the depmod marker for the next run's recovery, and that one
// whose depmod runs leaves none.
func TestUninstallDepmodMarker(t *testing.T) {
	f := newFixture(t)
	f.fakeKernel(t, testK)
	f.module(t, "foo", "")
	ctx, req, l := t.Context(), f.req("foo", testK), f.s.Layout
	must(t, f.s.Install(ctx, req))
	bin := filepath.Join(f.root, "bin")
	f.write(t, "bin/depmod", "#!/bin/sh\nexit 1\n")
	must(t, os.Chmod(filepath.Join(bin, "depmod"), 0o755))
	f.write(t, "modules/"+testK+"/modules.dep", "")
	failing := *f.s
	failing.Flags.NoDepmod = false
	t.Setenv("PATH", bin+":"+os.Getenv("PATH")) // exec looks commands up in the process's PATH
	if err := failing.Uninstall(ctx, req); !errors.Is(err, install.ErrDepmod) {
		t.Fatalf("Uninstall with a failing depmod: %v", err)
	}
	if !isFile(l.DepmodMarker(testK, testArch)) {
		t.Error("a failed depmod left no marker")
	}
	f.s.Recover(ctx) // NoDepmod: the pending depmod counts as done
	if isFile(l.DepmodMarker(testK, testArch)) {
		t.Error("recovery left the marker")
	}
	must(t, f.s.Install(ctx, req))
	must(t, f.s.Uninstall(ctx, req))
	if isFile(l.DepmodMarker(testK, testArch)) {
		t.Error("an uninstall whose depmod ran left its marker")
	}
}
