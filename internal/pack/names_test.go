package pack

import (
	"errors"
	"testing"
)

func TestNames(t *testing.T) {
	type mapper func(string) (string, error)
	for _, tc := range []struct {
		fn       string
		f        mapper
		in, want string // want "" means refused
	}{
		{"DebName", DebName, "acpi_call", "acpi-call"},
		{"DebName", DebName, "NVIDIA", "nvidia"},
		{"DebName", DebName, "zfs", "zfs"},
		{"DebName", DebName, "x", ""},
		{"DebName", DebName, "-x", ""},
		{"DebName", DebName, "a b", ""},
		{"DebName", DebName, "v4l2loopback+git", "v4l2loopback+git"},
		{"DebVersion", DebVersion, "1.2.2", "1.2.2"},
		{"DebVersion", DebVersion, "2.0-3", "2.0-3"},
		{"DebVersion", DebVersion, "1.0~rc1+git", "1.0~rc1+git"},
		{"DebVersion", DebVersion, "v1.0", ""},
		{"DebVersion", DebVersion, "1_0", ""},
		{"DebVersion", DebVersion, "", ""},
		{"RPMName", RPMName, "acpi_call", "acpi_call"},
		{"RPMName", RPMName, "Hello-World", "Hello-World"},
		{"RPMName", RPMName, ".x", ""},
		{"RPMName", RPMName, "a/b", ""},
		{"RPMVersion", RPMVersion, "2.0-3", "2.0_3"},
		{"RPMVersion", RPMVersion, "v1.0", "v1.0"},
		{"RPMVersion", RPMVersion, "1:2", ""},
		{"ArchName", ArchName, "Dkms-Go", "dkms-go"},
		{"ArchName", ArchName, ".x", ""},
		{"ArchVersion", ArchVersion, "3.4.3-1", "3.4.3_1"},
		{"ArchVersion", ArchVersion, "1 2", ""},
	} {
		got, err := tc.f(tc.in)
		var ne *NameError
		switch {
		case tc.want == "" && !errors.As(err, &ne):
			t.Errorf("%s(%q) = %q, %v; want a NameError", tc.fn, tc.in, got, err)
		case tc.want != "" && (err != nil || got != tc.want):
			t.Errorf("%s(%q) = %q, %v; want %q", tc.fn, tc.in, got, err, tc.want)
		}
	}
}

func TestArchMaps(t *testing.T) {
	for in, want := range map[string][2]string{
		"x86_64": {"amd64", "x86_64"}, "i686": {"i386", "i686"}, "i586": {"i386", "i686"},
		"aarch64": {"arm64", "aarch64"}, "armv7l": {"armhf", "armv7hl"}, "ppc64le": {"ppc64el", "ppc64le"},
		"riscv64": {"riscv64", "riscv64"},
	} {
		if d, r := debArch(in), rpmArch(in); d != want[0] || r != want[1] {
			t.Errorf("%s: deb %s rpm %s, want %v", in, d, r, want)
		}
	}
}
