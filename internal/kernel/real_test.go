package kernel

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dkms-go/dkms/internal/testenv"
)

// The tests in this file read the machine's /lib/modules and kernel headers
// and compare with the reference's own shell pipelines run by bash. They
// skip loudly when no headers are installed; CI installs them.

const realInstallTree = "/lib/modules"

func realKernels(t *testing.T) []string {
	t.Helper()
	testenv.LookPath(t, "bash")
	ents, _ := os.ReadDir(realInstallTree)
	var withHeaders []string
	for _, e := range ents {
		if New(e.Name(), "", Options{InstallTree: realInstallTree}).HeadersPresent() {
			withHeaders = append(withHeaders, e.Name())
		}
	}
	SortV(withHeaders)
	if len(withHeaders) == 0 {
		testenv.Skipf(t, "no kernel headers under /lib/modules/*/build; real-header tests not run")
	}
	return withHeaders
}

// bashOut runs a reference-style pipeline with $1 bound to arg.
func bashOut(t *testing.T, script, arg string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "bash", "-c", script, "bash", arg).Output()
	if err != nil {
		t.Fatalf("bash %q: %v", script, err)
	}
	return strings.TrimSuffix(string(out), "\n")
}

func TestRealHeaders(t *testing.T) {
	for _, rel := range realKernels(t) {
		t.Run(rel, func(t *testing.T) {
			k := New(rel, "x86_64", Options{InstallTree: realInstallTree})
			want := bashOut(t, `if [[ -e "$1/include/config/auto.conf" ]]; then echo "$1/include/config/auto.conf"; else echo "$1/.config"; fi`, k.SourceDir)
			if k.ConfigPath != want {
				t.Errorf("ConfigPath = %s, reference picks %s", k.ConfigPath, want)
			}
			cfg, err := k.Config()
			if err != nil {
				t.Fatal(err)
			}
			checks := []struct{ name, got, script string }{
				{"SigHash", sigHash(cfg), `grep "^CONFIG_MODULE_SIG_HASH=" "$1" | cut -f2 -d= | sed 's/"//g'`},
				{"SigKey", cfg.SigKey(), `grep "^CONFIG_MODULE_SIG_KEY=" "$1" | cut -f2 -d= | sed 's/"//g'`},
				{"Compiler", cfg.Compiler(), `sed -n 's|^CONFIG_CC_VERSION_TEXT="*\([^" ]*\) .*|\1|p' "$1"`},
				{"CCIsClang", boolWord(cfg.CCIsClang()), `grep -q 'CONFIG_CC_IS_CLANG=y' "$1" && echo yes || echo no`},
				{"LDIsLLD", boolWord(cfg.LDIsLLD()), `grep -q 'CONFIG_LD_IS_LLD=y' "$1" && echo yes || echo no`},
			}
			for _, c := range checks {
				if want := bashOut(t, c.script, k.ConfigPath); c.got != want {
					t.Errorf("%s = %q, reference pipeline says %q", c.name, c.got, want)
				}
			}
			t.Logf("%s: config %s, sig hash %q, compiler %q, config compression %q",
				rel, k.ConfigPath, sigHash(cfg), cfg.Compiler(), cfg.CompressExt())
		})
	}
}

// referenceSuffix is the reference's set_module_suffix for one kernel.
const referenceSuffix = `s=""
find "$1/" -name "*.ko.gz" 2>/dev/null | grep -q . && s=".gz"
find "$1/" -name "*.ko.xz" 2>/dev/null | grep -q . && s=".xz"
find "$1/" -name "*.ko.zst" 2>/dev/null | grep -q . && s=".zst"
echo "$s"`

func TestRealCompression(t *testing.T) {
	for _, rel := range realKernels(t) {
		t.Run(rel, func(t *testing.T) {
			k := New(rel, "x86_64", Options{InstallTree: realInstallTree})
			cfg, err := k.Config()
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			got := k.Compression(cfg)
			elapsed := time.Since(start)
			start = time.Now()
			walked := walkCompression(k.ModuleDir)
			walkTime := time.Since(start)
			start = time.Now()
			want := bashOut(t, referenceSuffix, k.ModuleDir)
			refTime := time.Since(start)
			if walked == "" {
				want = cfg.CompressExt() // no modules: we follow the config (§10.10 fix)
			}
			if got != want {
				t.Errorf("Compression() = %q, want %q", got, want)
			}
			t.Logf("%s: %q in %v (full walk %v, reference finds %v)", rel, got, elapsed, walkTime, refTime)
		})
	}
}

func sigHash(c Config) string {
	h, _ := c.SigHash()
	return h
}

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
