// Package status works out what `dkms status` shows: the entries of the
// tree (a module version's state, overall or per kernel and arch), the
// flags of built and installed entries (original modules saved, built
// modules missing, installed ones differing), the recorded failures, and
// the JSON document of `status --json`. It prints nothing: the CLI
// formats the entries, and what evaluating a dkms.conf printed is kept
// per entry for it to show.
package status

import (
	"encoding/json"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/tree"
)

// State is an entry's state, as the reference's status names it.
type State string

// The states.
const (
	Added     State = "added"
	Built     State = "built"
	Installed State = "installed"
	Broken    State = "broken"
	// InstalledWeak: linked into the kernel by the distribution's
	// weak-modules tool from the kernel in Entry.From (see Weak).
	InstalledWeak State = "installed-weak"
)

// Entry is one line of `dkms status`: a module version's state, overall
// or on one kernel/arch. Its JSON form is an element of `status --json`
// (docs/status.schema.json).
type Entry struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Kernel   string `json:"kernel,omitempty"`
	Arch     string `json:"arch,omitempty"`
	State    State  `json:"state"`
	Original bool   `json:"original_module_saved"`
	Missing  bool   `json:"built_modules_missing"`
	Differs  bool   `json:"built_and_installed_differ"`
	// From is the kernel an installed-weak entry's modules were built and
	// installed for.
	From string `json:"weak_from,omitempty"`
	// Failures are the last failed build or install of this version per
	// kernel/arch (only this entry's kernel for a built entry).
	Failures []Failure `json:"failures,omitempty"`
	// Stderr is what reading the entry's dkms.conf printed, to be shown
	// before its line.
	Stderr []byte `json:"-"`
}

// Failure is one recorded failure (tree.Failure).
type Failure struct {
	Kernel string `json:"kernel"`
	Arch   string `json:"arch"`
	Last   string `json:"last_failure"`
}

// Entries walks the tree like the reference's module_status: for each
// module and version in name order, a broken entry, an added one, or one
// per kernel/arch it is built for. m, v, k and arch filter ("" for all).
func Entries(l tree.Layout, m, v, k, arch string) []Entry {
	var out []Entry
	for _, mod := range filterNames(l.Modules(), m) {
		for _, ver := range filterNames(l.Versions(mod), v) {
			if l.IsBroken(mod, ver) {
				out = append(out, Entry{Module: mod, Version: ver, State: Broken})
				continue
			}
			if !l.IsAdded(mod, ver) {
				continue
			}
			builds := buildsFor(l, mod, ver, k, arch)
			if len(builds) == 0 {
				out = append(out, Entry{Module: mod, Version: ver, State: Added})
			}
			for _, ka := range builds {
				e := Entry{Module: mod, Version: ver, Kernel: ka.Kernel, Arch: ka.Arch, State: Built}
				if l.IsInstalled(mod, ver, ka.Kernel, ka.Arch) {
					e.State = Installed
				}
				out = append(out, e)
			}
		}
	}
	return out
}

// buildsFor lists the K/A m/v is built for, within the k/arch filter.
func buildsFor(l tree.Layout, m, v, k, arch string) []tree.KernelArch {
	var out []tree.KernelArch
	if k != "" {
		arches := []string{arch}
		if arch == "" {
			arches = fileutil.Subdirs(l.Built(m, v, k, ""))
		}
		for _, ar := range arches {
			if l.IsBuilt(m, v, k, ar) {
				out = append(out, tree.KernelArch{Kernel: k, Arch: ar})
			}
		}
		return out
	}
	for _, ka := range l.Builds(m, v) {
		if arch == "" || ka.Arch == arch {
			out = append(out, ka)
		}
	}
	return out
}

func filterNames(names []string, want string) []string {
	if want == "" {
		return names
	}
	for _, n := range names {
		if n == want {
			return []string{want}
		}
	}
	return nil
}

// AddFailures attaches to each entry the failures recorded for its
// version: all kernels for an added or broken entry, its own kernel for
// a built one.
func AddFailures(l tree.Layout, entries []Entry) {
	for i := range entries {
		e := &entries[i]
		e.Failures = nil
		for _, f := range l.Failures(e.Module, e.Version) {
			if e.Kernel == "" || (f.Kernel == e.Kernel && f.Arch == e.Arch) {
				e.Failures = append(e.Failures, Failure{Kernel: f.Kernel, Arch: f.Arch, Last: f.Text})
			}
		}
	}
}

// Document renders `status --json`: format_version 1 and the entries.
func Document(entries []Entry) ([]byte, error) {
	doc := struct {
		Version int     `json:"format_version"`
		Modules []Entry `json:"modules"`
	}{1, entries}
	if doc.Modules == nil {
		doc.Modules = []Entry{}
	}
	return json.MarshalIndent(doc, "", "  ")
}
