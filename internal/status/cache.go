package status

import (
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/dkms-go/dkms/internal/install"
)

// Cache shares one evaluation of a module version's dkms.conf among the
// kernels status lists it for, when the conf cannot depend on the
// kernel. Trees made by the reference have no build records, so without
// it status would evaluate every dkms.conf once per kernel. It is safe
// for concurrent use.
type Cache struct {
	mu      sync.Mutex
	entries map[string]*cached
}

type cached struct {
	once sync.Once
	mods []install.Module
	ok   bool
}

// NewCache returns an empty Cache.
func NewCache() *Cache { return &Cache{entries: map[string]*cached{}} }

// kernelDependent matches what could make a conf's result differ between
// kernels: the kernel variables, commands (substitutions, eval, sourcing
// another file), BUILD_EXCLUSIVE_* and OBSOLETE_BY (which modules are
// excluded depends on the kernel). Conservative: any mention counts.
var kernelDependent = regexp.MustCompile("kernel|arch|BUILD_EXCLUSIVE|OBSOLETE_BY|\\$\\(|`|\\beval\\b|\\bsource\\b|(^|[;&|\\s])\\.\\s")

// modules returns the dest modules of the conf made of files from the
// cache, or evaluates it with eval and caches the result when the files
// are kernel-independent.
func (c *Cache) modules(files []string, eval func() ([]install.Module, bool)) ([]install.Module, bool) {
	if c == nil || !kernelIndependent(files) {
		return eval()
	}
	key := strings.Join(files, "\x00")
	c.mu.Lock()
	e := c.entries[key]
	if e == nil {
		e = &cached{}
		c.entries[key] = e
	}
	c.mu.Unlock()
	ran := false
	e.once.Do(func() { ran = true; e.mods, e.ok = eval() })
	if !e.ok && !ran {
		return eval() // a failing conf prints its errors for every entry, as the reference
	}
	return e.mods, e.ok
}

func kernelIndependent(files []string) bool {
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || kernelDependent.Match(b) {
			return false
		}
	}
	return true
}
