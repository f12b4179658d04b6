package kernel

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestRunning(t *testing.T) {
	h, err := Running()
	if err != nil {
		t.Fatal(err)
	}
	if h.OS != "Linux" || h.Release == "" || h.Machine == "" {
		t.Fatalf("Running() = %+v", h)
	}
	if rel, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil && strings.TrimSpace(string(rel)) != h.Release {
		t.Errorf("Release %q, /proc says %q", h.Release, rel)
	}
	if out, err := exec.CommandContext(t.Context(), "uname", "-m").Output(); err == nil && strings.TrimSpace(string(out)) != h.Machine {
		t.Errorf("Machine %q, uname -m says %q", h.Machine, out)
	}
}
