package kernel

import (
	"bytes"
	"fmt"

	"golang.org/x/sys/unix"
)

// Host is what the reference records from uname at start-up (§2.1): the
// default kernel is the running one, the default arch its machine.
type Host struct {
	Release string // uname -r
	Machine string // uname -m
	OS      string // uname -s
}

// Running returns the running kernel's uname facts.
func Running() (Host, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return Host{}, fmt.Errorf("uname: %w", err)
	}
	return Host{
		Release: cString(u.Release[:]),
		Machine: cString(u.Machine[:]),
		OS:      cString(u.Sysname[:]),
	}, nil
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
