// Package lifecycle carries out dkms's actions on a module: add, build,
// install, uninstall, unbuild, remove, the rebuild of dependents, match,
// the kernel hooks, autoinstall, mktarball and ldtarball, and the checks
// and repairs of doctor, over the packages that own each fact (conf,
// kernel, tree, kbuild, install, status, archive, sign).
//
// An action works on targets (a module version on a kernel and arch),
// each resolved once and handed down; the Session it runs in holds the
// settings of the invocation and never changes. It prints the
// reference's informational lines through the Reporter and returns the
// conditions the command line words as *Error values (or errors of the
// packages below); the CLI owns every "Error!"/"Warning:" prefix, message
// text of an error and exit code.
package lifecycle

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/distro"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/kernel"
	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/tree"
)

// Reporter is how an action talks to the user; the CLI implements it.
// Informational lines go to stdout as they happen, because the
// reference's test suite merges both streams.
type Reporter interface {
	// Say prints an informational line on stdout.
	Say(format string, args ...any)
	// Warn prints a "Warning:" block on stderr.
	Warn(lines ...string)
	// Error prints a non-fatal "Error!" block on stderr.
	Error(lines ...string)
	// Fail reports err as the CLI reports a failed step (the reference's
	// wording on stderr) and returns the exit status it stands for.
	Fail(err error) int
	// Stdout and Stderr are the streams the lines above go to, for the
	// output of commands and scripts run in between.
	Stdout() io.Writer
	Stderr() io.Writer
	// To returns a Reporter that writes to other streams.
	To(stdout, stderr io.Writer) Reporter
}

// Session is one invocation of dkms: where the trees are, the door side
// effects go through, the framework.conf settings and the options that
// apply to every step. It is built once by the CLI and never changed;
// what one action accumulates lives in that action's own values.
type Session struct {
	Layout tree.Layout
	Runner *run.Runner
	Rep    Reporter
	// Loader reads dkms.conf files (see conf.Loader); its Base
	// environment is the process's, without CC and friends.
	Loader *conf.Loader
	// Framework holds the framework.conf values read at start-up.
	Framework map[string]string
	// ConfDir is /etc/dkms (or DKMS_CONFDIR): framework.conf,
	// no-autoinstall.
	ConfDir string
	// SysRoot prefixes the system files read: /boot, /sys, /lib/modules
	// (DKMS_SYSROOT; empty for /).
	SysRoot string
	// Tmp is tmp_location, where mktarball and ldtarball stage.
	Tmp string
	// Jobs is the -j budget; 0 runs make -j without a number.
	Jobs int
	// Distro is the distribution, as the reference names it.
	Distro distro.Name
	// MOK is the machine-wide signing key pair, used when neither
	// framework.conf nor the distribution names one: the reference's
	// /var/lib/dkms/mok.key and mok.pub whatever the dkms tree, since the
	// certificate is enrolled once per machine, in its firmware.
	MOK KeyPair
	// Weak is the distribution's weak-modules tool; nil when it has none
	// or NO_WEAK_MODULES was set when dkms started.
	Weak *distro.WeakModules
	// Host is the running kernel: the default kernel and arch.
	Host kernel.Host
	// Kernel locates every kernel's headers and config: the install tree,
	// --kernelsourcedir and --config.
	Kernel kernel.Options
	// AddonModulesDir is $ADDON_MODULES_DIR.
	AddonModulesDir string
	// Release names this program in make.log headers.
	Release string
	// Flags are the options that apply to every step.
	Flags Flags
	// LookPath reports whether a command is on PATH; nil uses exec.LookPath.
	LookPath func(string) bool
	// Now is the clock; nil uses time.Now.
	Now func() time.Time
}

// KeyPair names a signing key and its certificate.
type KeyPair struct{ Key, Cert string }

// Flags are the command-line options steps consult.
type Flags struct {
	Force        bool // --force
	ForceVersion bool // --force-version-override
	Verbose      bool // --verbose
	Symlink      bool // --symlink-modules
	NoDepmod     bool // --no-depmod
	BinariesOnly bool // --binaries-only
	SourceOnly   bool // --source-only
	// RPMSafeUpgrade is --rpm_safe_upgrade: add leaves a lock that makes
	// the remove of the same version in the same rpm transaction a no-op,
	// and install forces.
	RPMSafeUpgrade bool
}

// Target is what one step works on: a module version on a kernel and
// arch. Module and Version may be empty before an add from a directory
// has named them.
type Target struct {
	Module, Version, Kernel, Arch string
}

// mv renders the target's module/version.
func (t Target) mv() string { return t.Module + "/" + t.Version }

func (s *Session) has(cmd string) bool {
	if s.LookPath != nil {
		return s.LookPath(cmd)
	}
	_, err := exec.LookPath(cmd)
	return err == nil
}

func (s *Session) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// sysPath roots a system path under SysRoot.
func (s *Session) sysPath(p string) string {
	if s.SysRoot == "" {
		return p
	}
	return filepath.Join(s.SysRoot, p)
}

// kernel locates k/arch's headers and configuration.
func (s *Session) kernel(k, arch string) *kernel.Kernel { return kernel.New(k, arch, s.Kernel) }

// installer is the install package configured for this session.
func (s *Session) installer() *install.Env {
	return &install.Env{
		Layout: s.Layout, Runner: s.Runner, Out: s.Rep.Stdout(), Err: s.Rep.Stderr(),
		Location: func(raw string) string {
			return s.Distro.InstallLocation(s.AddonModulesDir, raw)
		},
		Symlink:          s.Flags.Symlink,
		NoDepmod:         s.Flags.NoDepmod,
		BootDir:          s.bootDir(),
		ErrorBlock:       s.Rep.Error,
		Warn:             s.Rep.Warn,
		Weak:             s.Weak,
		KeepPackagedDirs: s.Distro.KeepsPackagedDirs(),
	}
}

// bootDir is where System.map files are looked for: /boot for the real
// install tree only, since a System.map of the host does not describe a
// sandbox tree.
func (s *Session) bootDir() string {
	if filepath.Clean(s.Layout.Install) == "/lib/modules" {
		return s.sysPath("/boot")
	}
	return ""
}

// confRequest is the conf read of t, in t's kernel context.
func (s *Session) confRequest(t Target, strict bool) conf.Request {
	k := s.kernel(t.Kernel, t.Arch)
	return conf.Request{Module: t.Module, Version: t.Version, Kernel: t.Kernel, Arch: t.Arch,
		KernelSourceDir: k.SourceDir, KernelConfig: k.ConfigPath, Strict: strict}
}

// readConf reads t's dkms.conf in scope sc (see conf.Loader.Read).
func (s *Session) readConf(ctx context.Context, sc *conf.Scope, t Target, strict bool) (*conf.Result, error) {
	return s.Loader.Read(ctx, sc, s.confRequest(t, strict), s.Rep.Stdout(), s.Rep.Stderr())
}

// readConfFile reads the dkms.conf at path (a directory's or a
// tarball's), in the context of kernel k/arch.
func (s *Session) readConfFile(ctx context.Context, sc *conf.Scope, path, k, arch string) (*conf.Result, error) {
	r := s.confRequest(Target{Kernel: k, Arch: arch}, false)
	r.Path = path
	return s.Loader.Read(ctx, sc, r, s.Rep.Stdout(), s.Rep.Stderr())
}

// ConfRequest is a read of a dkms.conf in the context of kernel k/arch,
// with the kernel's headers and config located; the caller names the
// module or the file.
func (s *Session) ConfRequest(k, arch string) conf.Request {
	return s.confRequest(Target{Kernel: k, Arch: arch}, false)
}
