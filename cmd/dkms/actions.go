package main

import (
	"context"
	"fmt"

	"github.com/dkms-go/dkms/internal/lifecycle"
	"github.com/dkms-go/dkms/internal/tree"
)

// actionSpec says how one action is checked and run (dkms-behaviour §3.5).
type actionSpec struct {
	run        func(a *app) error
	needMV     bool // module and version must be given
	noAll      bool // --all is refused
	oneKernel  bool // exactly one kernel (autoinstall, match, kernel_*)
	explicitK  bool // that kernel must be given with -k (kernel_*)
	notBroken  bool // refuse a broken module
	needAdded  bool // module/version must be added
	mutates    bool // takes the tree lock
	kernelList bool // fills the default kernel/arch lists
	noRecover  bool // skip recovery: doctor reports interrupted runs instead
}

var actions map[string]actionSpec

func init() {
	// lc runs a lifecycle action on the command line's request.
	lc := func(f func(*lifecycle.Session, context.Context, lifecycle.Request) error) func(*app) error {
		return func(a *app) error { return f(a.s, a.ctx, a.request()) }
	}
	hook := func(preinst bool) func(*app) error {
		return func(a *app) error { return a.s.KernelRemove(a.ctx, a.request(), preinst) }
	}
	actions = map[string]actionSpec{
		"add":             {run: lc((*lifecycle.Session).Add), noAll: true, mutates: true},
		"build":           {run: lc((*lifecycle.Session).Build), noAll: true, notBroken: true, mutates: true, kernelList: true},
		"install":         {run: lc((*lifecycle.Session).Install), noAll: true, notBroken: true, mutates: true, kernelList: true},
		"uninstall":       {run: lc((*lifecycle.Session).Uninstall), needMV: true, notBroken: true, needAdded: true, mutates: true, kernelList: true},
		"unbuild":         {run: lc((*lifecycle.Session).Unbuild), needMV: true, notBroken: true, needAdded: true, mutates: true, kernelList: true},
		"remove":          {run: lc((*lifecycle.Session).Remove), needMV: true, notBroken: true, needAdded: true, mutates: true, kernelList: true},
		"status":          {run: (*app).cmdStatus},
		"conf":            {run: (*app).cmdConf},
		"autoinstall":     {run: lc((*lifecycle.Session).Autoinstall), oneKernel: true, mutates: true, kernelList: true},
		"kernel_postinst": {run: lc((*lifecycle.Session).Autoinstall), oneKernel: true, explicitK: true, mutates: true, kernelList: true},
		"kernel_preinst":  {run: hook(true), oneKernel: true, explicitK: true, mutates: true, kernelList: true},
		"kernel_prerm":    {run: hook(false), oneKernel: true, explicitK: true, mutates: true, kernelList: true},
		"match":           {run: lc((*lifecycle.Session).Match), oneKernel: true, mutates: true, kernelList: true},
		"generate_mok":    {run: lc((*lifecycle.Session).GenerateMOK)},
		"mktarball":       {run: lc((*lifecycle.Session).Mktarball), needMV: true, notBroken: true, needAdded: true, mutates: true, kernelList: true},
		"ldtarball":       {run: lc((*lifecycle.Session).Ldtarball), mutates: true},
		"doctor":          {run: (*app).cmdDoctor, mutates: true, noRecover: true},
		"mkdeb":           {run: (*app).cmdPackage, needMV: true, notBroken: true, needAdded: true, mutates: true, kernelList: true},
		"mkbmdeb":         {run: (*app).cmdPackage, needMV: true, notBroken: true, needAdded: true, mutates: true, kernelList: true},
		"mkrpm":           {run: (*app).cmdPackage, needMV: true, notBroken: true, needAdded: true, mutates: true, kernelList: true},
	}
}

// request is what the command line names, for the lifecycle actions.
func (a *app) request() lifecycle.Request {
	o := a.o
	return lifecycle.Request{Module: o.module, Version: o.version, SourceDir: o.sourceDir, Archive: o.archive,
		Arg: o.mvArg, Kernels: o.kernels, Arches: o.arches, TemplateKernel: o.templateKernel, Action: o.action}
}

// dispatch checks the action's preconditions and runs it.
func (a *app) dispatch() (int, error) {
	o := a.o
	if o.action == "" {
		a.rep.errorBlock(`Unknown action specified: ""`)
		a.rep.usage(scriptName(a.argv0))
		return exitOK, nil
	}
	spec := actions[o.action]
	if spec.mutates {
		// Recovery first, so the checks below see a finished tree.
		unlock, err := a.lock()
		if err != nil {
			return 0, err
		}
		defer unlock()
		if !spec.noRecover {
			a.s.Recover(a.ctx)
		}
	}
	if err := a.checkKernels(spec); err != nil {
		return 0, err
	}
	if err := a.checkModule(spec, o.action); err != nil {
		return 0, err
	}
	if err := spec.run(a); err != nil {
		return 0, err
	}
	return exitOK, nil
}

// checkKernels applies the kernel-count rules and builds the kernel and
// arch lists (§3.3, §3.4).
func (a *app) checkKernels(spec actionSpec) error {
	o := a.o
	if spec.oneKernel {
		if o.all {
			return errf(exitNotAllowed, fmt.Sprintf("The action %s does not support the --all parameter.", o.action))
		}
		if spec.explicitK && len(o.kernels) != 1 {
			return errf(exitConfMissing, fmt.Sprintf("The action %s requires exactly one kernel version parameter on the command line.", o.action))
		}
		if len(o.kernels) > 1 {
			return errf(exitConfMissing, fmt.Sprintf("The action %s does not support multiple kernel version parameters on the command line.", o.action))
		}
	}
	if spec.noAll && o.all {
		return errf(exitNotAllowed, fmt.Sprintf("The action %s does not support the --all parameter.", o.action))
	}
	if !spec.kernelList {
		return nil
	}
	if o.all && o.module != "" && o.version != "" {
		o.kernels, o.arches = a.s.AllBuilds(o.module, o.version)
	}
	if len(o.kernels) == 0 && !o.all {
		o.kernels = []string{a.host.Release}
	}
	if len(o.arches) == 0 && len(o.kernels) > 0 {
		o.arches = []string{a.host.Machine}
	}
	for len(o.arches) < len(o.kernels) {
		o.arches = append(o.arches, o.arches[len(o.arches)-1])
	}
	for i := range o.kernels {
		if o.kernels[i] == "" {
			return errf(exitEmptyKernel, fmt.Sprintf("Empty kernelver[%d]", i))
		}
		if o.arches[i] == "" {
			return errf(exitEmptyKernel, fmt.Sprintf("Empty arch[%d]", i))
		}
	}
	return nil
}

// checkModule applies the module/version preconditions (§3.5, §3.8).
func (a *app) checkModule(spec actionSpec, action string) error {
	o := a.o
	if spec.needMV && (o.module == "" || o.version == "") {
		return missingModuleVersion(action)
	}
	if o.module != "" {
		if err := checkModuleNames(o); err != nil {
			return err
		}
	}
	for _, k := range append(append([]string(nil), o.kernels...), o.arches...) {
		if k != "" && tree.CheckName("kernel", k) != nil {
			return errf(exitGeneric, fmt.Sprintf("Invalid kernel or arch name %q.", k))
		}
	}
	if spec.notBroken && o.module != "" && o.version != "" && a.s.Layout.IsBroken(o.module, o.version) {
		return brokenError(o.module, o.version)
	}
	if spec.needAdded && !a.s.Layout.IsAdded(o.module, o.version) {
		return errf(exitState, fmt.Sprintf("The module/version combo: %s/%s is not located in the DKMS tree.", o.module, o.version))
	}
	return nil
}

// checkModuleNames refuses module and version names that would make
// paths outside the trees ("..", slashes); the reference accepts them.
func checkModuleNames(o *options) error {
	if tree.CheckName("module", o.module) == nil && (o.version == "" || tree.CheckName("version", o.version) == nil) {
		return nil
	}
	if o.mvArg != "" && isDir(o.mvArg) {
		return errf(exitNoConf, o.mvArg+" must contain a dkms.conf file!")
	}
	return errf(exitGeneric, fmt.Sprintf("Invalid module/version %q: names must not contain '/' or start with '.'.", moduleVersion(o.module, o.version)))
}

func missingModuleVersion(action string) error {
	return errf(exitGeneric, "Arguments <module> and <module-version> are not specified.",
		"Usage: "+action+" <module>/<module-version> or",
		"       "+action+" -m <module>/<module-version> or",
		"       "+action+" -m <module> -v <module-version>")
}

func brokenError(m, v string) error {
	return errf(exitConfMissing, m+"/"+v+" is broken!",
		"Missing the source directory or the symbolic link pointing to it.",
		"Manual intervention is required!")
}

// moduleVersion renders m/v.
func moduleVersion(m, v string) string { return m + "/" + v }
