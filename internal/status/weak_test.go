package status

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// weakFx is a tree where foo/1.0 (two module files) is installed for
// kernel 1.0-a and weak-linked into 1.0-b; bar/2.0 is installed for 1.0-b
// and only one of its two files is linked into 1.0-c.
func weakFx(t *testing.T) *fx {
	f := newFx(t)
	for _, m := range []struct{ m, v, k string }{{"foo", "1.0", "1.0-a"}, {"bar", "2.0", "1.0-b"}} {
		f.added(m.m, m.v)
		f.built(m.m, m.v, m.k, "x86_64", m.m+" one")
		f.file(filepath.Join(f.l.BuiltModules(m.m, m.v, m.k, "x86_64"), m.m+"_two.ko.xz"), m.m+" two")
		f.file(filepath.Join(f.l.BuiltModules(m.m, m.v, m.k, "x86_64"), "Module.symvers"), "")
		f.installed(m.m, m.v, m.k, "x86_64")
		for _, n := range []string{m.m + ".ko", m.m + "_two.ko.xz"} {
			copyFile(t, filepath.Join(f.l.BuiltModules(m.m, m.v, m.k, "x86_64"), n), filepath.Join(f.l.KernelDir(m.k), "extra", n))
		}
	}
	f.link(filepath.Join(f.l.KernelDir("1.0-a"), "extra", "foo.ko"), filepath.Join(f.l.WeakUpdates("1.0-b"), "foo.ko"))
	f.link(filepath.Join(f.l.KernelDir("1.0-a"), "extra", "foo_two.ko.xz"), filepath.Join(f.l.WeakUpdates("1.0-b"), "sub", "foo_two.ko.xz"))
	f.link(filepath.Join(f.l.KernelDir("1.0-b"), "extra", "bar.ko"), filepath.Join(f.l.WeakUpdates("1.0-c"), "bar.ko"))
	// neither a plain file nor a link to a file no installed module has
	// counts
	f.file(filepath.Join(f.l.WeakUpdates("1.0-c"), "bar_two.ko.xz"), "bar two")
	f.file(filepath.Join(f.root, "elsewhere", "foo.ko"), "other")
	f.link(filepath.Join(f.root, "elsewhere", "foo.ko"), filepath.Join(f.l.WeakUpdates("1.0-c"), "foo.ko"))
	f.file(filepath.Join(f.l.KernelDir("1.0-c"), "modules.dep"), "")
	return f
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	(&fx{t: t}).file(dst, string(b))
}

func TestWeak(t *testing.T) {
	f := weakFx(t)
	fooB := Entry{Module: "foo", Version: "1.0", Kernel: "1.0-b", Arch: "x86_64", State: InstalledWeak, From: "1.0-a"}
	tests := []struct {
		name          string
		m, v, k, arch string
		want          []Entry
	}{
		{name: "all", want: []Entry{fooB}},
		{name: "kernel", k: "1.0-b", want: []Entry{fooB}},
		{name: "kernel built for is not weak", k: "1.0-a"},
		{name: "partly linked", k: "1.0-c"},
		{name: "module", m: "foo", want: []Entry{fooB}},
		{name: "other module", m: "bar"},
		{name: "version", m: "foo", v: "1.0", want: []Entry{fooB}},
		{name: "other version", m: "foo", v: "2.0"},
		{name: "arch", arch: "x86_64", want: []Entry{fooB}},
		{name: "other arch", arch: "aarch64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Weak(f.l, tt.m, tt.v, tt.k, tt.arch); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Weak(%q, %q, %q, %q) = %+v, want %+v", tt.m, tt.v, tt.k, tt.arch, got, tt.want)
			}
		})
	}
}

// TestWeakNeedsInstalled: a link to the files of a version that is built
// but no longer installed is not that version's.
func TestWeakNeedsInstalled(t *testing.T) {
	f := weakFx(t)
	if err := os.Remove(f.l.KernelLink("foo", "1.0-a", "x86_64")); err != nil {
		t.Fatal(err)
	}
	if got := Weak(f.l, "", "", "", ""); got != nil {
		t.Errorf("Weak = %+v, want nothing", got)
	}
}
