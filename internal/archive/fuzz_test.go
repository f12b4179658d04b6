package archive_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/dkms-go/dkms/internal/archive"
	"github.com/dkms-go/dkms/internal/archive/archivetest"
	"github.com/dkms-go/dkms/internal/compress"
)

// FuzzExtract feeds arbitrary bytes to Extract. Whatever it is given, it
// must not panic, nothing may appear next to the extraction root, and
// what it leaves inside holds no device, fifo or escaping symlink. The
// seeds are a good tarball in each compression and the hostile archives
// of TestExtractHostile, so they run as an ordinary test.
func FuzzExtract(f *testing.F) {
	good := mustTar(f, dir("./"), file("./dkms_source_tree/dkms.conf", "PACKAGE_NAME=x\n"),
		symlink("./l", "dkms_source_tree"), hardlink("./h", "./dkms_source_tree/dkms.conf"))
	f.Add(good)
	for _, m := range compress.Methods[1:] {
		var buf bytes.Buffer
		must(f, compress.Compress(m, &buf, bytes.NewReader(good)))
		f.Add(buf.Bytes())
	}
	for _, tc := range hostile("/tmp/dkms-fuzz-outside") {
		f.Add(mustTar(f, tc.entries...))
	}
	gz, err := archivetest.Compressed("x.gz", mustTar(f, file("../evil", "x")))
	must(f, err)
	f.Add(gz)
	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		root := filepath.Join(base, "root")
		must(t, os.Mkdir(root, 0o755))
		lim := archive.Limits{MaxFileSize: 1 << 20, MaxTotalSize: 4 << 20, MaxEntries: 1000}
		_ = archive.Extract(bytes.NewReader(data), root, lim)
		if ents, _ := os.ReadDir(base); len(ents) != 1 {
			t.Fatalf("extraction wrote next to its root: %v", ents)
		}
		checkExtracted(t, root)
	})
}

// checkExtracted walks an extraction root and fails on anything Extract
// must never leave there.
func checkExtracted(t *testing.T, root string) {
	r, err := os.OpenRoot(root)
	must(t, err)
	defer r.Close()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0:
			t.Errorf("%s: special file %v extracted", rel, d.Type())
		case d.Type()&fs.ModeSymlink != 0:
			if _, err := r.Stat(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: symlink left behind that does not resolve inside the root: %v", rel, err)
			}
		}
		return nil
	})
	must(t, err)
}
