package kbuild

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/run"
)

func writeScript(t *testing.T, path, body string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func TestRunScript(t *testing.T) {
	for _, tc := range []struct {
		name   string
		value  string
		perm   os.FileMode
		body   string
		status int
		out    string // with D for the directory
		errw   string
		warn   []string
	}{
		{name: "empty value", value: "", status: 0},
		{name: "success", value: "post.sh", perm: 0o755, body: "echo ran\n",
			out: "Running the post_add script:\nran\n"},
		{name: "arguments split on blanks", value: "post.sh  a\t'b c'", perm: 0o755, body: `printf '[%s]' "$@"; echo` + "\n",
			out: "Running the post_add script:\n[a]['b][c']\n"},
		{name: "environment and directory", value: "post.sh", perm: 0o755, body: `echo "$PWD $(pwd) $EXTRA"` + "\n",
			out: "Running the post_add script:\nD D extra\n"},
		{name: "stderr apart", value: "post.sh", perm: 0o755, body: "echo e >&2\n",
			out: "Running the post_add script:\n", errw: "e\n"},
		{name: "exit status", value: "post.sh", perm: 0o755, body: "exit 4\n", status: 4,
			out: "Running the post_add script:\n"},
		{name: "not executable", value: "post.sh", perm: 0o644, body: "exit 4\n", status: 0,
			out: "\n", warn: []string{"The post_add script is not executable."}},
		{name: "missing", value: "none.sh", status: 0,
			out: "\n", warn: []string{"The post_add script is not executable."}},
		{name: "cannot start", value: "post.sh", perm: 0o755, body: "", status: 1,
			out: "Running the post_add script:\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.perm != 0 {
				writeScript(t, filepath.Join(dir, "post.sh"), tc.body, tc.perm)
				if tc.name == "cannot start" { // an interpreter that does not exist
					os.WriteFile(filepath.Join(dir, "post.sh"), []byte("#!/nonexistent/sh\n"), 0o755)
				}
			}
			var out, errw bytes.Buffer
			var warned []string
			warn := func(l ...string) { warned = append(warned, l...) }
			got := RunScript(t.Context(), &run.Runner{}, &out, &errw, warn, "post_add", tc.value, dir, "", "EXTRA=extra")
			if got != tc.status {
				t.Errorf("status %d, want %d", got, tc.status)
			}
			if want := strings.ReplaceAll(tc.out, "D", dir); out.String() != want {
				t.Errorf("out %q, want %q", out.String(), want)
			}
			if errw.String() != tc.errw {
				t.Errorf("errw %q, want %q", errw.String(), tc.errw)
			}
			if !reflect.DeepEqual(warned, tc.warn) {
				t.Errorf("warnings %q, want %q", warned, tc.warn)
			}
		})
	}
}

// TestBuilderScript covers PRE_BUILD/POST_BUILD: the reference's command
// line `cd <dir>/ && <dir>/<value>` with its output in make.log.
func TestBuilderScript(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string
		perm  os.FileMode
		body  string
		code  int // ScriptError code, 0 for none
		out   string
		warn  []string
		log   string // expected in make.log
	}{
		{name: "empty", value: ""},
		{name: "success with shell arguments", value: "pre.sh 'a b' c", perm: 0o755, body: `echo "$# $1"` + "\n",
			out: "Running the pre_build script... done.\n", log: "# command: cd D/ && D/pre.sh 'a b' c\n2 a b\n\n# exit code: 0\n"},
		{name: "failure", value: "pre.sh", perm: 0o755, body: "exit 9\n", code: 9,
			out: "Running the pre_build script...(bad exit status: 9)\nFailed command:\ncd D/ && D/pre.sh\nConsult D/make.log for more information.\n",
			log: "# exit code: 9\n"},
		{name: "not executable", value: "pre.sh", perm: 0o644, body: "exit 9\n",
			out: "\n", warn: []string{"The pre_build script is not executable."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.perm != 0 {
				writeScript(t, filepath.Join(dir, "pre.sh"), tc.body, tc.perm)
			}
			log := filepath.Join(dir, "make.log")
			var out bytes.Buffer
			var warned []string
			b := &Builder{Inv: &Invoker{Runner: &run.Runner{}, Out: &out}, Warn: func(l ...string) { warned = append(warned, l...) }}
			err := b.script(t.Context(), "pre_build", tc.value, dir, "", log)
			var se *ScriptError
			switch {
			case tc.code == 0 && err != nil:
				t.Fatalf("err = %v", err)
			case tc.code != 0 && (!errors.As(err, &se) || se.Code != tc.code || se.Type != "pre_build" || se.Log != log):
				t.Fatalf("err = %#v, want ScriptError code %d", err, tc.code)
			}
			if want := strings.ReplaceAll(tc.out, "D", dir); out.String() != want {
				t.Errorf("out %q, want %q", out.String(), want)
			}
			if !reflect.DeepEqual(warned, tc.warn) {
				t.Errorf("warnings %q, want %q", warned, tc.warn)
			}
			logText, _ := os.ReadFile(log)
			if want := strings.ReplaceAll(tc.log, "D", dir); !strings.Contains(string(logText), want) {
				t.Errorf("make.log %q does not contain %q", logText, want)
			}
		})
	}
}

func TestExecutable(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, filepath.Join(dir, "x"), "", 0o755)
	writeScript(t, filepath.Join(dir, "owner"), "", 0o744)
	writeScript(t, filepath.Join(dir, "other"), "", 0o601)
	writeScript(t, filepath.Join(dir, "plain"), "", 0o644)
	if err := os.Symlink("x", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"x": true, "owner": true, "other": true, "plain": false, "link": true, ".": false, "missing": false} {
		if got := executable(filepath.Join(dir, name)); got != want {
			t.Errorf("executable(%s) = %v, want %v", name, got, want)
		}
	}
}

// TestScriptDir checks the choice of /etc/dkms/<module> over the
// module's own directory (dkms 3.4): by the value's first word, with the
// shell's -x test, which a directory passes too.
func TestScriptDir(t *testing.T) {
	over := t.TempDir()
	os.WriteFile(filepath.Join(over, "exec.sh"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(over, "plain.sh"), []byte("#!/bin/sh\n"), 0o644)
	os.Mkdir(filepath.Join(over, "dir"), 0o755)
	for _, tc := range []struct {
		value, overrides, want string
	}{
		{"exec.sh", over, over},
		{"exec.sh pre_install --x", over, over},
		{"plain.sh", over, "/src"},
		{"missing.sh", over, "/src"},
		{"dir", over, over},
		{"exec.sh", "", "/src"},
		{"exec.sh", filepath.Join(over, "none"), "/src"},
	} {
		if got := ScriptDir(tc.value, "/src", tc.overrides); got != tc.want {
			t.Errorf("ScriptDir(%q, %q) = %q, want %q", tc.value, tc.overrides, got, tc.want)
		}
	}
}
