package tree

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// makeTree builds a tree from a compact spec, relative to root:
// "dir/" makes a directory, "path=content" a file, "path->target" a
// symlink (target taken literally, with ROOT replaced by root).
func makeTree(t *testing.T, root string, spec ...string) {
	t.Helper()
	for _, s := range spec {
		var err error
		switch {
		case strings.Contains(s, "->"):
			p, target, _ := strings.Cut(s, "->")
			p = filepath.Join(root, p)
			if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				err = os.Symlink(strings.ReplaceAll(target, "ROOT", root), p)
			}
		case strings.Contains(s, "="):
			p, data, _ := strings.Cut(s, "=")
			p = filepath.Join(root, p)
			if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				err = os.WriteFile(p, []byte(data), 0o644)
			}
		default:
			err = os.MkdirAll(filepath.Join(root, s), 0o755)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func testLayout(t *testing.T) (Layout, string) {
	root := t.TempDir()
	return Layout{DKMS: filepath.Join(root, "dkms"), Source: filepath.Join(root, "src"), Install: filepath.Join(root, "modules")}, root
}

func TestAddedBroken(t *testing.T) {
	for _, tc := range []struct {
		name          string
		spec          []string
		added, broken bool
	}{
		{"nothing", nil, false, false},
		{"added, absolute link", []string{"src/foo-1.0/", "dkms/foo/1.0/source->ROOT/src/foo-1.0"}, true, false},
		{"added, relative link", []string{"src/foo-1.0/", "dkms/foo/1.0/source->../../../src/foo-1.0"}, true, false},
		{"added, link to any directory", []string{"elsewhere/", "dkms/foo/1.0/source->ROOT/elsewhere"}, true, false},
		{"broken, dangling link", []string{"dkms/foo/1.0/source->ROOT/src/foo-1.0"}, false, true},
		{"broken, dangling link and no ST", []string{"dkms/foo/1.0/source->/nonexistent"}, false, true},
		{"broken, no source link but ST present", []string{"src/foo-1.0/", "dkms/foo/1.0/"}, false, true},
		{"broken, real source dir and ST present", []string{"src/foo-1.0/", "dkms/foo/1.0/source/"}, false, true},
		{"binaries only: real source dir, no ST", []string{"dkms/foo/1.0/source/dkms.conf=x"}, false, false},
		{"version dir without source, no ST", []string{"dkms/foo/1.0/"}, false, false},
		{"ST alone", []string{"src/foo-1.0/"}, false, false},
		{"link to a file", []string{"f=x", "dkms/foo/1.0/source->ROOT/f"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, root := testLayout(t)
			makeTree(t, root, tc.spec...)
			if got := l.IsAdded("foo", "1.0"); got != tc.added {
				t.Errorf("IsAdded = %v, want %v", got, tc.added)
			}
			if got := l.IsBroken("foo", "1.0"); got != tc.broken {
				t.Errorf("IsBroken = %v, want %v", got, tc.broken)
			}
		})
	}
}

func TestBuiltInstalled(t *testing.T) {
	const k, a = "6.1.0-13-amd64", "x86_64"
	built := []string{"dkms/foo/1.0/6.1.0-13-amd64/x86_64/module/foo.ko=elf"}
	for _, tc := range []struct {
		name      string
		spec      []string
		built     bool
		installed string // InstalledVersion
	}{
		{"nothing", nil, false, ""},
		{"built dir without module", []string{"dkms/foo/1.0/6.1.0-13-amd64/x86_64/log/"}, false, ""},
		{"module is a file", []string{"dkms/foo/1.0/6.1.0-13-amd64/x86_64/module=x"}, false, ""},
		{"built", built, true, ""},
		{"installed, relative link", append(built, "dkms/foo/kernel-6.1.0-13-amd64-x86_64->1.0/6.1.0-13-amd64/x86_64"), true, "1.0"},
		{"installed, absolute link", append(built, "dkms/foo/kernel-6.1.0-13-amd64-x86_64->ROOT/dkms/foo/1.0/6.1.0-13-amd64/x86_64"), true, "1.0"},
		{"installed, unclean link", append(built, "dkms/foo/kernel-6.1.0-13-amd64-x86_64->./1.0//6.1.0-13-amd64/x86_64/"), true, "1.0"},
		{"link to an unbuilt version", append(built, "dkms/foo/kernel-6.1.0-13-amd64-x86_64->2.0/6.1.0-13-amd64/x86_64"), true, ""},
		{"link to another arch", append(built, "dkms/foo/1.0/6.1.0-13-amd64/arm64/module/", "dkms/foo/kernel-6.1.0-13-amd64-x86_64->1.0/6.1.0-13-amd64/arm64"), true, ""},
		{"link to another kernel", append(built, "dkms/foo/1.0/6.2/x86_64/module/", "dkms/foo/kernel-6.1.0-13-amd64-x86_64->1.0/6.2/x86_64"), true, ""},
		{"link into module dir", append(built, "dkms/foo/kernel-6.1.0-13-amd64-x86_64->1.0/6.1.0-13-amd64/x86_64/module"), true, ""},
		{"link outside the module", []string{"dkms/bar/1.0/6.1.0-13-amd64/x86_64/module/", "dkms/foo/kernel-6.1.0-13-amd64-x86_64->../bar/1.0/6.1.0-13-amd64/x86_64"}, false, ""},
		{"kernel link is a directory", append(built, "dkms/foo/kernel-6.1.0-13-amd64-x86_64/"), true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, root := testLayout(t)
			makeTree(t, root, tc.spec...)
			if got := l.IsBuilt("foo", "1.0", k, a); got != tc.built {
				t.Errorf("IsBuilt = %v, want %v", got, tc.built)
			}
			if got := l.InstalledVersion("foo", k, a); got != tc.installed {
				t.Errorf("InstalledVersion = %q, want %q", got, tc.installed)
			}
			if got, want := l.IsInstalled("foo", "1.0", k, a), tc.installed == "1.0"; got != want {
				t.Errorf("IsInstalled = %v, want %v", got, want)
			}
		})
	}
}

func TestInstalledOtherVersion(t *testing.T) {
	l, root := testLayout(t)
	makeTree(t, root,
		"dkms/foo/1.0/6.1/x86_64/module/",
		"dkms/foo/2.0/6.1/x86_64/module/",
		"dkms/foo/kernel-6.1-x86_64->2.0/6.1/x86_64",
	)
	if got := l.InstalledVersion("foo", "6.1", "x86_64"); got != "2.0" {
		t.Errorf("InstalledVersion = %q, want 2.0", got)
	}
	if l.IsInstalled("foo", "1.0", "6.1", "x86_64") || !l.IsInstalled("foo", "2.0", "6.1", "x86_64") {
		t.Error("IsInstalled does not follow the link to 2.0")
	}
}

func TestModulesVersionsBuilds(t *testing.T) {
	l, root := testLayout(t)
	makeTree(t, root,
		"dkms/.dkms.lock=pid 1",
		"dkms/.hidden/",
		"dkms/zeta/",
		"dkms/Alpha/",
		"dkms/file=x",
		"elsewhere/linked/",
		"dkms/linked->ROOT/elsewhere/linked",
		"dkms/dangling->ROOT/none",
		"dkms/foo/1.0/source->ROOT/src/foo-1.0",
		"dkms/foo/1.0/build/",
		"dkms/foo/1.0/6.1.0/x86_64/module/",
		"dkms/foo/1.0/6.1.0/arm64/module/",
		"dkms/foo/1.0/6.1.0/i386/log/",
		"dkms/foo/1.0/10.2-rc1/x86_64/module/",
		"dkms/foo/1.0/6.1.0-copy/x86_64/module/",
		"dkms/foo/1.0/linux-6.1/x86_64/module/",
		"dkms/foo/1.0/6/x86_64/module/",
		"dkms/foo/1.0/.tmp_x86_64_abc/module/",
		"dkms/foo/1.0/6.1.0/.tmp_x86_64_abc/module/",
		"dkms/foo/1.0/6.1.0/log=x",
		"dkms/foo/10.0/",
		"dkms/foo/2.0/",
		"dkms/foo/kernel-6.1.0-x86_64->1.0/6.1.0/x86_64",
		"dkms/foo/.manifest-6.1.0-x86_64.json={}",
	)
	if got, want := l.Modules(), []string{"Alpha", "foo", "linked", "zeta"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Modules = %q, want %q", got, want)
	}
	if got, want := l.Versions("foo"), []string{"1.0", "10.0", "2.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Versions = %q, want %q", got, want)
	}
	// sorted as the reference's glob sorts K/A paths: '-' before '/'
	want := []KernelArch{{"10.2-rc1", "x86_64"}, {"6.1.0-copy", "x86_64"}, {"6.1.0", "arm64"}, {"6.1.0", "x86_64"}}
	if got := l.Builds("foo", "1.0"); !reflect.DeepEqual(got, want) {
		t.Errorf("Builds = %v, want %v", got, want)
	}
	if got := l.Builds("foo", "2.0"); got != nil {
		t.Errorf("Builds of an unbuilt version = %v", got)
	}
	if got := l.Versions("missing"); got != nil {
		t.Errorf("Versions(missing) = %q", got)
	}
	empty := Layout{DKMS: filepath.Join(root, "none")}
	if got := empty.Modules(); got != nil {
		t.Errorf("Modules of a missing tree = %q", got)
	}
}
