package archive_test

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/dkms-go/dkms/internal/archive"
	"github.com/dkms-go/dkms/internal/compress"
)

func TestZZHang(t *testing.T) {
	good := mustTar(t, dir("./"), file("./dkms_source_tree/dkms.conf", "PACKAGE_NAME=x\n"),
		symlink("./l", "dkms_source_tree"), hardlink("./h", "./dkms_source_tree/dkms.conf"))
	seeds := [][]byte{good}
	for _, m := range compress.Methods[1:] {
		var buf bytes.Buffer
		must(t, compress.Compress(m, &buf, bytes.NewReader(good)))
		seeds = append(seeds, buf.Bytes())
	}
	r := rand.New(rand.NewSource(1))
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		d := append([]byte(nil), seeds[r.Intn(len(seeds))]...)
		for k := 0; k < 1+r.Intn(4); k++ {
			d[r.Intn(len(d))] = byte(r.Intn(256))
		}
		root := filepath.Join(t.TempDir(), "r")
		os.Mkdir(root, 0o755)
		done := make(chan bool)
		go func() {
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				os.WriteFile("/tmp/hang.bin", d, 0o644)
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				os.Stderr.Write(buf[:n])
				os.Exit(3)
			}
		}()
		os.WriteFile("/tmp/cur.bin", d, 0o644)
		archive.Extract(bytes.NewReader(d), root, archive.Limits{MaxFileSize: 1 << 20, MaxTotalSize: 4 << 20, MaxEntries: 1000})
		close(done)
	}
}
