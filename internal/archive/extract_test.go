package archive_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dkms-go/dkms/internal/archive"
	"github.com/dkms-go/dkms/internal/archive/archivetest"
	"github.com/dkms-go/dkms/internal/compress"
	"github.com/dkms-go/dkms/internal/testenv"
)

type entry = archivetest.Entry

func file(name, body string) entry { return entry{Name: name, Body: body} }
func dir(name string) entry        { return entry{Name: name, Type: tar.TypeDir} }
func symlink(name, target string) entry {
	return entry{Name: name, Type: tar.TypeSymlink, Link: target}
}
func hardlink(name, target string) entry {
	return entry{Name: name, Type: tar.TypeLink, Link: target}
}

// testLimits are small enough for the tests to cross them cheaply.
var testLimits = archive.Limits{MaxFileSize: 1 << 20, MaxTotalSize: 3 << 20, MaxEntries: 100}

// hostile lists archives that must be refused, each with the entry the
// error must name. base is replaced by a directory next to the
// extraction root, where nothing may appear.
func hostile(base string) map[string]struct {
	entries []entry
	bad     string
} {
	big := string(bytes.Repeat([]byte("x"), 1<<20))
	return map[string]struct {
		entries []entry
		bad     string
	}{
		"dotdot":            {[]entry{file("./ok", "1"), file("../evil", "x")}, "../evil"},
		"dotdot-inner":      {[]entry{file("a/../../evil", "x")}, "a/../../evil"},
		"absolute":          {[]entry{file(base+"/evil", "x")}, base + "/evil"},
		"symlink-absolute":  {[]entry{symlink("l", base)}, "l"},
		"symlink-up":        {[]entry{dir("d/"), symlink("d/l", "../../evil")}, "d/l"},
		"symlink-via-link":  {[]entry{symlink("l", "."), symlink("m", "l/..")}, "m"},
		"symlink-later":     {[]entry{symlink("m", "x/.."), symlink("l", "."), symlink("x", "l")}, "m"},
		"symlink-loop":      {[]entry{symlink("p", "p")}, "p"},
		"hardlink-up":       {[]entry{hardlink("h", "../evil")}, "h"},
		"hardlink-absolute": {[]entry{hardlink("h", "/etc/passwd")}, "h"},
		"hardlink-missing":  {[]entry{hardlink("h", "nothere")}, "h"},
		"hardlink-via-link": {[]entry{symlink("l", "."), hardlink("h", "l/../evil")}, "h"},
		"char":              {[]entry{{Name: "dev/null", Type: tar.TypeChar}}, "dev/null"},
		"block":             {[]entry{{Name: "sda", Type: tar.TypeBlock}}, "sda"},
		"fifo":              {[]entry{{Name: "pipe", Type: tar.TypeFifo}}, "pipe"},
		"huge":              {[]entry{file("a", "1"), {Name: "huge", Lie: 2 << 30}}, "huge"},
		"total":             {[]entry{file("a", big), file("b", big), file("c", big), file("d", big)}, "d"},
		"root-file":         {[]entry{file(".", "x")}, "."},
		"too-many":          {slices.Repeat([]entry{file("f", "1")}, 101), "f"},
	}
}

// TestExtractHostile checks that each hostile archive is refused with an
// *EntryError naming the bad entry, and that nothing appears outside the
// extraction root.
func TestExtractHostile(t *testing.T) {
	base := t.TempDir()
	for name, tc := range hostile(filepath.Join(base, "outside")) {
		t.Run(name, func(t *testing.T) {
			root := filepath.Join(base, name)
			must(t, os.Mkdir(root, 0o755))
			err := archive.Extract(bytes.NewReader(mustTar(t, tc.entries...)), root, testLimits)
			var ee *archive.EntryError
			if !errors.As(err, &ee) {
				t.Fatalf("Extract: got %v, want an *EntryError", err)
			}
			if ee.Entry != tc.bad {
				t.Errorf("EntryError names %q, want %q (%v)", ee.Entry, tc.bad, err)
			}
		})
	}
	for _, p := range []string{filepath.Join(base, "outside"), filepath.Join(base, "evil"), filepath.Join(filepath.Dir(base), "evil")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was written outside the extraction root", p)
		}
	}
}

// TestExtractGood extracts the entries a real tarball has, with GNU tar's
// "./" names, and checks what lands on disk.
func TestExtractGood(t *testing.T) {
	root := t.TempDir()
	tarball := mustTar(t,
		dir("./"), dir("./src/"), file("./src/a.c", "int a;"),
		entry{Name: "./src/run.sh", Body: "#!/bin/sh\n"},
		symlink("./src/b.c", "a.c"), symlink("./inc", "src"), symlink("./dangling", "src/none"),
		hardlink("./src/c.c", "./src/a.c"), file("./inc/d.h", "d"), file("./src/a.c", "int a2;"))
	if err := archive.Extract(bytes.NewReader(tarball), root, testLimits); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{"src/a.c": "int a2;", "src/b.c": "int a2;", "src/c.c": "int a;", "src/d.h": "d"} {
		if got, err := os.ReadFile(filepath.Join(root, p)); err != nil || string(got) != want {
			t.Errorf("%s: got %q, %v; want %q", p, got, err, want)
		}
	}
	if l, err := os.Readlink(filepath.Join(root, "dangling")); err != nil || l != "src/none" {
		t.Errorf("dangling link: %q, %v", l, err)
	}
}

// TestExtractWritten round-trips a tree through Write and Extract with
// every compression, and reads it back with GNU tar when there is one.
func TestExtractWritten(t *testing.T) {
	src := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(src, "dkms_main_tree", "6.1.0", "x86_64", "module"), 0o755))
	must(t, os.WriteFile(filepath.Join(src, "dkms_main_tree", "6.1.0", "x86_64", "module", "a.ko"), []byte("ko"), 0o644))
	must(t, os.WriteFile(filepath.Join(src, "run.sh"), []byte("#!/bin/sh\n"), 0o755))
	must(t, os.Symlink("run.sh", filepath.Join(src, "link")))
	for _, m := range compress.Methods {
		t.Run(m.String(), func(t *testing.T) {
			var buf bytes.Buffer
			must(t, archive.Write(&buf, src, m))
			dst := t.TempDir()
			must(t, archive.Extract(bytes.NewReader(buf.Bytes()), dst, archive.Limits{}))
			assertSameTree(t, src, dst)
			if _, err := exec.LookPath("tar"); err != nil || m == compress.Zstd || m == compress.XZ {
				return // GNU tar needs the external zstd/xz programs for those
			}
			gnu := t.TempDir()
			flags := map[compress.Method]string{compress.None: "-xf", compress.Gzip: "-xzf"}[m]
			cmd := exec.Command("tar", flags, "-", "-C", gnu)
			cmd.Stdin = &buf
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("GNU tar cannot read our archive: %v\n%s", err, out)
			}
			assertSameTree(t, src, gnu)
		})
	}
}

// TestExtractGNUTar reads an archive GNU tar made with `tar -C dir -czf`,
// as the reference's mktarball runs it.
func TestExtractGNUTar(t *testing.T) {
	testenv.LookPath(t, "tar")
	src := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(src, "dkms_source_tree"), 0o755))
	must(t, os.WriteFile(filepath.Join(src, "dkms_source_tree", "dkms.conf"), []byte("PACKAGE_NAME=x\n"), 0o644))
	must(t, os.Symlink("dkms.conf", filepath.Join(src, "dkms_source_tree", "conf")))
	out := filepath.Join(t.TempDir(), "x.dkms.tar.gz")
	if b, err := exec.Command("tar", "-C", src, "-czf", out, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, b)
	}
	dst := t.TempDir()
	must(t, archive.ExtractFile(out, dst, archive.Limits{}))
	assertSameTree(t, src, dst)
}

func TestMethodFor(t *testing.T) {
	for name, want := range map[string]compress.Method{
		"a.dkms.tar.gz": compress.Gzip, "a.tgz": compress.Gzip, "a.tar": compress.None, "a.dkms": compress.None,
		"a.tar.xz": compress.XZ, "a.tar.zst": compress.Zstd, "A.TAR.GZ": compress.Gzip,
	} {
		if got, err := archive.MethodFor(name); err != nil || got != want {
			t.Errorf("MethodFor(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := archive.MethodFor("a.tar.bz2"); !errors.Is(err, archive.ErrUnsupported) {
		t.Errorf("MethodFor(.bz2): %v, want ErrUnsupported", err)
	}
}

// assertSameTree compares two trees: names, types, file contents, link
// targets and executable bits.
func assertSameTree(t *testing.T, a, b string) {
	t.Helper()
	want, got := treeOf(t, a), treeOf(t, b)
	if !slices.Equal(want, got) {
		t.Errorf("trees differ:\n want %q\n got  %q", want, got)
	}
}

func treeOf(t *testing.T, root string) []string {
	var out []string
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		s := rel + " " + fi.Mode().Type().String()
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			s += " -> " + l
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			s += " " + string(b) + " " + fi.Mode().Perm().String()
		}
		out = append(out, s)
		return nil
	})
	must(t, err)
	return out
}

func mustTar(t testing.TB, entries ...entry) []byte {
	t.Helper()
	b, err := archivetest.Tar(entries...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
