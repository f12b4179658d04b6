package tree

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/run"
)

// The records below are ours: the reference never writes nor reads them,
// so a tree either program made stays readable by the other. Each is
// written through the Runner, so the kill-point harness sees it.

// BuildRecordName is the build record kept in DT/m/v/K/A: the dest modules
// the build made and a hash of the conf files it was read from. status
// uses it instead of evaluating every dkms.conf again, as long as the conf
// files are unchanged. It is committed with the build, by the rename that
// makes DT/m/v/K/A.
const BuildRecordName = ".dkms-build.json"

// BuildRecord is the content of BuildRecordName.
type BuildRecord struct {
	ConfHash string           `json:"conf_sha256"`
	Modules  []RecordedModule `json:"modules"`
}

// RecordedModule is one dest module of a build record. The JSON field
// names are the ones records have had since the first release.
type RecordedModule struct {
	DestName     string
	DestLocation string
}

// Encode renders the record for writing.
func (rec *BuildRecord) Encode() []byte {
	b, _ := json.Marshal(rec)
	return b
}

// ReadBuildRecord loads the build record of m/v on K/A; it returns nil when
// there is none or it cannot be read (status then evaluates dkms.conf).
func (l Layout) ReadBuildRecord(m, v, k, a string) *BuildRecord {
	b, err := os.ReadFile(filepath.Join(l.Built(m, v, k, a), BuildRecordName))
	if err != nil {
		return nil
	}
	var rec BuildRecord
	if json.Unmarshal(b, &rec) != nil {
		return nil
	}
	return &rec
}

// DepRecordName is the name, in DT/m/v/K/A, of the record of the version
// of BUILD_DEPENDS module dep that m/v was built against (the reference's
// BUILD_DEPENDS_REBUILD records, §7.7; committed with the build).
func DepRecordName(dep string) string { return ".dep_" + dep }

// DepRecord returns the version recorded for dep in the build of m/v on
// K/A, and whether there is a record.
func (l Layout) DepRecord(m, v, k, a, dep string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(l.Built(m, v, k, a), DepRecordName(dep)))
	if err != nil {
		return "", false
	}
	return strings.TrimSuffix(string(b), "\n"), true
}

// failurePrefix starts DT/m/v/.last-failure-K-A, the record of the last
// failed build or install of m/v on K/A, for `status --json`.
const failurePrefix = ".last-failure-"

// Failure is one recorded failure.
type Failure struct {
	Kernel, Arch string
	Text         string // "<RFC 3339 time> exit <code>[ log <make.log>]"
}

// RecordFailure records that building or installing m/v on K/A failed
// with exit status code. Nothing is recorded for a version not in the tree.
func (l Layout) RecordFailure(r *run.Runner, m, v, k, a string, code int, now time.Time) error {
	if m == "" || v == "" || !fileutil.IsDir(l.Version(m, v)) {
		return nil
	}
	msg := fmt.Sprintf("%s exit %d", now.UTC().Format(time.RFC3339), code)
	if log := filepath.Join(l.BuildDir(m, v), "make.log"); fileutil.Exists(log) {
		msg += " log " + log
	}
	return r.WriteFile(l.failureFile(m, v, k, a), []byte(msg+"\n"), 0o644)
}

// ClearFailure deletes the failure record of m/v on K/A after a success;
// when there is none, nothing happens (and no side effect is recorded).
func (l Layout) ClearFailure(r *run.Runner, m, v, k, a string) error {
	if m == "" || v == "" {
		return nil
	}
	p := l.failureFile(m, v, k, a)
	if _, err := os.Lstat(p); err != nil {
		return nil
	}
	return r.Remove(p)
}

// Failures lists the failure records of m/v, all kernels, in name order.
func (l Layout) Failures(m, v string) []Failure {
	prefix := filepath.Join(l.Version(m, v), failurePrefix)
	paths, _ := filepath.Glob(prefix + "*")
	var out []Failure
	for _, p := range paths {
		k, a := SplitKernelArch(strings.TrimPrefix(p, prefix))
		if b, err := os.ReadFile(p); err == nil {
			out = append(out, Failure{Kernel: k, Arch: a, Text: strings.TrimSpace(string(b))})
		}
	}
	return out
}

func (l Layout) failureFile(m, v, k, a string) string {
	return filepath.Join(l.Version(m, v), failurePrefix+k+"-"+a)
}

// depmodPrefix starts DT/depmod-pending-K-A, the reference's marker of a
// kernel whose depmod is still to run. We write it before an install and
// remove it after depmod, so a run killed in between is finished by the
// next one.
const depmodPrefix = "depmod-pending-"

// DepmodMarker returns the depmod marker of K/A.
func (l Layout) DepmodMarker(k, a string) string {
	return filepath.Join(l.DKMS, depmodPrefix+k+"-"+a)
}

// Marker is one depmod marker found in the tree.
type Marker struct {
	Path, Kernel, Arch string
}

// DepmodMarkers lists the depmod markers present; with a kernel given,
// only that kernel's.
func (l Layout) DepmodMarkers(kernel string) []Marker {
	pattern := depmodPrefix + "*"
	if kernel != "" {
		pattern = depmodPrefix + kernel + "-*"
	}
	paths, _ := filepath.Glob(filepath.Join(l.DKMS, pattern))
	var out []Marker
	for _, p := range paths {
		k, a := SplitKernelArch(strings.TrimPrefix(filepath.Base(p), depmodPrefix))
		if kernel == "" || k == kernel {
			out = append(out, Marker{Path: p, Kernel: k, Arch: a})
		}
	}
	return out
}

// LoadMarker returns DT/.ldtarball-pending-m-v, which marks an ldtarball
// of m/v in progress, so that a rerun after a kill finishes the load
// instead of refusing an added module.
func (l Layout) LoadMarker(m, v string) string {
	return filepath.Join(l.DKMS, ".ldtarball-pending-"+m+"-"+v)
}

// UninstallMarker returns DT/m/.uninstalling-K-A, which marks an
// uninstall of m on K/A that has begun putting originals back while the
// module is still installed. The next run's recovery takes those
// originals out again when it finds the module still installed.
func (l Layout) UninstallMarker(m, k, a string) string {
	return filepath.Join(l.Module(m), ".uninstalling-"+k+"-"+a)
}
