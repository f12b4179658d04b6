package conf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzEval feeds arbitrary text to the in-process evaluator: it must not
// panic or hang, and a successful evaluation must give valid values. The
// sandbox refuses external commands and file writes; the bash fallback is
// off. The fixtures are the seeds and run as ordinary tests.
func FuzzEval(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.conf"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("MAKE[0]='\"'\nPATCH[1]=x\\\n")
	f.Add("a[i++]+=x; PACKAGE_NAME=${a[*]}")
	f.Add("PATCH0=a\nPATCH1='b $kernelver'\nPATCH_6_12=c\nPATCH_MATCH=d\nMODULES_CONF3=e\n")
	f.Add("PATCH[0]=a\nPATCH0=b\nMODULES_CONF0=(x y)\nMODULES_CONF[0]=z\nPATCH_DIR=p\n")
	f.Fuzz(func(t *testing.T, text string) {
		dir := t.TempDir()
		file := filepath.Join(dir, "dkms.conf")
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		c := testContext()
		c.Bash, c.sandbox, c.Timeout = "-", true, 5*time.Second
		v, err := Eval(t.Context(), []string{file}, c)
		if err != nil {
			return
		}
		var m map[string]map[string]string
		if json.Valid(v.JSON()) {
			if err := json.Unmarshal(v.JSON(), &m); err != nil {
				t.Fatalf("JSON %q: %v", v.JSON(), err)
			}
		}
		for name := range v {
			if !isAccepted(name) && !isAlias(name) {
				t.Fatalf("unexpected variable %s", name)
			}
			// Only an alias whose array entry is also set stays unfolded.
			if a, ok := parseAlias(name); ok {
				if _, both := v[a.target][a.index]; !both {
					t.Fatalf("alias %s not folded: %s", name, v.JSON())
				}
			}
		}
	})
}

func isAccepted(name string) bool {
	for _, n := range Variables {
		if n == name {
			return true
		}
	}
	return false
}
