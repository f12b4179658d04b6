package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/install"
)

// buildRecordName is a file we keep in DT/m/v/K/A: the dest modules the
// build made and a hash of the conf files it was read from. status uses it
// instead of evaluating every dkms.conf again (which is what makes the
// reference's status take seconds), as long as the conf files are
// unchanged; the reference never looks at it.
const buildRecordName = ".dkms-build.json"

type buildRecord struct {
	ConfHash string           `json:"conf_sha256"`
	Modules  []install.Module `json:"modules"`
}

// confHash hashes the names and contents of the conf files of a read.
func (a *app) confHash(r confRequest) string {
	_, files := a.confFiles(r)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return ""
		}
		h.Write([]byte(f + "\x00"))
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// newBuildRecord renders the record for a build of cfg.
func (a *app) newBuildRecord(cfg *conf.Config, r confRequest) []byte {
	rec := buildRecord{ConfHash: a.confHash(r)}
	for _, m := range cfg.Modules {
		rec.Modules = append(rec.Modules, install.Module{DestName: m.DestName, DestLocation: m.DestLocation})
	}
	b, _ := json.Marshal(rec)
	return b
}

// recordedModules returns the dest modules of a build from its record,
// when the conf files are the ones it was built from.
func (a *app) recordedModules(r confRequest) ([]install.Module, bool) {
	b, err := os.ReadFile(filepath.Join(a.layout.Built(r.module, r.version, r.kernel, r.arch), buildRecordName))
	if err != nil {
		return nil, false
	}
	var rec buildRecord
	if json.Unmarshal(b, &rec) != nil || rec.ConfHash == "" || rec.ConfHash != a.confHash(r) {
		return nil, false
	}
	return rec.Modules, true
}
