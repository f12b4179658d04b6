// Package kernel describes a target kernel: its release and architecture,
// its header tree and configuration, its module directory under the install
// tree and what is already installed there; and the host facts the reference
// dkms derives at start-up (the running kernel).
//
// It is pure Go: it never execs, never prints, and never hardcodes a system
// path. Every root (install tree, header dir) is a
// parameter, so tests run against fake trees.
package kernel

import (
	"os"
	"path/filepath"
)

// Options are the per-run settings that locate a kernel's files.
type Options struct {
	// InstallTree is the module install root (IT, normally /lib/modules).
	InstallTree string
	// SourceDir is --kernelsourcedir: when set it is the header dir of every
	// kernel, instead of <InstallTree>/<release>/build.
	SourceDir string
	// ConfigPath is --config: when set it is the configuration of every
	// kernel, instead of the one found in the header dir.
	ConfigPath string
}

// Kernel is one target kernel of a dkms action.
type Kernel struct {
	Release string // e.g. "6.1.0-13-amd64"
	Arch    string // e.g. "x86_64"; only names directories (behaviour §7.13)
	// SourceDir is the header tree make is pointed at (-C).
	SourceDir string
	// ConfigPath is the kernel configuration file dkms consults for signing,
	// the compiler and BUILD_EXCLUSIVE_CONFIG.
	ConfigPath string
	// ModuleDir is <InstallTree>/<release>, where modules are installed.
	ModuleDir string
}

// New resolves the directories of release as the reference does
// (set_kernel_source_dir_and_kconfig): the header dir is opts.SourceDir or
// <IT>/<release>/build; the config is opts.ConfigPath, else
// <headers>/include/config/auto.conf when it exists, else <headers>/.config
// (whether or not that exists: callers report it missing).
func New(release, arch string, opts Options) *Kernel {
	k := &Kernel{
		Release:    release,
		Arch:       arch,
		SourceDir:  opts.SourceDir,
		ConfigPath: opts.ConfigPath,
		ModuleDir:  filepath.Join(opts.InstallTree, release),
	}
	if k.SourceDir == "" {
		k.SourceDir = filepath.Join(k.ModuleDir, "build")
	}
	if k.ConfigPath == "" {
		k.ConfigPath = defaultConfigPath(k.SourceDir)
	}
	return k
}

func defaultConfigPath(sourceDir string) string {
	auto := filepath.Join(sourceDir, "include", "config", "auto.conf")
	if _, err := os.Stat(auto); err == nil {
		return auto
	}
	return filepath.Join(sourceDir, ".config")
}

// HeadersPresent reports whether the header tree can build modules: the
// reference only checks that <SourceDir>/include exists (behaviour §7.13).
func (k *Kernel) HeadersPresent() bool {
	_, err := os.Stat(filepath.Join(k.SourceDir, "include"))
	return err == nil
}

// Config reads and parses the kernel configuration at ConfigPath. A missing
// file gives an error matching fs.ErrNotExist, which the signing step
// reports as "Kernel config <path> not found".
func (k *Kernel) Config() (Config, error) {
	return ReadConfig(k.ConfigPath)
}

// Compression returns the module file extension to install with on this
// kernel; see ModuleCompression.
func (k *Kernel) Compression(cfg Config) string {
	return ModuleCompression(k.ModuleDir, cfg)
}
