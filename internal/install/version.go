package install

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/dkms-go/dkms/internal/compress"
	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/modinfo"
)

// versionOK applies the reference's install-time checks to one module
// (§7.1): OBSOLETE_BY, then the version and srcversion of a same-named
// module already in the kernel's tree. A refusal is printed and the module
// skipped.
func (e *Env) versionOK(req Request, m Module, built, found string) bool {
	if req.ObsoleteBy != "" && !req.Force && !conf.VerLess(dashToSpace(req.Kernel), dashToSpace(req.ObsoleteBy)) {
		fmt.Fprintf(e.Err, "\nModule has been obsoleted due to being included in kernel %s.\n", req.ObsoleteBy)
		fmt.Fprintf(e.Err, "We will avoid installing for future kernels above %s.\n", req.ObsoleteBy)
		fmt.Fprintln(e.Err, "You may override by specifying --force.")
		return false
	}
	if found == "" || req.ForceVersion {
		return true
	}
	newVer, newSrc := ModuleVersion(built)
	oldVer, oldSrc := ModuleVersion(found)
	switch {
	case newVer == oldVer && newSrc == oldSrc:
		if req.Force || (newVer == "" && newSrc == "" && !fileutil.SameContent(built, found)) {
			return true
		}
		if oldVer == "" {
			fmt.Fprintf(e.Err, "Module %s already installed (unversioned module), override by specifying --force\n", found)
		} else {
			fmt.Fprintf(e.Err, "Module %s already installed at version %s, override by specifying --force\n", found, oldVer)
		}
		return false
	case newVer == oldVer:
		return true
	case conf.VerLess(newVer, oldVer) && !req.Force:
		e.ErrorBlock("Module version "+newVer+" for "+m.DestName+suffixOf(built),
			"is not newer than what is already found in kernel "+req.Kernel+" ("+oldVer+").",
			"You may override by specifying --force.")
		return false
	}
	return true
}

// ModuleVersion reads version and srcversion from a module file, plain or
// compressed; unreadable modules give empty strings.
func ModuleVersion(path string) (version, srcversion string) {
	b, err := ReadModule(path)
	if err != nil {
		return "", ""
	}
	info, err := modinfo.ReadBytes(b)
	if err != nil {
		return "", ""
	}
	return info.VerInfo()
}

// ReadModule returns a module file's ELF bytes, decompressing it if needed.
func ReadModule(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := compress.Decompress(compress.FromName(path), f)
	if err != nil {
		return nil, fmt.Errorf("decompressing %s: %w", path, err)
	}
	defer r.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return nil, fmt.Errorf("decompressing %s: %w", path, err)
	}
	return buf.Bytes(), nil
}

func suffixOf(path string) string { return path[len(moduleBase(path)):] }

func dashToSpace(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '-' {
			b[i] = ' '
		}
	}
	return string(b)
}
