package lifecycle

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/kbuild"
	"github.com/dkms-go/dkms/internal/tree"
)

// Build builds the module for each kernel (§3.6 build). Each kernel is
// independent: a failure is reported and the next kernel is tried; the
// result says whether any failed (the reference only returns the last
// kernel's status: §10.5).
func (s *Session) Build(ctx context.Context, req Request) error {
	a := s.newAction()
	_, err := a.eachKernel(ctx, &conf.Scope{}, req, a.buildOne)
	return err
}

// eachKernel runs step for every kernel/arch of req, reporting each
// failure as it happens, and returns Status of the last failure. Each
// kernel runs in a fork of sc, as the reference runs each in a
// subshell: what a kernel's conf reads export and cache does not reach
// the next kernel. It returns req with the module a directory argument
// named.
func (a *action) eachKernel(ctx context.Context, sc *conf.Scope, req Request, step func(context.Context, *conf.Scope, Request, Target) error) (Request, error) {
	req, err := a.namedBySource(ctx, sc, req)
	if err != nil {
		return req, err
	}
	last := 0
	for i, k := range req.Kernels {
		t := Target{Module: req.Module, Version: req.Version, Kernel: k, Arch: req.Arches[i]}
		if err := step(ctx, sc.Fork(), req, t); err != nil {
			last = a.Rep.Fail(err)
			a.Layout.RecordFailure(a.Runner, t.Module, t.Version, k, t.Arch, last, a.now())
		} else {
			a.Layout.ClearFailure(a.Runner, t.Module, t.Version, k, t.Arch)
		}
	}
	if last != 0 {
		return req, Status(last)
	}
	return req, nil
}

func (a *action) buildOne(ctx context.Context, sc *conf.Scope, req Request, t Target) error {
	if t.Module != "" && t.Version != "" && a.Layout.IsBuilt(t.Module, t.Version, t.Kernel, t.Arch) {
		if !a.Flags.Force {
			a.Rep.Say("Module %s already built for kernel %s (%s), skip. You may override by specifying --force.", t.mv(), t.Kernel, t.Arch)
			return nil
		}
		built := a.Layout.Built(t.Module, t.Version, t.Kernel, t.Arch)
		if err := a.Runner.RemoveAll(built); err != nil {
			return err
		}
		a.Runner.Remove(filepath.Dir(built)) // the kernel directory, when that was its last arch
	}
	_, err := a.doBuild(ctx, sc, req, t)
	return err
}

// doBuild is the reference's do_build: add if needed, check, prepare the
// kernel, build. It returns the target with the module an implicit add
// named.
func (a *action) doBuild(ctx context.Context, sc *conf.Scope, req Request, t Target) (Target, error) {
	t, err := a.ensureAdded(ctx, sc, req, t)
	if err != nil {
		return t, err
	}
	base := a.Layout.Built(t.Module, t.Version, t.Kernel, t.Arch)
	if _, err := os.Lstat(base); err == nil {
		return t, &Error{Kind: AlreadyBuilt, Target: t, Path: base}
	}
	cfg, err := a.readConf(ctx, sc, t, true)
	if err != nil {
		return t, err
	}
	ex := a.exclusion(cfg.Config, t)
	if ex.All {
		return t, &Error{Kind: Excluded, Target: t, Path: a.Layout.Built(t.Module, t.Version, t.Kernel, t.Arch)}
	}
	src := a.Layout.SourceLink(t.Module, t.Version)
	if countVisible(src) < 2 {
		return t, &Error{Kind: NoModuleSource, Path: src}
	}
	kt, err := a.prepare(ctx, sc, t.Kernel, t.Arch)
	if err != nil {
		return t, err
	}
	benv := a.buildEnvironment(ctx, kt, t)
	if err := a.checkBuildDepends(cfg.Config, t); err != nil {
		return t, err
	}
	return t, a.builder(cfg.Config, kt, t, benv).Build(ctx, a.buildJob(cfg, kt, t, ex, benv))
}

// buildEnvironment sources framework.conf's build_environment for the
// build of t (dkms 3.3), after the compiler detection so that it can
// change it, and returns what it exported (kbuild.SourceEnvironment): a
// toolchain's enable script, say. Like the reference, it uses the value
// read at start-up, and only a regular file.
func (a *action) buildEnvironment(ctx context.Context, kt *resolved, t Target) []string {
	file := a.Framework["build_environment"]
	if file == "" || !isFile(file) {
		return nil
	}
	env := append(append([]string(nil), a.Loader.ValidDirectives()...), kt.Env...)
	return kbuild.SourceEnvironment(ctx, a.Runner, file, a.dkmsVars(kt, t), env)
}

// ensureAdded runs the implicit add of build and install.
func (a *action) ensureAdded(ctx context.Context, sc *conf.Scope, req Request, t Target) (Target, error) {
	if t.Module != "" && t.Version != "" && a.Layout.IsAdded(t.Module, t.Version) {
		return t, nil
	}
	req.Module, req.Version = t.Module, t.Version
	req, err := a.add(ctx, sc, req)
	t.Module, t.Version = req.Module, req.Version
	if err != nil {
		return t, err
	}
	a.Rep.Say("")
	return t, nil
}

// exclusion applies BUILD_EXCLUSIVE_* to t (§4.3, per module since dkms
// 3.3): CONFIG constraints read the kernel's configuration, and are
// ignored when it has none.
func (s *Session) exclusion(cfg *conf.Config, t Target) conf.Exclusion {
	kconfig, _ := os.ReadFile(s.kernel(t.Kernel, t.Arch).ConfigPath)
	return cfg.Exclude(t.Kernel, t.Arch, kconfig)
}

// checkBuildDepends needs some version of every BUILD_DEPENDS module
// installed for K/A (§7.7); --force builds anyway with a warning.
func (a *action) checkBuildDepends(cfg *conf.Config, t Target) error {
	var missing []string
	for _, dep := range cfg.BuildDepends {
		if a.Layout.InstalledVersion(dep, t.Kernel, t.Arch) == "" {
			missing = append(missing, dep)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if a.Flags.Force {
		a.Rep.Warn("Trying to build module " + t.mv() + " for kernel " + t.Kernel + " (" + t.Arch + ") despite of missing BUILD_DEPENDS: " + strings.Join(missing, " ") + ".")
		return nil
	}
	return &Error{Kind: MissingDepends, Target: t, Names: missing}
}

// builder runs t's build with dkms's variables, the kernel's compiler
// settings and what build_environment exported (benv), in that order of
// precedence from last to first.
func (a *action) builder(cfg *conf.Config, kt *resolved, t Target, benv []string) *kbuild.Builder {
	env := append(append(a.exportVars(kt, t), kt.Env...), benv...)
	return &kbuild.Builder{
		Layout: a.Layout,
		Inv: &kbuild.Invoker{Runner: a.Runner, Out: a.Rep.Stdout(), Env: env, Verbose: a.Flags.Verbose,
			Dots: !strings.HasPrefix(cfg.PackageName, "dkms") || !strings.HasSuffix(cfg.PackageName, "_test")},
		Now:        a.now,
		Warn:       a.Rep.Warn,
		Compressor: a.compressor(env),
	}
}

// exportVars are dkms's shell variables, exported so that a MAKE line or
// script sees what the reference's eval would (§7.9), and the --directive
// exports.
func (a *action) exportVars(kt *resolved, t Target) []string {
	return append(a.dkmsVars(kt, t), a.Loader.ValidDirectives()...)
}

// dkmsVars are the shell variables of the reference's do_build that a
// build step may read.
func (a *action) dkmsVars(kt *resolved, t Target) []string {
	return []string{
		"kernelver=" + kt.Release, "arch=" + kt.Arch,
		"module=" + t.Module, "module_version=" + t.Version,
		"kernel_source_dir=" + kt.SourceDir, "dkms_tree=" + a.Layout.DKMS,
		"source_tree=" + a.Layout.Source, "install_tree=" + a.Layout.Install,
	}
}

// buildJob is the build of t's modules that ex does not exclude: only
// those are looked for after make, finished and kept.
func (a *action) buildJob(cfg *conf.Result, kt *resolved, t Target, ex conf.Exclusion, benv []string) kbuild.Job {
	m, v, k := t.Module, t.Version, t.Kernel
	chosen, _ := cfg.MakeCommand(k) // an invalid MAKE_MATCH matches nothing, as in bash
	patches, _ := cfg.Patches(k)
	job := kbuild.Job{
		Module: m, Version: v, Kernel: k, Arch: t.Arch, Release: a.Release,
		MakeCmd:     kbuild.MakeCommand(chosen, k, kt.SourceDir, a.Layout.BuildDir(m, v), a.Jobs, kt.LLVM),
		Patches:     patches,
		PreBuild:    cfg.PreBuild,
		PostBuild:   cfg.PostBuild,
		StripTool:   stripTool(kt.StripTool, benv),
		Sign:        kt.signing.signer(a.Runner, benv),
		CompressExt: kt.CompressExt,
		Extra:       a.depRecords(cfg.Config),
		Overrides:   a.overrides(m),
	}
	rec := &tree.BuildRecord{ConfHash: conf.HashFiles(cfg.Files)}
	for i, mod := range cfg.Modules {
		if ex.Excluded[i] {
			continue
		}
		job.Modules = append(job.Modules, kbuild.Module{BuiltName: mod.BuiltName, BuiltLocation: mod.BuiltLocation,
			DestName: mod.DestName, Strip: mod.Strip})
		rec.Modules = append(rec.Modules, tree.RecordedModule{DestName: mod.DestName, DestLocation: mod.DestLocation})
	}
	job.Extra[tree.BuildRecordName] = rec.Encode()
	return job
}

// stripTool is the kernel's strip tool, unless build_environment set CC:
// then llvm-strip for clang, strip otherwise, as the reference decides
// from $CC.
func stripTool(kernels string, benv []string) string {
	tool := kernels
	for _, kv := range benv {
		if cc, ok := strings.CutPrefix(kv, "CC="); ok {
			tool = "strip"
			if cc == "clang" {
				tool = "llvm-strip"
			}
		}
	}
	return tool
}

// overrides is module m's override directory (dkms 3.4): patches and
// scripts in /etc/dkms/<module>/ (DKMS_CONFDIR) win over the source's.
func (s *Session) overrides(m string) string {
	return filepath.Join(s.ConfDir, m)
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

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
