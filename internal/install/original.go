package install

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/tree"
)

// archiveOriginals moves each module that an install would shadow out of
// the install tree into DT/m/original_module/K/A, with a .origin file
// holding where it came from, as the reference does (§7.4). The moves are
// recorded in man; the caller writes man before anything else changes, so
// archiveOriginals itself only decides and writes the manifest entries.
func (e *Env) archiveOriginals(req Request, places []placement, man *tree.Manifest) error {
	kdir := e.Layout.KernelDir(req.Kernel)
	dest := e.Layout.Originals(req.Module, req.Kernel, req.Arch)
	// Only placed modules: one refused by the version checks keeps its
	// original where it is.
	for _, p := range places {
		found := e.findOriginal(kdir, p.mod, p.existing)
		if found == "" || ownedBy(man, found) {
			continue
		}
		sum, err := fileutil.HashFile(found)
		if err != nil {
			return fmt.Errorf("reading %s: %w", found, err)
		}
		man.Originals = append(man.Originals, tree.Original{
			From: found, Archived: filepath.Join(dest, filepath.Base(found)), SHA256: sum,
		})
	}
	return nil
}

// moveOriginals performs the archiving that archiveOriginals planned.
func (e *Env) moveOriginals(man *tree.Manifest) error {
	for _, o := range man.Originals {
		if !fileutil.Exists(o.From) || fileutil.Exists(o.Archived) {
			continue
		}
		fmt.Fprintf(e.Out, "Found pre-existing %s, archiving for uninstallation\n", o.From)
		if err := e.Runner.MkdirAll(filepath.Dir(o.Archived)); err != nil {
			return err
		}
		if err := e.Runner.WriteFile(o.Archived+".origin", []byte(o.From+"\n"), 0o644); err != nil {
			return err
		}
		if err := e.Runner.Rename(o.From, o.Archived); err != nil {
			return fmt.Errorf("archiving %s: %w", o.From, err)
		}
	}
	return nil
}

// findOriginal looks for a module of the same name already in IT/K, in the
// reference's order: extra/, updates/, the destination, then anywhere
// (existing: the first hit of the search of the whole tree, done already).
func (e *Env) findOriginal(kdir string, m Module, existing string) string {
	for _, dir := range []string{"extra", "updates", e.location(m.DestLocation)} {
		if p := FindModule(filepath.Join(kdir, dir), m.DestName); p != "" {
			return p
		}
	}
	return existing
}

// SearchModule walks dir for name.ko or a compressed form and returns the
// first hit in lexical walk order, skipping the headers link.
func SearchModule(dir, name string) string {
	var hit string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || hit != "" {
			return filepath.SkipDir
		}
		if d.IsDir() && (d.Name() == "build" || d.Name() == "source") && filepath.Dir(p) == dir {
			return filepath.SkipDir
		}
		if !d.IsDir() && moduleBase(d.Name()) == name && strings.Contains(d.Name(), ".ko") {
			hit = p
			return filepath.SkipAll
		}
		return nil
	})
	return hit
}

// ownedBy reports whether path is a file the previous install of this
// module wrote (then it is ours, not an original).
func ownedBy(man *tree.Manifest, path string) bool {
	if man.Previous == nil {
		return false
	}
	for _, f := range man.Previous.Files {
		if f.Path == path {
			return true
		}
	}
	return false
}

// restoreOriginals puts archived originals back where they came from.
func (e *Env) restoreOriginals(man *tree.Manifest, quiet bool) {
	for _, o := range man.Originals {
		if !fileutil.Exists(o.Archived) {
			// Already moved back by a run killed before it could
			// delete the .origin note.
			if fileutil.Exists(o.Archived + ".origin") {
				e.Runner.Remove(o.Archived + ".origin")
			}
			continue
		}
		if !quiet {
			fmt.Fprintf(e.Out, "Restoring archived original module %s\n", o.From)
		}
		e.Runner.MkdirAll(filepath.Dir(o.From))
		if err := e.Runner.Rename(o.Archived, o.From); err == nil {
			e.Runner.Remove(o.Archived + ".origin")
		}
	}
	e.cleanOriginals(man.Module, man.Kernel, man.Arch)
}

// cleanOriginals removes the empty archive directories of m on K/A.
func (e *Env) cleanOriginals(m, k, a string) {
	dir := e.Layout.Originals(m, k, a)
	if ents, err := os.ReadDir(dir); err == nil && len(ents) == 0 {
		e.Runner.Remove(dir)
	}
	fileutil.RemoveEmptyParents(filepath.Dir(dir), e.Layout.Module(m))
}
