package kernel

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Chroot is the answer of InChroot.
type Chroot struct {
	// In is set when dkms runs in a chroot (or, as far as the test can
	// tell, in another mount namespace than init's).
	In bool
	// StatErr is the message the reference's stat(1) prints on stderr
	// when it cannot stat /proc/1/root or / (it then takes the empty
	// output for a difference, so In is set); empty otherwise.
	StatErr string
}

// InChroot reports whether dkms runs in a chroot, the way dkms 3.4 ports
// Debian's ischroot to decide whether to sign modules (try_sign_modules):
// the first of these tests that hits wins.
//
//  1. fakechroot: FAKECHROOT=true, FAKECHROOT_BASE set and LD_PRELOAD
//     naming libfakechroot.so, in env;
//  2. /proc/1/mountinfo and /proc/self/mountinfo both readable and
//     different (any separate mount namespace counts);
//  3. for uid 0 only: /proc/1/root and / differing in device or inode.
//
// root prefixes /proc and / (DKMS_SYSROOT, for tests; "" on a real system).
func InChroot(root string, env []string, uid int) Chroot {
	if fakechroot(env) {
		return Chroot{In: true}
	}
	init, err1 := os.ReadFile(filepath.Join(root, "/proc/1/mountinfo"))
	self, err2 := os.ReadFile(filepath.Join(root, "/proc/self/mountinfo"))
	if err1 == nil && err2 == nil && !bytes.Equal(init, self) {
		return Chroot{In: true}
	}
	if uid != 0 {
		return Chroot{}
	}
	initRoot, errInit := statID(filepath.Join(root, "/proc/1/root"))
	ourRoot, errOur := statID(root + "/")
	msgs := strings.TrimSpace(errInit + "\n" + errOur)
	return Chroot{In: initRoot != ourRoot, StatErr: msgs}
}

// fakechroot is the reference's first test.
func fakechroot(env []string) bool {
	vars := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if _, seen := vars[k]; !seen {
				vars[k] = v
			}
		}
	}
	_, base := vars["FAKECHROOT_BASE"]
	return vars["FAKECHROOT"] == "true" && base && strings.Contains(vars["LD_PRELOAD"], "libfakechroot.so")
}

// statID is `stat -L --format='%d %i' p`: "" and stat's error message
// when p cannot be stat'ed.
func statID(p string) (string, string) {
	st, err := os.Stat(p)
	if err != nil {
		return "", statMessage(p, err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return "", ""
	}
	return fmt.Sprintf("%d %d", sys.Dev, sys.Ino), ""
}

// statMessage words a failed stat as coreutils' stat(1) does.
func statMessage(p string, err error) string {
	var errno syscall.Errno
	msg := err.Error()
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) && errors.As(pe.Err, &errno) {
		msg = errno.Error()
	}
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return fmt.Sprintf("stat: cannot statx '%s': %s", p, msg)
}
