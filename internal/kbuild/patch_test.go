package kbuild

import "testing"

// TestHasDotDot pins the reference's test, `patches/<p>` containing
// "/../" (dkms-behaviour §7.8).
func TestHasDotDot(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"fix.patch", false},
		{"sub/fix.patch", false},
		{"..fix.patch", false},
		{"fix..patch", false},
		{"../fix.patch", true},
		{"sub/../fix.patch", true},
		{"sub/../../x", true},
		{"..", false},           // patches/.. is the build directory: patch(1) fails, exit 6
		{"/etc/x.patch", false}, // patches//etc/x.patch: inside patches/, "cannot be found", exit 5
	} {
		if got := hasDotDot(tc.name); got != tc.want {
			t.Errorf("hasDotDot(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
