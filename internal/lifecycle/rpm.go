package lifecycle

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dkms-go/dkms/internal/kernel"
)

// The --rpm_safe_upgrade dance (§7.12). During an rpm upgrade the new
// package's %post adds the new version, then the old package's %preun
// removes the old one; when both are the same version, that remove must
// not undo the add. So add leaves a lock naming the module version and
// the rpm transaction (the parent of dkms's parent and its start time),
// and a remove of that module version in the same transaction finds it,
// deletes it and does nothing else.

// rpmLockPrefix starts the name of the lock files in tmp_location.
const rpmLockPrefix = "dkms_rpm_safe_upgrade_lock."

// rpmLock writes the lock of an add of m/v in this rpm transaction.
func (a *action) rpmLock(m, v string) error {
	pid, start := kernel.Transaction(a.SysRoot, os.Getppid())
	a.Runner.Step("mktemp " + filepath.Join(a.Tmp, rpmLockPrefix+strconv.Itoa(pid)+".XXXXXX"))
	f, err := os.CreateTemp(a.Tmp, rpmLockPrefix+strconv.Itoa(pid)+".*")
	if err != nil {
		return &Error{Kind: NoTempDir}
	}
	_, err = f.WriteString(m + "-" + v + "\n" + start + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// rpmUpgrade reports whether a remove of m/v is the second half of an rpm
// upgrade to the same version: a lock of this transaction names m/v and
// the transaction's start time. The lock is deleted.
func (a *action) rpmUpgrade(m, v string) bool {
	pid, start := kernel.Transaction(a.SysRoot, os.Getppid())
	locks, _ := filepath.Glob(filepath.Join(a.Tmp, rpmLockPrefix+strconv.Itoa(pid)+".*"))
	for _, l := range locks {
		b, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if lines[0] == m+"-"+v && start != "" && lines[len(lines)-1] == start {
			a.Runner.Remove(l)
			return true
		}
	}
	return false
}
