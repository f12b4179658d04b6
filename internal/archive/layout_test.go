package archive

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	long := strings.Repeat("k", 250)
	for _, tc := range []struct {
		tags []string
		want string
	}{
		{[]string{"source-only"}, "foo-1.0-source-only.dkms.tar.gz"},
		{[]string{"kernel6.1-x86_64", "kernel6.2-arm64"}, "foo-1.0-kernel6.1-x86_64-kernel6.2-arm64.dkms.tar.gz"},
		{[]string{long[:199]}, "foo-1.0-" + long[:199] + ".dkms.tar.gz"},
		{[]string{long[:150], long[:49]}, "foo-1.0-manykernels.dkms.tar.gz"},
	} {
		if got := Name("foo", "1.0", tc.tags); got != tc.want {
			t.Errorf("Name(%q) = %s, want %s", tc.tags, got, tc.want)
		}
	}
}

func TestLocation(t *testing.T) {
	for _, tc := range []struct{ arc, dir, name string }{
		{"", "/dt/foo/1.0/tarball/", "def.tar.gz"},
		{"x.tar.xz", "/dt/foo/1.0/tarball/", "x.tar.xz"},
		{"/tmp/out/x.tar", "/tmp/out", "x.tar"},
		{"/x.tar.gz", "", "x.tar.gz"},
		{"rel/x.tar.gz", "rel", "x.tar.gz"},
	} {
		dir, name := Location("/dt/foo/1.0/tarball/", "def.tar.gz", tc.arc)
		if dir != tc.dir || name != tc.name {
			t.Errorf("Location(%q) = %q, %q; want %q, %q", tc.arc, dir, name, tc.dir, tc.name)
		}
	}
}

func TestBuildsAndFindConf(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{
		MainTree + "/6.1.0-1-amd64/x86_64/module/a.ko",
		MainTree + "/6.1.0-1-amd64/i386/module/a.ko",
		MainTree + "/source/x86_64/evil",
		MainTree + "/.hidden/x86_64/x",
		SourceTree + "/sub/dkms.conf",
		SourceTree + "/dkms.conf",
		"z/dkms.conf",
	} {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, nil, 0o644)
	}
	os.Symlink(filepath.Join(dir, MainTree, "6.1.0-1-amd64"), filepath.Join(dir, MainTree, "6.9.0"))
	want := []Build{
		{Kernel: "6.1.0-1-amd64", Arch: "i386", From: filepath.Join(dir, MainTree, "6.1.0-1-amd64", "i386"), Release: true},
		{Kernel: "6.1.0-1-amd64", Arch: "x86_64", From: filepath.Join(dir, MainTree, "6.1.0-1-amd64", "x86_64"), Release: true},
		{Kernel: "source", Arch: "x86_64", From: filepath.Join(dir, MainTree, "source", "x86_64")},
	}
	if got := Builds(dir); !reflect.DeepEqual(got, want) {
		t.Errorf("Builds =\n%+v\nwant\n%+v", got, want)
	}
	if got := FindConf(dir); got != filepath.Join(dir, SourceTree, "dkms.conf") {
		t.Errorf("FindConf = %s", got)
	}
	if got := FindConf(filepath.Join(dir, MainTree)); got != "" {
		t.Errorf("FindConf without a dkms.conf = %q", got)
	}
}

func TestPlan(t *testing.T) {
	dir, dt := t.TempDir(), t.TempDir()
	for _, p := range []string{MainTree + "/6.1/x86_64/m", MainTree + "/6.2/x86_64/m", MainTree + "/build/x86_64/m"} {
		os.MkdirAll(filepath.Join(dir, p), 0o755)
	}
	os.MkdirAll(filepath.Join(dt, "6.2", "x86_64"), 0o755)
	dest := func(k, a string) string { return filepath.Join(dt, k, a) }
	skips := func(force bool) []Skip {
		var out []Skip
		for _, p := range Plan(dir, dest, force) {
			out = append(out, p.Skip)
		}
		return out
	}
	// Builds come in name order: 6.1, 6.2, build.
	if got, want := skips(false), []Skip{Load, Exists, NotRelease}; !reflect.DeepEqual(got, want) {
		t.Errorf("Plan without force: %v, want %v", got, want)
	}
	if got, want := skips(true), []Skip{Load, Load, NotRelease}; !reflect.DeepEqual(got, want) {
		t.Errorf("Plan with force: %v, want %v", got, want)
	}
	if p := Plan(dir, dest, false)[0]; p.To != filepath.Join(dt, "6.1", "x86_64") || p.From != filepath.Join(dir, MainTree, "6.1", "x86_64") {
		t.Errorf("Plan[0] = %+v", p)
	}
}
