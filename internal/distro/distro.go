// Package distro names the distribution dkms runs on the way the reference
// dkms does (distro_version: from os-release's ID and ID_LIKE) and holds
// every place where the reference acts differently per distribution: the
// directory modules are installed in, the sign-file it names, the signing
// key it uses when framework.conf names none (Ubuntu's shim-signed MOK,
// Gentoo's portage or kernel key), and the weak-modules tool of the RHEL
// and SUSE families.
//
// It is pure Go and a leaf: it never execs and never prints. Every system
// path it names is below a root the caller gives ("" for the machine's
// own), so tests swap the whole system with DKMS_SYSROOT.
package distro

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Name is the distribution as the reference's distro_version names it:
// "ubuntu" when ID is ubuntu; otherwise the whole ID_LIKE value when
// os-release assigns ID_LIKE at all (even empty), e.g. "rhel centos
// fedora" on Rocky or "ubuntu debian" on Mint; otherwise ID. The
// reference matches it with prefix globs (debian*, rhel*, ...), so a
// derivative follows the first word of its ID_LIKE: RHEL itself
// (ID_LIKE=fedora) and Oracle Linux are "fedora", CentOS Stream, Rocky and
// AlmaLinux are "rhel ...". dkms.conf sees it as $running_distribution.
type Name string

// ErrNoOSRelease is returned when neither os-release file exists; the
// reference dies with "System is missing os-release file." (exit 4).
var ErrNoOSRelease = errors.New("no os-release file")

// osReleasePaths are tried in order below the root, as in the reference.
var osReleasePaths = []string{"etc/os-release", "usr/lib/os-release"}

// Detect reads the os-release file below root ("/" on a real system) and
// returns the distribution's Name.
//
// The first os-release path that exists is used, even if unreadable; the
// reference sources it in a subshell, which this parses as the restricted
// shell syntax of os-release(5), quotes of either kind removed.
func Detect(root string) (Name, error) {
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
			return Name(id), nil
		}
		if like, ok := vars["ID_LIKE"]; ok {
			return Name(like), nil
		}
		return Name(vars["ID"]), nil
	}
	return "", ErrNoOSRelease
}

// is reports whether n matches one of the reference's prefix globs
// ("rhel" stands for rhel*).
func (n Name) is(prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(string(n), p) {
			return true
		}
	}
	return false
}

// InstallLocation returns the directory, relative to <IT>/<release>, where
// dkms installs a module (override_dest_module_location, §6, as of 3.4.2):
// "/" + addonModulesDir when ADDON_MODULES_DIR is set; "/extra" on
// fedora*, centos* and rhel*; "/updates" on sles*, suse* and opensuse*;
// "/updates/dkms" on debian*, ubuntu* and arch*; else destLocation, the
// module's DEST_MODULE_LOCATION as written (Gentoo, Alpine, and ovm*
// since 3.4.2 dropped it).
func (n Name) InstallLocation(addonModulesDir, destLocation string) string {
	switch {
	case addonModulesDir != "":
		return "/" + addonModulesDir
	case n.is("fedora", "centos", "rhel"):
		return "/extra"
	case n.is("sles", "suse", "opensuse"):
		return "/updates"
	case n.is("debian", "ubuntu", "arch"):
		return "/updates/dkms"
	}
	return destLocation
}

// SignFile is the sign-file the reference runs on this distribution for
// kernel release when framework.conf names none (prepare_signing): Debian
// packages it with kbuild (/usr/lib/linux-kbuild-<release without its
// last .part>), Ubuntu uses kmodsign from PATH (kmodsign is its result,
// "" when not found) or its headers' copy, Gentoo its kernel source's. It
// returns "" elsewhere; the caller falls back to the kernel's own
// <IT>/<release>/build/scripts/sign-file when the file named does not
// exist, as the reference does. root prefixes the paths it builds.
func (n Name) SignFile(root, release, kmodsign string) string {
	switch {
	case n.is("debian"):
		if i := strings.LastIndex(release, "."); i >= 0 {
			release = release[:i]
		}
		return filepath.Join("/", root, "usr/lib/linux-kbuild-"+release, "scripts/sign-file")
	case n.is("ubuntu"):
		if kmodsign != "" {
			return kmodsign
		}
		return filepath.Join("/", root, "usr/src/linux-headers-"+release, "scripts/sign-file")
	case n.is("gentoo"):
		return filepath.Join("/", root, "usr/src/linux-"+release, "scripts/sign-file")
	}
	return ""
}

// KeepsPackagedDirs reports whether uninstall must leave a directory an
// rpm package owns even when it is empty: the reference asks `rpm -qf`
// before removing one everywhere but on debian*, ubuntu*, arch* and
// gentoo*.
func (n Name) KeepsPackagedDirs() bool {
	return !n.is("debian", "ubuntu", "arch", "gentoo")
}
