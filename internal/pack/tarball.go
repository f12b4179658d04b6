package pack

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/dkms-go/dkms/internal/archive"
	"github.com/dkms-go/dkms/internal/compress"
	"github.com/dkms-go/dkms/internal/run"
)

// writeTarball writes the dkms tarball a source package carries to file:
// the builds under dkms_main_tree/K/A, with the source (or, when
// BinariesOnly, the binaries-only stub), as mktarball lays it out. It is
// what common.postinst hands to ldtarball, with our dkms or the
// reference's.
func writeTarball(r *run.Runner, o Options, file string) error {
	stage := file + ".d"
	if err := r.MkdirAll(stage); err != nil {
		return err
	}
	defer r.RemoveAll(stage)
	for _, b := range o.Builds {
		if err := r.CopyTree(b.Dir, filepath.Join(stage, archive.MainTree, b.Kernel, b.Arch)); err != nil {
			return fmt.Errorf("copying %s: %w", b.Dir, err)
		}
	}
	if err := stageSource(r, o, stage); err != nil {
		return err
	}
	r.Step("archive " + file)
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	err = archive.Write(f, stage, compress.Gzip)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// stageSource puts the source into the tarball's staging directory, or
// for a binaries-only package the stub ldtarball reads name, version and
// dkms.conf from.
func stageSource(r *run.Runner, o Options, stage string) error {
	if !o.BinariesOnly {
		if err := r.CopyTree(o.SourceDir, filepath.Join(stage, archive.SourceTree)); err != nil {
			return fmt.Errorf("copying %s: %w", o.SourceDir, err)
		}
		return nil
	}
	dir := filepath.Join(stage, archive.BinariesOnly)
	if err := r.MkdirAll(dir); err != nil {
		return err
	}
	for name, val := range map[string]string{"PACKAGE_NAME": o.Module, "PACKAGE_VERSION": o.Version} {
		if err := r.WriteFile(filepath.Join(dir, name), []byte(val+"\n"), 0o644); err != nil {
			return err
		}
	}
	return r.CopyFile(o.Conf, filepath.Join(dir, "dkms.conf"), 0o644)
}
