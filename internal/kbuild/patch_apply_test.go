package kbuild

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dkms-go/dkms/internal/run"
)

const fixPatch = `--- a/foo.c
+++ b/foo.c
@@ -1 +1 @@
-module
+patched module
`

func TestPatch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		patches []string
		kind    PatchProblem
		ok      bool
		content string // of foo.c afterwards
		msg     string
	}{
		{name: "none", ok: true, content: "module\n"},
		{name: "applies", patches: []string{"fix.patch"}, ok: true, content: "patched module\n"},
		{name: "dot-dot", patches: []string{"../fix.patch"}, kind: PatchDotDot, content: "module\n",
			msg: "patch ../fix.patch contains a '..' path component"},
		{name: "missing", patches: []string{"none.patch"}, kind: PatchMissing, content: "module\n",
			msg: "patch none.patch not found in D/patches/"},
		{name: "does not apply", patches: []string{"bad.patch"}, kind: PatchFailed, content: "module\n",
			msg: "patch bad.patch did not apply"},
		{name: "stops at the first failure", patches: []string{"bad.patch", "fix.patch"}, kind: PatchFailed, content: "module\n"},
		{name: "applied before a failure stays", patches: []string{"fix.patch", "none.patch"}, kind: PatchMissing, content: "patched module\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range map[string]string{
				"foo.c":             "module\n",
				"patches/fix.patch": fixPatch,
				"patches/bad.patch": "--- a/foo.c\n+++ b/foo.c\n@@ -1 +1 @@\n-other\n+x\n",
			} {
				p := filepath.Join(dir, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			log := filepath.Join(dir, "make.log")
			var out bytes.Buffer
			b := &Builder{Inv: &Invoker{Runner: &run.Runner{}, Out: &out}}
			err := b.patch(t.Context(), tc.patches, dir, log)
			if tc.ok {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			} else {
				var pe *PatchError
				if !errors.As(err, &pe) || pe.Kind != tc.kind {
					t.Fatalf("err = %#v, want PatchError kind %d", err, tc.kind)
				}
				if pe.Kind == PatchFailed && pe.Log != log {
					t.Errorf("Log = %q, want %q", pe.Log, log)
				}
				if want := replaceD(tc.msg, dir); tc.msg != "" && err.Error() != want {
					t.Errorf("Error() = %q, want %q", err.Error(), want)
				}
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "foo.c")); string(got) != tc.content {
				t.Errorf("foo.c = %q, want %q", got, tc.content)
			}
		})
	}
}

func replaceD(s, dir string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte("D/"), []byte(dir+"/")))
}
