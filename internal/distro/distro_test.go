package distro

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/testenv"
)

// writeTree creates files (path → content) below root; a path ending in
// "/" is a directory, content "->target" a symbolic link.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for path, content := range files {
		full := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if strings.HasSuffix(path, "/") {
			err = os.MkdirAll(full, 0o755)
		} else if target, ok := strings.CutPrefix(content, "->"); ok {
			err = os.Symlink(target, full)
		} else {
			err = os.WriteFile(full, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		want    Name
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
			got, err := Detect(root)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("Detect() = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestDetectMatchesBash sources each os-release sample in bash the way the
// reference's distro_version does and compares.
func TestDetectMatchesBash(t *testing.T) {
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
		got, err := Detect(root)
		if want := Name(strings.TrimSuffix(string(out), "\n")); err != nil || got != want {
			t.Errorf("os-release %q: Detect() = %q, %v; bash says %q", s, got, err, want)
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
		{"ovm", "", "/x", "/x"},                   // dropped in 3.4.2
		{"centos", "", "/kernel/extra", "/extra"}, // added in 3.4.2
		{"suse opensuse", "", "/x", "/updates"},
		{"opensuse suse", "", "/x", "/updates"},
		{"sles", "", "/x", "/updates"},
		{"alpine", "", "/kernel/extra", "/kernel/extra"},
		{"gentoo", "", "/kernel/extra", "/kernel/extra"},
		{"almalinux rhel", "", "/kernel/extra", "/kernel/extra"}, // prefix match only
		{"debian", "addon/dir", "/kernel/extra", "/addon/dir"},
		{"", "", "/updates", "/updates"},
	}
	for _, tt := range tests {
		if got := Name(tt.distro).InstallLocation(tt.addon, tt.dest); got != tt.want {
			t.Errorf("Name(%q).InstallLocation(%q, %q) = %q, want %q", tt.distro, tt.addon, tt.dest, got, tt.want)
		}
	}
}

// osReleaseRoot returns a new system root whose os-release at path is
// testdata/os-release/<file>.
func osReleaseRoot(t *testing.T, file, path string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "os-release", file))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	writeTree(t, root, map[string]string{path: string(data)})
	return root
}

// distributions is the table of real os-release files (testdata) and
// what the reference does on each: the name it detects, the directory
// it installs into (DEST_MODULE_LOCATION /kernel/extra), the sign-file
// it names for kernel 6.1.0-9-amd64 (no kmodsign on PATH), whether its
// default key is Ubuntu's shim-signed MOK, and its weak-modules tool.
var distributions = []struct {
	file     string
	name     Name
	location string
	signFile string
	shim     bool
	weak     string
}{
	{"debian", "debian", "/updates/dkms", "/usr/lib/linux-kbuild-6.1/scripts/sign-file", false, ""},
	{"ubuntu", "ubuntu", "/updates/dkms", "/usr/src/linux-headers-6.1.0-9-amd64/scripts/sign-file", true, ""},
	{"linuxmint", "ubuntu debian", "/updates/dkms", "/usr/src/linux-headers-6.1.0-9-amd64/scripts/sign-file", true, ""},
	{"pop", "ubuntu debian", "/updates/dkms", "/usr/src/linux-headers-6.1.0-9-amd64/scripts/sign-file", true, ""},
	{"fedora", "fedora", "/extra", "", false, ""},
	{"rhel", "fedora", "/extra", "", false, ""},
	{"ol", "fedora", "/extra", "", false, ""},
	{"single-quoted", "fedora", "/extra", "", false, ""},
	{"rocky", "rhel centos fedora", "/extra", "", false, "/usr/sbin/weak-modules --no-initramfs --add-modules"},
	{"almalinux", "rhel centos fedora", "/extra", "", false, "/usr/sbin/weak-modules --no-initramfs --add-modules"},
	{"centos", "rhel fedora", "/extra", "", false, "/usr/sbin/weak-modules --no-initramfs --add-modules"},
	{"opensuse-leap", "suse opensuse", "/updates", "", false, "/usr/lib/module-init-tools/weak-modules2 --add-kernel-modules 6.1.0-9-amd64"},
	{"opensuse-tumbleweed", "opensuse suse", "/updates", "", false, "/usr/lib/module-init-tools/weak-modules2 --add-kernel-modules 6.1.0-9-amd64"},
	{"sles", "suse", "/updates", "", false, "/usr/lib/module-init-tools/weak-modules2 --add-kernel-modules 6.1.0-9-amd64"},
	{"arch", "arch", "/updates/dkms", "", false, ""},
	{"manjaro", "arch", "/updates/dkms", "", false, ""},
	{"gentoo", "gentoo", "/kernel/extra", "/usr/src/linux-6.1.0-9-amd64/scripts/sign-file", false, ""},
	{"alpine", "alpine", "/kernel/extra", "", false, ""},
}

// TestDistributions runs the table above through every decision of the
// package.
func TestDistributions(t *testing.T) {
	const k = "6.1.0-9-amd64"
	for _, d := range distributions {
		t.Run(d.file, func(t *testing.T) {
			n, err := Detect(osReleaseRoot(t, d.file, "usr/lib/os-release"))
			if err != nil || n != d.name {
				t.Fatalf("Detect() = %q, %v; want %q", n, err, d.name)
			}
			if got := n.InstallLocation("", "/kernel/extra"); got != d.location {
				t.Errorf("InstallLocation = %q, want %q", got, d.location)
			}
			if got := n.SignFile("", k, ""); got != d.signFile {
				t.Errorf("SignFile = %q, want %q", got, d.signFile)
			}
			if got, _ := n.DefaultKeys(KeyFacts{}); got.Shim != d.shim {
				t.Errorf("DefaultKeys().Shim = %v, want %v", got.Shim, d.shim)
			}
			weak := ""
			if w := n.WeakModules(""); w != nil {
				weak = strings.Join(w.Add(k), " ")
			}
			if weak != d.weak {
				t.Errorf("WeakModules add = %q, want %q", weak, d.weak)
			}
		})
	}
}

func TestSignFile(t *testing.T) {
	tests := []struct {
		name     Name
		root     string
		release  string
		kmodsign string
		want     string
	}{
		{"debian", "", "6.12.48+deb13-amd64", "", "/usr/lib/linux-kbuild-6.12/scripts/sign-file"},
		{"debian", "/sys/root", "6.1.0-9-amd64", "", "/sys/root/usr/lib/linux-kbuild-6.1/scripts/sign-file"},
		{"debian", "", "nodots", "", "/usr/lib/linux-kbuild-nodots/scripts/sign-file"},
		{"ubuntu", "", "6.8.0-45-generic", "/usr/bin/kmodsign", "/usr/bin/kmodsign"},
		{"ubuntu debian", "/r", "6.8.0-45-generic", "", "/r/usr/src/linux-headers-6.8.0-45-generic/scripts/sign-file"},
		{"gentoo", "", "6.6.47-gentoo", "/usr/bin/kmodsign", "/usr/src/linux-6.6.47-gentoo/scripts/sign-file"},
		{"arch", "", "6.10.1-arch1-1", "/usr/bin/kmodsign", ""},
	}
	for _, tt := range tests {
		if got := tt.name.SignFile(tt.root, tt.release, tt.kmodsign); got != tt.want {
			t.Errorf("Name(%q).SignFile(%q, %q, %q) = %q, want %q", tt.name, tt.root, tt.release, tt.kmodsign, got, tt.want)
		}
	}
}

func TestWeakModules(t *testing.T) {
	rhel := Name("rhel centos fedora").WeakModules("/sys")
	if got, want := strings.Join(rhel.Remove("5.14.0-427.el9.x86_64"), " "), "/sys/usr/sbin/weak-modules --no-initramfs --remove-modules"; got != want {
		t.Errorf("rhel Remove = %q, want %q", got, want)
	}
	suse := Name("sles").WeakModules("")
	if got, want := strings.Join(suse.Remove("6.4.0-150600.23-default"), " "), "/usr/lib/module-init-tools/weak-modules2 --remove-kernel-modules 6.4.0-150600.23-default"; got != want {
		t.Errorf("suse Remove = %q, want %q", got, want)
	}
	if w := Name("fedora").WeakModules(""); w != nil {
		t.Errorf("fedora has weak modules %v", w)
	}
}

func TestKeepsPackagedDirs(t *testing.T) {
	for n, want := range map[Name]bool{"debian": false, "ubuntu debian": false, "arch": false, "gentoo": false,
		"fedora": true, "rhel centos fedora": true, "suse opensuse": true, "alpine": true} {
		if got := n.KeepsPackagedDirs(); got != want {
			t.Errorf("Name(%q).KeepsPackagedDirs() = %v, want %v", n, got, want)
		}
	}
}
