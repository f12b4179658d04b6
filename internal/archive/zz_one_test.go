package archive_test

import (
	"os"
	"testing"

	"github.com/dkms-go/dkms/internal/archive"
)

func TestZZOne(t *testing.T) {
	err := archive.ExtractFile("/tmp/hang.gz", t.TempDir(), archive.Limits{MaxFileSize: 1 << 20, MaxTotalSize: 4 << 20, MaxEntries: 1000})
	t.Log(err)
	_ = os.Stdout
}
