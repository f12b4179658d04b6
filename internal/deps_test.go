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

// allowed lists, for each package, the internal packages it may import
// (cmd/dkms included, as "../cmd/dkms"). Dependencies point down, floor by
// floor, so that what an action works on goes from the command line to
// make without climbing back: cmd/dkms scans options and words errors;
// lifecycle carries out the actions; status, doctor, kbuild and install do
// one part each; conf, kernel, distro, tree, archive, sign, modinfo and
// compress own their facts; run and fileutil are the door and the helpers. Nothing
// imports cmd/dkms, and the table has no cycle (TestDependencyFloors). A
// package missing here may not exist.
var allowed = map[string][]string{
	"../cmd/dkms":           {"conf", "distro", "doctor", "fileutil", "install", "kbuild", "kernel", "lifecycle", "run", "status", "tree"},
	"fileutil":              {},
	"testenv":               {}, // imported by tests only: no entry lists it
	"compress":              {"compress/xz"},
	"compress/xz":           {},
	"compress/compresstest": {},
	"kernel":                {},
	"distro":                {},
	"modinfo":               {},
	"sign":                  {},
	"run":                   {"fileutil"},
	"conf":                  {"run"},
	"tree":                  {"fileutil", "run"},
	"archive":               {"compress", "fileutil"},
	"archive/archivetest":   {"compress"},
	"kbuild":                {"compress", "fileutil", "run", "tree"},
	"install":               {"compress", "conf", "distro", "fileutil", "modinfo", "run", "tree"},
	"doctor":                {"fileutil", "install", "run", "tree"},
	"pack":                  {"archive", "compress", "run"},
	"status":                {"conf", "fileutil", "install", "tree"},
	"lifecycle":             {"archive", "compress", "conf", "distro", "doctor", "fileutil", "install", "kbuild", "kernel", "pack", "run", "sign", "status", "tree"},
}

// TestDependencyGraph parses the non-test files of every internal package
// and fails on an import the table does not allow.
func TestDependencyGraph(t *testing.T) {
	seen := map[string]bool{}
	walk := func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		if strings.Contains(pkg, "testdata") || pkg == "." || strings.HasPrefix(pkg, "../cmd/dkms/") {
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
	}
	for _, root := range []string{".", "../cmd/dkms"} {
		if err := filepath.WalkDir(root, walk); err != nil {
			t.Fatal(err)
		}
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

// TestDependencyFloors checks that the allowed graph has no cycle: every
// package sits on a floor above everything it may import.
func TestDependencyFloors(t *testing.T) {
	const visiting, done = 1, 2
	state := map[string]int{}
	var visit func(pkg string, path []string)
	visit = func(pkg string, path []string) {
		switch state[pkg] {
		case visiting:
			t.Errorf("dependency cycle: %s", strings.Join(append(path, pkg), " -> "))
			return
		case done:
			return
		}
		state[pkg] = visiting
		for _, dep := range allowed[pkg] {
			visit(dep, append(path, pkg))
		}
		state[pkg] = done
	}
	for pkg := range allowed {
		visit(pkg, nil)
	}
}
