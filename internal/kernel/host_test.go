package kernel

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/testenv"
)

func TestDistro(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		want    string
		wantErr error
	}{
		{name: "no file", wantErr: ErrNoOSRelease},
		{name: "debian", files: map[string]string{"etc/os-release": "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nID=debian\n"}, want: "debian"},
		{name: "ubuntu ignores ID_LIKE", files: map[string]string{"etc/os-release": "ID=ubuntu\nID_LIKE=debian\n"}, want: "ubuntu"},
		{name: "whole ID_LIKE", files: map[string]string{"etc/os-release": "ID=\"centos\"\nID_LIKE=\"rhel centos fedora\"\n"}, want: "rhel centos fedora"},
		{name: "derivative of ubuntu", files: map[string]string{"etc/os-release": "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n"}, want: "ubuntu debian"},
		{name: "empty ID_LIKE still wins", files: map[string]string{"etc/os-release": "ID=foo\nID_LIKE=\n"}, want: ""},
		{name: "usr/lib fallback", files: map[string]string{"usr/lib/os-release": "ID='opensuse-tumbleweed'\nID_LIKE='opensuse suse'\n"}, want: "opensuse suse"},
		{name: "etc first", files: map[string]string{"etc/os-release": "ID=arch\n", "usr/lib/os-release": "ID=debian\n"}, want: "arch"},
		{name: "relative symlink", files: map[string]string{"etc/os-release": "->../usr/lib/os-release", "usr/lib/os-release": "ID=gentoo\n"}, want: "gentoo"},
		{name: "quoting and comments", files: map[string]string{"etc/os-release": "# c\nID=\"a\\\"b\" # trailing\nBAD LINE\n"}, want: `a"b`},
		{name: "no ID", files: map[string]string{"etc/os-release": "NAME=x\n"}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if tt.files != nil {
				writeTree(t, root, tt.files)
			}
			got, err := Distro(root)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("Distro() = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestDistroMatchesBash sources each os-release sample in bash the way the
// reference's distro_version does and compares.
func TestDistroMatchesBash(t *testing.T) {
	bash := testenv.LookPath(t, "bash")
	samples := []string{
		"ID=debian\n",
		"ID=ubuntu\nID_LIKE=debian\n",
		"ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n",
		"ID='sles'\nID_LIKE=\"suse\"\n",
		"ID=x\\ y\n",
		"ID=\"a\\$b\\\\c\"\n",
		"ID=foo\nID_LIKE=\n",
		"ID=one\nID=two\n",
	}
	script := `. "$1"; if [[ "$ID" = "ubuntu" ]]; then echo "$ID"; elif [[ ${#ID_LIKE[@]} != 0 ]]; then echo "${ID_LIKE[0]}"; else echo "$ID"; fi`
	for _, s := range samples {
		root := t.TempDir()
		writeTree(t, root, map[string]string{"etc/os-release": s})
		out, err := exec.CommandContext(t.Context(), bash, "-c", script, "bash", root+"/etc/os-release").Output()
		if err != nil {
			t.Fatalf("bash: %v", err)
		}
		got, err := Distro(root)
		if want := strings.TrimSuffix(string(out), "\n"); err != nil || got != want {
			t.Errorf("os-release %q: Distro() = %q, %v; bash says %q", s, got, err, want)
		}
	}
}

func TestInstallLocation(t *testing.T) {
	tests := []struct {
		distro, addon, dest, want string
	}{
		{"debian", "", "/kernel/extra", "/updates/dkms"},
		{"ubuntu debian", "", "/kernel/extra", "/updates/dkms"},
		{"arch", "", "/extra", "/updates/dkms"},
		{"rhel centos fedora", "", "/kernel/drivers", "/extra"},
		{"fedora", "", "", "/extra"},
		{"ovm", "", "/x", "/extra"},
		{"suse opensuse", "", "/x", "/updates"},
		{"opensuse suse", "", "/x", "/updates"},
		{"sles", "", "/x", "/updates"},
		{"alpine", "", "/kernel/extra", "/kernel/extra"},
		{"gentoo", "", "/kernel/extra", "/kernel/extra"},
		{"centos rhel", "", "/kernel/extra", "/kernel/extra"}, // prefix match only
		{"debian", "addon/dir", "/kernel/extra", "/addon/dir"},
		{"", "", "/updates", "/updates"},
	}
	for _, tt := range tests {
		if got := InstallLocation(tt.distro, tt.addon, tt.dest); got != tt.want {
			t.Errorf("InstallLocation(%q, %q, %q) = %q, want %q", tt.distro, tt.addon, tt.dest, got, tt.want)
		}
	}
}

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
