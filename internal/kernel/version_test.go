package kernel

import (
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/testenv"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int // sign
	}{
		{"6.1.0-13-amd64", "6.1.0-9-amd64", 1},
		{"6.12.117+deb12-amd64", "6.1.0-56-amd64", 1},
		{"5.15.0-91-generic", "5.15.0-91-generic", 0},
		{"1.0", "1.0.1", -1},
		{"1.0~rc1", "1.0", -1},
		{"1.0a", "1.0", 1},
		{"1.01", "1.1", 0},
		{"1.002", "1.2", 0},
		{"a", "b", -1},
		{"", "a", -1},
		{"", "", 0},
		{".", "..", -1},
		{"..", ".a", -1},
		{".a", "a", -1},
		{"foo.tar.gz", "foo.tar", 1},
		{"foo-1.2.tar.gz", "foo-1.10.tar.gz", -1},
		{"1.2-x", "1.2.x", 1}, // ".x" is a file suffix, ignored in the first pass
		{"built dkms_test/1.0/6.1.0-1-amd64/x86_64", "installed dkms_test/1.0/5.10.0-1-amd64/x86_64", -1},
	}
	for _, tt := range tests {
		got := CompareVersions(tt.a, tt.b)
		if sign(got) != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want sign %d", tt.a, tt.b, got, tt.want)
		}
		if back := CompareVersions(tt.b, tt.a); sign(back) != -tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, not antisymmetric", tt.b, tt.a, back)
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// sortVSamples mixes kernel releases, module versions and dkms status lines.
var sortVSamples = []string{
	"6.1.0-13-amd64", "6.1.0-9-amd64", "6.12.117+deb12-amd64", "6.1.0-56-amd64", "5.10.0-28-amd64",
	"5.15.0-91-generic", "5.15.0-100-generic", "4.19.0-rt", "4.19.0", "4.19",
	"1.0", "1.0~rc1", "1.0~rc2", "1.0a", "1.01", "1.1", "1.10", "1.9", "1.0.0", "01", "1",
	"a.b", "a.b.c", "a~", "a", "a1", "a01", "~", "", ".", "..", ".hidden", ".hidden2",
	"foo.tar.gz", "foo.tar", "foo-1.2.tar.gz", "foo-1.10.tar.gz", "x.1~a", "x.1",
	"built dkms_test/1.0/6.1.0-1-amd64/x86_64", "installed dkms_test/1.0/5.10.0-1-amd64/x86_64",
	"built dkms_test/1.0/6.10.0-1-amd64/x86_64", "built dkms_test/1.0/6.9.0-1-amd64/x86_64",
	"1.2-x", "1.2.x", "1.2_x", "1.2+x", "Z", "z", "1.0-1", "1.0.1-1",
}

// TestSortVMatchesCoreutils compares with the real `sort -V` in the C locale.
func TestSortVMatchesCoreutils(t *testing.T) {
	sortBin := testenv.LookPath(t, "sort")
	cmd := exec.CommandContext(t.Context(), sortBin, "-V")
	cmd.Env = append(cmd.Environ(), "LC_ALL=C")
	cmd.Stdin = strings.NewReader(strings.Join(sortVSamples, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sort -V: %v", err)
	}
	want := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	got := slices.Clone(sortVSamples)
	SortV(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SortV:\n got  %q\n want %q", got, want)
	}
}
