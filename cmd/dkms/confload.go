package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dkms-go/dkms/internal/conf"
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
	jobs := ""
	if a.jobs > 0 {
		jobs = strconv.Itoa(a.jobs)
	}
	return conf.Context{
		Kernel:              r.kernel,
		Arch:                r.arch,
		KernelSourceDir:     a.kernelSourceDir(r.kernel),
		KernelConfig:        a.kernelConfigPath(a.kernelSourceDir(r.kernel)),
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

// readConf evaluates and checks a module's dkms.conf. Validation messages
// go to stderr as the reference prints them; a conf that fails validation
// is the reference's "Bad conf file." error, exit 8.
func (a *app) readConf(r confRequest) (*conf.Config, error) {
	main, files := a.confFiles(r)
	if !isFile(main) {
		return nil, errf(exitConfMissing, "Could not locate dkms.conf file.", "File: "+main+" does not exist.")
	}
	var report conf.Report
	vals, err := conf.Eval(a.ctx, files, a.confContext(r, &report))
	if err != nil {
		return nil, fmt.Errorf("evaluating %s: %w", main, err)
	}
	if a.o.verbose && report.Engine == conf.EngineBash {
		a.rep.say("Evaluating %s with bash: %s", main, report.Reason)
	}
	if r.strict {
		for _, d := range report.Deprecated {
			fmt.Fprintln(a.rep.err, d)
		}
	}
	a.applyDirectives(vals)
	cfg, msgs, err := conf.Parse(vals, r.strict)
	for _, m := range msgs {
		fmt.Fprintln(a.rep.err, m)
	}
	if err != nil {
		shown := r.path
		if shown == "" {
			shown = a.o.confFile
		}
		return nil, errf(exitBadConf, "Bad conf file.", "File: "+shown+" does not represent a valid dkms.conf file.")
	}
	return cfg, nil
}

// applyDirectives applies --directive NAME=value: it sets element 0 of the
// variable and exports it to make and scripts, as the reference does.
func (a *app) applyDirectives(vals conf.Values) {
	for _, d := range a.o.directives {
		name, val, ok := strings.Cut(d, "=")
		if !ok || name == "" {
			continue
		}
		a.rep.say("DIRECTIVE: %s=\"%s\"", name, val)
		if vals[name] == nil {
			vals[name] = map[int]string{}
		}
		vals[name][0] = val
		a.env = append(a.env, name+"="+val)
	}
}

// kernelSourceDir is --kernelsourcedir or IT/K/build.
func (a *app) kernelSourceDir(k string) string {
	if a.o.kernelSourceDir != "" {
		return a.o.kernelSourceDir
	}
	return filepath.Join(a.layout.KernelDir(k), "build")
}

// kernelConfigPath is --config, else the headers' auto.conf, else .config.
func (a *app) kernelConfigPath(ksrc string) string {
	if a.o.kernelConfig != "" {
		return a.o.kernelConfig
	}
	auto := filepath.Join(ksrc, "include", "config", "auto.conf")
	if _, err := os.Stat(auto); err == nil {
		return auto
	}
	return filepath.Join(ksrc, ".config")
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return ""
}
