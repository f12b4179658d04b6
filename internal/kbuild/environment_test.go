package kbuild

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/testenv"
)

// TestSourceEnvironment checks what a build_environment file passes on:
// only what is exported when it ends, whatever it prints or how it ends.
func TestSourceEnvironment(t *testing.T) {
	testenv.LookPath(t, "bash")
	vars := []string{"kernelver=6.1.0-57-amd64", "arch=x86_64", "module=hello"}
	env := []string{"FOO=a", "KEEP=same"}
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"exports", "export CC=mycc\nX=unexported\nexport PATH=/opt/tc/bin:/usr/bin\necho noise; echo more >&2\n",
			[]string{"CC=mycc", "PATH=/opt/tc/bin:/usr/bin"}},
		{"dkms variables are seen, not exported", "export K=$kernelver-$arch-$module\n", []string{"K=6.1.0-57-amd64-x86_64-hello"}},
		{"an exported name assigned", "FOO=b\nKEEP=same\n", []string{"FOO=b"}},
		{"unset and functions are lost", "unset FOO\nf() { :; }\nexport -f f\n", nil},
		{"exit imports nothing", "export A=1\nexit 3\n", nil},
		{"a failing command does not stop it", "false\nexport B=2\n", []string{"B=2"}},
		{"odd values", "export M=$'two\\nlines'\" and 'quotes'\"\n", []string{"M=two\nlines and 'quotes'"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "enable")
			if err := os.WriteFile(f, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			r := &run.Runner{Env: []string{"PATH=/usr/bin:/bin", "HOME=/root"}}
			got := SourceEnvironment(t.Context(), r, f, vars, env)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
