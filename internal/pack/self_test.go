package pack

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dkms-go/dkms/internal/run"
)

// selfFixture stages a small tree like scripts/install.sh's.
func selfFixture(t *testing.T, formats ...string) SelfOptions {
	root := t.TempDir()
	stage := filepath.Join(root, "stage")
	for name, mode := range map[string]os.FileMode{
		"usr/sbin/dkms": 0o755, "etc/dkms/framework.conf": 0o644, "etc/kernel/postinst.d/dkms": 0o755,
		"usr/lib/dkms/alpm-hook": 0o755, "usr/lib/dkms/common.postinst": 0o755, "usr/share/man/man8/dkms.8": 0o644,
		"usr/share/zsh/site-functions/_dkms": 0o644, "usr/share/libalpm/hooks/70-dkms-install.hook": 0o644,
	} {
		write(t, filepath.Join(stage, name), "# "+name+"\n")
		os.Chmod(filepath.Join(stage, name), mode)
	}
	for _, d := range []string{"var/lib/dkms", "etc/dkms/framework.conf.d"} {
		os.MkdirAll(filepath.Join(stage, d), 0o755)
	}
	write(t, filepath.Join(root, "postinst"), "#!/bin/sh\nmkdir -p /var/lib/dkms\n")
	write(t, filepath.Join(root, "postrm"), "#!/bin/sh\n:\n")
	return SelfOptions{StageDir: stage, Name: "dkms-go", Version: "3.4.3+go7", DKMSVersion: "3.4.3", Arch: "x86_64",
		Formats: formats, Summary: "Dynamic Kernel Module Support", Description: "A longer text.", Copyright: "Nobody.\n",
		PostInstall: filepath.Join(root, "postinst"), PostRemove: filepath.Join(root, "postrm"), DocDir: "/usr/share/doc",
		OutDir: filepath.Join(root, "out"), TmpDir: root, Maintainer: "T <t@example.org>", MTime: time.Unix(1767225600, 0)}
}

func TestSelfDeb(t *testing.T) {
	needTool(t, "dpkg-deb")
	o := selfFixture(t, "deb")
	paths, err := WriteSelf(t.Context(), run.New(nil, nil), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 || filepath.Base(paths[0]) != "dkms-go_3.4.3+go7_amd64.deb" {
		t.Fatalf("paths %q", paths)
	}
	fields := output(t, "dpkg-deb", "-f", paths[0], "Package", "Provides", "Conflicts", "Replaces", "Depends")
	want := "Package: dkms-go\nProvides: dkms (= 3.4.3)\nConflicts: dkms\nReplaces: dkms\nDepends: kmod, gcc | c-compiler, make | build-essential, patch\n"
	if fields != want {
		t.Errorf("control:\n%s\nwant:\n%s", fields, want)
	}
	list := output(t, "dpkg-deb", "-c", paths[0])
	for _, p := range []string{"./usr/sbin/dkms", "./usr/share/man/man8/dkms.8.gz", "./usr/share/zsh/vendor-completions/_dkms",
		"./etc/kernel/postinst.d/dkms", "./var/lib/dkms/", "./usr/share/doc/dkms-go/copyright", "./usr/share/lintian/overrides/dkms-go"} {
		if !strings.Contains(list, " "+p+"\n") {
			t.Errorf("deb lacks %s:\n%s", p, list)
		}
	}
	if !strings.Contains(list, "-rwxr-xr-x root/root") {
		t.Errorf("the binary lost its mode:\n%s", list)
	}
	if strings.Contains(list, "libalpm") || strings.Contains(list, "alpm-hook") || strings.Contains(list, "site-functions") {
		t.Errorf("deb carries Arch files or the non-Debian zsh path:\n%s", list)
	}
	ctl := t.TempDir()
	output(t, "dpkg-deb", "-e", paths[0], ctl)
	if b, _ := os.ReadFile(filepath.Join(ctl, "conffiles")); string(b) != "/etc/dkms/framework.conf\n/etc/kernel/postinst.d/dkms\n" {
		t.Errorf("conffiles:\n%s", b)
	}
}

func TestSelfRPMAndArch(t *testing.T) {
	needTool(t, "rpm")
	o := selfFixture(t, "rpm", "archlinux")
	paths, err := WriteSelf(t.Context(), run.New(nil, nil), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || filepath.Base(paths[0]) != "dkms-go-3.4.3+go7-1.x86_64.rpm" || filepath.Base(paths[1]) != "dkms-go-3.4.3+go7-1-x86_64.pkg.tar.zst" {
		t.Fatalf("paths %q", paths)
	}
	rel := output(t, "rpm", "-qp", "--qf", "[P %{PROVIDES} %{PROVIDEVERSION}\n][C %{CONFLICTS}\n][O %{OBSOLETES}\n]", paths[0])
	for _, w := range []string{"P dkms 3.4.3\n", "C dkms\n", "O dkms\n"} {
		if !strings.Contains(rel, w) {
			t.Errorf("rpm relations lack %q:\n%s", w, rel)
		}
	}
	list := output(t, "rpm", "-qpl", paths[0])
	if strings.Contains(list, "/etc/kernel") || strings.Contains(list, "libalpm") || !strings.Contains(list, "/usr/lib/dkms/common.postinst\n") {
		t.Errorf("rpm contents:\n%s", list)
	}
	if cfg := output(t, "rpm", "-qpc", paths[0]); cfg != "/etc/dkms/framework.conf\n" {
		t.Errorf("rpm config files: %q", cfg)
	}
	if _, err := exec.LookPath("zstd"); err != nil {
		return
	}
	info := output(t, "tar", "--zstd", "-xOf", paths[1], ".PKGINFO")
	for _, w := range []string{"provides = dkms=3.4.3\n", "conflict = dkms\n", "replaces = dkms\n", "backup = etc/dkms/framework.conf\n", "pkgdesc = Dynamic Kernel Module Support\n"} {
		if !strings.Contains(info, w) {
			t.Errorf(".PKGINFO lacks %q:\n%s", w, info)
		}
	}
}
