package kernel

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// compressRank orders module extensions the way the reference's
// set_module_suffix lets them override each other: zst > xz > gz > none.
var compressRank = map[string]int{".ko": 1, ".ko.gz": 2, ".ko.xz": 3, ".ko.zst": 4}

// moduleKind returns the module extension of a file name (".ko",
// ".ko.gz", ...) or "" when name is not a module.
func moduleKind(name string) string {
	for _, kind := range []string{".ko.zst", ".ko.xz", ".ko.gz", ".ko"} {
		if strings.HasSuffix(name, kind) {
			return kind
		}
	}
	return ""
}

// ModuleCompression returns the compression extension ("", ".gz", ".xz",
// ".zst") for modules installed into moduleDir (<IT>/<release>).
//
// Like the reference, it follows the modules already installed there: if any
// *.ko.zst exists the answer is ".zst", else any *.ko.xz gives ".xz", else
// any *.ko.gz gives ".gz", else "". Unlike the reference (quirk §10.10) the
// answer is computed per kernel, never carried over from a previous kernel,
// and a directory with no modules at all (kernel headers installed before
// the image, an empty test tree) follows the kernel's
// CONFIG_MODULE_COMPRESS_* from cfg, which may be nil.
//
// To stay fast on trees of thousands of modules it reads modules.dep when
// that lists any module (one sequential read; depmod writes the real file
// names there), and otherwise walks the tree, the kernel/ subtree first,
// stopping at the first .ko.zst since nothing can outrank it.
func ModuleCompression(moduleDir string, cfg Config) string {
	best := depCompression(filepath.Join(moduleDir, "modules.dep"))
	if best == "" {
		best = walkCompression(moduleDir)
	}
	switch best {
	case "":
		return cfg.CompressExt()
	case ".ko":
		return ""
	}
	return strings.TrimPrefix(best, ".ko")
}

// depCompression returns the highest-ranked module kind named in a
// modules.dep file, or "" when the file is missing or lists no module.
func depCompression(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	best := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		// The first field is the module itself; every dependency listed
		// after it has a line of its own.
		target, _, _ := strings.Cut(sc.Text(), ":")
		if kind := moduleKind(target); compressRank[kind] > compressRank[best] {
			best = kind
		}
	}
	if sc.Err() != nil {
		return ""
	}
	return best
}

// walkCompression walks moduleDir (kernel/ first) for the highest-ranked
// module kind, as `find <dir>/ -name '*.ko.zst'` and friends would see it:
// names of any file type count, symbolic links are not followed, unreadable
// directories are skipped.
func walkCompression(moduleDir string) string {
	best := ""
	visit := func(name string) bool {
		if kind := moduleKind(name); compressRank[kind] > compressRank[best] {
			best = kind
		}
		return best == ".ko.zst"
	}
	kernelDir := filepath.Join(moduleDir, "kernel")
	if walkNames(kernelDir, "", visit) {
		return best
	}
	walkNames(moduleDir, kernelDir, visit)
	return best
}

// walkNames calls visit with the base name of every entry below root (a
// trailing-slash root: a symlinked root is followed, like `find dir/`),
// skipping the subtree skip. It reports whether visit asked to stop.
func walkNames(root, skip string, visit func(name string) bool) bool {
	stopped := false
	filepath.WalkDir(root+string(filepath.Separator), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // like find 2>/dev/null: keep going
		}
		if d.IsDir() && filepath.Clean(path) == skip {
			return fs.SkipDir
		}
		if visit(d.Name()) {
			stopped = true
			return fs.SkipAll
		}
		return nil
	})
	return stopped
}
