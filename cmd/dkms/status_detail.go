package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
		_, files := a.confFiles(r)
		mods, ok = a.statusCache.cachedModules(files, func() ([]install.Module, bool) {
			cfg, err := a.readConf(r)
			if err != nil {
				return nil, false
			}
			return a.installRequest(cfg, e.Kernel, e.Arch).Modules, true
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

// failureFile records the last failed build or install of m/v on K/A, for
// `status --json`; the reference keeps no such record.
func (a *app) failureFile(m, v, k, arch string) string {
	return filepath.Join(a.layout.Version(m, v), ".last-failure-"+k+"-"+arch)
}

func (a *app) recordFailure(m, v, k, arch string, code int) {
	if m == "" || v == "" || !isDir(a.layout.Version(m, v)) {
		return
	}
	msg := fmt.Sprintf("%s exit %d", time.Now().UTC().Format(time.RFC3339), code)
	if log := filepath.Join(a.layout.BuildDir(m, v), "make.log"); isFile(log) {
		msg += " log " + log
	}
	os.WriteFile(a.failureFile(m, v, k, arch), []byte(msg+"\n"), 0o644)
}

func (a *app) clearFailure(m, v, k, arch string) {
	os.Remove(a.failureFile(m, v, k, arch))
}

// failures lists the recorded failures of an entry's version.
func (a *app) failures(e *statusEntry) []failure {
	prefix := filepath.Join(a.layout.Version(e.Module, e.Version), ".last-failure-")
	paths, _ := filepath.Glob(prefix + "*")
	var out []failure
	for _, p := range paths {
		ka := strings.TrimPrefix(p, prefix)
		k, arch := tree.SplitKernelArch(ka)
		if e.Kernel != "" && (k != e.Kernel || arch != e.Arch) {
			continue
		}
		b, err := os.ReadFile(p)
		if err == nil {
			out = append(out, failure{Kernel: k, Arch: arch, Last: strings.TrimSpace(string(b))})
		}
	}
	return out
}
