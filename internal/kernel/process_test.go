package kernel

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTransaction reads the grandparent and its start time from a fake
// /proc as ps computes lstart: boot time plus start ticks / USER_HZ.
func TestTransaction(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("proc/200/status", "Name:\tsh\nState:\tS\nPPid:\t100\n")
	// the command name holds a space and a parenthesis
	write("proc/100/stat", "100 (rpm (x) y) S 1 100 100 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 12345 0 0\n")
	write("proc/stat", "cpu 1 2 3\nbtime 1700000000\n")
	pid, start := Transaction(root, 200)
	want := time.Unix(1700000000+123, 0).Format("Mon Jan _2 15:04:05 2006")
	if pid != 100 || start != want {
		t.Errorf("Transaction = %d %q, want 100 %q", pid, start, want)
	}
	if pid, start := Transaction(root, 300); pid != 0 || start != "" {
		t.Errorf("unknown process: %d %q", pid, start)
	}
}
