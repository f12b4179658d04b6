package conf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dkms-go/dkms/internal/run"
)

// DefaultTimeout bounds the evaluation of one set of files when
// Context.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Context holds what a conf can see while it is evaluated: the shell
// variables upstream has set at that point (see tools/README.md,
// "Evaluation context"), the environment, and where output goes.
// Empty strings stay empty: Eval does not probe the machine.
type Context struct {
	Kernel          string // kernelver (the kernel being processed)
	Arch            string // arch
	KernelSourceDir string // --kernelsourcedir; empty: <InstallTree>/<Kernel>/build
	KernelConfig    string // --config; empty: auto.conf if present, else .config
	DkmsTree        string // dkms_tree; empty: /var/lib/dkms (upstream default)
	SourceTree      string // source_tree; empty: /usr/src
	InstallTree     string // install_tree; empty: /lib/modules
	TmpLocation     string // tmp_location; empty: $TMPDIR or /tmp
	Module          string // module (-m); empty when reading a directory's conf
	ModuleVersion   string // module_version (-v)
	ParallelJobs    string // parallel_jobs, as upstream computed it (nproc or -j)
	Verbose         string // verbose; non-empty under --verbose

	RunningDistribution string // running_distribution (see Distribution)
	CurrentKernel       string // current_kernel (uname -r)
	CurrentOS           string // current_os (uname -s)

	// Strict selects the context of `dkms add -m M -v V` (upstream's
	// add_module, which shows deprecation warnings) instead of that of
	// `dkms add DIR` (add_source_tree).
	Strict bool

	// Vars are further shell variables to define before evaluation, e.g.
	// framework defaults such as compress_xz_opts. They override the
	// built-in defaults of the same name.
	Vars map[string]string

	// Environ is the process environment the conf inherits; nil means
	// os.Environ(). CC CXX CFLAGS CXXFLAGS LDFLAGS are always removed, as
	// upstream unsets them.
	Environ []string

	Stdout io.Writer // text printed by dkms's own shell (injected code); nil discards
	Stderr io.Writer // the conf's standard error; nil discards

	// Timeout bounds the whole evaluation; zero means DefaultTimeout.
	Timeout time.Duration

	// Runner runs the bash fallback; nil uses a zero run.Runner.
	Runner *run.Runner
	// Bash is the bash used for the fallback: empty looks up "bash" in
	// PATH, "-" disables the fallback.
	Bash string
	// PreferBash evaluates with bash even when the interpreter could, for
	// debugging and differential tests.
	PreferBash bool

	// Report, when non-nil, receives how the evaluation went.
	Report *Report

	// sandbox (tests only) refuses external commands and file writes, so
	// fuzzed input cannot touch the machine.
	sandbox bool
}

// Engine names the evaluator that produced a result.
type Engine string

// The two evaluators.
const (
	EngineInterp Engine = "interp" // in-process mvdan.cc/sh
	EngineBash   Engine = "bash"   // /bin/bash subprocess (fallback)
)

// Report tells the caller how an evaluation went; the CLI shows Engine and
// Reason under --verbose and prints Deprecated during strict reads.
type Report struct {
	Engine Engine
	// Reason is why bash was used (the construct and where); empty for
	// the interpreter.
	Reason string
	// Deprecated holds upstream's "Deprecated feature: NAME (path)"
	// notices, computed after each file as upstream's safe_source does.
	Deprecated []Message
}

// Eval evaluates files as upstream's read_conf does: the first is the
// package's dkms.conf (it must exist), the others are override files read
// in order when they exist, each seeing the values of the earlier ones. It returns the accepted variables
// that have at least one element set, with the 2003 spellings (alias.go)
// folded into their array forms.
//
// The files are checked before anything runs; a construct the interpreter
// lacks sends the evaluation to bash (c.Bash). Constructs that only show
// at run time (in a file the conf sources, an eval string, a builtin's
// computed arguments, the interpreter's own complaints on stderr) restart
// the evaluation in bash, so the conf's commands then run twice, as they
// would with two upstream reads. Without bash such a construct is an
// *Error wrapping ErrUnsupported that names the file and line.
func Eval(ctx context.Context, files []string, c Context) (Values, error) {
	v, _, err := evalNames(ctx, files, c, Variables, confMode(c))
	return v, err
}

// evalMode selects which of upstream's callers the harness reproduces.
type evalMode int

const (
	modeAddSourceTree evalMode = iota // dkms add DIR
	modeAddModule                     // dkms add -m M -v V
	modeFramework                     // read_framework_conf at start-up
)

func confMode(c Context) evalMode {
	if c.Strict || c.Module != "" {
		return modeAddModule
	}
	return modeAddSourceTree
}

// evalNames evaluates files importing names, in-process when it can and
// with bash otherwise, and fills c.Report.
func evalNames(ctx context.Context, files []string, c Context, names []string, mode evalMode) (Values, *Report, error) {
	if len(files) == 0 {
		return nil, nil, errors.New("evaluating conf: no file given")
	}
	abs, err := absFiles(files, mode == modeFramework)
	if err == nil && mode != modeFramework && len(abs) > 0 && abs[0] == "" {
		err = fmt.Errorf("reading %s: %w", files[0], os.ErrNotExist)
	}
	if err != nil {
		return nil, nil, err
	}
	c = withDefaults(c)
	job := &job{files: abs, typed: files, names: names, mode: mode, c: c}
	var v Values
	var rep *Report
	if c.PreferBash {
		err = fmt.Errorf("%w: bash requested", ErrUnsupported)
	} else {
		v, rep, err = job.interp(ctx)
	}
	if err != nil && errors.Is(err, ErrUnsupported) {
		if bash := bashPath(c); bash != "" {
			v, rep, err = job.bash(ctx, bash, err)
		}
	}
	if c.Report != nil && rep != nil {
		*c.Report = *rep
	}
	if err == nil && mode != modeFramework {
		v, _ = foldAliases(v) // Parse reports what could not be folded
	}
	return v, rep, err
}

// withDefaults fills the upstream defaults for the trees and streams.
func withDefaults(c Context) Context {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.DkmsTree, "/var/lib/dkms")
	def(&c.SourceTree, "/usr/src")
	def(&c.InstallTree, "/lib/modules")
	if c.Environ == nil {
		c.Environ = os.Environ()
	}
	c.Environ = cleanEnviron(c.Environ)
	if c.TmpLocation == "" {
		c.TmpLocation = envValue(c.Environ, "TMPDIR")
	}
	def(&c.TmpLocation, "/tmp")
	if c.Stdout == nil {
		c.Stdout = io.Discard
	}
	if c.Stderr == nil {
		c.Stderr = io.Discard
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// cleanEnviron drops the compiler variables upstream unsets before it
// reads any conf.
func cleanEnviron(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "CC", "CXX", "CFLAGS", "CXXFLAGS", "LDFLAGS":
		default:
			out = append(out, kv)
		}
	}
	return out
}

func envValue(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == name {
			return v
		}
	}
	return ""
}

// absFiles resolves files the way upstream names them: the physical
// directory plus the base name, so $BASH_SOURCE is e.g.
// /usr/src/foo-1.0/dkms.conf. Missing files are skipped, as upstream
// sources only the override files that exist, except that a missing
// first file is returned as "" when all are not optional (framework
// files all are); every other problem is an error.
func absFiles(files []string, optional bool) ([]string, error) {
	out := make([]string, 0, len(files))
	for i, f := range files {
		st, err := os.Stat(f)
		if err != nil && errors.Is(err, os.ErrNotExist) {
			if i == 0 && !optional {
				return []string{""}, nil
			}
			continue
		}
		if err == nil && st.IsDir() {
			err = errors.New("is a directory")
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		dir, err := filepath.Abs(filepath.Dir(f))
		if err == nil {
			dir, err = filepath.EvalSymlinks(dir)
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		out = append(out, filepath.Join(dir, filepath.Base(f)))
	}
	return out, nil
}

// job is one evaluation: the files, the names to import and the context.
type job struct {
	files []string // absolute, physical
	typed []string // as given, for try_source_tree
	names []string
	mode  evalMode
	c     Context
}

// dir is the working directory of the evaluation: the physical directory
// of the first file.
func (j *job) dir() string {
	if len(j.files) == 0 {
		return "/"
	}
	return filepath.Dir(j.files[0])
}
