package conf

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"

	"github.com/dkms-go/dkms/internal/run"
)

// Cache keeps the values of evaluated dkms.conf files between runs, so
// that `dkms status` on a tree without build records (made by the
// reference, or copied) does not run the interpreter for every module
// version. Entries are found by cacheKey, which covers the content of
// every file read and every value the evaluation could see, never a time
// stamp: a changed dkms.conf, override file or framework setting makes a
// new key. Only pure files are cached (see cacheKey), only successful
// evaluations by the interpreter, and only for reads that print nothing
// of their own (not strict ones). A Cache is safe for concurrent use.
//
// A Cache serves one read-only run: it also remembers which files the
// conf directory holds and where the files read resolve to, which such a
// run reads for every kernel of a module version and can rely on not to
// change under it, and what it found in them.
type Cache struct {
	mu      sync.Mutex
	entries map[string]*cacheEntry
	dirty   bool
	dirs    map[string]map[string]bool // directory listings
	files   map[string]filesPart       // what key takes from each list of files
}

// cacheEntry is one cached evaluation; Module and Version say whose it
// is, so that Save can drop the entries of versions gone from the tree.
type cacheEntry struct {
	Module  string `json:"module"`
	Version string `json:"version"`
	Values  Values `json:"values"`
	used    bool
}

// cacheFormat is the version of the file's layout.
const cacheFormat = 1

type cacheFile struct {
	Format  int                    `json:"format"`
	Entries map[string]*cacheEntry `json:"entries"`
}

// maxUnused bounds the entries of one module version that Save keeps
// without their having been used by the run that saves (other kernels
// that were not listed, earlier contents of a conf).
const maxUnused = 16

// ReadCache loads the cache at path. A missing, unreadable or damaged
// file, or one that others than its owner may write (its content would
// not be trustworthy), gives an empty cache: the cache only saves time.
func ReadCache(path string) *Cache {
	c := &Cache{entries: map[string]*cacheEntry{}, dirs: map[string]map[string]bool{}, files: map[string]filesPart{}}
	f, err := os.Open(path)
	if err != nil {
		return c
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !trusted(st) {
		return c
	}
	var cf cacheFile
	if json.NewDecoder(f).Decode(&cf) != nil || cf.Format != cacheFormat {
		return c
	}
	for k, e := range cf.Entries {
		if e != nil && e.Values != nil {
			c.entries[k] = e
		}
	}
	return c
}

// trusted reports whether a cache file is a regular file owned by root or
// by us and writable by nobody else.
func trusted(st os.FileInfo) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	return st.Mode().IsRegular() && st.Mode().Perm()&0o022 == 0 && ok &&
		(sys.Uid == 0 || int(sys.Uid) == os.Geteuid())
}

// get returns a copy of the values cached under key.
func (c *Cache) get(key string) (Values, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e == nil {
		return nil, false
	}
	e.used = true
	return e.Values.clone(), true
}

// put caches a copy of v under key for module m, version ver. Values
// that JSON cannot carry unchanged (bytes that are not UTF-8) are not
// cached.
func (c *Cache) put(key, m, ver string, v Values) {
	if !v.utf8() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = &cacheEntry{Module: m, Version: ver, Values: v.clone(), used: true}
	c.dirty = true
}

// Save writes the cache to path through r when this run added to it,
// keeping the entries it used and, of the others, those whose module
// version keep accepts (at most maxUnused per version). A cache that
// cannot be written (a read-only tree, a user who may not write there)
// is no error: the next run evaluates again.
func (c *Cache) Save(r *run.Runner, path string, keep func(m, v string) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return
	}
	out := cacheFile{Format: cacheFormat, Entries: map[string]*cacheEntry{}}
	unused := map[[2]string]int{}
	for k, e := range c.entries {
		mv := [2]string{e.Module, e.Version}
		if !e.used && (unused[mv] >= maxUnused || !keep(e.Module, e.Version)) {
			continue
		}
		if !e.used {
			unused[mv]++
		}
		out.Entries[k] = e
	}
	b, err := json.Marshal(out)
	if err == nil && r.WriteFile(path, b, 0o644) == nil {
		c.dirty = false
	}
}

// listed reports whether p's directory lists p's name, or cannot be
// listed; the directory is read once per Cache.
func (c *Cache) listed(p string) bool {
	dir, name := filepath.Dir(p), filepath.Base(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	names, ok := c.dirs[dir]
	if !ok {
		if ents, err := os.ReadDir(dir); err == nil {
			names = map[string]bool{}
			for _, e := range ents {
				names[e.Name()] = true
			}
		}
		c.dirs[dir] = names
	}
	return names == nil || names[name]
}

// filesPart is readFiles(files), once per list of files.
func (c *Cache) filesPart(files []string) filesPart {
	k := strings.Join(files, "\x00")
	c.mu.Lock()
	fp, ok := c.files[k]
	c.mu.Unlock()
	if !ok {
		fp = readFiles(files)
		c.mu.Lock()
		c.files[k] = fp
		c.mu.Unlock()
	}
	return fp
}

// clone returns a deep copy of v, so that a caller changing its values
// (--directive does) cannot change the cache.
func (v Values) clone() Values {
	out := make(Values, len(v))
	for name, elems := range v {
		out[name] = maps.Clone(elems)
	}
	return out
}

func (v Values) utf8() bool {
	for name, elems := range v {
		if !utf8.ValidString(name) {
			return false
		}
		for _, s := range elems {
			if !utf8.ValidString(s) {
				return false
			}
		}
	}
	return true
}
