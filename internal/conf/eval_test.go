package conf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeConf writes text to dir/name and returns the path.
func writeConf(t testing.TB, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func testContext() Context {
	return Context{Kernel: "6.1.0-99-amd64", Arch: "x86_64", Environ: []string{"PATH=" + os.Getenv("PATH"), "HOME=/root"}}
}

func TestEvalTimeout(t *testing.T) {
	for name, text := range map[string]string{
		"builtin loop": "PACKAGE_NAME=x\nwhile :; do :; done\n",
		"command":      "PACKAGE_NAME=x\nsleep 100\n",
	} {
		t.Run(name, func(t *testing.T) {
			f := writeConf(t, t.TempDir(), "dkms.conf", text)
			c := testContext()
			c.Timeout = 300 * time.Millisecond
			start := time.Now()
			_, err := Eval(t.Context(), []string{f}, c)
			var ce *Error
			if !errors.Is(err, ErrTimeout) || !errors.As(err, &ce) || ce.File != f {
				t.Fatalf("err = %v, want a timeout naming %s", err, f)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestEvalUnsupportedWithoutBash(t *testing.T) {
	tests := map[string]int{
		"declare -u up=abc\n":            1,
		"X=abc\nY=${X/#a/A}\n":           2,
		"\nprintf -v Y %s 1\n":           2,
		"shopt -s failglob\n":            1,
		"A=1\nlet \"A = 2\"\n":           2,
		"f() { declare -l x; }\nf\n":     1,
		"eval 'declare -u x=1'\n":        1,
		"declare -A m=([a]=1)\nMAKE=1\n": 1,
		"if then\n":                      1,
	}
	for text, line := range tests {
		t.Run(strings.Fields(text)[0], func(t *testing.T) {
			f := writeConf(t, t.TempDir(), "dkms.conf", "PACKAGE_NAME=x\n"+text)
			c := testContext()
			c.Bash = "-"
			_, err := Eval(t.Context(), []string{f}, c)
			var ce *Error
			if !errors.Is(err, ErrUnsupported) || !errors.As(err, &ce) || ce.File != f || ce.Line != line+1 {
				t.Fatalf("err = %v, want unsupported at %s:%d", err, f, line+1)
			}
		})
	}
}

func TestEvalReport(t *testing.T) {
	dir := t.TempDir()
	plain := writeConf(t, dir, "a/dkms.conf", "PACKAGE_NAME=x\n")
	upper := writeConf(t, dir, "b/dkms.conf", "declare -u PACKAGE_NAME=x\n")
	for _, tt := range []struct {
		file   string
		engine Engine
		value  string
	}{{plain, EngineInterp, "x"}, {upper, EngineBash, "X"}} {
		c := testContext()
		var rep Report
		c.Report = &rep
		v, err := Eval(t.Context(), []string{tt.file}, c)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Engine != tt.engine || v.Str(PackageName) != tt.value {
			t.Errorf("%s: engine %s (%s), value %q", tt.file, rep.Engine, rep.Reason, v.Str(PackageName))
		}
		if tt.engine == EngineBash && !strings.Contains(rep.Reason, "declare -u") {
			t.Errorf("reason %q does not name the construct", rep.Reason)
		}
	}
}

func TestEvalDeprecated(t *testing.T) {
	base, _ := filepath.Abs("testdata/override/dkms.conf")
	over, _ := filepath.Abs("testdata/override/override.conf")
	want := []string{
		"Deprecated feature: CLEAN (" + base + ")",
		"Deprecated feature: CLEAN (" + over + ")",
		"Deprecated feature: REMAKE_INITRD (" + over + ")",
	}
	for _, bash := range []bool{false, true} {
		c := testContext()
		c.PreferBash = bash
		var rep Report
		c.Report = &rep
		if _, err := Eval(t.Context(), []string{base, over}, c); err != nil {
			t.Fatal(err)
		}
		if got := texts(rep.Deprecated); !reflect.DeepEqual(got, want) {
			t.Errorf("bash=%v: deprecated\n got %q\nwant %q", bash, got, want)
		}
	}
}

func TestEvalStreamsAndEnv(t *testing.T) {
	f := writeConf(t, t.TempDir(), "dkms.conf", `echo discarded
echo to-stderr >&2
PACKAGE_NAME="${CC-unset} $FOO"
PACKAGE_VERSION='1"; echo injected; "'
DKMS_DIRECTIVE_LOCAL="POST_ADD=from-directive"
`)
	for _, bash := range []bool{false, true} {
		c := testContext()
		c.PreferBash = bash
		c.Environ = append(c.Environ, "CC=gcc", "FOO=bar", "DKMS_DIRECTIVE_ENV=MAKE=make-env")
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		v, err := Eval(t.Context(), []string{f}, c)
		if err != nil {
			t.Fatal(err)
		}
		if out.String() != "injected\n" || !strings.Contains(errb.String(), "to-stderr") || strings.Contains(out.String()+errb.String(), "discarded") {
			t.Errorf("bash=%v: stdout %q stderr %q", bash, out.String(), errb.String())
		}
		got := []string{v.Str(PackageName), v.Str(PackageVersion), v.Str(Make), v.Str(PostAdd)}
		if want := []string{"unset bar", "1", "make-env", "from-directive"}; !reflect.DeepEqual(got, want) {
			t.Errorf("bash=%v: values %q, want %q", bash, got, want)
		}
	}
}

func TestEvalInjectedExit(t *testing.T) {
	f := writeConf(t, t.TempDir(), "dkms.conf", "PACKAGE_NAME='x\"; exit 3; \"'\n")
	for _, bash := range []bool{false, true} {
		c := testContext()
		c.PreferBash = bash
		if _, err := Eval(t.Context(), []string{f}, c); !errors.Is(err, ErrExit) {
			t.Errorf("bash=%v: err = %v, want ErrExit", bash, err)
		}
	}
}

func TestEvalMissingFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := Eval(t.Context(), []string{filepath.Join(dir, "nope.conf")}, testContext()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
	f := writeConf(t, dir, "dkms.conf", "PACKAGE_NAME=x\n")
	if v, err := Eval(t.Context(), []string{f, filepath.Join(dir, "no-override.conf")}, testContext()); err != nil || v.Str(PackageName) != "x" {
		t.Errorf("missing override: %v, %v", v, err)
	}
	if _, err := Eval(t.Context(), []string{t.TempDir()}, testContext()); err == nil {
		t.Error("no error for a directory")
	}
}

func TestReadFramework(t *testing.T) {
	dir := t.TempDir()
	writeConf(t, dir, "framework.conf", `dkms_tree=/srv/dkms
sign_file='$install_tree/sign-file'
verbose=1
PACKAGE_NAME=ignored
dkms_tree() { :; }
`)
	writeConf(t, dir, "framework.conf.d/20-b.conf", "post_transaction=\"echo $i\"\n")
	writeConf(t, dir, "framework.conf.d/10-a.conf", "compress_xz_opts=-9\nverbose=\n")
	writeConf(t, dir, "framework.conf.d/ignored.txt", "symlink_modules=1\n")
	for _, bash := range []bool{false, true} {
		c := testContext()
		c.PreferBash = bash
		c.Environ = append(c.Environ, "modprobe_on_install=yes")
		got, err := ReadFramework(t.Context(), dir, c)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"dkms_tree": "/srv/dkms", "source_tree": "/usr/src", "install_tree": "/lib/modules",
			"tmp_location": "/tmp", "verbose": "", "symlink_modules": "", "compress_gzip_opts": "",
			"compress_xz_opts": "-9", "compress_zstd_opts": "-q --rm -T0",
			"sign_file": "/lib/modules/sign-file", "modprobe_on_install": "yes",
			"post_transaction": "echo " + filepath.Join(dir, "framework.conf.d/20-b.conf"),
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("bash=%v:\n got %v\nwant %v", bash, got, want)
		}
	}
	got, err := ReadFramework(t.Context(), filepath.Join(dir, "missing"), testContext())
	if err != nil || len(got) != 0 {
		t.Errorf("missing dir: %v, %v", got, err)
	}
}

func TestValuesJSON(t *testing.T) {
	v := Values{"B": {2: "c", 0: "a\"\\\t\n\x01\x7f\xff"}, "A_": {0: ""}, "A": {0: "é"}}
	want := `{"A":{"0":"é"},"A_":{"0":""},"B":{"0":"a\"\\\t\n\u0001` + "\x7f\xff" + `","2":"c"}}` + "\n"
	if got := string(v.JSON()); got != want {
		t.Errorf("JSON =\n%s\nwant\n%s", got, want)
	}
	wantText := "A[0]=\"é\"\nA_[0]=\"\"\nB[0]=\"a\\\"\\\\\\t\\n\\u0001\x7f\xff\"\nB[2]=\"c\"\n"
	if got := string(v.Text()); got != wantText {
		t.Errorf("Text =\n%q\nwant\n%q", got, wantText)
	}
	if got := string(Values{}.JSON()); got != "{}\n" {
		t.Errorf("empty JSON = %q", got)
	}
}

func TestVariablesLayout(t *testing.T) {
	if got := strings.Fields(confVariablesLayout); !reflect.DeepEqual(got, Variables) {
		t.Errorf("layout words %q\n!= Variables %q", got, Variables)
	}
	if got := strings.Fields(frameworkNonsigningLayout + " " + frameworkSigningLayout); !reflect.DeepEqual(got, FrameworkVariables) {
		t.Errorf("framework layout %q", got)
	}
}

// TestEvalConcurrent runs evaluations in parallel (they share the parsed
// harness) so the race detector can see them.
func TestEvalConcurrent(t *testing.T) {
	f, _ := filepath.Abs(filepath.Join("testdata", "loops.conf"))
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			v, err := Eval(t.Context(), []string{f}, testContext())
			if err == nil && v.Str(PackageName) != "loops" {
				err = errors.New("wrong value")
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestOverrideFiles(t *testing.T) {
	got := OverrideFiles("/etc/dkms", "m", "1.0", "6.1", "x86_64")
	want := []string{"/etc/dkms/m.conf", "/etc/dkms/m-1.0.conf", "/etc/dkms/m-1.0-6.1.conf",
		"/etc/dkms/m-1.0-6.1-x86_64.conf", "/etc/dkms/m--6.1.conf", "/etc/dkms/m--6.1-x86_64.conf"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("OverrideFiles = %q", got)
	}
}
