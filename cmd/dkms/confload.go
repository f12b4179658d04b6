package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/kbuild"
)

// confRequest says which dkms.conf to read and in which kernel context.
type confRequest struct {
	module, version string
	kernel, arch    string
	path            string // the dkms.conf; empty for DT/m/v/source/dkms.conf (or -c)
	strict          bool   // add/build/install checks (§4.4)
}

// confFiles lists the files read for one module: its dkms.conf and then
// the override files of confDir that exist, in the reference's order.
func (a *app) confFiles(r confRequest) (main string, files []string) {
	main = r.path
	if main == "" {
		main = a.o.confFile
	}
	if main == "" {
		main = filepath.Join(a.layout.SourceLink(r.module, r.version), "dkms.conf")
	}
	files = []string{main}
	if r.module == "" {
		return main, files
	}
	m, v, k, ar := r.module, r.version, r.kernel, r.arch
	for _, name := range []string{m, m + "-" + v, m + "-" + v + "-" + k, m + "-" + v + "-" + k + "-" + ar, m + "--" + k, m + "--" + k + "-" + ar} {
		p := filepath.Join(a.confDir, name+".conf")
		if isFile(p) {
			files = append(files, p)
		}
	}
	return main, files
}

// confContext is the shell context a dkms.conf is evaluated in
// (dkms-behaviour §4.1).
func (a *app) confContext(r confRequest, report *conf.Report) conf.Context {
	kt := a.kernel(r.kernel, r.arch)
	jobs := ""
	if a.jobs > 0 {
		jobs = strconv.Itoa(a.jobs)
	}
	return conf.Context{
		Kernel:              r.kernel,
		Arch:                r.arch,
		KernelSourceDir:     kt.SourceDir,
		KernelConfig:        kt.ConfigPath,
		DkmsTree:            a.layout.DKMS,
		SourceTree:          a.layout.Source,
		InstallTree:         a.layout.Install,
		TmpLocation:         a.tmp,
		Module:              r.module,
		ModuleVersion:       r.version,
		ParallelJobs:        jobs,
		Verbose:             boolText(a.o.verbose),
		RunningDistribution: a.distro,
		CurrentKernel:       kernelRunning(),
		CurrentOS:           "Linux",
		Strict:              r.strict,
		Environ:             a.env,
		Stdout:              a.rep.err,
		Stderr:              a.rep.err,
		Runner:              a.runner,
		Report:              report,
	}
}

// confCache is the reference's last_mvka cache (dkms-behaviour §4.1): a
// read of the same module/version/kernel/arch and the same resolved
// dkms.conf as the last successful read is not evaluated again, so its
// deprecation notices and DIRECTIVE lines are printed once per kernel, and
// values expanded from the environment do not see the --directive exports
// of that first read. The strict checks still run on every read.
type confCache struct {
	key  string
	vals conf.Values
}

// readConf evaluates and checks a module's dkms.conf. Validation messages
// go to stderr as the reference prints them; a conf that fails validation
// is the reference's "Bad conf file." error, exit 8.
func (a *app) readConf(r confRequest) (*conf.Config, error) {
	main, files := a.confFiles(r)
	if !isFile(main) {
		return nil, errf(exitConfMissing, "Could not locate dkms.conf file.", "File: "+main+" does not exist.")
	}
	key := r.module + "/" + r.version + "/" + r.kernel + "/" + r.arch + "\x00" + resolvedPath(main)
	vals := a.confCache.vals
	if a.confCache.key != key || vals == nil {
		var err error
		if vals, err = a.evalConf(r, main, files); err != nil {
			return nil, err
		}
	}
	a.confCache = confCache{}
	cfg, msgs, err := conf.Parse(vals, r.strict)
	if bad := unsafePaths(cfg); len(bad) > 0 {
		msgs, err = append(msgs, bad...), conf.ErrInvalid
	}
	for _, m := range msgs {
		fmt.Fprintln(a.rep.err, m)
	}
	if err != nil {
		// The reference prints the explicit (-c) path here, and nothing
		// when the default one was used ("File:  does not ..."); we name
		// the file read in that case too.
		shown := r.path
		if shown == "" {
			shown = a.o.confFile
		}
		if shown == "" {
			shown = main
		}
		return nil, errf(exitBadConf, "Bad conf file.", "File: "+shown+" does not represent a valid dkms.conf file.")
	}
	a.confCache = confCache{key: key, vals: vals}
	return cfg, nil
}

// evalConf evaluates the files of one conf read, prints its deprecation
// notices (strict reads) and applies the --directive options.
func (a *app) evalConf(r confRequest, main string, files []string) (conf.Values, error) {
	var report conf.Report
	vals, err := conf.Eval(a.ctx, files, a.confContext(r, &report))
	if err != nil {
		return nil, confEvalError(main, err)
	}
	if a.o.verbose && report.Engine == conf.EngineBash {
		a.rep.say("Evaluating %s with bash: %s", main, report.Reason)
	}
	if r.strict {
		for _, d := range report.Deprecated {
			fmt.Fprintln(a.rep.err, typedPaths(d.Text, files))
		}
	}
	a.applyDirectives(vals)
	return vals, nil
}

// confEvalError words a conf that could not be evaluated at all (exit 8,
// as for an invalid conf). A *conf.Error already names the file (and
// line); other errors get the file put in front. The reference has no such
// message: such a conf makes it exit or hang.
func confEvalError(main string, err error) error {
	var ce *conf.Error
	if errors.As(err, &ce) {
		return errf(exitBadConf, "Could not evaluate "+ce.Error()+".")
	}
	return errf(exitBadConf, "Could not evaluate "+main+": "+err.Error()+".")
}

// typedPaths puts back, in a "Deprecated feature: NAME (file)" line, the
// file name as dkms passed it: the reference prints the path it sourced
// (e.g. DT/m/v/source/dkms.conf), while conf.Eval reports the physical
// one. TODO(compat): drop once conf.Report.Deprecated names files as given.
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

// applyDirectives applies --directive NAME=value: it sets element 0 of the
// variable and exports it to later conf reads, make and scripts, as the
// reference does.
func (a *app) applyDirectives(vals conf.Values) {
	for _, d := range a.directives() {
		name, val, _ := strings.Cut(d, "=")
		a.rep.say("DIRECTIVE: %s=\"%s\"", name, val)
		if vals[name] == nil {
			vals[name] = map[int]string{}
		}
		vals[name][0] = val
		a.env = append(a.env, name+"="+val)
	}
}

// directives are the usable --directive options, NAME=value each, in
// order; they are also exported to make and the scripts.
func (a *app) directives() []string {
	var out []string
	for _, d := range a.o.directives {
		if name, _, ok := strings.Cut(d, "="); ok && name != "" {
			out = append(out, d)
		}
	}
	return out
}

// runScript runs a POST_ADD, PRE_INSTALL, POST_INSTALL or POST_REMOVE
// script of the current module from its source directory (§7.10), with
// the --directive exports in its environment, and returns its status.
func (a *app) runScript(kind, value string) int {
	src := a.layout.SourceLink(a.o.module, a.o.version)
	return kbuild.RunScript(a.ctx, a.runner, a.rep.out, a.rep.err, a.rep.warn, kind, value, src, a.directives()...)
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return ""
}

// unsafePaths refuses module names and locations that would read or
// write outside the build directory or the kernel's module directory: a
// ".." component, an absolute BUILT_MODULE_LOCATION, a slash in a module
// name. The reference accepts them and writes wherever they point.
func unsafePaths(cfg *conf.Config) []conf.Message {
	if cfg == nil {
		return nil
	}
	var out []conf.Message
	bad := func(name string, i int, val, why string) {
		out = append(out, conf.Message{Level: conf.LevelError,
			Text: fmt.Sprintf("dkms.conf: Error! '%s[%d]' %s: %q", name, i, why, val)})
	}
	for i, m := range cfg.Modules {
		if strings.Contains(m.BuiltName, "/") {
			bad(conf.BuiltModuleName, i, m.BuiltName, "must be a file name, without '/'")
		}
		if strings.Contains(m.DestName, "/") {
			bad(conf.DestModuleName, i, m.DestName, "must be a file name, without '/'")
		}
		if dotDot(m.BuiltLocation) || filepath.IsAbs(m.BuiltLocation) {
			bad(conf.BuiltModuleLocation, i, m.BuiltLocation, "must stay inside the build directory")
		}
		if dotDot(m.DestLocation) {
			bad(conf.DestModuleLocation, i, m.DestLocation, "must not contain a '..' component")
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
