package run

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dkms-go/dkms/internal/testenv"
)

// TestFS runs each file method on a fresh directory and checks its effect
// and the one trace line it records.
func TestFS(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, d string)
		do    func(r *Runner, d string) error
		check func(t *testing.T, d string)
		trace string // with D for the directory
	}{
		{
			name:  "MkdirAll",
			do:    func(r *Runner, d string) error { return r.MkdirAll(filepath.Join(d, "a/b")) },
			check: func(t *testing.T, d string) { wantMode(t, filepath.Join(d, "a/b"), os.ModeDir|0o755) },
			trace: "mkdir D/a/b",
		},
		{
			name:  "WriteFile",
			do:    func(r *Runner, d string) error { return r.WriteFile(filepath.Join(d, "f"), []byte("data"), 0o600) },
			check: func(t *testing.T, d string) { wantFile(t, filepath.Join(d, "f"), "data", 0o600) },
			trace: "write D/f",
		},
		{
			name:  "CopyFile",
			setup: func(t *testing.T, d string) { writeFile(t, filepath.Join(d, "src"), "content", 0o600) },
			do: func(r *Runner, d string) error {
				return r.CopyFile(filepath.Join(d, "src"), filepath.Join(d, "dst"), 0o644)
			},
			check: func(t *testing.T, d string) { wantFile(t, filepath.Join(d, "dst"), "content", 0o644) },
			trace: "copy D/src D/dst",
		},
		{
			name:  "CopyTree",
			setup: func(t *testing.T, d string) { writeFile(t, filepath.Join(d, "src/sub/f"), "x", 0o755) },
			do:    func(r *Runner, d string) error { return r.CopyTree(filepath.Join(d, "src"), filepath.Join(d, "dst")) },
			check: func(t *testing.T, d string) { wantFile(t, filepath.Join(d, "dst/sub/f"), "x", 0o755) },
			trace: "copytree D/src D/dst",
		},
		{
			name:  "Rename",
			setup: func(t *testing.T, d string) { writeFile(t, filepath.Join(d, "old"), "x", 0o644) },
			do:    func(r *Runner, d string) error { return r.Rename(filepath.Join(d, "old"), filepath.Join(d, "new")) },
			check: func(t *testing.T, d string) {
				wantFile(t, filepath.Join(d, "new"), "x", 0o644)
				wantMissing(t, filepath.Join(d, "old"))
			},
			trace: "rename D/old D/new",
		},
		{
			name:  "Remove",
			setup: func(t *testing.T, d string) { writeFile(t, filepath.Join(d, "f"), "x", 0o644) },
			do:    func(r *Runner, d string) error { return r.Remove(filepath.Join(d, "f")) },
			check: func(t *testing.T, d string) { wantMissing(t, filepath.Join(d, "f")) },
			trace: "remove D/f",
		},
		{
			name:  "Remove missing",
			do:    func(r *Runner, d string) error { return r.Remove(filepath.Join(d, "none")) },
			check: func(t *testing.T, d string) {},
			trace: "remove D/none",
		},
		{
			name:  "RemoveAll",
			setup: func(t *testing.T, d string) { writeFile(t, filepath.Join(d, "t/a/b"), "x", 0o644) },
			do:    func(r *Runner, d string) error { return r.RemoveAll(filepath.Join(d, "t")) },
			check: func(t *testing.T, d string) { wantMissing(t, filepath.Join(d, "t")) },
			trace: "removeall D/t",
		},
		{
			name: "Symlink replaces",
			setup: func(t *testing.T, d string) {
				if err := os.Symlink("old", filepath.Join(d, "l")); err != nil {
					t.Fatal(err)
				}
			},
			do: func(r *Runner, d string) error { return r.Symlink("new/target", filepath.Join(d, "l")) },
			check: func(t *testing.T, d string) {
				if got, _ := os.Readlink(filepath.Join(d, "l")); got != "new/target" {
					t.Errorf("link points at %q", got)
				}
			},
			trace: "symlink D/l -> new/target",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			trace := filepath.Join(t.TempDir(), "trace")
			if tc.setup != nil {
				tc.setup(t, d)
			}
			r := New(nil, []string{TraceEnv + "=" + trace})
			if err := tc.do(r, d); err != nil {
				t.Fatal(err)
			}
			tc.check(t, d)
			if r.Steps() != 1 {
				t.Errorf("Steps = %d, want 1", r.Steps())
			}
			b, _ := os.ReadFile(trace)
			if want := "1 " + strings.ReplaceAll(tc.trace, "D", d) + "\n"; string(b) != want {
				t.Errorf("trace %q, want %q", b, want)
			}
		})
	}
}

func TestRemoveNonEmptyDir(t *testing.T) {
	d := t.TempDir()
	writeFile(t, filepath.Join(d, "dir/f"), "x", 0o644)
	if err := (&Runner{}).Remove(filepath.Join(d, "dir")); err == nil {
		t.Error("Remove of a non-empty directory succeeded")
	}
}

func writeFile(t *testing.T, p, data string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
}

func wantFile(t *testing.T, p, data string, perm os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != data {
		t.Errorf("%s holds %q, want %q", p, b, data)
	}
	wantMode(t, p, perm)
}

func wantMode(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode() != mode {
		t.Errorf("%s has mode %v, want %v", p, st.Mode(), mode)
	}
}

func wantMissing(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Lstat(p); !os.IsNotExist(err) {
		t.Errorf("%s still exists (%v)", p, err)
	}
}

// TestMoveAcrossFileSystems moves a file between the test's temporary
// directory and /dev/shm (a tmpfs): where rename gives EXDEV, Move copies
// and removes the source, as one side effect.
func TestMoveAcrossFileSystems(t *testing.T) {
	other, err := os.MkdirTemp("/dev/shm", "dkms-move-")
	if err != nil {
		testenv.Skipf(t, "no /dev/shm to move to: %v", err)
	}
	defer os.RemoveAll(other)
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, src, "content", 0o640)
	var sa, sb syscall.Statfs_t
	if syscall.Statfs(src, &sa) != nil || syscall.Statfs(other, &sb) != nil || sa.Type == sb.Type {
		testenv.Skipf(t, "the temporary directory and /dev/shm are the same kind of file system")
	}
	trace := filepath.Join(t.TempDir(), "trace")
	r := New(nil, []string{TraceEnv + "=" + trace})
	dst := filepath.Join(other, "dst")
	if err := r.Move(src, dst); err != nil {
		t.Fatal(err)
	}
	wantFile(t, dst, "content", 0o640)
	if _, err := os.Stat(src); !os.IsNotExist(err) {
		t.Errorf("the source is still there: %v", err)
	}
	if b, _ := os.ReadFile(trace); strings.Count(string(b), "\n") != 1 {
		t.Errorf("trace:\n%s", b)
	}
}
