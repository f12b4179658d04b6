package tree

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// IsAdded reports whether m/v is added: its source link resolves to a
// directory. A binaries-only tarball leaves a real directory there instead,
// which the reference does not count as added either.
func (l Layout) IsAdded(m, v string) bool {
	p := l.SourceLink(m, v)
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return false
	}
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// IsBroken reports the reference's "broken" state: DT/m/v exists and its
// source link dangles, or source is not a link while ST/m-v exists.
func (l Layout) IsBroken(m, v string) bool {
	if _, err := os.Stat(l.Version(m, v)); err != nil {
		return false
	}
	p := l.SourceLink(m, v)
	fi, err := os.Lstat(p)
	if err == nil && fi.Mode()&os.ModeSymlink != 0 {
		_, err := os.Stat(p)
		return err != nil
	}
	st, err := os.Stat(l.SourceDir(m, v))
	return err == nil && st.IsDir()
}

// IsBuilt reports whether DT/m/v/K/A/module exists.
func (l Layout) IsBuilt(m, v, k, a string) bool {
	st, err := os.Stat(l.BuiltModules(m, v, k, a))
	return err == nil && st.IsDir()
}

// InstalledVersion returns the version the kernel link of m on K/A points
// at, or "" when m is not installed there.
func (l Layout) InstalledVersion(m, k, a string) string {
	target, err := os.Readlink(l.KernelLink(m, k, a))
	if err != nil {
		return ""
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(l.Module(m), target)
	}
	v, rest, ok := strings.Cut(strings.TrimPrefix(filepath.Clean(target), l.Module(m)+"/"), "/")
	if !ok || rest != filepath.Join(k, a) || !l.IsBuilt(m, v, k, a) {
		return ""
	}
	return v
}

// IsInstalled reports whether m/v is built for K/A and the kernel link
// points at exactly that build.
func (l Layout) IsInstalled(m, v, k, a string) bool {
	return l.InstalledVersion(m, k, a) == v
}

// Modules lists the module directories of the tree in byte order, as the
// reference's glob does under the C locale.
func (l Layout) Modules() []string {
	return listDirs(l.DKMS, func(name string) bool { return true })
}

// Versions lists the version directories of m, skipping kernel links and
// the original_module archive (which the reference shows as nothing).
func (l Layout) Versions(m string) []string {
	return listDirs(l.Module(m), func(name string) bool {
		return !strings.HasPrefix(name, "kernel-")
	})
}

// KernelArch is one kernel release and architecture.
type KernelArch struct{ Kernel, Arch string }

var kernelDirRe = regexp.MustCompile(`^[0-9]+\.`)

// Builds lists every K/A m/v is built for. Like the reference, only kernel
// directories that start with digits and a dot are considered.
func (l Layout) Builds(m, v string) []KernelArch {
	var out []KernelArch
	for _, k := range listDirs(l.Version(m, v), kernelDirRe.MatchString) {
		for _, a := range listDirs(filepath.Join(l.Version(m, v), k), func(string) bool { return true }) {
			if l.IsBuilt(m, v, k, a) {
				out = append(out, KernelArch{k, a})
			}
		}
	}
	// The reference's glob K/A sorts whole paths: "6.1-x/x86_64" comes
	// before "6.1/x86_64" ('-' < '/').
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Kernel+"/"+out[i].Arch < out[j].Kernel+"/"+out[j].Arch
	})
	return out
}

// listDirs returns the visible entries of dir that are directories (links
// to directories included) and pass keep, sorted bytewise.
func listDirs(dir string, keep func(string) bool) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !keep(name) {
			continue
		}
		if e.IsDir() {
			out = append(out, name)
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, name)); err == nil && st.IsDir() {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
