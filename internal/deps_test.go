// Package internal_test holds the test that keeps the dependency graph of
// the internal packages the one the README describes.
package internal_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/dkms-go/dkms/internal/"

// allowed lists, for each internal package, the internal packages it may
// import. Dependencies point down: leaves import nothing internal (or only
// fileutil), build and install use the leaves, and nothing imports
// cmd/dkms. A package missing here may not exist.
var allowed = map[string][]string{
	"fileutil":              {},
	"compress":              {"compress/xz"},
	"compress/xz":           {},
	"compress/compresstest": {},
	"kernel":                {},
	"modinfo":               {},
	"sign":                  {},
	"run":                   {"fileutil"},
	"conf":                  {"run"},
	"tree":                  {"fileutil"},
	"archive":               {"compress"},
	"archive/archivetest":   {"compress"},
	"build":                 {"compress", "fileutil", "run", "tree"},
	"install":               {"compress", "conf", "fileutil", "modinfo", "run", "tree"},
	"doctor":                {"fileutil", "install", "run", "tree"},
}

// TestDependencyGraph parses the non-test files of every internal package
// and fails on an import the table does not allow.
func TestDependencyGraph(t *testing.T) {
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		if strings.Contains(pkg, "testdata") || pkg == "." {
			return nil
		}
		seen[pkg] = true
		ok, known := allowed[pkg]
		if !known {
			t.Errorf("package %s is not in the dependency table", pkg)
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if strings.Contains(p, "/cmd/dkms") {
				t.Errorf("%s imports cmd/dkms", path)
			}
			if dep, internal := strings.CutPrefix(p, module); internal && !contains(ok, dep) {
				t.Errorf("%s imports %s; %s may import only %v", path, dep, pkg, ok)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for pkg := range allowed {
		if !seen[pkg] {
			missing = append(missing, pkg)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Logf("packages in the table but not in the tree: %v", missing)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
