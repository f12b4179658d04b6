package tree

import (
	"errors"
	"testing"
)

func TestLayoutPaths(t *testing.T) {
	l := Layout{DKMS: "/var/lib/dkms", Source: "/usr/src", Install: "/lib/modules"}
	const m, v, k, a = "foo", "1.0", "6.1.0-13-amd64", "x86_64"
	for _, tc := range []struct {
		name, got, want string
	}{
		{"Module", l.Module(m), "/var/lib/dkms/foo"},
		{"Version", l.Version(m, v), "/var/lib/dkms/foo/1.0"},
		{"SourceLink", l.SourceLink(m, v), "/var/lib/dkms/foo/1.0/source"},
		{"BuildDir", l.BuildDir(m, v), "/var/lib/dkms/foo/1.0/build"},
		{"Built", l.Built(m, v, k, a), "/var/lib/dkms/foo/1.0/6.1.0-13-amd64/x86_64"},
		{"BuiltModules", l.BuiltModules(m, v, k, a), "/var/lib/dkms/foo/1.0/6.1.0-13-amd64/x86_64/module"},
		{"KernelLink", l.KernelLink(m, k, a), "/var/lib/dkms/foo/kernel-6.1.0-13-amd64-x86_64"},
		{"Originals", l.Originals(m, k, a), "/var/lib/dkms/foo/original_module/6.1.0-13-amd64/x86_64"},
		{"Manifest", l.Manifest(m, k, a), "/var/lib/dkms/foo/.manifest-6.1.0-13-amd64-x86_64.json"},
		{"SourceDir", l.SourceDir(m, v), "/usr/src/foo-1.0"},
		{"KernelDir", l.KernelDir(k), "/lib/modules/6.1.0-13-amd64"},
		{"LockFile", l.LockFile(), "/var/lib/dkms/.dkms.lock"},
		// Roots are cleaned like any filepath.Join.
		{"unclean root", Layout{DKMS: "/x//dkms/"}.Version(m, v), "/x/dkms/foo/1.0"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"ok-1.0", true},
		{"foo", true},
		{"1.0", true},
		{"6.1.0-13-amd64", true},
		{"a b", true},
		{"a..b", true},
		{"", true}, // emptiness is the caller's business
		{".", false},
		{"..", false},
		{".hidden", false},
		{"a/b", false},
		{"/abs", false},
		{"a/", false},
		{"../x", false},
		{"a\x00b", false},
		{"\x00", false},
	} {
		err := CheckName("module", tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("CheckName(%q) = %v, want ok %v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrBadName) {
			t.Errorf("CheckName(%q) = %v, not ErrBadName", tc.name, err)
		}
	}
	if err := CheckName("version", "../1"); err == nil || err.Error() != `version "../1": invalid name` {
		t.Errorf("error text %q", err)
	}
}

func TestSplitKernelArch(t *testing.T) {
	for _, tc := range []struct {
		in, k, a string
	}{
		{"6.1.0-13-amd64-x86_64", "6.1.0-13-amd64", "x86_64"},
		{"6.1-x86_64", "6.1", "x86_64"},
		{"6.8.0-generic-aarch64", "6.8.0-generic", "aarch64"},
		{"noarch", "noarch", ""},
		{"", "", ""},
		{"-x86_64", "", "x86_64"},
		{"6.1-", "6.1", ""},
	} {
		k, a := SplitKernelArch(tc.in)
		if k != tc.k || a != tc.a {
			t.Errorf("SplitKernelArch(%q) = %q, %q; want %q, %q", tc.in, k, a, tc.k, tc.a)
		}
	}
}
