package doctor

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/tree"
)

const (
	k = "6.1.0-test"
	a = "x86_64"
)

// sandbox is a set of trees under t.TempDir, made the way the reference
// dkms lays them out.
type sandbox struct {
	t *testing.T
	l tree.Layout
}

func newSandbox(t *testing.T) *sandbox {
	root := t.TempDir()
	s := &sandbox{t, tree.Layout{DKMS: root + "/dkms", Source: root + "/src", Install: root + "/modules"}}
	for _, d := range []string{s.l.DKMS, s.l.Source, s.l.KernelDir(k)} {
		s.mkdir(d)
	}
	return s
}

func (s *sandbox) mkdir(dir string) {
	s.t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.t.Fatal(err)
	}
}

func (s *sandbox) write(path, content string) string {
	s.t.Helper()
	s.mkdir(filepath.Dir(path))
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		s.t.Fatal(err)
	}
	return path
}

func (s *sandbox) link(target, path string) {
	s.t.Helper()
	s.mkdir(filepath.Dir(path))
	if err := os.Symlink(target, path); err != nil {
		s.t.Fatal(err)
	}
}

// added makes ST/m-v and the absolute source link, as the reference's add.
func (s *sandbox) added(m, v string) {
	s.write(filepath.Join(s.l.SourceDir(m, v), "dkms.conf"), "PACKAGE_NAME="+m+"\n")
	s.mkdir(s.l.BuildDir(m, v))
	s.link(s.l.SourceDir(m, v), s.l.SourceLink(m, v))
}

// built adds m/v and puts a module file in its build for K/A.
func (s *sandbox) built(m, v, content string) string {
	s.added(m, v)
	s.mkdir(filepath.Join(s.l.Built(m, v, k, a), "log"))
	return s.write(filepath.Join(s.l.BuiltModules(m, v, k, a), m+".ko"), content)
}

// refInstalled installs m/v the reference's way: a copy in updates/dkms
// and the relative kernel link, no manifest.
func (s *sandbox) refInstalled(m, v, content string) string {
	s.built(m, v, content)
	dst := s.write(filepath.Join(s.l.KernelDir(k), "updates/dkms", m+".ko"), content)
	s.link(filepath.Join(v, k, a), s.l.KernelLink(m, k, a))
	return dst
}

// ourInstall is refInstalled plus the manifest our install writes.
func (s *sandbox) ourInstall(m, v, content string) string {
	dst := s.refInstalled(m, v, content)
	sum, _ := fileutil.HashFile(dst)
	man := &tree.Manifest{Module: m, Version: v, Kernel: k, Arch: a,
		Files: []tree.File{{Path: dst, SHA256: sum, Source: filepath.Join(s.l.BuiltModules(m, v, k, a), m+".ko")}}}
	s.write(s.l.Manifest(m, k, a), string(man.Encode()))
	return dst
}

const makeLog = "DKMS (dkms-3.2.2) make.log for hello/1.0 for kernel 6.1.0-test (x86_64)\n# command: make\n"

// want is a finding's kind and whether it needs a person.
type want struct {
	kind   Kind
	person bool
}

func kinds(fs []Finding) []want {
	var out []want
	for _, f := range fs {
		out = append(out, want{f.Kind, f.NeedsPerson})
	}
	return out
}

func TestDoctor(t *testing.T) {
	tests := []struct {
		name  string
		setup func(s *sandbox)
		want  []want // what Check finds
		after []want // what Check finds after Fix
		check func(t *testing.T, s *sandbox)
	}{
		{name: "clean reference-added", setup: func(s *sandbox) { s.added("hello", "1.0") }},
		{name: "clean our install", setup: func(s *sandbox) { s.ourInstall("hello", "1.0", "mod") }},
		{
			name: "dangling source, source tree present",
			setup: func(s *sandbox) {
				s.built("hello", "1.0", "mod")
				os.Remove(s.l.SourceLink("hello", "1.0"))
				s.link("/nonexistent/hello-1.0", s.l.SourceLink("hello", "1.0"))
			},
			want: []want{{SourceDangling, false}},
			check: func(t *testing.T, s *sandbox) {
				if !s.l.IsAdded("hello", "1.0") {
					t.Error("not added after fix")
				}
			},
		},
		{
			name: "dangling source, source tree gone",
			setup: func(s *sandbox) {
				s.built("hello", "1.0", "mod")
				os.RemoveAll(s.l.SourceDir("hello", "1.0"))
			},
			want:  []want{{SourceDangling, true}},
			after: []want{{SourceDangling, true}},
		},
		{
			name:  "reference add killed before the link",
			setup: func(s *sandbox) { s.added("hello", "1.0"); os.Remove(s.l.SourceLink("hello", "1.0")) },
			want:  []want{{SourceNotLink, false}},
		},
		{
			name: "source is a real directory",
			setup: func(s *sandbox) {
				s.added("hello", "1.0")
				os.Remove(s.l.SourceLink("hello", "1.0"))
				s.write(filepath.Join(s.l.SourceLink("hello", "1.0"), "dkms.conf"), "")
			},
			want:  []want{{SourceNotLink, true}},
			after: []want{{SourceNotLink, true}},
		},
		{
			name: "binaries-only directory without source tree is fine",
			setup: func(s *sandbox) {
				s.write(filepath.Join(s.l.SourceLink("hello", "1.0"), "dkms.conf"), "")
			},
		},
		{
			name:  "half-made add, empty",
			setup: func(s *sandbox) { s.mkdir(s.l.BuildDir("ghost", "1.0")) },
			want:  []want{{NoSource, false}},
			check: func(t *testing.T, s *sandbox) {
				if fileutil.Exists(s.l.Module("ghost")) {
					t.Error("half-made add still there")
				}
			},
		},
		{
			name:  "half-made add with content",
			setup: func(s *sandbox) { s.write(filepath.Join(s.l.BuildDir("ghost", "1.0"), "x.c"), "") },
			want:  []want{{NoSource, true}},
			after: []want{{NoSource, true}},
		},
		{
			name: "failed build",
			setup: func(s *sandbox) {
				s.added("hello", "1.0")
				s.write(filepath.Join(s.l.BuildDir("hello", "1.0"), "make.log"), makeLog+"# exit code: 2\n")
			},
			want:  []want{{FailedBuild, true}},
			after: []want{{FailedBuild, true}},
		},
		{
			name: "interrupted build",
			setup: func(s *sandbox) {
				s.added("hello", "1.0")
				s.write(filepath.Join(s.l.BuildDir("hello", "1.0"), "hello.c"), "")
				s.write(filepath.Join(s.l.BuildDir("hello", "1.0"), "make.log"), makeLog+"# exit code: 0\n\n# command: make\n")
			},
			want: []want{{InterruptedBuild, false}},
			check: func(t *testing.T, s *sandbox) {
				if fileutil.Exists(s.l.BuildDir("hello", "1.0")) || !s.l.IsAdded("hello", "1.0") {
					t.Error("build directory still there, or module no longer added")
				}
			},
		},
		{
			name: "temporaries",
			setup: func(s *sandbox) {
				s.ourInstall("hello", "1.0", "mod")
				s.mkdir(filepath.Join(s.l.Version("hello", "1.0"), k, ".tmp_x86_64_abc/module"))
				s.mkdir(filepath.Join(s.l.Module("hello"), ".dkms-tmp-add-2.0/build"))
				s.write(filepath.Join(s.l.KernelDir(k), "updates/dkms/.dkms-tmp-hello.ko"), "half")
				s.mkdir(filepath.Join(s.l.BuildDir("hello", "1.0"), ".tmp_versions"))
			},
			want: []want{{TempLeftover, false}, {TempLeftover, false}, {TempLeftover, false}},
		},
		{
			name: "kernel links to nothing and to no build",
			setup: func(s *sandbox) {
				s.ourInstall("hello", "1.0", "mod")
				s.link("2.0/6.2.0/x86_64", s.l.KernelLink("hello", "6.2.0", a))
				s.mkdir(filepath.Join(s.l.Version("hello", "1.0"), "6.3.0", a))
				s.link("1.0/6.3.0/x86_64", s.l.KernelLink("hello", "6.3.0", a))
			},
			want: []want{{KernelLinkDangling, false}, {KernelLinkUnbuilt, false}},
		},
		{
			name: "interrupted install",
			setup: func(s *sandbox) {
				s.ourInstall("hello", "1.0", "mod")
				os.Remove(s.l.KernelLink("hello", k, a))
			},
			want: []want{{InterruptedInstall, false}},
			check: func(t *testing.T, s *sandbox) {
				if fileutil.Exists(filepath.Join(s.l.KernelDir(k), "updates/dkms/hello.ko")) {
					t.Error("interrupted install not rolled back")
				}
			},
		},
		{
			name:  "installed file missing",
			setup: func(s *sandbox) { os.Remove(s.ourInstall("hello", "1.0", "mod")) },
			want:  []want{{InstalledMissing, false}},
		},
		{
			name:  "installed file changed",
			setup: func(s *sandbox) { s.write(s.ourInstall("hello", "1.0", "mod"), "other") },
			want:  []want{{InstalledChanged, true}},
			after: []want{{InstalledChanged, true}},
		},
		{
			name:  "unreadable manifest",
			setup: func(s *sandbox) { s.ourInstall("hello", "1.0", "mod"); s.write(s.l.Manifest("hello", k, a), "{") },
			want:  []want{{ManifestUnreadable, true}},
			after: []want{{ManifestUnreadable, true}},
		},
		{
			name: "reference install with original is adopted",
			setup: func(s *sandbox) {
				s.refInstalled("hello", "1.0", "mod")
				orig := filepath.Join(s.l.Originals("hello", k, a), "hello.ko")
				s.write(orig, "original")
				s.write(orig+".origin", filepath.Join(s.l.KernelDir(k), "kernel/drivers/hello.ko")+"\n")
			},
			want: []want{{UnmanagedModule, false}},
			check: func(t *testing.T, s *sandbox) {
				man, err := s.l.ReadManifest("hello", k, a)
				if err != nil || man == nil || len(man.Files) != 1 || len(man.Originals) != 1 || man.Version != "1.0" {
					t.Errorf("adopted manifest = %+v, %v", man, err)
				}
			},
		},
		{
			name: "leftover copy of a build not installed",
			setup: func(s *sandbox) {
				s.built("hello", "1.0", "mod")
				s.write(filepath.Join(s.l.KernelDir(k), "extra/hello.ko"), "mod")
			},
			want:  []want{{UnmanagedModule, true}},
			after: []want{{UnmanagedModule, true}},
		},
		{
			name: "someone else's module of the same name is ignored",
			setup: func(s *sandbox) {
				s.built("hello", "1.0", "mod")
				s.write(filepath.Join(s.l.KernelDir(k), "extra/hello.ko"), "theirs")
			},
		},
		{
			name: "archived originals without a usable origin",
			setup: func(s *sandbox) {
				s.ourInstall("hello", "1.0", "mod")
				dir := s.l.Originals("hello", k, a)
				s.write(filepath.Join(dir, "a.ko"), "x")
				s.write(filepath.Join(dir, "b.ko"), "x")
				s.write(filepath.Join(dir, "b.ko.origin"), "/etc/b.ko\n")
				s.write(filepath.Join(dir, "c.ko"), "x")
				s.write(filepath.Join(dir, "c.ko.origin"), s.l.KernelDir(k)+"/../../c.ko\n")
			},
			want:  []want{{OriginalNoOrigin, true}, {OriginalBadOrigin, true}, {OriginalBadOrigin, true}},
			after: []want{{OriginalNoOrigin, true}, {OriginalBadOrigin, true}, {OriginalBadOrigin, true}},
		},
		{
			name:  "stale lock text",
			setup: func(s *sandbox) { s.write(s.l.LockFile(), "pid 2147483646: dkms install hello/1.0\n") },
			want:  []want{{StaleLock, false}},
			check: func(t *testing.T, s *sandbox) {
				if b, err := os.ReadFile(s.l.LockFile()); err != nil || len(b) != 0 {
					t.Errorf("lock file after fix: %q, %v", b, err)
				}
			},
		},
		{
			name:  "live lock text",
			setup: func(s *sandbox) { s.write(s.l.LockFile(), "pid "+strconv.Itoa(os.Getpid())+": dkms doctor\n") },
		},
		{
			name: "depmod pending",
			setup: func(s *sandbox) {
				s.write(filepath.Join(s.l.DKMS, "depmod-pending-"+k+"-"+a), "")
			},
			want: []want{{DepmodPending, false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			tt.setup(s)
			before := snapshot(t, s.l)
			got := Check(s.l)
			if !slices.Equal(kinds(got), tt.want) {
				t.Fatalf("Check = %+v, want %v", got, tt.want)
			}
			if after := snapshot(t, s.l); after != before {
				t.Fatalf("Check changed the trees:\n%s\n---\n%s", before, after)
			}
			env := &install.Env{Layout: s.l, Runner: run.New(nil, nil), Out: io.Discard, Err: io.Discard, NoDepmod: true}
			for _, r := range Fix(t.Context(), env, got) {
				if r.Fixed == r.NeedsPerson || r.Err != nil {
					t.Errorf("Fix %s %s: fixed=%v err=%v", r.Kind, r.Path, r.Fixed, r.Err)
				}
			}
			if again := Check(s.l); !slices.Equal(kinds(again), tt.after) {
				t.Errorf("after Fix, Check = %+v, want %v", again, tt.after)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

// snapshot renders every path under the trees with its link target or
// content, to prove that Check writes nothing.
func snapshot(t *testing.T, l tree.Layout) string {
	t.Helper()
	var b strings.Builder
	root := filepath.Dir(l.DKMS)
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p)
		if target, err := os.Readlink(p); err == nil {
			b.WriteString(" -> " + target)
		} else if !d.IsDir() {
			c, _ := os.ReadFile(p)
			b.WriteString(" = " + string(c))
		}
		b.WriteString("\n")
		return nil
	})
	return b.String()
}

func TestSplitKernelArch(t *testing.T) {
	for in, want := range map[string][2]string{
		"6.1.0-18-amd64-x86_64": {"6.1.0-18-amd64", "x86_64"},
		"5.15.0-aarch64":        {"5.15.0", "aarch64"},
		"odd":                   {"odd", ""},
	} {
		if k, a := tree.SplitKernelArch(in); k != want[0] || a != want[1] {
			t.Errorf("tree.SplitKernelArch(%q) = %q, %q; want %q", in, k, a, want)
		}
	}
}
