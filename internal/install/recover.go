package install

import (
	"path/filepath"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/tree"
)

// Recover finishes what interrupted runs left: for every manifest whose
// kernel link does not point at its version, the install (or uninstall)
// did not complete, so its files are removed and its originals restored.
// When the interrupted install was an upgrade, the previous version's
// files are put back, so the module ends in its old state. Recover is run
// under the tree lock before every mutating action; it reports what it
// repaired.
func (e *Env) Recover() []string {
	var done []string
	for _, man := range e.Layout.Manifests() {
		if e.Layout.InstalledVersion(man.Module, man.Kernel, man.Arch) == man.Version {
			continue
		}
		e.rollback(man)
		done = append(done, man.Module+"/"+man.Version+" on "+man.Kernel+" ("+man.Arch+")")
	}
	return done
}

// rollback undoes a partial install described by man.
func (e *Env) rollback(man *tree.Manifest) {
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
	e.removeFiles(&tree.Manifest{Kernel: man.Kernel, Files: ours}, true)
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
