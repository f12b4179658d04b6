package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/tree"
)

// releaseString is what --version prints and make.log headers carry: the
// reference release whose interface this program implements, so scripts
// that compare it keep working.
const releaseString = "dkms-3.2.2"

// Environment variables that re-root what the reference hardcodes, so tests
// and sandboxes never touch the host's /etc/dkms or system files.
const (
	envConfDir = "DKMS_CONFDIR" // replaces /etc/dkms (framework.conf, <module>.conf overrides)
	envSysRoot = "DKMS_SYSROOT" // prefix for /etc/os-release, /sys, /boot, /usr/share/dkms
)

// app is one invocation of dkms: its options, where its output goes and the
// values derived from the environment and framework.conf.
type app struct {
	ctx           context.Context
	argv0         string
	o             *options
	rep           reporter
	env           []string // environment without CC CXX CFLAGS CXXFLAGS LDFLAGS
	confDir       string
	sysRoot       string
	fw            map[string]string // framework.conf values
	layout        tree.Layout
	runner        *run.Runner
	distro        string
	jobs          int // 0: make -j without a number
	tmp           string
	lockTimeout   time.Duration
	prepared      map[string]*kernelPrep // kernel/arch prepared for building in this run
	loader        *conf.Loader           // reads dkms.conf files
	scope         *conf.Scope            // the reference's shell state between conf reads
	hinted        bool                   // the Secure Boot hint was shown
	deferDepmod   bool                   // kernel_preinst/prerm: depmod once at the end
	pendingDepmod map[string]bool        // kernels whose depmod was deferred
	batchDepmod   bool                   // autoinstall: announce depmod per module, run it once
	statusCache   *statusCache           // dkms.conf results shared across kernels by status
}

// runCLI is main without os.Exit: it returns the exit code.
func runCLI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	syscall.Umask(0o022)
	a := &app{ctx: ctx, argv0: args[0], rep: reporter{out: stdout, err: stderr}}
	a.env = cleanEnv(os.Environ())
	a.confDir = getenvDefault(envConfDir, "/etc/dkms")
	a.sysRoot = os.Getenv(envSysRoot)
	code, err := a.main(args[1:])
	if err != nil {
		return a.report(err)
	}
	return code
}

// main parses the command line and runs the action.
func (a *app) main(args []string) (int, error) {
	distro, err := a.detectDistro()
	if err != nil {
		return 0, errf(exitConfMissing, "System is missing os-release file.")
	}
	a.distro = distro
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
		a.rep.usage(a.argv0)
		return exitUsage, nil
	}
	if o.showHelp {
		a.rep.usage(a.argv0)
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
	if err := a.setup(); err != nil {
		return 0, err
	}
	if err := a.sanity(); err != nil {
		return 0, err
	}
	return a.dispatch()
}

// setup reads framework.conf and derives the trees and settings; command
// line options win over framework.conf, which wins over the defaults.
func (a *app) setup() error {
	fw, err := a.readFramework()
	if err != nil {
		return err
	}
	a.fw = fw
	pick := func(opt, key, def string) string {
		if opt != "" {
			return opt
		}
		if v := fw[key]; v != "" {
			return v
		}
		return def
	}
	a.layout = tree.Layout{
		DKMS:    pick(a.o.dkmsTree, "dkms_tree", "/var/lib/dkms"),
		Source:  pick(a.o.sourceTree, "source_tree", "/usr/src"),
		Install: pick(a.o.installTree, "install_tree", "/lib/modules"),
	}
	a.tmp = pick("", "tmp_location", getenvDefault("TMPDIR", "/tmp"))
	if fw["verbose"] != "" {
		a.o.verbose = true
	}
	if fw["symlink_modules"] != "" {
		a.o.symlinkModules = true
	}
	if fw["modprobe_on_install"] != "" {
		a.o.modprobe = true
	}
	var echo io.Writer
	if a.o.verbose {
		echo = a.rep.out
	}
	a.runner = run.New(echo, a.env)
	a.jobs = a.parallelJobs(pick(a.o.jobs, "parallel_jobs", ""))
	a.loader, a.scope = a.newLoader(), &conf.Scope{}
	a.lockTimeout = 10 * time.Minute
	if s := fw["lock_timeout"]; s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			a.lockTimeout = time.Duration(n) * time.Second
		}
	}
	return nil
}

// parallelJobs turns the -j / parallel_jobs text into a number; the default
// is the CPU count, and "0" means make's unlimited -j.
func (a *app) parallelJobs(s string) int {
	if s == "" {
		if n := numCPU(); n > 0 {
			return n
		}
		return 1
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

// sysPath roots a system path under DKMS_SYSROOT.
func (a *app) sysPath(p string) string {
	if a.sysRoot == "" {
		return p
	}
	return filepath.Join(a.sysRoot, p)
}

// lock takes the tree lock for a mutating action, telling the user when it
// has to wait and for whom.
func (a *app) lock() (func(), error) {
	who := strings.Join(append([]string{"dkms"}, os.Args[1:]...), " ")
	unlock, err := a.layout.Lock(a.ctx, who, a.lockTimeout, func(holder string) {
		a.rep.say("Waiting for the dkms tree lock %s (held by %s)...", a.layout.LockFile(), holder)
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
