package install

import (
	"cmp"
	"context"
	"os"
	"path/filepath"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/tree"
)

// Recover finishes what interrupted runs left: installs and uninstalls
// half done (RollBack), the temporary names of tree.Layout.Temporaries
// (extraLocations are further module locations to search, relative to
// IT/K), and the depmods a killed run did not get to (FinishDepmod). It
// is the one recovery: every mutating action runs it first, under the tree
// lock, so nothing it removes is in use, and doctor --fix repairs its
// findings with the same pieces. It returns what RollBack rolled back.
func (e *Env) Recover(ctx context.Context, extraLocations ...string) []string {
	done := e.RollBack(ctx)
	for _, p := range e.Layout.Temporaries(extraLocations...) {
		e.Runner.RemoveAll(p)
	}
	for _, mk := range e.Layout.DepmodMarkers("") {
		e.FinishDepmod(ctx, mk)
	}
	return done
}

// FinishDepmod runs the depmod a marker stands for and then removes the
// marker; on failure the marker stays for the next run.
func (e *Env) FinishDepmod(ctx context.Context, mk tree.Marker) error {
	if err := e.Depmod(ctx, mk.Kernel); err != nil {
		return err
	}
	return e.Runner.Remove(mk.Path)
}

// RollBack undoes, for every manifest whose kernel link does not point at
// its version, the install (or uninstall) that did not complete: its
// files are removed and its originals restored. When the interrupted
// install was an upgrade, the previous version's files are put back, so
// the module ends in its old state. It reports what it repaired.
func (e *Env) RollBack(ctx context.Context) []string {
	var done []string
	for _, man := range e.Layout.Manifests() {
		marker := e.Layout.UninstallMarker(man.Module, man.Kernel, man.Arch)
		if e.Layout.InstalledVersion(man.Module, man.Kernel, man.Arch) == man.Version {
			e.finish(man) // an install killed after its link, before Finish
			if fileutil.Exists(marker) {
				e.takeBackOriginals(man)
				e.Runner.Remove(marker)
			}
			continue
		}
		e.rollback(ctx, man)
		if fileutil.Exists(marker) {
			e.Runner.Remove(marker)
		}
		done = append(done, man.Module+"/"+man.Version+" on "+man.Kernel+" ("+man.Arch+")")
	}
	return done
}

// rollback undoes a partial install described by man (or finishes an
// interrupted uninstall, which ends in the same state).
func (e *Env) rollback(ctx context.Context, man *tree.Manifest) error {
	prev := man.Previous
	keep := map[string]bool{}
	if prev != nil && e.Layout.InstalledVersion(man.Module, man.Kernel, man.Arch) == prev.Version {
		for _, f := range prev.Files {
			keep[f.Path] = true
		}
	}
	var ours []tree.File
	for _, f := range man.Files {
		if !keep[f.Path] && (f.SHA256 == "" || sameHash(f.Path, f.SHA256)) {
			ours = append(ours, f)
		}
	}
	e.removeFiles(ctx, &tree.Manifest{Kernel: man.Kernel, Files: ours}, true)
	e.removeAsides(man)
	if len(keep) > 0 {
		e.reinstate(prev)
		return nil
	}
	if err := e.restoreOriginals(man); err != nil {
		return err // the manifest stays, so the next run puts them back
	}
	return e.Runner.Remove(e.Layout.Manifest(man.Module, man.Kernel, man.Arch))
}

// removeAsides deletes what an uninstall interrupted before its Commit
// set aside: the module's files and its kernel link.
func (e *Env) removeAsides(man *tree.Manifest) {
	paths := []string{e.Layout.KernelLink(man.Module, man.Kernel, man.Arch)}
	for _, f := range man.Files {
		paths = append(paths, f.Path)
	}
	for _, p := range paths {
		if _, err := os.Lstat(tree.Aside(p)); err == nil {
			e.Runner.Remove(tree.Aside(p))
		}
	}
}

// Undo takes back the install of req this run just made (its depmod
// failed): the kernel link, the module files, and the originals back in
// place. It needs no space when the originals were set aside or renamed.
// The weak-modules tool is told the files go, as after any install. On
// failure the manifest stays, so the next run's Recover finishes it.
func (e *Env) Undo(ctx context.Context, req Request) error {
	man, err := e.Layout.ReadManifest(req.Module, req.Kernel, req.Arch)
	if err != nil || man == nil {
		return err
	}
	e.weakModules(ctx, req, man.Files, false)
	if err := e.Runner.Remove(e.Layout.KernelLink(req.Module, req.Kernel, req.Arch)); err != nil {
		return err
	}
	return e.rollback(ctx, man)
}

// Finish completes the install of req once depmod has run: the originals
// it set aside are deleted (their archived copies stay).
func (e *Env) Finish(req Request) error {
	man, err := e.Layout.ReadManifest(req.Module, req.Kernel, req.Arch)
	if err != nil || man == nil {
		return err
	}
	return e.finish(man)
}

// takeBackOriginals undoes what an uninstall killed before it set the
// module aside had done: the originals it put back (Pending.putBack) go
// back into the archive, or, where they were copied, the copy goes.
func (e *Env) takeBackOriginals(man *tree.Manifest) {
	before, _ := splitOriginals(man) // the others were never put back
	for _, o := range before {
		if o.SHA256 == "" || !sameHash(o.From, o.SHA256) {
			continue
		}
		if fileutil.Exists(o.Archived) {
			e.Runner.Remove(o.From)
		} else {
			e.Runner.Move(o.From, o.Archived)
		}
	}
}

func (e *Env) finish(man *tree.Manifest) error {
	var first error
	for _, o := range man.Originals {
		if aside := tree.Aside(o.From); fileutil.Exists(aside) {
			first = cmp.Or(first, e.Runner.Remove(aside))
		}
	}
	return first
}

// reinstate puts the files of a previous install back from their built
// copies and makes its manifest current again.
func (e *Env) reinstate(prev *tree.Manifest) {
	for _, f := range prev.Files {
		if f.Source != "" && !sameHash(f.Path, f.SHA256) {
			e.Runner.MkdirAll(filepath.Dir(f.Path))
			e.Runner.CopyFile(f.Source, f.Path, 0o644)
		}
	}
	e.writeManifest(prev)
}

func sameHash(path, sum string) bool {
	h, err := fileutil.HashFile(path)
	return err == nil && h == sum
}
