package status

import (
	"bytes"
	"io"
	"path/filepath"
	"sync"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/tree"
)

// Checker computes the flags of built and installed entries. Each may
// need its dkms.conf evaluated (when its build has no current build
// record), so entries are checked on several workers; a Checker is safe
// for that, and Modules must be too.
type Checker struct {
	Layout tree.Layout
	// Install finds where a module without manifest is installed
	// (install.Env.InstalledFile).
	Install *install.Env
	// Files returns the conf files a read of e's dkms.conf evaluates.
	Files func(e *Entry) []string
	// Modules evaluates e's dkms.conf and returns its dest modules,
	// writing what the evaluation prints to stderr; false when the conf
	// cannot be read. It may answer from a cache of evaluations
	// (conf.Cache), which the first entry of each version fills for the
	// others (checkOrder).
	Modules func(e *Entry, stderr io.Writer) ([]install.Module, bool)
	// Workers is how many entries are checked at once (at least 1).
	Workers int
}

// Flag fills the flags of every built or installed entry and, in Stderr,
// what evaluating its dkms.conf printed.
func (c *Checker) Flag(entries []Entry) {
	errs := make([]bytes.Buffer, len(entries))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < max(1, c.Workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c.flag(&entries[i], &errs[i])
			}
		}()
	}
	for _, i := range checkOrder(entries) {
		work <- i
	}
	close(work)
	wg.Wait()
	for i := range errs {
		entries[i].Stderr = errs[i].Bytes()
	}
}

// checkOrder lists the entries to check: first one entry of each module
// version, then the rest. The others mostly reuse the first one's
// dkms.conf evaluation (a kernel-independent conf is cached once for all
// kernels), and this order has it cached before they ask.
func checkOrder(entries []Entry) []int {
	seen := map[string]bool{}
	var first, later []int
	for i, e := range entries {
		if e.Kernel == "" {
			continue
		}
		if mv := e.Module + "/" + e.Version; !seen[mv] {
			seen[mv] = true
			first = append(first, i)
		} else {
			later = append(later, i)
		}
	}
	return append(first, later...)
}

// flag fills the suffix flags of a built or installed entry.
func (c *Checker) flag(e *Entry, stderr io.Writer) {
	e.Original = fileutil.IsDir(c.Layout.Originals(e.Module, e.Kernel, e.Arch)) && !c.rollingBack(e)
	mods, ok := c.modules(e, stderr)
	if !ok {
		return
	}
	builtDir := c.Layout.BuiltModules(e.Module, e.Version, e.Kernel, e.Arch)
	man, _ := c.Layout.ReadManifest(e.Module, e.Kernel, e.Arch)
	req := install.Request{Module: e.Module, Version: e.Version, Kernel: e.Kernel, Arch: e.Arch, Modules: mods}
	for _, m := range mods {
		if m.Excluded { // never built for this kernel: neither missing nor different
			continue
		}
		built := install.FindModule(builtDir, m.DestName)
		if built == "" {
			e.Missing = true
			return
		}
		if e.State != Installed {
			continue
		}
		installed := ""
		if man != nil && man.Version == e.Version {
			installed = manifestPath(man.Files, filepath.Base(built))
		} else {
			installed = c.Install.InstalledFile(req, m, builtDir)
		}
		if installed == "" || !fileutil.SameContent(built, installed) {
			e.Differs = true
			return
		}
	}
}

// rollingBack reports an install or uninstall of e's module on K/A that a
// killed run left half done: its manifest is there but not its kernel
// link. The next mutating run rolls it back (restoring any originals), so
// status already shows the state that follows.
func (c *Checker) rollingBack(e *Entry) bool {
	man, err := c.Layout.ReadManifest(e.Module, e.Kernel, e.Arch)
	return err == nil && man != nil && c.Layout.InstalledVersion(e.Module, e.Kernel, e.Arch) != man.Version
}

// modules returns e's dest modules: from its build record when the conf
// files are the ones it was built from, else from its dkms.conf.
func (c *Checker) modules(e *Entry, stderr io.Writer) ([]install.Module, bool) {
	files := c.Files(e)
	if rec := c.Layout.ReadBuildRecord(e.Module, e.Version, e.Kernel, e.Arch); rec != nil && rec.ConfHash != "" && rec.ConfHash == conf.HashFiles(files) {
		var mods []install.Module
		for _, m := range rec.Modules {
			mods = append(mods, install.Module{DestName: m.DestName, DestLocation: m.DestLocation})
		}
		return mods, true
	}
	return c.Modules(e, stderr)
}

// manifestPath finds the installed path of a module file by its name.
func manifestPath(files []tree.File, name string) string {
	for _, f := range files {
		if filepath.Base(f.Path) == name {
			return f.Path
		}
	}
	return ""
}
