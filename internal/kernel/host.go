package kernel

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

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

// ErrNoOSRelease is returned when neither os-release file exists; the
// reference dies with "System is missing os-release file." (exit 4).
var ErrNoOSRelease = errors.New("no os-release file")

// osReleasePaths are tried in order below the root, as in the reference.
var osReleasePaths = []string{"etc/os-release", "usr/lib/os-release"}

// Distro returns the distribution name the reference uses for its
// per-distribution defaults (distro_version, §2.1): "ubuntu" when
// ID=ubuntu; otherwise the whole ID_LIKE value when ID_LIKE is assigned at
// all (even empty), e.g. "rhel centos fedora"; otherwise ID. root is the
// filesystem root the os-release files are read below ("/" on a real
// system). Callers match the result with prefix globs (debian*, rhel*, ...).
//
// The first os-release path that exists is used, even if unreadable; the
// reference sources it in a subshell, which this parses as the restricted
// shell syntax of os-release(5).
func Distro(root string) (string, error) {
	for _, p := range osReleasePaths {
		path := filepath.Join(root, p)
		if _, err := os.Stat(path); err != nil {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrPermission) {
			return "", fmt.Errorf("reading %s: %w", path, err)
		}
		vars := parseOSRelease(string(data))
		if id := vars["ID"]; id == "ubuntu" {
			return id, nil
		}
		if like, ok := vars["ID_LIKE"]; ok {
			return like, nil
		}
		return vars["ID"], nil
	}
	return "", ErrNoOSRelease
}

// parseOSRelease reads NAME=value assignments with shell quoting: single
// quotes, double quotes (where \ escapes $ ` " \ and newline) and bare
// backslash escapes. Comments, blank and malformed lines are ignored, and
// a later assignment wins. Expansions ($VAR) are not performed.
func parseOSRelease(data string) map[string]string {
	vars := map[string]string{}
	for _, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || !isShellName(name) {
			continue
		}
		vars[name] = shellWord(value)
	}
	return vars
}

func isShellName(s string) bool {
	for i, c := range s {
		if c != '_' && !('A' <= c && c <= 'Z') && !('a' <= c && c <= 'z') && (i == 0 || !('0' <= c && c <= '9')) {
			return false
		}
	}
	return s != ""
}

// shellWord removes shell quoting from the word starting at s and stops at
// the first unquoted blank (the rest of the line would be a command).
func shellWord(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			return b.String()
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				end = len(s) - i - 1
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case c == '"':
			i = doubleQuoted(s, i+1, &b)
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// doubleQuoted copies the double-quoted text starting at s[i] into b and
// returns the index of the closing quote.
func doubleQuoted(s string, i int, b *strings.Builder) int {
	for ; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			return i
		}
		if c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0 {
			i++
			c = s[i]
		}
		b.WriteByte(c)
	}
	return i
}

// InstallLocation returns the directory, relative to <IT>/<release>, where
// dkms installs a module (override_dest_module_location, §6): "/" +
// addonModulesDir when ADDON_MODULES_DIR is set; "/extra" on fedora*,
// rhel* and ovm*; "/updates" on sles*, suse* and opensuse*;
// "/updates/dkms" on debian*, ubuntu* and arch*; else destLocation, the
// module's DEST_MODULE_LOCATION, unchanged.
func InstallLocation(distro, addonModulesDir, destLocation string) string {
	if addonModulesDir != "" {
		return "/" + addonModulesDir
	}
	for _, m := range []struct {
		prefixes []string
		dir      string
	}{
		{[]string{"fedora", "rhel", "ovm"}, "/extra"},
		{[]string{"sles", "suse", "opensuse"}, "/updates"},
		{[]string{"debian", "ubuntu", "arch"}, "/updates/dkms"},
	} {
		for _, p := range m.prefixes {
			if strings.HasPrefix(distro, p) {
				return m.dir
			}
		}
	}
	return destLocation
}
