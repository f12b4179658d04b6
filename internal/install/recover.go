package install

import (
	"context"
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
		if e.Layout.InstalledVersion(man.Module, man.Kernel, man.Arch) == man.Version {
			continue
		}
		e.rollback(ctx, man)
		done = append(done, man.Module+"/"+man.Version+" on "+man.Kernel+" ("+man.Arch+")")
	}
	return done
}

// rollback undoes a partial install described by man.
func (e *Env) rollback(ctx context.Context, man *tree.Manifest) {
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
	if len(keep) > 0 {
		e.reinstate(prev)
		return
	}
	e.restoreOriginals(man, true)
	e.Runner.Remove(e.Layout.Manifest(man.Module, man.Kernel, man.Arch))
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
