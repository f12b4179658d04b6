package kernel

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of a process's start time
// in /proc/<pid>/stat: 100 on every Linux architecture dkms runs on.
const clockTicks = 100

// Transaction identifies the package transaction dkms runs in, the way
// the reference's --rpm_safe_upgrade does: the parent of dkms's parent
// (rpm, with a scriptlet's shell in between) and that process's start
// time as `ps -o lstart` prints it. root prefixes /proc (DKMS_SYSROOT).
// Start is empty when the process cannot be looked at; the reference
// then never matches a lock.
func Transaction(root string, ppid int) (pid int, start string) {
	pid = parentOf(root, ppid)
	return pid, startTime(root, pid)
}

// parentOf reads the PPid of pid from /proc/<pid>/status; 0 if unknown.
func parentOf(root string, pid int) int {
	b, err := os.ReadFile(filepath.Join(root, "/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// startTime is ps's lstart of pid: boot time plus the start time in
// clock ticks, in local time, "Mon Jan _2 15:04:05 2006".
func startTime(root string, pid int) string {
	if pid <= 0 {
		return ""
	}
	stat, err := os.ReadFile(filepath.Join(root, "/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return ""
	}
	// The command name (field 2) may hold spaces: count from its ")".
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 20 { // starttime is field 22, the 20th after ")"
		return ""
	}
	ticks, err := strconv.ParseInt(fields[19], 10, 64)
	boot := bootTime(root)
	if err != nil || boot == 0 {
		return ""
	}
	return time.Unix(boot+ticks/clockTicks, 0).Format("Mon Jan _2 15:04:05 2006")
}

// bootTime is btime from /proc/stat, in seconds since the epoch.
func bootTime(root string) int64 {
	b, err := os.ReadFile(filepath.Join(root, "/proc/stat"))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}
