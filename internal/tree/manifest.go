package tree

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/fileutil"
)

// Manifest records everything one install of module/version on K/A did to
// the install tree: the files it wrote and the original modules it moved
// aside. Uninstall replays it, so it undoes exactly what was done even if
// dkms.conf changed since (a long-standing reference bug).
//
// Invariant: a manifest is written before the first file is placed, and
// the kernel link (which marks "installed") is made after the last. A
// manifest whose kernel link does not point at its version is therefore an
// install or uninstall that did not finish, and is rolled back.
type Manifest struct {
	Module    string     `json:"module"`
	Version   string     `json:"version"`
	Kernel    string     `json:"kernel"`
	Arch      string     `json:"arch"`
	Files     []File     `json:"files"`
	Originals []Original `json:"originals,omitempty"`
	// Previous is the manifest this install replaced (an upgrade from
	// another version), kept so that an interrupted upgrade rolls back to
	// the old version's files rather than to nothing.
	Previous *Manifest `json:"previous,omitempty"`
}

// File is one file an install wrote into the install tree.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Source string `json:"source"` // the built file it was copied from
}

// Original is a module that was in the install tree before our install and
// was moved into the dkms tree, to be put back on uninstall.
type Original struct {
	From     string `json:"from"`     // where it was, and goes back to
	Archived string `json:"archived"` // where it is kept meanwhile
	SHA256   string `json:"sha256"`
}

// ReadManifest loads the manifest of m on K/A; it returns (nil, nil) when
// there is none (an install made by the reference dkms, or none at all).
func (l Layout) ReadManifest(m, k, a string) (*Manifest, error) {
	b, err := os.ReadFile(l.Manifest(m, k, a))
	if fileutil.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading install manifest: %w", err)
	}
	var man Manifest
	if err := json.Unmarshal(b, &man); err != nil {
		return nil, fmt.Errorf("reading install manifest %s: %w", l.Manifest(m, k, a), err)
	}
	return &man, nil
}

// Manifests lists the manifests present under the tree as (module, kernel,
// arch) triples, for recovery and checks.
func (l Layout) Manifests() []*Manifest {
	var out []*Manifest
	for _, m := range l.Modules() {
		paths, _ := filepath.Glob(filepath.Join(l.Module(m), ".manifest-*.json"))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			var man Manifest
			if json.Unmarshal(b, &man) == nil && man.Module == m &&
				strings.HasSuffix(p, "/.manifest-"+man.Kernel+"-"+man.Arch+".json") {
				out = append(out, &man)
			}
		}
	}
	return out
}

// Encode renders the manifest for writing.
func (man *Manifest) Encode() []byte {
	b, _ := json.MarshalIndent(man, "", "  ")
	return append(b, '\n')
}
