package fileutil

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWriteAtomic(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, p string)
		perm  os.FileMode
	}{
		{name: "new file", perm: 0o644},
		{name: "private", perm: 0o600},
		{name: "executable", perm: 0o755},
		{name: "group writable, umask ignored", perm: 0o664},
		{name: "overwrite", perm: 0o644, setup: func(t *testing.T, p string) { write(t, p, "old old old", 0o600) }},
		{name: "replaces a link, not its target", perm: 0o644, setup: func(t *testing.T, p string) {
			write(t, p+".target", "target", 0o644)
			if err := os.Symlink(filepath.Base(p)+".target", p); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "file")
			if tc.setup != nil {
				tc.setup(t, p)
			}
			if err := WriteAtomic(p, []byte("new"), tc.perm); err != nil {
				t.Fatal(err)
			}
			wantContent(t, p, "new", tc.perm)
			if fileExists(p + ".target") {
				wantContent(t, p+".target", "target", 0o644)
			}
			noTemp(t, dir)
		})
	}
}

func TestWriteAtomicError(t *testing.T) {
	dir := t.TempDir()
	err := WriteAtomic(filepath.Join(dir, "missing", "f"), []byte("x"), 0o644)
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("err = %v, want an error naming the path", err)
	}
	// The target is a directory: the rename fails and the temporary goes.
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "d", "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err = WriteAtomic(filepath.Join(dir, "d"), []byte("x"), 0o644)
	if err == nil || !strings.HasPrefix(err.Error(), "writing "+filepath.Join(dir, "d")+": ") {
		t.Errorf("err = %v, want a writing error", err)
	}
	noTemp(t, dir)
}

func TestCopyAtomic(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	write(t, src, "module bytes\x00\x01", 0o600)
	dst := filepath.Join(dir, "dst")
	write(t, dst, "old", 0o600)
	if err := CopyAtomic(src, dst, 0o644); err != nil {
		t.Fatal(err)
	}
	wantContent(t, dst, "module bytes\x00\x01", 0o644)
	noTemp(t, dir)

	if err := CopyAtomic(filepath.Join(dir, "none"), filepath.Join(dir, "out"), 0o644); err == nil {
		t.Error("copying a missing file succeeded")
	}
	if fileExists(filepath.Join(dir, "out")) {
		t.Error("a failed copy created its destination")
	}
	noTemp(t, dir)
}

func TestSymlinkAtomic(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, p string)
		wantErr bool
	}{
		{name: "new"},
		{name: "replace link", setup: func(t *testing.T, p string) { link(t, "old", p) }},
		{name: "replace dangling link", setup: func(t *testing.T, p string) { link(t, "/nonexistent/x", p) }},
		{name: "replace file", setup: func(t *testing.T, p string) { write(t, p, "x", 0o644) }},
		{name: "stale temporary", setup: func(t *testing.T, p string) {
			write(t, filepath.Join(filepath.Dir(p), TempPrefix+filepath.Base(p)), "x", 0o644)
		}},
		{name: "directory in the way", wantErr: true, setup: func(t *testing.T, p string) {
			write(t, filepath.Join(p, "f"), "x", 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "kernel-6.1-x86_64")
			if tc.setup != nil {
				tc.setup(t, p)
			}
			err := SymlinkAtomic("1.0/6.1/x86_64", p)
			if tc.wantErr {
				if err == nil {
					t.Error("replacing a directory succeeded")
				}
			} else if err != nil {
				t.Fatal(err)
			} else if got, err := os.Readlink(p); err != nil || got != "1.0/6.1/x86_64" {
				t.Errorf("link = %q, %v", got, err)
			}
			noTemp(t, dir)
		})
	}
}

func TestCopyTree(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	files := []struct {
		path string
		mode os.FileMode
	}{
		{"Makefile", 0o644},
		{"dkms.conf", 0o600},
		{"scripts/pre.sh", 0o755},
		{"deep/a/b/c.c", 0o444},
	}
	for _, f := range files {
		p := filepath.Join(src, f.path)
		write(t, p, f.path, f.mode)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	link(t, "Makefile", filepath.Join(src, "Kbuild"))
	link(t, "/nonexistent/dangling", filepath.Join(src, "dangling"))
	link(t, "deep", filepath.Join(src, "dirlink"))
	link(t, ".", filepath.Join(src, "loop"))
	if err := syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}

	dst := filepath.Join(t.TempDir(), "a", "dst")
	if err := CopyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		p := filepath.Join(dst, f.path)
		wantContent(t, p, f.path, f.mode)
		if st, err := os.Stat(p); err == nil && !st.ModTime().Equal(old) {
			t.Errorf("%s mtime %v, want %v", f.path, st.ModTime(), old)
		}
	}
	for name, target := range map[string]string{
		"Kbuild": "Makefile", "dangling": "/nonexistent/dangling", "dirlink": "deep", "loop": ".",
	} {
		if got, err := os.Readlink(filepath.Join(dst, name)); err != nil || got != target {
			t.Errorf("%s: link %q, %v; want %q", name, got, err, target)
		}
	}
	if _, err := os.Lstat(filepath.Join(dst, "fifo")); !os.IsNotExist(err) {
		t.Errorf("fifo copied: %v", err)
	}

	// Copying again over the first copy replaces files and links.
	write(t, filepath.Join(src, "Makefile"), "changed", 0o644)
	if err := CopyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	wantContent(t, filepath.Join(dst, "Makefile"), "changed", 0o644)
}

// TestCopyTreeModesUnderUmask pins that modes are kept as they are, which
// `cp -a` (the reference's copy of the source tree) does whatever the umask.
func TestCopyTreeModesUnderUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	src := filepath.Join(t.TempDir(), "src")
	write(t, filepath.Join(src, "g+w.c"), "x", 0o664)
	dst := filepath.Join(t.TempDir(), "dst")
	if err := CopyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	wantContent(t, filepath.Join(dst, "g+w.c"), "x", 0o664)
}

func TestCopyTreeMissing(t *testing.T) {
	if err := CopyTree(filepath.Join(t.TempDir(), "none"), filepath.Join(t.TempDir(), "dst")); err == nil {
		t.Error("copying a missing tree succeeded")
	}
}

func TestSameContent(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	write(t, p("a"), "hello", 0o644)
	write(t, p("a2"), "hello", 0o600)
	write(t, p("b"), "world", 0o644)
	write(t, p("c"), "hello!", 0o644)
	write(t, p("empty1"), "", 0o644)
	write(t, p("empty2"), "", 0o644)
	link(t, "a", p("la"))
	if err := os.Mkdir(p("d1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(p("d2"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"a", "a2", true},
		{"a", "a", true},
		{"a", "la", true},
		{"empty1", "empty2", true},
		{"a", "b", false},
		{"a", "c", false},
		{"a", "missing", false},
		{"missing", "missing", false},
		{"d1", "d2", false},
	} {
		if got := SameContent(p(tc.a), p(tc.b)); got != tc.want {
			t.Errorf("SameContent(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestHashFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	write(t, p, "abc", 0o644)
	got, err := HashFile(p)
	if want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; err != nil || got != want {
		t.Errorf("HashFile = %q, %v; want %q", got, err, want)
	}
	if _, err := HashFile(p + ".missing"); !IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}

func TestExistsIsDir(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "f"), "", 0o644)
	link(t, "f", filepath.Join(dir, "lf"))
	link(t, ".", filepath.Join(dir, "ld"))
	link(t, "none", filepath.Join(dir, "dangling"))
	for _, tc := range []struct {
		name          string
		exists, isDir bool
	}{
		{".", true, true},
		{"f", true, false},
		{"lf", true, false},
		{"ld", true, true},
		{"dangling", false, false},
		{"none", false, false},
	} {
		p := filepath.Join(dir, tc.name)
		if Exists(p) != tc.exists || IsDir(p) != tc.isDir {
			t.Errorf("%s: Exists %v IsDir %v, want %v %v", tc.name, Exists(p), IsDir(p), tc.exists, tc.isDir)
		}
	}
}

func TestRemoveEmptyParents(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string // created under the root before
		dir   string   // relative to root
		stop  string   // relative to root
		left  []string // directories expected to remain, relative to root
		gone  []string
	}{
		{name: "all empty", dir: "k/a/b/c", stop: "k", left: []string{"k"}, gone: []string{"k/a"}},
		{name: "stops at non-empty", files: []string{"k/a/f"}, dir: "k/a/b/c", stop: "k", left: []string{"k/a"}, gone: []string{"k/a/b"}},
		{name: "dir is stop", dir: "k", stop: "k", left: []string{"k"}},
		{name: "dir not empty", files: []string{"k/a/f"}, dir: "k/a", stop: "k", left: []string{"k/a"}},
		{name: "trailing slashes", dir: "k/a/b/", stop: "k/", left: []string{"k"}, gone: []string{"k/a"}},
		{name: "missing dir", dir: "k/none", stop: "k", left: []string{"k"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.MkdirAll(filepath.Join(root, tc.dir), 0o755); err != nil && tc.name != "missing dir" {
				t.Fatal(err)
			}
			if tc.name == "missing dir" {
				os.Remove(filepath.Join(root, tc.dir))
			}
			for _, f := range tc.files {
				write(t, filepath.Join(root, f), "", 0o644)
			}
			RemoveEmptyParents(filepath.Join(root, tc.dir)+suffix(tc.dir), filepath.Join(root, tc.stop)+suffix(tc.stop))
			for _, d := range tc.left {
				if !IsDir(filepath.Join(root, d)) {
					t.Errorf("%s was removed", d)
				}
			}
			for _, d := range tc.gone {
				if fileExists(filepath.Join(root, d)) {
					t.Errorf("%s was kept", d)
				}
			}
		})
	}
}

// TestRemoveEmptyParentsOutsideStop: a dir that is not below stop must
// not make RemoveEmptyParents climb into directories outside stop.
func TestRemoveEmptyParentsOutsideStop(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "6.10", "extra"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "6.1"), 0o755); err != nil {
		t.Fatal(err)
	}
	RemoveEmptyParents(filepath.Join(root, "6.10", "extra"), filepath.Join(root, "6.1"))
	if !IsDir(filepath.Join(root, "6.10", "extra")) {
		t.Error("removed a directory outside stop")
	}
}

func TestSubdirs(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"b", "a", "B", ".hidden", "1.0"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(dir, "file"), "", 0o644)
	link(t, "a", filepath.Join(dir, "linktodir"))
	if got, want := Subdirs(dir), []string{"1.0", "B", "a", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Subdirs = %q, want %q", got, want)
	}
	if got := Subdirs(filepath.Join(dir, "missing")); got != nil {
		t.Errorf("Subdirs(missing) = %q", got)
	}
}

func suffix(rel string) string {
	if strings.HasSuffix(rel, "/") {
		return "/"
	}
	return ""
}

func write(t *testing.T, p, data string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, p string) {
	t.Helper()
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

func wantContent(t *testing.T, p, data string, perm os.FileMode) {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm() != perm {
		t.Errorf("%s: mode %v, want regular %v", p, st.Mode(), perm)
	}
	b, _ := os.ReadFile(p)
	if string(b) != data {
		t.Errorf("%s holds %q, want %q", p, b, data)
	}
}

func noTemp(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), TempPrefix) {
			t.Errorf("temporary %s left in %s", e.Name(), dir)
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
