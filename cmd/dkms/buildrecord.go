package main

import (
	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/tree"
)

// confHash hashes the names and contents of the conf files of a read.
func (a *app) confHash(r confRequest) string {
	_, files := a.loader.Files(a.request(r))
	return conf.HashFiles(files)
}

// newBuildRecord renders the record for a build of cfg.
func (a *app) newBuildRecord(cfg *conf.Config, r confRequest) []byte {
	rec := tree.BuildRecord{ConfHash: a.confHash(r)}
	for _, m := range cfg.Modules {
		rec.Modules = append(rec.Modules, tree.RecordedModule{DestName: m.DestName, DestLocation: m.DestLocation})
	}
	return rec.Encode()
}

// recordedModules returns the dest modules of a build from its record,
// when the conf files are the ones it was built from.
func (a *app) recordedModules(r confRequest) ([]install.Module, bool) {
	rec := a.layout.ReadBuildRecord(r.module, r.version, r.kernel, r.arch)
	if rec == nil || rec.ConfHash == "" || rec.ConfHash != a.confHash(r) {
		return nil, false
	}
	var mods []install.Module
	for _, m := range rec.Modules {
		mods = append(mods, install.Module{DestName: m.DestName, DestLocation: m.DestLocation})
	}
	return mods, true
}
