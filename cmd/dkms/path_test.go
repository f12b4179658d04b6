package main

import (
	"os"
	"path/filepath"
	"slices"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdPathWithout sets PATH to a directory of links to every program on
// the current PATH except the named ones, so that a script can run dkms
// on a system without, say, xz(1): `pathwithout xz`.
func cmdPathWithout(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: pathwithout PROGRAM...")
	}
	dir := ts.MkAbs("pathwithout")
	ts.Check(os.MkdirAll(dir, 0o755))
	for _, d := range filepath.SplitList(ts.Getenv("PATH")) {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			name := e.Name()
			if slices.Contains(args, name) {
				continue
			}
			link := filepath.Join(dir, name)
			if _, err := os.Lstat(link); err == nil {
				continue // an earlier PATH entry wins, as in a lookup
			}
			ts.Check(os.Symlink(filepath.Join(d, name), link))
		}
	}
	ts.Setenv("PATH", dir)
}
