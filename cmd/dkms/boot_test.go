package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/dkms-go/dkms/internal/testenv"
)

// bootTestEnv, set to 1, runs the QEMU boot test; it takes about two
// minutes under TCG, so it is opt-in: ordinary runs and CI skip it, even
// under the strict switch.
const bootTestEnv = "DKMS_TEST_BOOT"

// TestBootRealKernels runs test/qemu-boot.sh: it builds the example module
// with our dkms for the real Debian 6.1 and 6.12 kernels, boots each under
// QEMU and checks that the signed (and, where the kernel wants it,
// xz-compressed) modules load, and that with sig_enforce on the kernel
// rejects them for their unknown key and an unsigned copy as unsigned.
// The .ko.xz files come both from xz(1) and, built with a PATH without
// xz, from the native encoder; each is loaded by kmod and, where the
// kernel decompresses modules itself, by finit_module. The native path
// also gets real, large modules: the kernel's own ext4 (2.4 MB) and its
// dependencies, signed and compressed by our dkms, must load.
func TestBootRealKernels(t *testing.T) {
	testenv.OptIn(t, bootTestEnv, "boots the real kernels under QEMU (about 2 minutes)")
	needRealKernels(t)
	script, err := filepath.Abs("../../test/qemu-boot.sh")
	must(t, err)
	cmd := exec.CommandContext(t.Context(), script)
	cmd.Env = append(os.Environ(), "DKMS_BIN="+dkmsBinary(t))
	// On timeout, let the script stop its guest and clean up.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("test/qemu-boot.sh: %v", err)
	}
}
