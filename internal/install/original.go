package install

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

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

// moveOriginals performs the archiving that archiveOriginals planned. An
// original is moved by a rename. Where the dkms tree is on another file
// system than the install tree, it is copied instead and stays in the
// install tree until the new modules are placed (dropOriginals returns
// the ones to remove then), so that a failure before that, a full disk
// among others, leaves it where it was and needs no space to undo.
func (e *Env) moveOriginals(man *tree.Manifest) (copied []tree.Original, err error) {
	for _, o := range man.Originals {
		if !fileutil.Exists(o.From) || fileutil.Exists(o.Archived) {
			continue
		}
		fmt.Fprintf(e.Out, "Found pre-existing %s, archiving for uninstallation\n", o.From)
		if err := e.Runner.MkdirAll(filepath.Dir(o.Archived)); err != nil {
			return copied, fmt.Errorf("archiving %s: %w", o.From, err)
		}
		if err := e.Runner.WriteFile(o.Archived+".origin", []byte(o.From+"\n"), 0o644); err != nil {
			return copied, fmt.Errorf("archiving %s: %w", o.From, err)
		}
		err := e.Runner.Rename(o.From, o.Archived)
		if errors.Is(err, syscall.EXDEV) {
			if err = e.Runner.CopyFile(o.From, o.Archived, 0o644); err == nil {
				copied = append(copied, o)
			}
		}
		if err != nil {
			return copied, fmt.Errorf("archiving %s: %w", o.From, err)
		}
	}
	return copied, nil
}

// setAsideOriginals renames in place (tree.Aside) the originals that
// moveOriginals archived by copying: depmod no longer sees them, and an
// install undone puts them back with a rename, with no space needed.
// Finish deletes them once the install is complete.
func (e *Env) setAsideOriginals(copied []tree.Original) error {
	for _, o := range copied {
		if err := e.Runner.Rename(o.From, tree.Aside(o.From)); err != nil {
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

// restoreOriginals puts the originals of an install being undone back
// where they came from: one set aside in the install tree is renamed
// back and its archived copy deleted; one still in place only loses its
// archived copy; any other is moved back from the archive (a copy across
// file systems, the only case that needs space). The first failure is
// returned after the others were tried; an original that could not go
// back keeps its archive and .origin note for the next attempt.
func (e *Env) restoreOriginals(man *tree.Manifest) error {
	var first error
	for _, o := range man.Originals {
		aside := tree.Aside(o.From)
		var err error
		switch {
		case fileutil.Exists(aside):
			if err = e.Runner.Rename(aside, o.From); err == nil {
				err = e.removeArchived(o)
			}
		case !fileutil.Exists(o.Archived):
			// Already moved back by a run killed before it could
			// delete the .origin note.
			if fileutil.Exists(o.Archived + ".origin") {
				e.Runner.Remove(o.Archived + ".origin")
			}
		case o.SHA256 != "" && sameHash(o.From, o.SHA256):
			err = e.removeArchived(o)
		default:
			if err = e.Runner.MkdirAll(filepath.Dir(o.From)); err == nil {
				err = e.Runner.Move(o.Archived, o.From)
			}
			if err == nil {
				e.Runner.Remove(o.Archived + ".origin")
			}
		}
		if err != nil {
			first = cmp.Or(first, fmt.Errorf("restoring %s: %w", o.From, err))
		}
	}
	e.cleanOriginals(man.Module, man.Kernel, man.Arch)
	return first
}

// cleanOriginals removes the empty archive directories of m on K/A.
func (e *Env) cleanOriginals(m, k, a string) {
	dir := e.Layout.Originals(m, k, a)
	if ents, err := os.ReadDir(dir); err == nil && len(ents) == 0 {
		e.Runner.Remove(dir)
	}
	fileutil.RemoveEmptyParents(filepath.Dir(dir), e.Layout.Module(m))
}
