package testenv

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// helperEnv makes the test binary run TestHelperSkip's body: a test that
// asks to skip, observed from outside.
const helperEnv = "DKMS_TESTENV_HELPER"

func TestHelperSkip(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		return
	}
	Skipf(t, "helper wants to skip")
}

// TestSkipfStrict runs a skipping test in a child process: without the
// switch it skips and passes; with it, it fails naming the switch.
func TestSkipfStrict(t *testing.T) {
	for _, tc := range []struct {
		strict   string
		wantFail bool
		want     string
	}{
		{"", false, "--- SKIP: TestHelperSkip"},
		{"1", true, "helper wants to skip (" + StrictEnv + " is set: nothing may skip)"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSkip$", "-test.v")
		cmd.Env = append(os.Environ(), helperEnv+"=1", StrictEnv+"="+tc.strict)
		out, err := cmd.CombinedOutput()
		if (err != nil) != tc.wantFail || !bytes.Contains(out, []byte(tc.want)) {
			t.Errorf("%s=%q: err %v, want failure %v and %q in:\n%s", StrictEnv, tc.strict, err, tc.wantFail, tc.want, out)
		}
	}
}

// TestNoDirectSkip parses every Go file of the repository and fails on a
// call of Skip, Skipf or SkipNow outside this package: every skip must go
// through Skipf, LookPath, Shared, SkipIfShort or OptIn, so that the
// strict switch reaches it.
func TestNoDirectSkip(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	self, _ := filepath.Abs(".")
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (path == self || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		files++
		for _, pos := range directSkips(t, path) {
			rel, _ := filepath.Rel(root, pos.Filename)
			t.Errorf("%s:%d: calls Skip directly; use internal/testenv so %s can turn it into a failure", rel, pos.Line, StrictEnv)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("walked only %d Go files from %s: the scan is not looking at the repository", files, root)
	}
}

// directSkips returns the positions of x.Skip, x.Skipf and x.SkipNow
// calls in the file, but for testenv.Skipf.
func directSkips(t *testing.T, path string) []token.Position {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var found []token.Position
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, isIdent := sel.X.(*ast.Ident); !isIdent || id.Name != "testenv" {
			switch sel.Sel.Name {
			case "Skip", "Skipf", "SkipNow":
				found = append(found, fset.Position(call.Pos()))
			}
		}
		return true
	})
	return found
}
