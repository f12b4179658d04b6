package kernel

import (
	"os"
	"path/filepath"
	"testing"
)

// TestInChroot runs the reference's three tests, in their order, on a
// fake /proc below a temporary root.
func TestInChroot(t *testing.T) {
	fake := []string{"FAKECHROOT=true", "FAKECHROOT_BASE=/x", "LD_PRELOAD=/usr/lib/libfakechroot.so"}
	tests := []struct {
		name      string
		env       []string
		init      string // /proc/1/mountinfo; "-" for none
		self      string
		rootLink  string // /proc/1/root: "." for the root itself, "" for none
		uid       int
		want      bool
		wantError bool
	}{
		{"fakechroot", fake, "-", "-", "", 1000, true, false},
		{"fakechroot needs its base", []string{"FAKECHROOT=true", "LD_PRELOAD=libfakechroot.so"}, "a", "a", ".", 0, false, false},
		{"another mount namespace", nil, "a", "b", ".", 1000, true, false},
		{"same namespace, not root", nil, "a", "a", "", 1000, false, false},
		{"unreadable mountinfo skips the test", nil, "-", "b", ".", 0, false, false},
		{"same root", nil, "a", "a", ".", 0, false, false},
		{"another root", nil, "a", "a", "elsewhere", 0, true, false},
		{"init's root cannot be stat'ed", nil, "a", "a", "", 0, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, d := range []string{"proc/1", "proc/self", "elsewhere"} {
				if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			write := func(p, s string) {
				if s != "-" {
					if err := os.WriteFile(filepath.Join(root, p), []byte(s), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			write("proc/1/mountinfo", tt.init)
			write("proc/self/mountinfo", tt.self)
			switch tt.rootLink {
			case ".":
				os.Symlink(root, filepath.Join(root, "proc/1/root"))
			case "":
			default:
				os.Symlink(filepath.Join(root, tt.rootLink), filepath.Join(root, "proc/1/root"))
			}
			got := InChroot(root, tt.env, tt.uid)
			if got.In != tt.want || (got.StatErr != "") != tt.wantError {
				t.Errorf("InChroot = %+v, want in=%v error=%v", got, tt.want, tt.wantError)
			}
			if tt.wantError {
				want := "stat: cannot statx '" + filepath.Join(root, "proc/1/root") + "': No such file or directory"
				if got.StatErr != want {
					t.Errorf("StatErr = %q, want %q", got.StatErr, want)
				}
			}
		})
	}
}
