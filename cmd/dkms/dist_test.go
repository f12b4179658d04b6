package main

// Tests of the distribution files in dist/ and of scripts/install.sh: the
// files land where packages expect them, each hook calls dkms with the
// arguments the reference's hooks use, and a failing module is reported
// without failing the hook unless strict_kernel_hooks is set. The hooks run
// with a fake dkms (a shell script that logs its arguments) here, and with
// the real one in testdata/dist/*.txtar.

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/testenv"
)

// fakeDKMS logs each call's arguments to $FAKE_LOG and answers the calls
// the hooks make: status --json prints $FAKE_JSON, plain status prints
// $FAKE_STATUS or says $FAKE_ADDED is added, conf names module foo/1.0
// with AUTOINSTALL $FAKE_AUTOINSTALL; kernel_* and the rest exit with
// $FAKE_RC (only the action $FAKE_FAIL, when set).
const fakeDKMS = `#!/bin/sh
echo "$*" >>"$FAKE_LOG"
case $1 in
status)
	case " $* " in
	*" --json "*) cat "$FAKE_JSON" 2>/dev/null ;;
	*) if [ -n "${FAKE_STATUS:-}" ]; then echo "$FAKE_STATUS"; elif [ -n "${FAKE_ADDED:-}" ]; then echo "$FAKE_ADDED: added"; fi ;;
	esac
	exit 0 ;;
conf)
	printf 'AUTOINSTALL[0]="%s"\nPACKAGE_NAME[0]="foo"\nPACKAGE_VERSION[0]="1.0"\n' "${FAKE_AUTOINSTALL:-}"
	exit 0 ;;
esac
[ -z "${FAKE_FAIL:-}" ] || [ "$1" = "$FAKE_FAIL" ] || exit 0
exit "${FAKE_RC:-0}"
`

// distFiles are the files install.sh places (prefix /usr) and their modes.
var distFiles = map[string]os.FileMode{
	"usr/sbin/dkms":                                0o755,
	"usr/lib/dkms/kernel-hook":                     0o755,
	"usr/lib/dkms/alpm-hook":                       0o755,
	"etc/kernel/postinst.d/dkms":                   0o755,
	"etc/kernel/header_postinst.d/dkms":            0o755,
	"etc/kernel/preinst.d/dkms":                    0o755,
	"etc/kernel/prerm.d/dkms":                      0o755,
	"usr/lib/kernel/install.d/40-dkms.install":     0o755,
	"usr/lib/systemd/system/dkms.service":          0o644,
	"usr/share/libalpm/hooks/70-dkms-install.hook": 0o644,
	"usr/share/libalpm/hooks/71-dkms-remove.hook":  0o644,
	"usr/share/bash-completion/completions/dkms":   0o644,
	"usr/share/zsh/site-functions/_dkms":           0o644,
	"usr/share/man/man8/dkms.8":                    0o644,
	"etc/dkms/framework.conf":                      0o644,
}

// distSandbox is an installed copy of the dist files plus a fake system.
type distSandbox struct {
	dest, root, conf, log, json string
	env                         []string
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// installDist runs scripts/install.sh into a temp DESTDIR with the fake
// dkms as the binary (so no go build is needed).
func installDist(t *testing.T, args ...string) (dest, fake string) {
	t.Helper()
	tmp := t.TempDir()
	fake = filepath.Join(tmp, "fake-dkms")
	if err := os.WriteFile(fake, []byte(fakeDKMS), 0o755); err != nil {
		t.Fatal(err)
	}
	dest = filepath.Join(tmp, "dest")
	cmd := exec.Command("sh", append([]string{filepath.Join(repoRoot(t), "scripts/install.sh"), "--destdir", dest, "--binary", fake}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install.sh: %v\n%s", err, out)
	}
	return dest, fake
}

// newDistSandbox makes a fake system root for hooks installed in dest.
func newDistSandbox(t *testing.T, dest, fake string) *distSandbox {
	s := &distSandbox{dest: dest, root: t.TempDir()}
	s.conf = filepath.Join(s.root, "etc/dkms")
	s.log = filepath.Join(s.root, "calls.log")
	s.json = filepath.Join(s.root, "status.json")
	mkdirs(t, s.conf, filepath.Join(s.root, "etc/default"), filepath.Join(s.root, "modules/6.1.0-1-amd64/build/include"))
	writeFile(t, filepath.Join(s.conf, "framework.conf"), "install_tree="+filepath.Join(s.root, "modules")+"\n")
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "strict_kernel_hooks" && !strings.HasPrefix(k, "DKMS") && !strings.HasPrefix(k, "FAKE_") {
			s.env = append(s.env, kv)
		}
	}
	s.env = append(s.env, "DKMS="+fake, "DKMS_LIBDIR="+filepath.Join(dest, "usr/lib/dkms"),
		"DKMS_CONFDIR="+s.conf, "DKMS_SYSROOT="+s.root, "FAKE_LOG="+s.log, "FAKE_JSON="+s.json)
	return s
}

// failed makes the fake's status --json report foo/1.0 failed on K with a
// make.log whose last line is "error: boom".
func (s *distSandbox) failed(t *testing.T, k string) string {
	log := filepath.Join(s.root, "dkms/foo/1.0/build/make.log")
	mkdirs(t, filepath.Dir(log))
	writeFile(t, log, "DKMS make.log for foo/1.0\ncc foo.c\nerror: boom\n")
	writeFile(t, s.json, `{
  "format_version": 1,
  "modules": [
    {
      "module": "foo",
      "version": "1.0",
      "state": "added",
      "failures": [
        {
          "kernel": "`+k+`",
          "arch": "x86_64",
          "last_failure": "2026-11-25T12:00:00Z exit 10 log `+log+`"
        }
      ]
    }
  ]
}
`)
	return log
}

// run runs an installed file with extra environment; it returns the exit
// code, stderr and the fake's call log.
func (s *distSandbox) run(t *testing.T, stdin string, env []string, file string, args ...string) (int, string, string) {
	t.Helper()
	code, _, stderr, calls := s.exec(t, stdin, env, file, args...)
	return code, stderr, calls
}

// runOut is run for callers that want stdout instead of stderr.
func (s *distSandbox) runOut(t *testing.T, env []string, file string, args ...string) (int, string, string) {
	t.Helper()
	code, stdout, _, calls := s.exec(t, "", env, file, args...)
	return code, stdout, calls
}

func (s *distSandbox) exec(t *testing.T, stdin string, env []string, file string, args ...string) (int, string, string, string) {
	t.Helper()
	os.Remove(s.log)
	cmd := exec.Command(filepath.Join(s.dest, file), args...)
	cmd.Env = append(append([]string(nil), s.env...), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	calls, _ := os.ReadFile(s.log)
	return code, stdout.String(), stderr.String(), string(calls)
}

func TestDistInstall(t *testing.T) {
	dest, _ := installDist(t)
	for f, mode := range distFiles {
		st, err := os.Stat(filepath.Join(dest, f))
		if err != nil {
			t.Errorf("%s not installed: %v", f, err)
		} else if st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", f, st.Mode().Perm(), mode)
		}
	}
	for _, d := range []string{"etc/dkms/framework.conf.d", "var/lib/dkms"} {
		if st, err := os.Stat(filepath.Join(dest, d)); err != nil || !st.IsDir() {
			t.Errorf("%s: not a directory (%v)", d, err)
		}
	}
	// A second install keeps the admin's framework.conf.
	fw := filepath.Join(dest, "etc/dkms/framework.conf")
	writeFile(t, fw, "parallel_jobs=3\n")
	cmd := exec.Command("sh", filepath.Join(repoRoot(t), "scripts/install.sh"), "--destdir", dest, "--binary", filepath.Join(dest, "usr/sbin/dkms.copy"))
	os.Link(filepath.Join(dest, "usr/sbin/dkms"), filepath.Join(dest, "usr/sbin/dkms.copy"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("reinstall: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(fw); string(b) != "parallel_jobs=3\n" {
		t.Errorf("framework.conf overwritten: %q", b)
	}
}

func TestDistInstallPrefix(t *testing.T) {
	dest, _ := installDist(t, "--prefix", "/usr/local")
	b, err := os.ReadFile(filepath.Join(dest, "usr/local/lib/dkms/hook-functions"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "/usr/local/sbin/dkms") {
		t.Errorf("hook-functions does not point at /usr/local/sbin/dkms")
	}
	b, _ = os.ReadFile(filepath.Join(dest, "etc/kernel/postinst.d/dkms"))
	if !strings.Contains(string(b), "/usr/local/lib/dkms}/kernel-hook") {
		t.Errorf("postinst.d hook does not point at /usr/local/lib/dkms")
	}
	if _, err := os.Stat(filepath.Join(dest, "usr/local/sbin/dkms")); err != nil {
		t.Error(err)
	}
}

func TestDistHooks(t *testing.T) {
	const k = "6.1.0-1-amd64"
	dest, fake := installDist(t)
	for _, tc := range []struct {
		name, file string
		args       []string
		env        []string
		fail       bool   // status --json reports foo/1.0 failed
		strict     string // where strict_kernel_hooks=yes is set
		wantCalls  string // first call of the fake
		wantCode   int
		wantErr    []string // in stderr
	}{
		{name: "postinst", file: "etc/kernel/postinst.d/dkms", args: []string{k, "/boot/vmlinuz-" + k}, wantCalls: "kernel_postinst -k " + k},
		{name: "header_postinst", file: "etc/kernel/header_postinst.d/dkms", args: []string{k}, wantCalls: "kernel_postinst -k " + k},
		{name: "preinst", file: "etc/kernel/preinst.d/dkms", args: []string{k, "/boot/vmlinuz-" + k}, wantCalls: "kernel_preinst -k " + k},
		{name: "prerm", file: "etc/kernel/prerm.d/dkms", args: []string{k, "/boot/vmlinuz-" + k}, wantCalls: "kernel_prerm -k " + k},
		{name: "kernel-install add", file: "usr/lib/kernel/install.d/40-dkms.install", args: []string{"add", k, "/boot/efi/x", "/boot/vmlinuz-" + k}, wantCalls: "kernel_postinst -k " + k},
		{name: "kernel-install remove", file: "usr/lib/kernel/install.d/40-dkms.install", args: []string{"remove", k, "/boot/efi/x"}, wantCalls: "kernel_prerm -k " + k},
		{name: "kernel-install other", file: "usr/lib/kernel/install.d/40-dkms.install", args: []string{"inspect", k}},
		{name: "no headers", file: "etc/kernel/postinst.d/dkms", args: []string{"6.9.9-noheaders"},
			wantErr: []string{"6.9.9-noheaders", "headers not found", "skipped"}},
		{name: "failing module", file: "etc/kernel/postinst.d/dkms", args: []string{k}, env: []string{"FAKE_RC=11"}, fail: true,
			wantCalls: "kernel_postinst -k " + k + "\nstatus --json -k " + k,
			wantErr:   []string{"exit status 11", "module foo/1.0 FAILED for kernel " + k, "error: boom", "dkms/foo/1.0/build/make.log", "continuing"}},
		{name: "failing module strict", file: "etc/kernel/postinst.d/dkms", args: []string{k}, env: []string{"FAKE_RC=11"}, fail: true,
			strict: "framework.conf", wantCalls: "kernel_postinst -k " + k, wantCode: 11, wantErr: []string{"module foo/1.0 FAILED", "error: boom", "strict"}},
		{name: "strict from /etc/default", file: "usr/lib/kernel/install.d/40-dkms.install", args: []string{"add", k}, env: []string{"FAKE_RC=11"}, fail: true,
			strict: "default", wantCalls: "kernel_postinst -k " + k, wantCode: 11, wantErr: []string{"error: boom"}},
		{name: "strict from environment", file: "etc/kernel/postinst.d/dkms", args: []string{k}, env: []string{"FAKE_RC=11", "strict_kernel_hooks=yes"}, fail: true,
			wantCalls: "kernel_postinst -k " + k, wantCode: 11},
		{name: "failing prerm", file: "etc/kernel/prerm.d/dkms", args: []string{k}, env: []string{"FAKE_RC=14"},
			wantCalls: "kernel_prerm -k " + k, wantErr: []string{"exit status 14"}},
		{name: "failing prerm strict", file: "etc/kernel/prerm.d/dkms", args: []string{k}, env: []string{"FAKE_RC=14"}, strict: "framework.conf",
			wantCalls: "kernel_prerm -k " + k, wantCode: 14},
		{name: "autoinstaller start", file: "usr/lib/dkms/dkms_autoinstaller", args: []string{"start", k}, wantCalls: "kernel_postinst -k " + k},
		{name: "autoinstaller stop", file: "usr/lib/dkms/dkms_autoinstaller", args: []string{"stop"}},
		{name: "autoinstaller bad verb", file: "usr/lib/dkms/dkms_autoinstaller", args: []string{"frobnicate"}, wantCode: 2},
		{name: "dkms missing", file: "etc/kernel/postinst.d/dkms", args: []string{k}, env: []string{"DKMS=/nonexistent/dkms"}},
		{name: "hook lib missing", file: "etc/kernel/prerm.d/dkms", args: []string{k}, env: []string{"DKMS_LIBDIR=/nonexistent"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newDistSandbox(t, dest, fake)
			if tc.fail {
				s.failed(t, k)
			}
			switch tc.strict {
			case "framework.conf":
				writeFile(t, filepath.Join(s.conf, "framework.conf.d/50-strict.conf"), "strict_kernel_hooks=\"yes\" # fail hooks\n")
			case "default":
				writeFile(t, filepath.Join(s.root, "etc/default/dkms"), "export strict_kernel_hooks=yes\n")
			}
			code, stderr, calls := s.run(t, "", tc.env, tc.file, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, tc.wantCode, stderr)
			}
			if !strings.HasPrefix(calls, tc.wantCalls) || (tc.wantCalls == "") != (calls == "") {
				t.Errorf("dkms calls:\n%s\nwant them to start with:\n%s", calls, tc.wantCalls)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestDistService runs dkms.service's ExecStart: autoinstall for the
// running kernel, strict so that a failed module fails the unit.
func TestDistService(t *testing.T) {
	dest, fake := installDist(t)
	s := newDistSandbox(t, dest, fake)
	unit, err := os.ReadFile(filepath.Join(s.dest, "usr/lib/systemd/system/dkms.service"))
	if err != nil {
		t.Fatal(err)
	}
	var argv []string
	for _, l := range strings.Split(string(unit), "\n") {
		if v, ok := strings.CutPrefix(l, "ExecStart="); ok {
			argv = strings.Fields(strings.ReplaceAll(v, "%v", "6.1.0-1-amd64"))
		}
	}
	if len(argv) == 0 || argv[0] != "/usr/lib/dkms/kernel-hook" {
		t.Fatalf("ExecStart = %q", argv)
	}
	file := strings.TrimPrefix(argv[0], "/")
	if code, _, calls := s.run(t, "", nil, file, argv[1:]...); code != 0 || calls != "kernel_postinst -k 6.1.0-1-amd64\n" {
		t.Errorf("service: exit %d, calls %q", code, calls)
	}
	s.failed(t, "6.1.0-1-amd64")
	if code, stderr, _ := s.run(t, "", []string{"FAKE_RC=11"}, file, argv[1:]...); code != 11 || !strings.Contains(stderr, "error: boom") {
		t.Errorf("service with a failing module: exit %d, want 11; stderr:\n%s", code, stderr)
	}
}

// TestDistAlpmHook feeds pacman targets to the helper of the pacman hooks.
func TestDistAlpmHook(t *testing.T) {
	dest, fake := installDist(t)
	s := newDistSandbox(t, dest, fake)
	mods := filepath.Join(s.root, "usr/lib/modules")
	mkdirs(t, filepath.Join(mods, "6.9.1-arch1-1/build/include"), filepath.Join(mods, "6.8.0-arch1-1/build/include"),
		filepath.Join(s.root, "usr/src/foo-1.0"))
	writeFile(t, filepath.Join(s.conf, "framework.conf"), "install_tree="+mods+"\n")
	conf := filepath.Join(s.root, "usr/src/foo-1.0/dkms.conf")
	writeFile(t, conf, "PACKAGE_NAME=foo\nPACKAGE_VERSION=1.0\n")
	hook := "usr/lib/dkms/alpm-hook"

	// A new kernel (with its headers) only: autoinstall for it.
	code, _, calls := s.run(t, "usr/lib/modules/6.9.1-arch1-1/vmlinuz\nusr/lib/modules/6.9.1-arch1-1/build/include/\n", nil, hook, "install")
	if want := "kernel_postinst -k 6.9.1-arch1-1\n"; code != 0 || calls != want {
		t.Errorf("install kernel: exit %d, calls:\n%s\nwant:\n%s", code, calls, want)
	}
	// A new module source: added, then built for every kernel with headers.
	code, _, calls = s.run(t, "usr/src/foo-1.0/dkms.conf\n", nil, hook, "install")
	want := "conf " + conf + "\nstatus -m foo -v 1.0\nadd " + filepath.Dir(conf) + "\n" +
		"kernel_postinst -k 6.8.0-arch1-1\nkernel_postinst -k 6.9.1-arch1-1\n"
	if code != 0 || calls != want {
		t.Errorf("install module: exit %d, calls:\n%s\nwant:\n%s", code, calls, want)
	}
	// Removing a kernel and an added module.
	code, _, calls = s.run(t, "usr/lib/modules/6.8.0-arch1-1/vmlinuz\nusr/src/foo-1.0/dkms.conf\n", []string{"FAKE_ADDED=foo/1.0"}, hook, "remove")
	want = "kernel_prerm -k 6.8.0-arch1-1\nconf " + conf + "\nstatus -m foo -v 1.0\nremove foo/1.0 --all\n"
	if code != 0 || calls != want {
		t.Errorf("remove: exit %d, calls:\n%s\nwant:\n%s", code, calls, want)
	}
	// A kernel without headers is reported as skipped.
	code, stderr, calls := s.run(t, "usr/lib/modules/6.10.0-arch1-1/vmlinuz\n", nil, hook, "install")
	if code != 0 || calls != "" || !strings.Contains(stderr, "skipped") {
		t.Errorf("kernel without headers: exit %d, calls %q, stderr:\n%s", code, calls, stderr)
	}
	// The hooks run the helper with the right argument.
	for f, arg := range map[string]string{"70-dkms-install.hook": "install", "71-dkms-remove.hook": "remove"} {
		b, _ := os.ReadFile(filepath.Join(s.dest, "usr/share/libalpm/hooks", f))
		if !strings.Contains(string(b), "Exec = /usr/lib/dkms/alpm-hook "+arg+"\n") || !strings.Contains(string(b), "NeedsTargets") {
			t.Errorf("%s does not run alpm-hook %s with targets:\n%s", f, arg, b)
		}
	}
}

// TestDistCommonPostinst runs the helper of Debian module packages
// with the 3.4.3 interface: load, AUTOINSTALL check, then per kernel the
// status, a build where not built yet, an install where built; failed
// builds are summed up and the last one's status is the exit status.
func TestDistCommonPostinst(t *testing.T) {
	const k1, k2 = "6.1.0-1-amd64", "6.12.0-1-amd64"
	dest, fake := installDist(t)
	file := "usr/lib/dkms/common.postinst"
	for _, tc := range []struct {
		name      string
		args      []string
		env       []string
		conf      string // framework.conf lines added
		binOnly   bool   // the added source is only a dkms.conf
		added     bool   // an earlier foo/1.0 is in the dkms tree (and is removed first)
		tarball   bool   // TARBALL_ROOT holds foo-1.0.dkms.tar.gz
		noauto    bool   // /etc/dkms/no-autoinstall exists
		wantCode  int
		wantCalls string   // "" for none; {T} is the tarball, {S} the status call of K, {B} the build, {I} the install
		wantOut   []string // in stdout
	}{
		{name: "usage", args: []string{"foo"}, wantCode: 1, wantOut: []string{"Need NAME and VERSION defined\nARCH is optional\n"}},
		{name: "no AUTOINSTALL", args: []string{"foo", "1.0"}, wantCalls: "add -m foo -v 1.0\nconf foo/1.0\n",
			wantOut: []string{"Loading new foo/1.0 DKMS files...\n", "Not building the foo module which does not have AUTOINSTALL enabled.\n"}},
		{name: "prebuilt from the tarball", args: []string{"foo", "1.0", "{R}", "x86_64"}, tarball: true,
			env:       []string{"FAKE_AUTOINSTALL=yes", "FAKE_STATUS=foo/1.0, " + k1 + ", x86_64: built"},
			wantCalls: "ldtarball --archive {T}\nconf foo/1.0\n{S1}{S1}{I1}{S2}{S2}{I2}",
			wantOut:   []string{"belongs to a chroot's host\n", "Building for " + k1 + " and " + k2 + "\nBuilding for architecture x86_64\n"}},
		{name: "failed builds go on", args: []string{"foo", "1.0", "", "x86_64"}, env: []string{"FAKE_AUTOINSTALL=yes", "FAKE_RC=10", "FAKE_FAIL=build"},
			added: true, wantCode: 10, wantCalls: "remove -m foo -v 1.0 --all\nadd -m foo -v 1.0\nconf foo/1.0\n{S1}{B1}status --json -k " + k1 + "\n{S2}{B2}status --json -k " + k2 + "\n",
			wantOut: []string{"Building initial module foo/1.0 for " + k1 + "\n", "Builds for the following kernel(s) failed: " + k1 + " " + k2 + "\n"}},
		{name: "failed build stops", args: []string{"foo", "1.0", "", "x86_64"}, env: []string{"FAKE_AUTOINSTALL=yes", "FAKE_RC=10", "FAKE_FAIL=build"},
			conf: "continue_on_error=false\n", added: true, wantCode: 10, wantCalls: "remove -m foo -v 1.0 --all\nadd -m foo -v 1.0\nconf foo/1.0\n{S1}{B1}status --json -k " + k1 + "\n"},
		{name: "binaries only", args: []string{"foo", "1.0", "", "x86_64"}, env: []string{"FAKE_AUTOINSTALL=yes"}, binOnly: true, added: true,
			wantCalls: "remove -m foo -v 1.0 --all\nadd -m foo -v 1.0\nconf foo/1.0\n{S1}{S2}",
			wantOut:   []string{"This package appears to be a binaries-only package\n you will not be able to build against kernel " + k1 + "\n"}},
		{name: "no-autoinstall", args: []string{"foo", "1.0"}, noauto: true, wantOut: []string{"autoinstall for dkms modules has been disabled.\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newDistSandbox(t, dest, fake)
			src, dt, root := filepath.Join(s.root, "src"), filepath.Join(s.root, "dkms"), filepath.Join(s.root, "share")
			mkdirs(t, filepath.Join(s.root, "modules", k2, "build/include"))
			writeFile(t, filepath.Join(src, "foo-1.0/dkms.conf"), "PACKAGE_NAME=foo\n")
			if !tc.binOnly {
				writeFile(t, filepath.Join(src, "foo-1.0/foo.c"), "")
			}
			// The module as dkms would have it after the add: its source link.
			mkdirs(t, filepath.Join(dt, "foo/1.0"))
			os.Symlink(filepath.Join(src, "foo-1.0"), filepath.Join(dt, "foo/1.0/source"))
			tree := filepath.Join(s.root, "empty-dkms")
			if tc.added {
				tree = dt
			}
			writeFile(t, filepath.Join(s.conf, "framework.conf"), "install_tree="+filepath.Join(s.root, "modules")+
				"\nsource_tree="+src+"\ndkms_tree="+tree+"\n"+tc.conf)
			if tc.tarball {
				writeFile(t, filepath.Join(root, "foo-1.0.dkms.tar.gz"), "")
			}
			if tc.noauto {
				writeFile(t, filepath.Join(s.conf, "no-autoinstall"), "")
			}
			args := append([]string(nil), tc.args...)
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "{R}", root)
			}
			code, stdout, calls := s.runOut(t, tc.env, file, args...)
			want := strings.NewReplacer("{T}", filepath.Join(root, "foo-1.0.dkms.tar.gz"),
				"{S1}", "status -m foo -v 1.0 -k "+k1+" -a x86_64\n", "{S2}", "status -m foo -v 1.0 -k "+k2+" -a x86_64\n",
				"{B1}", "build -m foo -v 1.0 -k "+k1+" -a x86_64\n", "{B2}", "build -m foo -v 1.0 -k "+k2+" -a x86_64\n",
				"{I1}", "install -m foo -v 1.0 -k "+k1+" -a x86_64\n", "{I2}", "install -m foo -v 1.0 -k "+k2+" -a x86_64\n").Replace(tc.wantCalls)
			if code != tc.wantCode || calls != want {
				t.Errorf("exit %d (want %d), calls:\n%s\nwant:\n%s\nstdout:\n%s", code, tc.wantCode, calls, want, stdout)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}

// TestDistCompletion asks the bash completion for actions and options.
func TestDistCompletion(t *testing.T) {
	testenv.LookPath(t, "bash")
	dest, _ := installDist(t)
	script := `. "$1"
comp() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _dkms; echo "${COMPREPLY[*]}"; }
comp dkms kernel_po
comp dkms status --js
comp dkms doctor --fi
comp dkms build --kernelv
comp dkms c
`
	out, err := exec.Command("bash", "-c", script, "bash", filepath.Join(dest, "usr/share/bash-completion/completions/dkms")).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "kernel_postinst\n--json\n--fix\n--kernelver\nconf\n"
	if string(out) != want {
		t.Errorf("completions:\n%s\nwant:\n%s", out, want)
	}
}

// TestDistDocumentsEverything keeps the shipped framework.conf, the man
// page and the completion in step with the code: every framework variable,
// action and option appears in them.
func TestDistDocumentsEverything(t *testing.T) {
	top := repoRoot(t)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(top, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	fw, man, comp, zsh := read("dist/framework.conf"), read("docs/dkms.8"), read("dist/bash-completion/dkms"), read("dist/zsh-completion/_dkms")
	roff := strings.NewReplacer(`\-`, "-", `\fB`, "", `\fR`, "", `\fI`, "")
	man = roff.Replace(man)
	for _, v := range append(append([]string(nil), conf.FrameworkVariables...), conf.OurFrameworkVariables...) {
		if !strings.Contains(fw, "\n# "+v+"=") {
			t.Errorf("dist/framework.conf lacks a commented-out %s=", v)
		}
		if !strings.Contains(man, v) {
			t.Errorf("docs/dkms.8 does not document %s", v)
		}
	}
	for a := range actions {
		if !strings.Contains(comp, a) {
			t.Errorf("completion lacks action %s", a)
		}
		if !strings.Contains(zsh, "'"+a+":") {
			t.Errorf("zsh completion lacks action %s", a)
		}
		if !strings.Contains(man, a) {
			t.Errorf("docs/dkms.8 does not document action %s", a)
		}
	}
	// Options accepted only to be reported as deprecated are not offered.
	deprecated := map[string]bool{"--no-initrd": true, "--no-clean-kernel": true, "--no-prepare-kernel": true}
	for _, o := range optionTable {
		for _, name := range []string{o.short, o.long} {
			if name == "" {
				continue
			}
			word := regexp.MustCompile(`[\s"|(]` + regexp.QuoteMeta(name) + `[\s"|)]`)
			if !word.MatchString(comp) && !deprecated[name] {
				t.Errorf("completion lacks option %s", name)
			}
			zword := regexp.MustCompile(`['{,)*]` + regexp.QuoteMeta(name) + `[\[+=,}]`)
			if !zword.MatchString(zsh) && !deprecated[name] {
				t.Errorf("zsh completion lacks option %s", name)
			}
			if !strings.Contains(man, name) {
				t.Errorf("docs/dkms.8 does not document option %s", name)
			}
		}
	}
}

// TestDistShellcheck lints every shell file of dist/ and install.sh.
func TestDistShellcheck(t *testing.T) {
	testenv.LookPath(t, "shellcheck")
	top := repoRoot(t)
	files := []string{"dist/kernel-hook", "dist/hook-functions", "dist/debian/common.postinst", "dist/debian/dkms_autoinstaller", "dist/debian/postinst", "dist/debian/preinst", "dist/debian/prerm",
		"dist/systemd/40-dkms.install", "dist/arch/alpm-hook", "dist/bash-completion/dkms", "scripts/install.sh",
		"dist/package/postinst", "dist/package/postrm", "scripts/package.sh", "test/e2e-package.sh"}
	cmd := exec.Command("shellcheck", append([]string{"-x"}, files...)...)
	cmd.Dir = top
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// TestDistZshCompletion checks that the zsh completion parses.
func TestDistZshCompletion(t *testing.T) {
	zsh := testenv.LookPath(t, "zsh")
	if out, err := exec.Command(zsh, "-n", filepath.Join(repoRoot(t), "dist/zsh-completion/_dkms")).CombinedOutput(); err != nil {
		t.Errorf("zsh -n: %v\n%s", err, out)
	}
}

// TestDistManPage checks that docs/dkms.8 renders without groff warnings.
func TestDistManPage(t *testing.T) {
	testenv.LookPath(t, "groff")
	out, err := exec.Command("groff", "-man", "-ww", "-z", filepath.Join(repoRoot(t), "docs/dkms.8")).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("groff: %v\n%s", err, out)
	}
}

// TestDistScripts runs testdata/dist/*.txtar: the hooks from dist/ with the
// real dkms in the CLI sandbox of TestScripts.
func TestDistScripts(t *testing.T) {
	dist := filepath.Join(repoRoot(t), "dist")
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/dist",
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("DIST", dist)
			env.Setenv("DKMS", "dkms")
			env.Setenv("DKMS_LIBDIR", dist)
			return setupSandbox(env)
		},
		Cmds:      scriptCmds,
		Condition: condition,
	})
}

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	mkdirs(t, filepath.Dir(name))
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
