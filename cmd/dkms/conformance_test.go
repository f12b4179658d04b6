package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dkms-go/dkms/internal/testenv"
)

// TestConfConformance runs the shared bash reference evaluator and
// `dkms conf --json` over every dkms.conf of the shared corpus: each must
// evaluate to exactly what bash gives. The corpus is third-party and lives
// only in ../shared; without it the test skips, or fails under the strict
// switch (internal/testenv).
func TestConfConformance(t *testing.T) {
	shared := testenv.Shared(t, filepath.Join("..", ".."))
	tools := filepath.Join(shared, "tools")
	corpus := filepath.Join(shared, "corpus", "dkms-conf")
	testenv.LookPath(t, "jq")
	testenv.SkipIfShort(t, "runs bash on every corpus file")
	bin := dkmsBinary(t)
	cmd := exec.Command("bash", filepath.Join(tools, "conf-conformance"), bin+" conf --json", corpus)
	cmd.Env = append(os.Environ(), envConfDir+"="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("conformance failed: %v\n%s", err, out)
	}
	t.Logf("%s", lastLines(out, 2))
}

func lastLines(b []byte, n int) []byte {
	end := len(b)
	for i := len(b) - 2; i >= 0; i-- {
		if b[i] == '\n' {
			if n--; n == 0 {
				return b[i+1 : end]
			}
		}
	}
	return b
}
