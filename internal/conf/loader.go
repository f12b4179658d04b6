package conf

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Loader reads the dkms.conf of a module the way dkms does before every
// step that needs it: it picks the file and its override files, sets up
// the shell context, evaluates, applies the --directive options, checks
// the paths the values name, and keeps the reference's cache of the last
// read (see Scope). It holds only settings: the state that changes from
// read to read is the Scope passed to Read.
type Loader struct {
	// Base is the context every read starts from: the trees, tmp_location,
	// parallel_jobs, verbose, the distribution and the running kernel,
	// the environment (without the --directive exports), the Runner.
	// Read fills in the kernel, the module and the writers.
	Base Context
	// ConfDir holds the override files (/etc/dkms, or DKMS_CONFDIR).
	ConfDir string
	// ConfFile is -c: read instead of DT/m/v/source/dkms.conf.
	ConfFile string
	// Directives are the --directive options as given, NAME=value each.
	Directives []string
	// Cache, when set, keeps the values of non-strict reads of pure
	// files for the next read and the next run (see Cache); nil
	// evaluates every read.
	Cache *Cache
}

// Request says which dkms.conf to read and in which kernel context.
type Request struct {
	Module, Version string // empty when reading a directory's dkms.conf
	Kernel, Arch    string
	// KernelSourceDir and KernelConfig are the kernel's resolved header
	// directory and configuration file (see kernel.New).
	KernelSourceDir, KernelConfig string
	// Path is the dkms.conf to read; empty means ConfFile, else
	// DT/m/v/source/dkms.conf.
	Path string
	// Strict selects the checks and deprecation notices of add, build
	// and install (§4.4).
	Strict bool
}

// Result is one successful read: the checked Config, the values it was
// made from (for the settings Config does not carry, such as
// MODULES_CONF) and the files read.
type Result struct {
	*Config
	Values Values
	Files  []string
}

// MissingError is a dkms.conf that does not exist: the reference's
// "Could not locate dkms.conf file." (exit 4).
type MissingError struct{ File string }

func (e *MissingError) Error() string { return e.File + " does not exist" }

// InvalidError is a dkms.conf that failed validation; its messages were
// written to the read's error writer. Shown is the path to name in the
// reference's "Bad conf file." (exit 8). It wraps ErrInvalid.
type InvalidError struct{ Shown string }

func (e *InvalidError) Error() string { return e.Shown + " does not represent a valid dkms.conf file" }
func (e *InvalidError) Unwrap() error { return ErrInvalid }

// EvalError is a dkms.conf that could not be evaluated at all (an *Error
// naming the file and line, or another failure). The reference has no
// such case: such a conf makes it exit or hang.
type EvalError struct {
	File string // the main dkms.conf
	Err  error
}

func (e *EvalError) Error() string {
	var ce *Error
	if errors.As(e.Err, &ce) {
		return ce.Error()
	}
	return e.File + ": " + e.Err.Error()
}

func (e *EvalError) Unwrap() error { return e.Err }

// Files returns the dkms.conf of r and the list of files a read of it
// evaluates: that dkms.conf, then the override files of ConfDir that
// exist, in the reference's order (OverrideFiles).
func (l *Loader) Files(r Request) (main string, files []string) {
	main = r.Path
	if main == "" {
		main = l.ConfFile
	}
	if main == "" {
		// DT/m/v/source/dkms.conf, as the reference's read_conf names it.
		main = filepath.Join(l.Base.DkmsTree, r.Module, r.Version, "source", "dkms.conf")
	}
	files = []string{main}
	if r.Module == "" {
		return main, files
	}
	for _, p := range OverrideFiles(l.ConfDir, r.Module, r.Version, r.Kernel, r.Arch) {
		if (l.Cache == nil || l.Cache.listed(p)) && isFile(p) {
			files = append(files, p)
		}
	}
	return main, files
}

// Context returns the shell context a read of r is evaluated in
// (dkms-behaviour §4.1), with the environment of sc.
func (l *Loader) Context(sc *Scope, r Request, stderr io.Writer, report *Report) Context {
	c := l.Base
	c.Kernel, c.Arch = r.Kernel, r.Arch
	c.KernelSourceDir, c.KernelConfig = r.KernelSourceDir, r.KernelConfig
	c.Module, c.ModuleVersion = r.Module, r.Version
	c.Strict = r.Strict
	c.Environ = l.Environ(sc)
	c.Stdout, c.Stderr = stderr, stderr
	c.Report = report
	return c
}

// Environ is the environment of the scope: the base environment, plus the
// --directive exports once a read in the scope (or the one it was forked
// from) has exported them, as the reference's `export` does.
func (l *Loader) Environ(sc *Scope) []string {
	env := l.Base.Environ
	if sc != nil && sc.exported {
		env = append(append([]string(nil), env...), l.ValidDirectives()...)
	}
	return env
}

// Getenv returns name's value in the environment of scope sc (Environ),
// the last assignment winning as in the environment commands get.
func (l *Loader) Getenv(sc *Scope, name string) string {
	return envValue(l.Environ(sc), name)
}

// ValidDirectives are the usable --directive options, NAME=value each, in
// order; the others are ignored, as by the reference. They are exported
// to make and to the scripts.
func (l *Loader) ValidDirectives() []string {
	var out []string
	for _, d := range l.Directives {
		if name, _, ok := strings.Cut(d, "="); ok && name != "" {
			out = append(out, d)
		}
	}
	return out
}

// Evaluate evaluates the files of r (Files) in its context, with nothing
// of Read's checks, cache or directives: what `dkms conf` shows.
func (l *Loader) Evaluate(ctx context.Context, sc *Scope, r Request, stderr io.Writer) (Values, *Report, []string, error) {
	main, files := l.Files(r)
	if !isFile(main) {
		return nil, nil, nil, &MissingError{File: main}
	}
	var report Report
	vals, err := Eval(ctx, files, l.Context(sc, r, stderr, &report))
	return vals, &report, files, err
}

// Read evaluates and checks the dkms.conf of r in scope sc. DIRECTIVE
// lines and, under verbose, the bash notice go to out; validation
// messages and deprecation notices (strict reads) go to errw, as the
// reference prints them. A read of the same module, version, kernel, arch
// and resolved file as the scope's last successful read reuses its values
// (the reference's last_mvka cache, §4.1): its notices and DIRECTIVE
// lines are printed once, and the checks still run. A nil sc is a scope
// of its own that no read follows (status reads each entry so), which
// spares resolving the file for a last read nobody compares with.
func (l *Loader) Read(ctx context.Context, sc *Scope, r Request, out, errw io.Writer) (*Result, error) {
	main, files := l.Files(r)
	if !isFile(main) {
		return nil, &MissingError{File: main}
	}
	key := ""
	if sc == nil {
		sc = &Scope{}
	} else {
		key = r.Module + "/" + r.Version + "/" + r.Kernel + "/" + r.Arch + "\x00" + resolvedPath(main)
	}
	vals := sc.last.vals
	if sc.last.key != key || vals == nil {
		var err error
		if vals, err = l.eval(ctx, sc, r, main, files, out, errw); err != nil {
			return nil, err
		}
	}
	sc.last = lastRead{}
	cfg, msgs, err := Parse(vals, r.Strict)
	if bad := unsafePaths(cfg); len(bad) > 0 {
		msgs, err = append(msgs, bad...), ErrInvalid
	}
	for _, m := range msgs {
		fmt.Fprintln(errw, m)
	}
	if err != nil {
		// The reference prints the explicit (-c) path here, and nothing
		// when the default one was used ("File:  does not ..."); we name
		// the file read in that case too.
		return nil, &InvalidError{Shown: main}
	}
	sc.last = lastRead{key: key, vals: vals}
	return &Result{Config: cfg, Values: vals, Files: files}, nil
}

// ReadAside is Read leaving the scope's cache as it was, for a look at a
// conf in the middle of an action (as the reference saves and restores
// its last_mvka around one). The --directive exports it makes stay, as in
// the reference's shell.
func (l *Loader) ReadAside(ctx context.Context, sc *Scope, r Request, out, errw io.Writer) (*Result, error) {
	last := sc.last
	defer func() { sc.last = last }()
	return l.Read(ctx, sc, r, out, errw)
}

// eval evaluates the files of one read, prints its deprecation notices
// (strict reads) and applies the --directive options.
func (l *Loader) eval(ctx context.Context, sc *Scope, r Request, main string, files []string, out, errw io.Writer) (Values, error) {
	var report Report
	vals, err := l.evalFiles(ctx, r, files, l.Context(sc, r, errw, &report))
	if err != nil {
		return nil, &EvalError{File: main, Err: err}
	}
	if l.Base.Verbose != "" && report.Engine == EngineBash {
		fmt.Fprintf(out, "Evaluating %s with bash: %s\n", main, report.Reason)
	}
	if r.Strict {
		for _, d := range report.Deprecated {
			fmt.Fprintln(errw, typedPaths(d.Text, files))
		}
	}
	for _, d := range l.ValidDirectives() {
		name, val, _ := strings.Cut(d, "=")
		fmt.Fprintf(out, "DIRECTIVE: %s=\"%s\"\n", name, val)
		if vals[name] == nil {
			vals[name] = map[int]string{}
		}
		vals[name][0] = val
	}
	sc.exported = true
	return vals, nil
}

// evalFiles evaluates files in context c, through the Cache when there is
// one and the read is not strict (a strict read prints deprecation
// notices, which the cache does not keep). Only the interpreter's results
// are kept: a conf sent to bash has its notice printed under --verbose.
func (l *Loader) evalFiles(ctx context.Context, r Request, files []string, c Context) (Values, error) {
	key, ok := "", false
	if l.Cache != nil && !r.Strict {
		key, ok = l.Cache.key(files, c)
	}
	if ok {
		if v, hit := l.Cache.get(key); hit {
			return v, nil
		}
	}
	vals, err := Eval(ctx, files, c)
	if ok && err == nil && c.Report.Engine == EngineInterp {
		l.Cache.put(key, r.Module, r.Version, vals)
	}
	return vals, err
}

// Scope is what the reference's shell keeps between conf reads, which
// dkms runs in a subshell per kernel: whether the --directive exports
// are in the environment yet, and the last successful read (its cache).
// The zero Scope is the state at start-up. A Scope is a value: Fork
// gives the copy a subshell starts with, and what a read in the copy
// changes never reaches the original. A Scope is not safe for concurrent
// use; goroutines each take a Fork.
type Scope struct {
	exported bool
	last     lastRead
}

type lastRead struct {
	key  string
	vals Values
}

// Fork returns the scope a subshell of sc starts with.
func (sc *Scope) Fork() *Scope {
	c := *sc
	return &c
}

// HashFiles hashes the names and contents of the files of a read, for the
// build record; "" when one cannot be read.
func HashFiles(files []string) string {
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

// typedPaths puts back, in a "Deprecated feature: NAME (file)" line, the
// file name as dkms passed it: the reference prints the path it sourced
// (e.g. DT/m/v/source/dkms.conf), while Eval reports the physical one.
// TODO(compat): drop once Report.Deprecated names files as given.
func typedPaths(line string, files []string) string {
	for _, f := range files {
		dir, err := filepath.EvalSymlinks(filepath.Dir(f))
		if abs, aerr := filepath.Abs(dir); err == nil && aerr == nil {
			line = strings.Replace(line, "("+filepath.Join(abs, filepath.Base(f))+")", "("+f+")", 1)
		}
	}
	return line
}

// resolvedPath is readlink -f of p, or p when it cannot be resolved.
func resolvedPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		if abs, err := filepath.Abs(r); err == nil {
			return abs
		}
	}
	return p
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// unsafePaths refuses module names and locations that would read or
// write outside the build directory or the kernel's module directory: a
// ".." component, an absolute BUILT_MODULE_LOCATION, a slash in a module
// name. The reference accepts them and writes wherever they point.
func unsafePaths(cfg *Config) []Message {
	if cfg == nil {
		return nil
	}
	var out []Message
	bad := func(name string, i int, val, why string) {
		out = append(out, Message{Level: LevelError,
			Text: fmt.Sprintf("dkms.conf: Error! '%s[%d]' %s: %q", name, i, why, val)})
	}
	for i, m := range cfg.Modules {
		if strings.Contains(m.BuiltName, "/") {
			bad(BuiltModuleName, i, m.BuiltName, "must be a file name, without '/'")
		}
		if strings.Contains(m.DestName, "/") {
			bad(DestModuleName, i, m.DestName, "must be a file name, without '/'")
		}
		if dotDot(m.BuiltLocation) || filepath.IsAbs(m.BuiltLocation) {
			bad(BuiltModuleLocation, i, m.BuiltLocation, "must stay inside the build directory")
		}
		if dotDot(m.DestLocation) {
			bad(DestModuleLocation, i, m.DestLocation, "must not contain a '..' component")
		}
	}
	return out
}

func dotDot(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}
