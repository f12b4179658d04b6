package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/distro"
	"github.com/dkms-go/dkms/internal/kernel"
	"github.com/dkms-go/dkms/internal/lifecycle"
	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/tree"
)

// releaseString is what --version prints and make.log headers carry: the
// reference release whose interface this program implements, so scripts
// that compare it keep working.
const releaseString = "dkms-3.4.3"

// Environment variables that re-root what the reference hardcodes, so tests
// and sandboxes never touch the host's /etc/dkms or system files.
const (
	envConfDir = "DKMS_CONFDIR" // replaces /etc/dkms (framework.conf, <module>.conf overrides)
	envSysRoot = "DKMS_SYSROOT" // prefix for /etc/os-release, /sys, /boot, /usr/share/dkms, the machine's keys and tools
)

// The machine-wide signing key and certificate (below DKMS_SYSROOT): the
// reference's paths, which do not follow --dkmstree or dkms_tree because
// the certificate is enrolled once per machine.
const (
	defaultMOKKey  = "/var/lib/dkms/mok.key"
	defaultMOKCert = "/var/lib/dkms/mok.pub"
)

// app is one invocation of the command line: its options, where its
// output goes, and the session the action runs in.
type app struct {
	ctx         context.Context
	argv0       string
	o           *options
	rep         reporter
	env         []string // environment without CC CXX CFLAGS CXXFLAGS LDFLAGS
	confDir     string
	sysRoot     string
	host        kernel.Host
	s           *lifecycle.Session
	lockTimeout time.Duration
}

// runCLI is main without os.Exit: it returns the exit code.
func runCLI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	syscall.Umask(0o022)
	a := &app{ctx: ctx, argv0: args[0], rep: reporter{out: stdout, err: stderr}}
	a.env = cleanEnv(os.Environ())
	a.confDir = getenvDefault(envConfDir, "/etc/dkms")
	a.sysRoot = os.Getenv(envSysRoot)
	a.host, _ = kernel.Running()
	code, err := a.main(args[1:])
	if err != nil {
		return a.rep.report(err)
	}
	return code
}

// main parses the command line and runs the action.
func (a *app) main(args []string) (int, error) {
	root := a.sysRoot
	if root == "" {
		root = "/"
	}
	dist, err := distro.Detect(root)
	if err != nil {
		return 0, errf(exitConfMissing, "System is missing os-release file.")
	}
	o, err := parseArgs(args)
	if err != nil {
		return 0, errf(exitConfMissing, err.Error())
	}
	a.o = o
	if o.showVersion {
		a.rep.say("%s", releaseString)
		return exitOK, nil
	}
	if o.unknown != "" {
		a.rep.errorBlock("Unknown option: " + o.unknown)
		a.rep.usage(scriptName(a.argv0))
		return exitUsage, nil
	}
	if o.showHelp {
		a.rep.usage(scriptName(a.argv0))
		return exitOK, nil
	}
	if o.quiet {
		a.rep = reporter{out: io.Discard, err: io.Discard}
	}
	for _, d := range o.deprecated {
		a.rep.deprecated(d)
	}
	for _, w := range o.warnings {
		a.rep.warn(w)
	}
	if err := a.setup(dist); err != nil {
		return 0, err
	}
	if err := a.sanity(); err != nil {
		return 0, err
	}
	return a.dispatch()
}

// setup reads framework.conf (and framework.conf.d) the way the reference
// does (§5) and builds the session: command line options win over
// framework.conf, which wins over the environment and the defaults.
func (a *app) setup(dist distro.Name) error {
	fw := conf.EnvFramework(a.env)
	vals, err := conf.ReadFramework(a.ctx, a.confDir, conf.Context{Environ: a.env, Stderr: a.rep.err})
	if err != nil {
		return err
	}
	for k, v := range vals {
		fw[k] = strings.TrimSpace(v)
	}
	pick := func(opt, key, def string) string {
		if opt != "" {
			return opt
		}
		if v := fw[key]; v != "" {
			return v
		}
		return def
	}
	o := a.o
	layout := tree.Layout{
		DKMS:    pick(o.dkmsTree, "dkms_tree", "/var/lib/dkms"),
		Source:  pick(o.sourceTree, "source_tree", "/usr/src"),
		Install: pick(o.installTree, "install_tree", "/lib/modules"),
	}
	o.verbose = o.verbose || fw["verbose"] != ""
	o.symlinkModules = o.symlinkModules || fw["symlink_modules"] != ""
	tmp := pick("", "tmp_location", getenvDefault("TMPDIR", "/tmp"))
	a.s = a.session(layout, fw, dist, tmp, parallelJobs(pick(o.jobs, "parallel_jobs", "")))
	a.lockTimeout = 10 * time.Minute
	if n, err := strconv.Atoi(fw["lock_timeout"]); err == nil {
		a.lockTimeout = time.Duration(n) * time.Second
	}
	return nil
}

// session builds the session every action runs in.
func (a *app) session(layout tree.Layout, fw map[string]string, dist distro.Name, tmp string, jobs int) *lifecycle.Session {
	o := a.o
	var echo io.Writer
	if o.verbose {
		echo = a.rep.out
	}
	runner := run.New(echo, a.env)
	return &lifecycle.Session{
		Layout: layout, Runner: runner, Rep: a.rep,
		Loader:    a.loader(layout, runner, tmp, jobs, dist),
		Framework: fw, ConfDir: a.confDir, SysRoot: a.sysRoot, Tmp: tmp, Jobs: jobs,
		Distro: dist, Weak: a.weakModules(dist), Host: a.host, AddonModulesDir: os.Getenv("ADDON_MODULES_DIR"), Release: releaseString,
		MOK:    lifecycle.KeyPair{Key: filepath.Join("/", a.sysRoot, defaultMOKKey), Cert: filepath.Join("/", a.sysRoot, defaultMOKCert)},
		Kernel: kernel.Options{InstallTree: layout.Install, SourceDir: o.kernelSourceDir, ConfigPath: o.kernelConfig},
		Flags: lifecycle.Flags{Force: o.force, ForceVersion: o.forceVersion, Verbose: o.verbose, Symlink: o.symlinkModules,
			NoDepmod: o.noDepmod, BinariesOnly: o.binariesOnly, SourceOnly: o.sourceOnly, RPMSafeUpgrade: o.rpmSafeUpgrade},
	}
}

// loader is the dkms.conf loader of the session: the context every read
// starts from (dkms-behaviour §4.1), -c and the --directive options.
func (a *app) loader(l tree.Layout, r *run.Runner, tmp string, jobs int, dist distro.Name) *conf.Loader {
	j, verbose := "", ""
	if jobs > 0 {
		j = strconv.Itoa(jobs)
	}
	if a.o.verbose {
		verbose = "true"
	}
	return &conf.Loader{
		Base: conf.Context{DkmsTree: l.DKMS, SourceTree: l.Source, InstallTree: l.Install, TmpLocation: tmp,
			ParallelJobs: j, Verbose: verbose, RunningDistribution: string(dist), CurrentKernel: a.host.Release,
			CurrentOS: "Linux", Environ: a.env, Runner: r},
		ConfDir:    a.confDir,
		ConfFile:   a.o.confFile,
		Directives: a.o.directives,
	}
}

// weakModules is the distribution's weak-modules tool, below DKMS_SYSROOT;
// as in the reference, NO_WEAK_MODULES set to anything when dkms starts
// turns it off for the whole run.
func (a *app) weakModules(dist distro.Name) *distro.WeakModules {
	if os.Getenv("NO_WEAK_MODULES") != "" {
		return nil
	}
	return dist.WeakModules(a.sysRoot)
}

// parallelJobs turns the -j / parallel_jobs text into a number; the default
// is the CPU count, and "0" means make's unlimited -j.
func parallelJobs(s string) int {
	if s == "" {
		return max(1, runtime.NumCPU())
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 1
	}
	return n
}

// sanity applies the reference's post-parse checks (§3.2).
func (a *app) sanity() error {
	o := a.o
	switch {
	case o.binariesOnly && o.sourceOnly:
		return errf(exitBadConf, "You have specified both --binaries-only and --source-only.", "You cannot do this.")
	case len(o.arches) > 1 && len(o.arches) != len(o.kernels):
		return errf(exitGeneric, "If more than one arch is specified on the command line, then there",
			"must be an equal number of kernel versions also specified (1:1 relationship).")
	case len(o.kernels) > 0 && o.all:
		return errf(exitUsage, "You cannot specify a kernel version and also specify", "--all on the command line.")
	case len(o.arches) > 0 && o.all:
		return errf(exitState, "You cannot specify an arch and also specify", "--all on the command line.")
	}
	return nil
}

// lock takes the tree lock for a mutating action, telling the user when it
// has to wait and for whom.
func (a *app) lock() (func(), error) {
	l := a.s.Layout
	who := strings.Join(append([]string{"dkms"}, os.Args[1:]...), " ")
	unlock, err := l.Lock(a.ctx, who, a.lockTimeout, func(holder string) {
		a.rep.say("Waiting for the dkms tree lock %s (held by %s)...", l.LockFile(), holder)
	})
	if errors.Is(err, tree.ErrLockTimeout) {
		return nil, errf(exitGeneric, err.Error())
	}
	return unlock, err
}

func cleanEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "CC", "CXX", "CFLAGS", "CXXFLAGS", "LDFLAGS":
		default:
			out = append(out, kv)
		}
	}
	return out
}

func getenvDefault(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
