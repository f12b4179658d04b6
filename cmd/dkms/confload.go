package main

import (
	"strconv"

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

// loader is the conf loader of this run.
func (a *app) newLoader() *conf.Loader {
	jobs := ""
	if a.jobs > 0 {
		jobs = strconv.Itoa(a.jobs)
	}
	return &conf.Loader{
		Base: conf.Context{
			DkmsTree:            a.layout.DKMS,
			SourceTree:          a.layout.Source,
			InstallTree:         a.layout.Install,
			TmpLocation:         a.tmp,
			ParallelJobs:        jobs,
			Verbose:             boolText(a.o.verbose),
			RunningDistribution: a.distro,
			CurrentKernel:       kernelRunning(),
			CurrentOS:           "Linux",
			Environ:             a.env,
			Runner:              a.runner,
		},
		ConfDir:    a.confDir,
		ConfFile:   a.o.confFile,
		Directives: a.o.directives,
	}
}

// request makes the conf request of r.
func (a *app) request(r confRequest) conf.Request {
	kt := a.kernel(r.kernel, r.arch)
	return conf.Request{Module: r.module, Version: r.version, Kernel: r.kernel, Arch: r.arch,
		KernelSourceDir: kt.SourceDir, KernelConfig: kt.ConfigPath, Path: r.path, Strict: r.strict}
}

// readConf evaluates and checks a module's dkms.conf in the current scope.
func (a *app) readConf(r confRequest) (*conf.Result, error) {
	return a.loader.Read(a.ctx, a.scope, a.request(r), a.rep.out, a.rep.err)
}

func (a *app) directives() []string { return a.loader.ValidDirectives() }

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
