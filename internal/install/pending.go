package install

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/tree"
)

// Pending is an uninstall carried out but for what must wait until depmod
// has indexed the result: its module files and kernel link are set aside
// (tree.Aside), its originals are back. Commit deletes what was set
// aside; Revert puts everything back as it was. Neither needs space on any
// file system, so a depmod that fails for want of it (or for any other
// reason) can be answered by Revert with the old state whole.
type Pending struct {
	e      *Env
	commit []func() error
	revert []func() error
}

func (p *Pending) onCommit(f func() error) { p.commit = append(p.commit, f) }
func (p *Pending) onRevert(f func() error) { p.revert = append(p.revert, f) }

// Commit finishes the uninstall; the first error is returned after every
// step was tried.
func (p *Pending) Commit() error {
	var first error
	for _, f := range p.commit {
		first = cmp.Or(first, f())
	}
	return first
}

// Revert undoes the uninstall, last change first.
func (p *Pending) Revert() error {
	var first error
	for i := len(p.revert) - 1; i >= 0; i-- {
		first = cmp.Or(first, p.revert[i]())
	}
	return first
}

// setAside renames path to its set-aside name, to be deleted on Commit or
// renamed back on Revert.
func (p *Pending) setAside(path string) error {
	aside := tree.Aside(path)
	if err := p.e.Runner.Rename(path, aside); err != nil {
		return err
	}
	p.onRevert(func() error { return p.e.Runner.Rename(aside, path) })
	p.onCommit(func() error { return p.e.Runner.Remove(aside) })
	return nil
}

// putBack returns an archived original to its place so that depmod sees
// it: by a rename (Revert renames it back), or, across file systems, by a
// copy, the archive being deleted only on Commit (Revert deletes the
// copy). It reports whether the original went back.
func (p *Pending) putBack(o tree.Original) (bool, error) {
	e := p.e
	if !fileutil.Exists(o.Archived) {
		if fileutil.Exists(o.Archived + ".origin") {
			p.onCommit(func() error { return e.Runner.Remove(o.Archived + ".origin") })
		}
		return false, nil
	}
	if o.SHA256 != "" && sameHash(o.From, o.SHA256) { // it never left
		p.onCommit(func() error { return e.removeArchived(o) })
		return false, nil
	}
	if err := e.Runner.MkdirAll(filepath.Dir(o.From)); err != nil {
		return false, fmt.Errorf("restoring %s: %w", o.From, err)
	}
	err := e.Runner.Rename(o.Archived, o.From)
	switch {
	case err == nil:
		p.onRevert(func() error { return e.Runner.Rename(o.From, o.Archived) })
		p.onCommit(func() error { return e.Runner.Remove(o.Archived + ".origin") })
	case errors.Is(err, syscall.EXDEV):
		if err = e.Runner.CopyFile(o.Archived, o.From, 0o644); err == nil {
			p.onRevert(func() error { return e.Runner.Remove(o.From) })
			p.onCommit(func() error { return e.removeArchived(o) })
		}
	}
	if err != nil {
		return false, fmt.Errorf("restoring %s: %w", o.From, err)
	}
	return true, nil
}

// removeArchived deletes an original's archived copy and its note.
func (e *Env) removeArchived(o tree.Original) error {
	err := e.Runner.Remove(o.Archived)
	return cmp.Or(err, e.Runner.Remove(o.Archived+".origin"))
}
