package main

import (
	"errors"
	"path/filepath"
	"time"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/tree"
)

// statusModule is one dest module of a status entry: its built file and
// whether the installed copy matches it.
type statusModule struct {
	built string
	same  bool
}

// statusModules finds each dest module's built file and compares it with
// the installed one: through the install manifest when we made the install,
// else where the reference would look.
func (a *app) statusModules(e *statusEntry) ([]statusModule, error) {
	r := confRequest{module: e.Module, version: e.Version, kernel: e.Kernel, arch: e.Arch}
	mods, ok := a.recordedModules(r)
	if !ok {
		_, files := a.loader.Files(a.request(r))
		mods, ok = a.statusCache.cachedModules(files, func() ([]install.Module, bool) {
			cfg, err := a.readConf(r)
			if err != nil {
				return nil, false
			}
			return a.installRequest(cfg.Config, e.Kernel, e.Arch).Modules, true
		})
		if !ok {
			return nil, errBadConf
		}
	}
	builtDir := a.layout.BuiltModules(e.Module, e.Version, e.Kernel, e.Arch)
	man, _ := a.layout.ReadManifest(e.Module, e.Kernel, e.Arch)
	req := install.Request{Module: e.Module, Version: e.Version, Kernel: e.Kernel, Arch: e.Arch, Modules: mods}
	var out []statusModule
	for _, m := range mods {
		sm := statusModule{built: install.FindModule(builtDir, m.DestName)}
		if sm.built != "" && e.State == "installed" {
			installed := ""
			if man != nil && man.Version == e.Version {
				installed = manifestPath(man.Files, filepath.Base(sm.built))
			} else {
				installed = a.installer().InstalledFile(req, m, builtDir)
			}
			sm.same = installed != "" && fileutil.SameContent(sm.built, installed)
		}
		out = append(out, sm)
	}
	return out, nil
}

// errBadConf stands for a dkms.conf readConf has already reported.
var errBadConf = errors.New("bad dkms.conf")

// manifestPath finds the installed path of a module file by its name.
func manifestPath(files []tree.File, name string) string {
	for _, f := range files {
		if filepath.Base(f.Path) == name {
			return f.Path
		}
	}
	return ""
}

func (a *app) recordFailure(m, v, k, arch string, code int) {
	a.layout.RecordFailure(a.runner, m, v, k, arch, code, time.Now())
}

func (a *app) clearFailure(m, v, k, arch string) {
	a.layout.ClearFailure(a.runner, m, v, k, arch)
}

// failures lists the recorded failures of an entry's version.
func (a *app) failures(e *statusEntry) []failure {
	var out []failure
	for _, f := range a.layout.Failures(e.Module, e.Version) {
		if e.Kernel == "" || (f.Kernel == e.Kernel && f.Arch == e.Arch) {
			out = append(out, failure{Kernel: f.Kernel, Arch: f.Arch, Last: f.Text})
		}
	}
	return out
}
