package kbuild

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/tree"
)

// newBuildTree makes an added foo/1.0 whose source holds files, and a
// Builder on it.
func newBuildTree(t *testing.T, files map[string]string) (*Builder, *bytes.Buffer, *[]string) {
	t.Helper()
	root := t.TempDir()
	l := tree.Layout{DKMS: filepath.Join(root, "dkms"), Source: filepath.Join(root, "src"), Install: filepath.Join(root, "modules")}
	src := l.SourceDir("foo", "1.0")
	for name, data := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(l.Version("foo", "1.0"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(src, l.SourceLink("foo", "1.0")); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var warned []string
	b := &Builder{
		Layout: l,
		Inv:    &Invoker{Runner: &run.Runner{}, Out: &out},
		Now:    func() time.Time { return time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC) },
		Warn:   func(l ...string) { warned = append(warned, l...) },
	}
	return b, &out, &warned
}

func baseJob() Job {
	return Job{
		Module: "foo", Version: "1.0", Kernel: "6.1.0-13-amd64", Arch: "x86_64", Release: "3.2.0",
		MakeCmd: "cp foo.c foo.ko && mkdir -p sub && echo bar > sub/bar.ko",
		Modules: []Module{{BuiltName: "foo", DestName: "foo"}, {BuiltName: "bar", BuiltLocation: "sub/", DestName: "bar2"}},
	}
}

func TestBuild(t *testing.T) {
	b, out, warned := newBuildTree(t, map[string]string{"foo.c": "module\n", "patches/fix.patch": fixPatch, "Module.symvers": "syms"})
	job := baseJob()
	job.Patches = []string{"fix.patch"}
	job.Extra = map[string][]byte{"record.json": []byte("{}")}
	var signed []string
	job.Sign = func(_ context.Context, p string) error {
		signed = append(signed, filepath.Base(p))
		if filepath.Base(p) == "bar.ko" {
			return errors.New("no key")
		}
		return nil
	}
	if err := b.Build(t.Context(), job); err != nil {
		t.Fatalf("Build: %v\n%s", err, out)
	}
	l := b.Layout
	built := l.Built("foo", "1.0", job.Kernel, job.Arch)
	for name, want := range map[string]string{
		"module/foo.ko":         "patched module\n",
		"module/bar2.ko":        "bar\n",
		"module/Module.symvers": "syms",
		"record.json":           "{}",
	} {
		if b, err := os.ReadFile(filepath.Join(built, name)); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", name, b, err, want)
		}
	}
	if !l.IsBuilt("foo", "1.0", job.Kernel, job.Arch) {
		t.Error("not built")
	}
	if _, err := os.Stat(l.BuildDir("foo", "1.0")); !os.IsNotExist(err) {
		t.Errorf("build directory kept: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(l.Version("foo", "1.0"), job.Kernel, ".tmp_*"))
	if len(leftovers) != 0 {
		t.Errorf("staging left: %q", leftovers)
	}
	log, err := os.ReadFile(filepath.Join(built, "log", "make.log"))
	if err != nil {
		t.Fatal(err)
	}
	head := "DKMS (3.2.0) make.log for foo/1.0 for kernel 6.1.0-13-amd64 (x86_64)\nTue Mar  5 07:08:09 UTC 2024\n\nApplying patch fix.patch\n# command: patch -p1 < ./patches/fix.patch\n"
	if !strings.HasPrefix(string(log), head) {
		t.Errorf("make.log starts\n%q\nwant\n%q", log, head)
	}
	if !strings.Contains(string(log), "\nBuilding module(s)\n# command: "+job.MakeCmd+"\n") {
		t.Errorf("make.log has no make block:\n%s", log)
	}
	if want := "Applying patch fix.patch... done.\nBuilding module(s)... done.\nSigning module "; !strings.HasPrefix(out.String(), want) {
		t.Errorf("output %q, want prefix %q", out.String(), want)
	}
	if strings.Join(signed, " ") != "foo.ko bar.ko" {
		t.Errorf("signed %q", signed)
	}
	if len(*warned) != 2 || !strings.HasPrefix((*warned)[0], "Failed to sign module '") || (*warned)[1] != "no key" {
		t.Errorf("warnings %q", *warned)
	}
}

func TestBuildCompressed(t *testing.T) {
	b, out, _ := newBuildTree(t, map[string]string{"foo.c": "module"})
	job := baseJob()
	job.CompressExt = ".gz"
	if err := b.Build(t.Context(), job); err != nil {
		t.Fatalf("Build: %v\n%s", err, out)
	}
	dir := b.Layout.BuiltModules("foo", "1.0", job.Kernel, job.Arch)
	for _, name := range []string{"foo.ko.gz", "bar2.ko.gz"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
			t.Errorf("%s is not gzip: %v", name, err)
		}
	}
}

func TestBuildFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Job)
		check func(t *testing.T, err error)
	}{
		{"make fails", func(j *Job) { j.MakeCmd = "echo broken; exit 2" }, func(t *testing.T, err error) {
			var me *MakeError
			if !errors.As(err, &me) || run.ExitCode(err) != 2 || me.Kernel != "6.1.0-13-amd64" {
				t.Errorf("err = %v, want a MakeError with status 2", err)
			}
		}},
		{"module missing", func(j *Job) { j.MakeCmd = "true" }, func(t *testing.T, err error) {
			var be *BuiltMissingError
			if !errors.As(err, &be) || be.Path != "foo.ko" {
				t.Errorf("err = %v, want BuiltMissingError for foo.ko", err)
			}
		}},
		{"second module missing", func(j *Job) { j.MakeCmd = "cp foo.c foo.ko" }, func(t *testing.T, err error) {
			var be *BuiltMissingError
			if !errors.As(err, &be) || be.Path != "sub/bar.ko" {
				t.Errorf("err = %v, want BuiltMissingError for sub/bar.ko", err)
			}
		}},
		{"post_build fails", func(j *Job) { j.PostBuild = "post.sh" }, func(t *testing.T, err error) {
			var se *ScriptError
			if !errors.As(err, &se) || se.Code != 5 || se.Type != "post_build" {
				t.Errorf("err = %v, want a post_build ScriptError 5", err)
			}
		}},
		{"patch missing", func(j *Job) { j.Patches = []string{"none.patch"} }, func(t *testing.T, err error) {
			var pe *PatchError
			if !errors.As(err, &pe) || pe.Kind != PatchMissing {
				t.Errorf("err = %v, want PatchMissing", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _, _ := newBuildTree(t, map[string]string{"foo.c": "module"})
			writeScript(t, filepath.Join(b.Layout.Source, "foo-1.0", "post.sh"), "exit 5\n", 0o755)
			job := baseJob()
			tc.edit(&job)
			err := b.Build(t.Context(), job)
			tc.check(t, err)
			l := b.Layout
			// POST_BUILD runs after the commit, as in the reference, so
			// only failures before it must leave no build behind.
			if _, err := os.Lstat(l.Built("foo", "1.0", job.Kernel, job.Arch)); job.PostBuild == "" && !os.IsNotExist(err) {
				t.Errorf("a failed build left DT/m/v/K/A: %v", err)
			}
			if _, err := os.Stat(filepath.Join(l.BuildDir("foo", "1.0"), "make.log")); err != nil {
				t.Errorf("make.log not kept for troubleshooting: %v", err)
			}
		})
	}
}

func TestBuildUnresolvedSource(t *testing.T) {
	b, _, _ := newBuildTree(t, nil)
	os.RemoveAll(b.Layout.SourceDir("foo", "1.0"))
	if err := b.Build(t.Context(), baseJob()); err == nil || !strings.Contains(err.Error(), "resolving module source") {
		t.Errorf("err = %v", err)
	}
}
