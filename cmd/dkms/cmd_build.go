package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dkms-go/dkms/internal/build"
	"github.com/dkms-go/dkms/internal/conf"
)

// cmdBuild builds the module for each kernel (§3.6 build). Each kernel is
// independent: a failure is reported and the next kernel is tried; the
// exit status says whether any failed (the reference only returns the last
// kernel's status: §10.5).
func (a *app) cmdBuild() error {
	return a.eachKernel(a.buildOne)
}

// eachKernel runs fn for every kernel/arch, reporting each failure as it
// happens, and returns the last failure's status.
func (a *app) eachKernel(fn func(k, arch string) error) error {
	if err := a.preAdd(); err != nil {
		return err
	}
	last := 0
	for i, k := range a.o.kernels {
		// The reference runs each kernel in a subshell: what a kernel's
		// conf reads export and cache does not reach the next kernel.
		env, cache := a.env, a.confCache
		err := fn(k, a.o.arches[i])
		a.env, a.confCache = env, cache
		if err != nil {
			last = a.report(err)
			a.recordFailure(a.o.module, a.o.version, k, a.o.arches[i], last)
		} else {
			a.clearFailure(a.o.module, a.o.version, k, a.o.arches[i])
		}
	}
	if last != 0 {
		return silent(last)
	}
	return nil
}

// preAdd resolves a source-directory argument to module/version before
// the per-kernel loop, so every kernel builds the same module.
func (a *app) preAdd() error {
	o := a.o
	if o.sourceDir != "" && (o.module == "" || o.version == "") {
		return a.addSourceTree(o.sourceDir)
	}
	return nil
}

func (a *app) buildOne(k, arch string) error {
	m, v := a.o.module, a.o.version
	if m != "" && v != "" && a.layout.IsBuilt(m, v, k, arch) {
		if !a.o.force {
			a.rep.say("Module %s already built for kernel %s (%s), skip. You may override by specifying --force.", moduleVersion(m, v), k, arch)
			return nil
		}
		if err := a.runner.RemoveAll(a.layout.Built(m, v, k, arch)); err != nil {
			return err
		}
		os.Remove(filepath.Dir(a.layout.Built(m, v, k, arch)))
	}
	return a.doBuild(k, arch)
}

// doBuild is the reference's do_build: add if needed, check, prepare the
// kernel, build.
func (a *app) doBuild(k, arch string) error {
	if err := a.ensureAdded(); err != nil {
		return err
	}
	m, v := a.o.module, a.o.version
	base := a.layout.Built(m, v, k, arch)
	if _, err := os.Lstat(base); err == nil {
		return errf(exitState, "This module/version has already been built on: "+k,
			"Directory "+base+" already exists. Use the dkms remove function before trying to build again.")
	}
	cfg, err := a.readConf(confRequest{module: m, version: v, kernel: k, arch: arch, strict: true})
	if err != nil {
		return err
	}
	if err := a.checkExclusive(cfg, m, v, k, arch); err != nil {
		return err
	}
	src := a.layout.SourceLink(m, v)
	if countVisible(src) < 2 {
		return errf(exitBadConf, "The directory "+src+" does not appear to have module source located within it.", "Build halted.")
	}
	prep, err := a.prepareKernel(k, arch)
	if err != nil {
		return err
	}
	if err := a.checkBuildDepends(cfg, m, v, k, arch); err != nil {
		return err
	}
	return a.builder(cfg, prep).Build(a.ctx, a.buildJob(cfg, prep, k, arch))
}

// ensureAdded runs the implicit add of build and install.
func (a *app) ensureAdded() error {
	o := a.o
	if o.module != "" && o.version != "" && a.layout.IsAdded(o.module, o.version) {
		return nil
	}
	if err := a.add("add"); err != nil {
		return err
	}
	a.rep.say("")
	return nil
}

// checkExclusive applies BUILD_EXCLUSIVE_* (§4.3): a mismatch is a warning
// and exit 77.
func (a *app) checkExclusive(cfg *conf.Config, m, v, k, arch string) error {
	kconfig, _ := os.ReadFile(a.kernelConfigPath(a.kernelSourceDir(k)))
	if excluded, _ := cfg.BuildExclusive.Excludes(k, arch, kconfig); excluded {
		return &exitError{code: exitBuildExclusive, warn: true, lines: []string{
			"The " + a.layout.Built(m, v, k, arch) + "/dkms.conf",
			"for module " + moduleVersion(m, v) + " includes a BUILD_EXCLUSIVE directive",
			"which does not match this kernel/arch/config.",
			"This indicates that it should not be built."}}
	}
	return nil
}

// checkBuildDepends needs some version of every BUILD_DEPENDS module
// installed for K/A (§7.7); --force builds anyway with a warning.
func (a *app) checkBuildDepends(cfg *conf.Config, m, v, k, arch string) error {
	var missing []string
	for _, dep := range cfg.BuildDepends {
		if a.layout.InstalledVersion(dep, k, arch) == "" {
			missing = append(missing, dep)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	list := " " + strings.Join(missing, " ")
	if a.o.force {
		a.rep.warn(fmt.Sprintf("Trying to build module %s for kernel %s (%s) despite of missing BUILD_DEPENDS:%s.", moduleVersion(m, v), k, arch, list))
		return nil
	}
	return errf(exitBuildDepends, fmt.Sprintf("Aborting build of module %s for kernel %s (%s) due to missing BUILD_DEPENDS:%s.", moduleVersion(m, v), k, arch, list),
		"You may override by specifying --force.")
}

func (a *app) builder(cfg *conf.Config, prep *kernelPrep) *build.Builder {
	env := append(a.exportVars(prep), prep.env...)
	return &build.Builder{
		Layout: a.layout,
		Inv: &build.Invoker{Runner: a.runner, Out: a.rep.out, Env: env, Verbose: a.o.verbose,
			Dots: !strings.HasPrefix(cfg.PackageName, "dkms") || !strings.HasSuffix(cfg.PackageName, "_test")},
		Now:        time.Now,
		Warn:       a.rep.warn,
		Compressor: a.compressor(),
	}
}

// exportVars are dkms's shell variables, exported so that a MAKE line or
// script sees what the reference's eval would (§7.9), and the --directive
// exports.
func (a *app) exportVars(prep *kernelPrep) []string {
	return append([]string{
		"kernelver=" + prep.kernel, "arch=" + prep.arch,
		"module=" + a.o.module, "module_version=" + a.o.version,
		"kernel_source_dir=" + prep.ksrc, "dkms_tree=" + a.layout.DKMS,
		"source_tree=" + a.layout.Source, "install_tree=" + a.layout.Install,
	}, a.directives()...)
}

func (a *app) buildJob(cfg *conf.Config, prep *kernelPrep, k, arch string) build.Job {
	m, v := a.o.module, a.o.version
	chosen, _ := cfg.MakeCommand(k) // an invalid MAKE_MATCH matches nothing, as in bash
	patches, _ := cfg.Patches(k)
	job := build.Job{
		Module: m, Version: v, Kernel: k, Arch: arch, Release: releaseString,
		MakeCmd:   build.MakeCommand(chosen, k, prep.ksrc, a.layout.BuildDir(m, v), a.jobs, prep.llvm),
		Patches:   patches,
		PreBuild:  cfg.PreBuild,
		PostBuild: cfg.PostBuild,
		StripTool: prep.stripTool,
		Sign:      prep.sign,
	}
	job.CompressExt = prep.compressExt
	job.Extra = a.depRecords(cfg)
	if job.Extra == nil {
		job.Extra = map[string][]byte{}
	}
	job.Extra[buildRecordName] = a.newBuildRecord(cfg, confRequest{module: m, version: v, kernel: k, arch: arch})
	for _, mod := range cfg.Modules {
		job.Modules = append(job.Modules, build.Module{BuiltName: mod.BuiltName, BuiltLocation: mod.BuiltLocation,
			DestName: mod.DestName, Strip: mod.Strip})
	}
	return job
}

// countVisible counts the entries of dir not starting with a dot.
func countVisible(dir string) int {
	ents, _ := os.ReadDir(dir)
	n := 0
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") {
			n++
		}
	}
	return n
}
