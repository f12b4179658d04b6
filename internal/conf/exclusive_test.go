package conf

import (
	"fmt"
	"os/exec"
	"reflect"
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

// TestExclude checks the per-module rule of dkms 3.3: index 0 constrains
// every module, index i module i only, exit 77 (All) only when every
// module is excluded by a given directive. The first three rows are the
// reference suite's fixtures.
func TestExclude(t *testing.T) {
	kcfg := []byte("CONFIG_MODULES=y\n")
	mods := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("BUILT_MODULE_NAME[%d]=m%d", i, i), fmt.Sprintf("DEST_MODULE_LOCATION[%d]=/updates", i))
		}
		return out
	}
	tests := []struct {
		name         string
		conf         []string
		kernel, arch string
		kcfg         []byte
		want         []bool
		all          bool
	}{
		{"per_module_config", append(mods(3), `BUILD_EXCLUSIVE_KERNEL[0]=^99\..*`, "BUILD_EXCLUSIVE_KERNEL[1]=.*", "BUILD_EXCLUSIVE_ARCH[1]=none"),
			"6.1.0-57-amd64", "x86_64", kcfg, []bool{true, true, true}, true},
		{"per_module_kernel_version: [0] is global", append(mods(2), "BUILD_EXCLUSIVE_KERNEL_MAX[0]=3.99", "BUILD_EXCLUSIVE_KERNEL_MIN[1]=5.0"),
			"6.1.0-57-amd64", "x86_64", kcfg, []bool{true, true}, true},
		{"per_module_config_exclusive", append(mods(2), "BUILD_EXCLUSIVE_CONFIG[0]=CONFIG_MODULES !CONFIG_NONEXISTENT", "BUILD_EXCLUSIVE_CONFIG[1]=!CONFIG_MODULES CONFIG_NONEXISTENT"),
			"6.1.0-57-amd64", "x86_64", kcfg, []bool{false, true}, false},
		{"CONFIG ignored without a kernel config", append(mods(2), "BUILD_EXCLUSIVE_CONFIG[1]=CONFIG_NONEXISTENT"),
			"6.1.0-57-amd64", "x86_64", nil, []bool{false, false}, false},
		{"second module limited to 6.12, on 6.1", append(mods(2), `BUILD_EXCLUSIVE_KERNEL[1]=^6\.12\.`),
			"6.1.0-57-amd64", "x86_64", kcfg, []bool{false, true}, false},
		{"second module limited to 6.12, on 6.12", append(mods(2), `BUILD_EXCLUSIVE_KERNEL[1]=^6\.12\.`),
			"6.12.118+deb12-amd64", "x86_64", kcfg, []bool{false, false}, false},
		{"index beyond the modules is ignored", append(mods(1), "BUILD_EXCLUSIVE_ARCH[1]=none"),
			"6.1.0", "x86_64", kcfg, []bool{false}, false},
		{"zero modules are never excluded", []string{"BUILD_EXCLUSIVE_KERNEL=^99"},
			"6.1.0", "x86_64", kcfg, []bool{}, false},
		{"OBSOLETE_BY is the global maximum", append(mods(2), "OBSOLETE_BY=6.0"),
			"6.1.0", "x86_64", kcfg, []bool{true, true}, true},
		{"OBSOLETE_BY gives way to a module's maximum", append(mods(2), "OBSOLETE_BY=6.0", "BUILD_EXCLUSIVE_KERNEL_MAX[1]=6.0"),
			"6.1.0", "x86_64", kcfg, []bool{false, true}, false},
		{"a pattern that does not compile excludes nothing", append(mods(1), "BUILD_EXCLUSIVE_KERNEL=(("),
			"6.1.0", "x86_64", kcfg, []bool{false}, false},
	}
	for _, tt := range tests {
		c, _, err := Parse(vals(t, append([]string{"PACKAGE_NAME=p", "PACKAGE_VERSION=1"}, tt.conf...)...), false)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		ex := c.Exclude(tt.kernel, tt.arch, tt.kcfg)
		if !reflect.DeepEqual(ex.Excluded, tt.want) || ex.All != tt.all {
			t.Errorf("%s: Exclude = %v all=%v, want %v all=%v", tt.name, ex.Excluded, ex.All, tt.want, tt.all)
		}
	}
}

// TestExclusive checks what suppresses the "not installed" line: any
// directive at an index of a module, the global ones and OBSOLETE_BY
// included, whatever the kernel.
func TestExclusive(t *testing.T) {
	for _, tt := range []struct {
		conf []string
		want bool
	}{
		{[]string{"BUILT_MODULE_NAME=a", "DEST_MODULE_LOCATION=/updates"}, false},
		{[]string{"BUILT_MODULE_NAME=a", "DEST_MODULE_LOCATION=/updates", "BUILD_EXCLUSIVE_ARCH=.*"}, true},
		{[]string{"BUILT_MODULE_NAME=a", "DEST_MODULE_LOCATION=/updates", "OBSOLETE_BY=9"}, true},
		{[]string{"BUILT_MODULE_NAME=a", "DEST_MODULE_LOCATION=/updates", "BUILD_EXCLUSIVE_CONFIG[1]=X"}, false},
		{[]string{"BUILD_EXCLUSIVE_KERNEL=^99"}, false},
	} {
		c, _, err := Parse(vals(t, append([]string{"PACKAGE_NAME=p", "PACKAGE_VERSION=1"}, tt.conf...)...), false)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Exclusive(); got != tt.want {
			t.Errorf("%q: Exclusive = %v, want %v", tt.conf, got, tt.want)
		}
	}
}
