package conf

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/testenv"
)

var verTests = []struct{ in, want string }{
	{"5.15.0-91-generic", "005.015.000-091-generic"},
	{"3.5-rc2", "003.005-rc002"},
	{"1010", "1010"},
	{"2.6.9-1cvs200409091247", "002.006.009-001cvs200409091247"},
	{"", ""},
	{"a 1", "a001"},
	{"1 2", "001002"},
	{"v12.x", "v012.x"},
}

func TestVer(t *testing.T) {
	for _, tt := range verTests {
		if got := Ver(tt.in); got != tt.want {
			t.Errorf("Ver(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestVerConfirm checks Ver against upstream's sed pipeline.
func TestVerConfirm(t *testing.T) {
	testenv.LookPath(t, "sed")
	for _, tt := range verTests {
		cmd := exec.Command("sed", "-e", `s:\([^0-9]\)\([0-9]\):\1 \2:g`, "-e", `s:\([0-9]\)\([^0-9]\):\1 \2:g`,
			"-e", `s:\(.*\): \1 :`, "-e", `s: \([0-9]\) : 00\1 :g`, "-e", `s: \([0-9][0-9]\) : 0\1 :g`, "-e", `s: ::g`)
		cmd.Stdin = strings.NewReader(tt.in + "\n")
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := Ver(tt.in), strings.TrimSuffix(string(out), "\n"); got != want {
			t.Errorf("Ver(%q) = %q, sed gives %q", tt.in, got, want)
		}
	}
}

func TestVerLess(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"5.4.0", "5.15.0", true},
		{"5.15.0", "5.4.0", false},
		{"3.5-rc2", "3.5", false},
		{"4.12-rc1", "4.12", false},
		{"9.9.9", "9.9.9-test", true},
	} {
		if got := VerLess(tt.a, tt.b); got != tt.want {
			t.Errorf("VerLess(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func TestExcludes(t *testing.T) {
	cfg := []byte("CONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_D=n\n")
	tests := []struct {
		name   string
		b      BuildExclusive
		kernel string
		kcfg   []byte
		want   bool
	}{
		{"none", BuildExclusive{}, "6.1.0", cfg, false},
		{"kernel match", BuildExclusive{Kernel: "^6\\."}, "6.1.0", cfg, false},
		{"kernel mismatch", BuildExclusive{Kernel: "^5\\."}, "6.1.0", cfg, true},
		{"min admits rc", BuildExclusive{KernelMin: "3.5"}, "3.5-rc2", cfg, false},
		{"min excludes", BuildExclusive{KernelMin: "6.2"}, "6.1.0", cfg, true},
		{"max excludes rc", BuildExclusive{KernelMax: "4.12"}, "4.12-rc1", cfg, true},
		{"obsolete", BuildExclusive{KernelMax: "9.9.9"}, "9.9.9-test", cfg, true},
		{"arch", BuildExclusive{Arch: "arm"}, "6.1.0", cfg, true},
		{"config ok", BuildExclusive{Config: "CONFIG_A CONFIG_B !CONFIG_C !CONFIG_D"}, "6.1", cfg, false},
		{"config missing", BuildExclusive{Config: "CONFIG_C"}, "6.1", cfg, true},
		{"config negated", BuildExclusive{Config: "!CONFIG_A"}, "6.1", cfg, true},
		{"no config file", BuildExclusive{Config: "CONFIG_C"}, "6.1", nil, false},
	}
	for _, tt := range tests {
		got, err := tt.b.Excludes(tt.kernel, "x86_64", tt.kcfg)
		if got != tt.want || err != nil {
			t.Errorf("%s: Excludes = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := (BuildExclusive{Kernel: "(("}).Excludes("6.1", "x86_64", nil); err == nil {
		t.Error("bad pattern: no error")
	}
}
