package conf

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// confirmArgs are the options every confirm run uses, as conf-conformance
// does by default.
var confirmArgs = []string{"-k", "6.1.0-99-amd64", "-a", "x86_64"}

// TestConfirm evaluates each fixture with Eval and with the bash reference
// dkms-conf-ref and requires the same values. Fixtures named bash_* must be
// sent to bash; all others must stay in-process.
func TestConfirm(t *testing.T) {
	shared := sharedDir(t)
	ref := filepath.Join(shared, "tools", "dkms-conf-ref")
	cases := [][]string{{"override/dkms.conf", "override/override.conf"}}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.conf"))
	more, _ := filepath.Glob(filepath.Join("testdata", "*", "*.conf"))
	for _, f := range append(files, more...) {
		if !strings.Contains(f, "override") {
			cases = append(cases, []string{strings.TrimPrefix(f, "testdata/")})
		}
	}
	for _, c := range cases {
		t.Run(strings.Join(c, "+"), func(t *testing.T) {
			paths := make([]string, len(c))
			for i, f := range c {
				p, err := filepath.Abs(filepath.Join("testdata", f))
				if err != nil {
					t.Fatal(err)
				}
				paths[i] = p
			}
			want := runReference(t, ref, paths)
			got, rep := runCandidate(t, paths)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("values differ\n got: %v\nwant: %v", got, want)
			}
			wantEngine := EngineInterp
			if strings.HasPrefix(filepath.Base(c[0]), "bash_") {
				wantEngine = EngineBash
			}
			if rep.Engine != wantEngine {
				t.Errorf("engine = %s (%s), want %s", rep.Engine, rep.Reason, wantEngine)
			}
		})
	}
}

func runReference(t *testing.T, ref string, paths []string) map[string]map[string]string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "bash", append(append([]string{ref}, confirmArgs...), paths...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("reference: %v\n%s", err, errb.String())
	}
	return layout343(decodeValues(t, out.Bytes()))
}

// layout343 moves OBSOLETE_BY in the values of m the way dkms 3.4 moved
// it in dkms_conf_variables (to the deprecated group, before CLEAN):
// dkms-conf-ref mirrors dkms 3.2.2, and a conf can read that string.
func layout343(m map[string]map[string]string) map[string]map[string]string {
	r := strings.NewReplacer(
		"build_exclude OBSOLETE_BY MAKE", "build_exclude MAKE",
		"BUILD_DEPENDS_REBUILD CLEAN", "BUILD_DEPENDS_REBUILD OBSOLETE_BY CLEAN",
		"BUILD_DEPENDS_REBUILD\n\n   CLEAN", "BUILD_DEPENDS_REBUILD\n\n   OBSOLETE_BY CLEAN")
	for _, vals := range m {
		for i, v := range vals {
			vals[i] = r.Replace(v)
		}
	}
	return m
}

func runCandidate(t *testing.T, paths []string) (map[string]map[string]string, Report) {
	t.Helper()
	c, files, err := candidateContext(append(append([]string{}, confirmArgs...), paths...))
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	var stderr bytes.Buffer
	c.Stdout, c.Stderr, c.Report = &stderr, &stderr, &rep
	v, err := Eval(t.Context(), files, c)
	if err != nil {
		t.Fatalf("Eval: %v\n%s", err, stderr.String())
	}
	if testing.Verbose() {
		t.Logf("stderr:\n%s", stderr.String())
	}
	return decodeValues(t, v.JSON()), rep
}

func decodeValues(t *testing.T, b []byte) map[string]map[string]string {
	t.Helper()
	var m map[string]map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decoding %q: %v", b, err)
	}
	return m
}
