package pack

import (
	"fmt"
	"regexp"
	"strings"
)

// Package names and versions must follow each format's rules, and a
// dkms.conf's PACKAGE_NAME and PACKAGE_VERSION often do not (upper case,
// underscores). What the distribution's own conventions map is mapped;
// anything else is refused with a NameError that says which rule failed,
// never turned into a package the package manager rejects later.

// NameError is a package name or version the format cannot carry.
type NameError struct {
	Format string // "deb", "rpm" or "archlinux"
	What   string // "name" or "version"
	Value  string // as dkms.conf gave it
	Rule   string // the rule it breaks, in words
}

func (e *NameError) Error() string {
	return fmt.Sprintf("%q is not a valid %s package %s: %s", e.Value, formatTitle[e.Format], e.What, e.Rule)
}

var formatTitle = map[string]string{"deb": "Debian", "rpm": "RPM", "archlinux": "Arch Linux"}

var (
	// Debian Policy 5.6.1 and 5.6.12: names of lower case letters, digits
	// and + - . starting with a letter or digit; upstream versions of
	// alphanumerics and . + ~ - (a hyphen starts the revision) starting
	// with a digit.
	debNameRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	debVersionRe = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~-]*$`)
	// RPM: names of letters, digits and - . _ +; versions of letters,
	// digits and . _ + ~ ^ (no hyphen: it separates the release).
	rpmNameRe    = regexp.MustCompile(`^[A-Za-z0-9_+][A-Za-z0-9._+-]*$`)
	rpmVersionRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~^]*$`)
	// Arch Linux (PKGBUILD(5)): names of lower case alphanumerics and
	// @ . _ + -, not starting with - or .; versions without hyphens.
	archNameRe    = regexp.MustCompile(`^[a-z0-9@_+][a-z0-9@._+-]*$`)
	archVersionRe = regexp.MustCompile(`^[A-Za-z0-9._+~]+$`)
)

// DebName maps a module name to a Debian package name the way Debian's
// own module packages do (acpi_call → acpi-call): lower case, underscores
// become hyphens.
func DebName(name string) (string, error) {
	n := strings.ReplaceAll(strings.ToLower(name), "_", "-")
	if !debNameRe.MatchString(n) {
		return "", &NameError{"deb", "name", name, "only letters, digits, '+', '-', '_' and '.' are allowed, at least two, starting with a letter or digit"}
	}
	return n, nil
}

// DebVersion checks a version for Debian. Nothing is mapped: a version
// changed here would sort differently from the one dkms knows.
func DebVersion(v string) (string, error) {
	if !debVersionRe.MatchString(v) {
		return "", &NameError{"deb", "version", v, "it must start with a digit and hold only letters, digits, '.', '+', '~' and '-'"}
	}
	return v, nil
}

// RPMName checks a name for RPM, which keeps case and underscores.
func RPMName(name string) (string, error) {
	if !rpmNameRe.MatchString(name) {
		return "", &NameError{"rpm", "name", name, "only letters, digits, '-', '.', '_' and '+' are allowed, not starting with '-' or '.'"}
	}
	return name, nil
}

// RPMVersion maps a version for RPM: a hyphen, which would split it into
// version and release, becomes an underscore, as Fedora's packaging
// guidelines do for upstream versions with hyphens.
func RPMVersion(v string) (string, error) {
	m := strings.ReplaceAll(v, "-", "_")
	if !rpmVersionRe.MatchString(m) {
		return "", &NameError{"rpm", "version", v, "only letters, digits, '.', '_', '+', '~' and '^' are allowed, starting with a letter or digit"}
	}
	return m, nil
}

// ArchName checks a name for an Arch Linux package (lower case only).
func ArchName(name string) (string, error) {
	n := strings.ToLower(name)
	if !archNameRe.MatchString(n) {
		return "", &NameError{"archlinux", "name", name, "only letters, digits, '@', '.', '_', '+' and '-' are allowed, not starting with '-' or '.'"}
	}
	return n, nil
}

// ArchVersion maps a version for Arch Linux: hyphens become underscores.
func ArchVersion(v string) (string, error) {
	m := strings.ReplaceAll(v, "-", "_")
	if !archVersionRe.MatchString(m) {
		return "", &NameError{"archlinux", "version", v, "only letters, digits, '.', '_', '+' and '~' are allowed"}
	}
	return m, nil
}

// debArch maps a kernel (uname -m) architecture to Debian's name for it.
// Unknown names pass through: dpkg says what it makes of them.
func debArch(machine string) string {
	switch machine {
	case "x86_64":
		return "amd64"
	case "i386", "i486", "i586", "i686":
		return "i386"
	case "aarch64":
		return "arm64"
	case "armv7l", "armv7":
		return "armhf"
	case "ppc64le":
		return "ppc64el"
	case "mips64":
		return "mips64el"
	}
	return machine
}

// rpmArch maps a kernel architecture to RPM's name for it.
func rpmArch(machine string) string {
	switch machine {
	case "i386", "i486", "i586":
		return "i686"
	case "armv7l", "armv7":
		return "armv7hl"
	}
	return machine
}
