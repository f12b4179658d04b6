package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/dkms-go/dkms/internal/fileutil"

	"github.com/dkms-go/dkms/internal/tree"
)

// statusEntry is one line of `dkms status`: a module version's state,
// overall or on one kernel/arch.
type statusEntry struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Kernel   string `json:"kernel,omitempty"`
	Arch     string `json:"arch,omitempty"`
	State    string `json:"state"` // added, built, installed, broken
	Original bool   `json:"original_module_saved"`
	Missing  bool   `json:"built_modules_missing"`
	Differs  bool   `json:"built_and_installed_differ"`
	// Failures are the last failed build or install of this version per
	// kernel/arch (only this entry's kernel for a built entry).
	Failures []failure `json:"failures,omitempty"`

	stderr []byte // what reading its dkms.conf printed, shown before the line
}

// failure is one recorded failure, for status --json.
type failure struct {
	Kernel string `json:"kernel"`
	Arch   string `json:"arch"`
	Last   string `json:"last_failure"`
}

// cmdStatus prints the state of every module/version, filtered by -m, -v,
// -k and -a, exactly as the reference formats it; --json gives the same
// entries as one JSON document. Status never fails: an entry it cannot
// read is shown as far as it can be.
func (a *app) cmdStatus() error {
	kernels := a.o.kernels
	if len(kernels) == 0 {
		kernels = []string{""}
	}
	arch := ""
	if len(a.o.arches) > 0 {
		arch = a.o.arches[0]
	}
	var all []statusEntry
	for _, k := range kernels {
		all = append(all, a.statusEntries(a.o.module, a.o.version, k, arch, true)...)
	}
	if a.o.json {
		return a.printStatusJSON(all)
	}
	for _, e := range all {
		a.printStatusLine(e)
	}
	return nil
}

// statusEntries walks the tree like the reference's module_status: broken
// entries, then added, built and installed ones. With suffixes it also
// reads each dkms.conf to flag missing or differing modules.
func (a *app) statusEntries(m, v, k, arch string, suffixes bool) []statusEntry {
	var out []statusEntry
	for _, mod := range a.filterNames(a.layout.Modules(), m) {
		for _, ver := range a.filterNames(a.layout.Versions(mod), v) {
			if a.layout.IsBroken(mod, ver) {
				out = append(out, statusEntry{Module: mod, Version: ver, State: "broken"})
				continue
			}
			if !a.layout.IsAdded(mod, ver) {
				continue
			}
			builds := a.buildsFor(mod, ver, k, arch)
			if len(builds) == 0 {
				out = append(out, statusEntry{Module: mod, Version: ver, State: "added"})
			}
			for _, ka := range builds {
				e := statusEntry{Module: mod, Version: ver, Kernel: ka.Kernel, Arch: ka.Arch, State: "built"}
				if a.layout.IsInstalled(mod, ver, ka.Kernel, ka.Arch) {
					e.State = "installed"
				}
				out = append(out, e)
			}
		}
	}
	if suffixes {
		a.allStatusFlags(out)
	}
	return out
}

// allStatusFlags computes the suffix flags of every built or installed
// entry, on all CPUs: each may need a dkms.conf evaluated. What an
// evaluation prints on stderr is kept per entry and printed in order.
func (a *app) allStatusFlags(entries []statusEntry) {
	if a.statusCache == nil {
		a.statusCache = &statusCache{entries: map[string]*cacheEntry{}}
	}
	errs := make([]bytes.Buffer, len(entries))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < max(1, numCPU()); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				b := *a
				b.scope = a.scope.Fork()
				b.rep.err = &errs[i]
				b.statusFlags(&entries[i])
			}
		}()
	}
	// First one entry of each module version, then the rest: the others
	// mostly reuse the first one's dkms.conf evaluation (statusCache), and
	// this order keeps the workers from waiting on each other for it.
	seen := map[string]bool{}
	var later []int
	for i := range entries {
		if entries[i].Kernel == "" {
			continue
		}
		if mv := moduleVersion(entries[i].Module, entries[i].Version); !seen[mv] {
			seen[mv] = true
			work <- i
		} else {
			later = append(later, i)
		}
	}
	for _, i := range later {
		work <- i
	}
	close(work)
	wg.Wait()
	for i := range errs {
		entries[i].stderr = errs[i].Bytes()
	}
}

// buildsFor lists the K/A m/v is built for, within the -k/-a filter.
func (a *app) buildsFor(m, v, k, arch string) []tree.KernelArch {
	var out []tree.KernelArch
	if k != "" {
		for _, ar := range a.archesOf(m, v, k, arch) {
			if a.layout.IsBuilt(m, v, k, ar) {
				out = append(out, tree.KernelArch{Kernel: k, Arch: ar})
			}
		}
		return out
	}
	for _, ka := range a.layout.Builds(m, v) {
		if arch == "" || ka.Arch == arch {
			out = append(out, ka)
		}
	}
	return out
}

func (a *app) archesOf(m, v, k, arch string) []string {
	if arch != "" {
		return []string{arch}
	}
	return fileutil.Subdirs(filepath.Join(a.layout.Version(m, v), k))
}

func (a *app) filterNames(names []string, want string) []string {
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

// statusFlags fills the suffix flags of a built or installed entry.
func (a *app) statusFlags(e *statusEntry) {
	e.Original = isDir(a.layout.Originals(e.Module, e.Kernel, e.Arch)) && !a.rollingBack(e.Module, e.Kernel, e.Arch)
	mods, err := a.statusModules(e)
	if err != nil {
		return
	}
	for _, sm := range mods {
		if sm.built == "" {
			e.Missing = true
			return
		}
		if e.State == "installed" && !sm.same {
			e.Differs = true
			return
		}
	}
}

// rollingBack reports an install or uninstall of m on K/A that a killed
// run left half done: its manifest is there but not its kernel link. The
// next mutating run rolls it back (restoring any originals), so status
// already shows the state that follows.
func (a *app) rollingBack(m, k, arch string) bool {
	man, err := a.layout.ReadManifest(m, k, arch)
	return err == nil && man != nil && a.layout.InstalledVersion(m, k, arch) != man.Version
}

func (a *app) printStatusLine(e statusEntry) {
	a.rep.err.Write(e.stderr)
	switch e.State {
	case "broken":
		a.rep.say("%s/%s: broken", e.Module, e.Version)
		a.rep.errorBlock(e.Module+"/"+e.Version+": Missing the module source directory or the symbolic link pointing to it.",
			"Manual intervention is required!")
	case "added":
		a.rep.say("%s/%s: added", e.Module, e.Version)
	default:
		line := fmt.Sprintf("%s/%s, %s, %s: %s", e.Module, e.Version, e.Kernel, e.Arch, e.State)
		if e.Original {
			line += " (Original modules exist)"
		}
		if e.Missing {
			line += " (Built modules are missing in the kernel modules folder)"
		} else if e.Differs {
			line += " (Differences between built and installed modules)"
		}
		a.rep.say("%s", line)
	}
}

func (a *app) printStatusJSON(all []statusEntry) error {
	for i := range all {
		all[i].Failures = a.failures(&all[i])
	}
	doc := struct {
		Version int           `json:"format_version"`
		Modules []statusEntry `json:"modules"`
	}{1, all}
	if doc.Modules == nil {
		doc.Modules = []statusEntry{}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(a.rep.out, "%s\n", b)
	return nil
}
