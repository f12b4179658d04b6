package conf

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dkms-go/dkms/internal/run"
)

func TestAnalyse(t *testing.T) {
	tests := []struct {
		text  string
		pure  bool
		names string
	}{
		{"PACKAGE_NAME=foo\nBUILT_MODULE_NAME[0]=\"foo\" # comment\n", true, ""},
		{"MAKE[0]=\"make -C ${kernel_source_dir} M=$dkms_tree/x\"\n", true, "dkms_tree kernel_source_dir"},
		{"if [[ $kernelver == 6.* && -n $arch ]]; then A=1; elif [[ ! -z $X ]]; then A=2; else :; fi", true, "X arch kernelver"},
		{"case ${kernelver%%.*} in 5|6) A=(\"x\" y) ;; esac", true, "kernelver"},
		{"A=${B:-${C}}; D=${E:0:3} F=${G[1]} H=(\"${I[@]}\")", true, "B C E G I"},
		{"f() { A=1; }", true, ""},
		{"A=$(uname -r)", false, ""},
		{"A=`uname -r`", false, ""},
		{"echo hi", false, ""},
		{". ./other.conf", false, ""},
		{"eval A=1", false, ""},
		{"[ -d /x ] && A=1", false, ""},
		{"[[ -d /x ]] && A=1", false, ""},
		{"[[ $a -eq 1 ]] && A=1", false, ""},
		{"A=$((1+2))", false, ""},
		{"A[i]=1", false, ""},
		{"A=${B[i]}", false, ""},
		{"A=${B:i}", false, ""},
		{"A=${!B}", false, ""},
		{"declare -n A=B", false, ""},
		{"A=~/x", false, ""},
		{"A=(*.c)", false, ""},
		{"A=\"*.c\"", true, ""},
		{"A=$RANDOM", false, ""},
		{"A=$$", false, ""},
		{"A=1 >/tmp/x", false, ""},
		{"for i in a b; do A=$i; done", false, ""},
		{"A=1 &", false, ""},
		{"A=(", false, ""}, // does not parse
	}
	for _, tt := range tests {
		pure, names := analyse(tt.text)
		if pure != tt.pure || strings.Join(names, " ") != tt.names {
			t.Errorf("analyse(%q) = %v %q, want %v %q", tt.text, pure, names, tt.pure, tt.names)
		}
	}
}

// TestKernelNames checks kernelNames against the prelude: exactly the
// variables whose assignment changes with the kernel fields of the
// context.
func TestKernelNames(t *testing.T) {
	base := Context{DkmsTree: "/d", SourceTree: "/s", InstallTree: "/i", TmpLocation: "/t", Module: "m", ModuleVersion: "1"}
	other := base
	other.Kernel, other.Arch, other.KernelSourceDir, other.KernelConfig = "6.1", "x86_64", "/k", "/k/.config"
	lines := func(c Context) map[string]string {
		out := map[string]string{}
		j := &job{files: []string{"/s/m-1/dkms.conf"}, mode: modeAddModule, c: c}
		for _, l := range strings.Split(j.globals(false), "\n") {
			name, val, _ := strings.Cut(l, "=")
			name = strings.TrimSuffix(name, "[0]")
			out[name] += val
		}
		return out
	}
	a, b := lines(base), lines(other)
	var changed []string
	for name := range b {
		if a[name] != b[name] {
			changed = append(changed, name)
		}
	}
	for _, n := range changed {
		if !slices.Contains(kernelNames, n) {
			t.Errorf("the prelude's %s changes with the kernel: add it to kernelNames", n)
		}
	}
}

// keyFixture writes a conf and returns a fresh Cache and the files.
func keyFixture(t *testing.T, text string) (*Cache, []string) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "dkms.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return ReadCache(filepath.Join(dir, "cache.json")), []string{p, filepath.Join(dir, "missing-override.conf")}
}

func TestCacheKey(t *testing.T) {
	base := Context{DkmsTree: "/d", Kernel: "6.1", Arch: "x86_64", KernelSourceDir: "/k1", Environ: []string{"HOME=/root", "FOO=1"}}
	with := func(f func(c *Context)) Context {
		c := base
		c.Environ = append([]string(nil), base.Environ...)
		f(&c)
		return c
	}
	otherKernel := with(func(c *Context) { c.Kernel, c.KernelSourceDir = "6.12", "/k2" })
	otherFoo := with(func(c *Context) { c.Environ[1] = "FOO=2" })
	otherHome := with(func(c *Context) { c.Environ[0] = "HOME=/home/x" })
	directive := with(func(c *Context) { c.Environ = append(c.Environ, "DKMS_DIRECTIVE_X=1") })
	framework := with(func(c *Context) { c.Vars = map[string]string{"compress_xz_opts": "-9"} })
	tree := with(func(c *Context) { c.DkmsTree = "/d2" })
	tests := []struct {
		name  string
		text  string
		other Context
		same  bool
	}{
		{"kernel-independent conf, other kernel", "A=${FOO}", otherKernel, true},
		{"conf naming the kernel, other kernel", "A=${kernelver}", otherKernel, false},
		{"conf naming the headers, other kernel", "A=$kernel_source_dir", otherKernel, false},
		{"an environment variable it reads", "A=${FOO}", otherFoo, false},
		{"an environment variable it does not read", "A=${FOO}", otherHome, true},
		{"a directive in the environment", "A=1", directive, false},
		{"a framework setting", "A=1", framework, false},
		{"another tree", "A=1", tree, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, files := keyFixture(t, tt.text)
			k1, ok1 := c.key(files, base)
			k2, ok2 := c.key(files, tt.other)
			if !ok1 || !ok2 || (k1 == k2) != tt.same {
				t.Errorf("keys %q %v, %q %v; want same=%v", k1, ok1, k2, ok2, tt.same)
			}
		})
	}
	c, files := keyFixture(t, "A=$(uname)")
	if _, ok := c.key(files, base); ok {
		t.Error("an impure conf has a key")
	}
	c, files = keyFixture(t, "A=1")
	k1, _ := c.key(files, base)
	os.WriteFile(files[0], []byte("A=2"), 0o644)
	if k2, _ := ReadCache("/nonexistent").key(files, base); k1 == k2 {
		t.Error("a changed conf keeps its key")
	}
}

// TestCacheKeySound evaluates every conf of the corpus that has a key in
// two contexts: where the keys are the same, the values must be too.
func TestCacheKeySound(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "corpus", "dkms-conf")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
	if len(paths) == 0 {
		t.Fatalf("no corpus in %s", dir)
	}
	ctxs := []Context{
		{Kernel: "6.1.0-1-amd64", Arch: "x86_64", KernelSourceDir: "/usr/src/linux-headers-6.1.0-1-amd64", Environ: []string{"PATH=/usr/bin:/bin", "HOME=/root"}},
		{Kernel: "6.12.9-arm64", Arch: "aarch64", KernelSourceDir: "/usr/src/linux-headers-6.12.9-arm64", Environ: []string{"PATH=/usr/bin:/bin", "HOME=/home/u", "LANG=C.UTF-8"}},
	}
	pure, shared := 0, 0
	for _, p := range paths {
		c := ReadCache("/nonexistent")
		var keys []string
		var vals []Values
		for _, ctx := range ctxs {
			k, ok := c.key([]string{p}, ctx)
			if !ok {
				break
			}
			v, err := Eval(t.Context(), []string{p}, ctx)
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(p), err)
				break
			}
			keys, vals = append(keys, k), append(vals, v)
		}
		if len(keys) < 2 {
			continue
		}
		pure++
		if keys[0] == keys[1] {
			shared++
			if !reflect.DeepEqual(vals[0], vals[1]) {
				t.Errorf("%s: same key, different values:\n%s\n%s", filepath.Base(p), vals[0].JSON(), vals[1].JSON())
			}
		}
	}
	t.Logf("%d of %d corpus confs can be cached, %d of them once for both contexts", pure, len(paths), shared)
	if pure == 0 || shared == 0 {
		t.Errorf("cacheable %d, shared %d: the test checks nothing", pure, shared)
	}
}

// TestLoaderCache reads through a Loader with a Cache: a second read of
// the same files answers from the cache (seeded here with values no
// evaluation gives), a changed conf is evaluated again, a strict read
// never uses the cache, and a saved cache is read back by the next run.
func TestLoaderCache(t *testing.T) {
	f := newLoaderFixture(t, "PACKAGE_NAME=foo\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=foo\nDEST_MODULE_LOCATION[0]=/updates\n")
	path := filepath.Join(f.dkms, ".cache.json")
	f.l.Cache = ReadCache(path)
	r := Request{Module: "foo", Version: "1.0", Kernel: "6.1", Arch: "x86_64"}
	read := func(r Request) string {
		t.Helper()
		var out, errw bytes.Buffer
		res, err := f.l.Read(context.Background(), nil, r, &out, &errw)
		if err != nil {
			t.Fatalf("Read: %v %s", err, errw.String())
		}
		return res.Modules[0].DestName
	}
	if got := read(r); got != "foo" {
		t.Fatalf("first read: %q", got)
	}
	if len(f.l.Cache.entries) != 1 {
		t.Fatalf("%d entries after one read", len(f.l.Cache.entries))
	}
	for _, e := range f.l.Cache.entries {
		e.Values["BUILT_MODULE_NAME"][0] = "seeded"
	}
	if got := read(r); got != "seeded" {
		t.Errorf("second read did not use the cache: %q", got)
	}
	strict := r
	strict.Strict = true
	if got := read(strict); got != "foo" {
		t.Errorf("strict read used the cache: %q", got)
	}
	f.l.Cache.Save(run.New(nil, nil), path, func(m, v string) bool { return true })
	f.l.Cache = ReadCache(path)
	if got := read(r); got != "seeded" {
		t.Errorf("the saved cache was not used by the next run: %q", got)
	}
	f.write(t, filepath.Join(f.mod, "dkms.conf"), "PACKAGE_NAME=foo\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=bar\nDEST_MODULE_LOCATION[0]=/updates\n")
	f.l.Cache = ReadCache(path)
	if got := read(r); got != "bar" {
		t.Errorf("a changed dkms.conf was read from the cache: %q", got)
	}
	f.write(t, filepath.Join(f.confDir, "foo.conf"), "BUILT_MODULE_NAME[0]=baz\n")
	f.l.Cache = ReadCache(path) // the next run (one run's Cache lists the conf directory once)
	if got := read(r); got != "baz" {
		t.Errorf("a new override file was not read: %q", got)
	}
}

func TestCacheSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache.json")
	trace := filepath.Join(dir, "trace")
	r := run.New(nil, []string{run.TraceEnv + "=" + trace})
	c := ReadCache(path)
	v := Values{"A": {0: "1"}}
	c.put("k1", "keep", "1", v)
	c.put("k2", "gone", "1", v)
	c.Save(r, path, nil) // every entry was used: none is asked about
	c = ReadCache(path)
	if len(c.entries) != 2 {
		t.Fatalf("read back %d entries", len(c.entries))
	}
	c.put("k3", "new", "1", Values{"B": {0: "\xff"}}) // not UTF-8: not cached
	c.Save(r, path, func(m, v string) bool { return m == "keep" })
	c.get("k1")
	c.put("k4", "new", "1", v)
	c.Save(r, path, func(m, v string) bool { return m == "keep" })
	c = ReadCache(path)
	if _, ok := c.entries["k1"]; !ok || len(c.entries) != 2 || c.entries["k2"] != nil {
		t.Errorf("after pruning: %v", c.entries)
	}
	b, _ := os.ReadFile(trace)
	if n := strings.Count(string(b), "write "); n != 2 {
		t.Errorf("%d writes, want 2 (a run that added nothing writes nothing):\n%s", n, b)
	}

	os.Chmod(path, 0o666)
	if c := ReadCache(path); len(c.entries) != 0 {
		t.Error("a cache others may write was used")
	}
	os.WriteFile(path, []byte("{damaged"), 0o644)
	if c := ReadCache(path); len(c.entries) != 0 {
		t.Error("a damaged cache gave entries")
	}
	os.Remove(path)
	os.Mkdir(path, 0o755) // cannot be replaced by a file
	c = ReadCache(path)
	c.put("k1", "keep", "1", v)
	c.Save(r, path, nil) // no error, no panic: the cache only saves time
}
