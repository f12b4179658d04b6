package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/dkms-go/dkms/internal/conf"
	"github.com/dkms-go/dkms/internal/install"
	"github.com/dkms-go/dkms/internal/kbuild"
	"github.com/dkms-go/dkms/internal/lifecycle"
)

// exitError is an error the CLI has already worded: its lines become an
// "Error!" block (or a "Warning:" block when warn is set) and code the exit
// status. A nil lines slice prints nothing (the message was shown earlier).
type exitError struct {
	code  int
	lines []string
	warn  bool
}

func (e *exitError) Error() string { return strings.Join(e.lines, " ") }

// errf makes an exitError.
func errf(code int, lines ...string) error { return &exitError{code: code, lines: lines} }

// report prints err the reference's way and returns the exit code. It is
// the one place where errors become text and exit statuses.
func (r reporter) report(err error) int {
	e := describe(err)
	switch {
	case len(e.lines) == 0:
	case e.warn:
		r.warn(e.lines...)
	default:
		r.errorBlock(append(e.lines[:len(e.lines):len(e.lines)], fsProblem(err)...)...)
	}
	return e.code
}

// fsProblem is a line saying which file system refused a write, when err
// comes from a full (ENOSPC) or read-only (EROFS) one: the reference's
// tools print the system's message with the path, and so do we, after
// the message of the step that failed.
func fsProblem(err error) []string {
	var what string
	switch {
	case errors.Is(err, syscall.ENOSPC):
		what = "No space left on device: the file system holding %s is full."
	case errors.Is(err, syscall.EROFS):
		what = "Read-only file system: the file system holding %s cannot be written."
	default:
		return nil
	}
	var (
		pe *fs.PathError
		le *os.LinkError
		p  string
	)
	switch {
	case errors.As(err, &le):
		p = le.New
	case errors.As(err, &pe):
		p = pe.Path
	default:
		return []string{fmt.Sprintf(what, "the files it writes")}
	}
	return []string{fmt.Sprintf(what, filepath.Dir(p))}
}

// describe maps an error to its exit code and message lines: ours, the
// lifecycle's conditions, the errors of the packages below (§2.5), and
// anything else as exit 1 with its text.
func describe(err error) *exitError {
	var (
		ee *exitError
		le *lifecycle.Error
		st lifecycle.Status
	)
	switch {
	case errors.As(err, &ee):
		return ee
	case errors.As(err, &st):
		return &exitError{code: int(st)}
	case errors.As(err, &le):
		return describeCondition(le)
	}
	if e := describeDomain(err); e != nil {
		return e
	}
	if errors.Is(err, context.Canceled) {
		return &exitError{code: 130, lines: []string{"Interrupted."}}
	}
	return &exitError{code: exitGeneric, lines: []string{err.Error()}}
}

// describeCondition words a lifecycle condition (a flat switch over the
// kinds; the texts are the reference's, §2.5, where it has them).
func describeCondition(e *lifecycle.Error) *exitError {
	t := e.Target
	mv, ka := t.Module+"/"+t.Version, t.Kernel+" ("+t.Arch+")"
	switch e.Kind {
	case lifecycle.NoModuleVersion:
		return missingModuleVersion("add").(*exitError)
	case lifecycle.AlreadyAdded:
		return &exitError{code: exitState, lines: []string{"DKMS tree already contains: " + mv, "You cannot add the same module/version combo more than once."}}
	case lifecycle.NoSourceDir:
		return &exitError{code: exitUsage, lines: []string{"Could not find module source directory.", "Directory: " + e.Path + " does not exist."}}
	case lifecycle.NoConfInDir:
		return &exitError{code: exitNoConf, lines: []string{e.Path + " must contain a dkms.conf file!"}}
	case lifecycle.BadPackageName:
		return &exitError{code: exitBadConf, lines: []string{fmt.Sprintf("Invalid PACKAGE_NAME or PACKAGE_VERSION %q in dkms.conf: it must be a plain name.", e.Detail)}}
	case lifecycle.AlreadyBuilt:
		return &exitError{code: exitState, lines: []string{"This module/version has already been built on: " + t.Kernel,
			"Directory " + e.Path + " already exists. Use the dkms remove function before trying to build again."}}
	case lifecycle.Excluded:
		return &exitError{code: exitBuildExclusive, warn: true, lines: []string{"The " + e.Path + "/dkms.conf",
			"for module " + mv + " includes BUILD_EXCLUSIVE directives",
			"which do not match this kernel/arch/config for any modules.", "This indicates that it should not be built."}}
	case lifecycle.NoModuleSource:
		return &exitError{code: exitBadConf, lines: []string{"The directory " + e.Path + " does not appear to have module source located within it.", "Build halted."}}
	case lifecycle.MissingDepends:
		return &exitError{code: exitBuildDepends, lines: []string{"Aborting build of module " + mv + " for kernel " + ka + " due to missing BUILD_DEPENDS: " + strings.Join(e.Names, " ") + ".",
			"You may override by specifying --force."}}
	case lifecycle.NoHeaders:
		return &exitError{code: exitNoHeaders, lines: []string{"Your kernel headers for kernel " + t.Kernel + " cannot be found at " + e.Path + "/build or " + e.Path + "/source.",
			"Please install your distribution's kernel headers package matching " + t.Kernel + ", or use the --kernelsourcedir option to tell DKMS where it's located."}}
	case lifecycle.NoKernelDir:
		return &exitError{code: exitInstall, lines: []string{"The directory " + e.Path + " doesn't exist.", "You cannot install a module onto a non-existent kernel."}}
	case lifecycle.PreInstallFailed:
		return &exitError{code: exitPreInstall, lines: []string{"pre_install failed, aborting install.", "You may override by specifying --force."}}
	case lifecycle.KernelHookFailed:
		return &exitError{code: exitKernelHook, lines: []string{"dkms " + e.Detail + " for kernel " + ka + " failed for module(s) " + strings.Join(e.Names, " ") + "."}}
	case lifecycle.MatchUsage:
		return &exitError{code: exitGeneric, lines: []string{"Invalid number of parameters passed.",
			"Usage: match --templatekernel=<kernel-version> -k <kernel-version>",
			"   or: match --templatekernel=<kernel-version> -k <kernel-version> <module>"}}
	case lifecycle.MatchSameKernel:
		return &exitError{code: exitUsage, lines: []string{"The templatekernel and the specified kernel version are the same."}}
	case lifecycle.ModuleNotInTree:
		return &exitError{code: exitState, lines: []string{"The module: " + t.Module + " is not located in the DKMS tree."}}
	case lifecycle.AutoinstallFailed:
		return &exitError{code: exitAutoinstall, lines: []string{"One or more modules failed to install during autoinstall.", "Refer to previous errors for more information."}}
	case lifecycle.RemoveCancelled:
		return &exitError{code: exitOK, warn: true, lines: []string{"Remove cancelled because --rpm_safe_upgrade scenario detected."}}
	case lifecycle.InstallFailed:
		return &exitError{code: exitInstall, lines: []string{"Installation failed: " + e.Err.Error()}}
	case lifecycle.UninstallUndone:
		return &exitError{code: exitInstall, lines: []string{"Problems with depmod detected. Uninstall of " + mv + " undone: it stays installed on kernel " + ka + ".", e.Err.Error()}}
	case lifecycle.Broken:
		return &exitError{code: exitConfMissing, lines: []string{mv + " is broken! Missing the source directory or the symbolic link pointing to it.", "Manual intervention is required!"}}
	}
	return describeTarball(e)
}

// describeTarball words the conditions of mktarball and ldtarball.
func describeTarball(e *lifecycle.Error) *exitError {
	t := e.Target
	switch e.Kind {
	case lifecycle.NoTempDir:
		return &exitError{code: exitGeneric, lines: []string{"Unable to make temporary directory."}}
	case lifecycle.NotBuiltFor:
		return &exitError{code: exitInstall, lines: []string{"No modules built for " + t.Kernel + " (" + t.Arch + ").",
			"Modules must already be in the built state before using " + e.Detail + "."}}
	case lifecycle.PackageSourceOnly:
		return &exitError{code: exitNotAllowed, lines: []string{"The action " + e.Detail + " packages built modules only: --source-only does not apply."}}
	case lifecycle.PackageBadField:
		return &exitError{code: exitBadConf, lines: []string{"Invalid " + strings.Join(e.Names, " ") + " in " + e.Path + " for a package: " + e.Detail + "."}}
	case lifecycle.PackageEmpty:
		return &exitError{code: exitInstall, lines: []string{"There are no built modules to package."}}
	case lifecycle.PackageFailed:
		return &exitError{code: exitInstall, lines: []string{"Failed to make package.", e.Detail}}
	case lifecycle.NotWritable:
		return &exitError{code: exitNoConf, lines: []string{"Missing write permissions for " + e.Path + "."}}
	case lifecycle.TarballFailed:
		return &exitError{code: exitInstall, lines: []string{"Failed to make tarball.", e.Detail}}
	case lifecycle.ArchiveMissing:
		return &exitError{code: exitUsage, lines: []string{e.Path + " does not exist."}}
	case lifecycle.RPMArchive:
		return &exitError{code: exitNoConf, lines: []string{"Unable to install " + e.Path + " using rpm.", "Loading .rpm packages is not supported by this dkms."}}
	case lifecycle.ArchiveRefused:
		return &exitError{code: exitModuleMissing, lines: []string{fmt.Sprintf("Refusing to load %s: entry %q: %s.", e.Path, e.Names[0], e.Names[1]),
			e.Path + " is not a valid DKMS tarball."}}
	case lifecycle.ArchiveMalformed:
		if e.Detail == "" {
			return &exitError{code: exitState, lines: []string{"Tarball does not appear to be a correctly formed DKMS archive. No dkms.conf found within it."}}
		}
		return &exitError{code: exitState, lines: []string{"Tarball does not appear to be a correctly formed DKMS archive.", e.Detail}}
	case lifecycle.TarballAdded:
		return &exitError{code: exitBadConf, lines: []string{t.Module + "/" + t.Version + " is already added!", "Aborting."}}
	case lifecycle.TarballNoConf:
		return &exitError{code: exitModuleMissing, lines: []string{"No valid dkms.conf in dkms_source_tree or dkms_binaries_only.",
			e.Path + " is not a valid DKMS tarball."}}
	}
	return &exitError{code: exitGeneric, lines: []string{e.Error()}}
}

// describeDomain words the errors of the packages below lifecycle (§2.5);
// nil for an error it does not know.
func describeDomain(err error) *exitError {
	var (
		missing *install.MissingError
		cp      *install.CopyError
		mk      *kbuild.MakeError
		bm      *kbuild.BuiltMissingError
		sc      *kbuild.ScriptError
		pe      *kbuild.PatchError
		se      *kbuild.StageError
		prep    *kbuild.PrepareError
		cm      *conf.MissingError
		ci      *conf.InvalidError
		ce      *conf.EvalError
	)
	switch {
	case errors.As(err, &cm):
		return &exitError{code: exitConfMissing, lines: []string{"Could not locate dkms.conf file.", "File: " + cm.File + " does not exist."}}
	case errors.As(err, &ci):
		return &exitError{code: exitBadConf, lines: []string{"Bad conf file.", "File: " + ci.Shown + " does not represent a valid dkms.conf file."}}
	case errors.As(err, &ce):
		return &exitError{code: exitBadConf, lines: []string{"Could not evaluate " + ce.Error() + "."}}
	case errors.As(err, &missing):
		return &exitError{code: exitInstall, lines: []string{"Missing module " + missing.Name + " in " + missing.Dir + "/module"}}
	case errors.Is(err, install.ErrAborted):
		return &exitError{code: exitInstall, lines: []string{"Installation aborted."}}
	case errors.Is(err, install.ErrDepmod):
		return &exitError{code: exitInstall, lines: []string{"Problems with depmod detected. Automatically uninstalling this module.",
			"Install Failed (depmod problems). Module rolled back to built state.", err.Error()}}
	case errors.As(err, &cp):
		return &exitError{code: exitInstall, lines: []string{"Copying '" + cp.Src + "' failed"}}
	case errors.As(err, &mk):
		lines := []string{"Bad return status for module build on kernel: " + mk.Kernel + " (" + mk.Arch + ")",
			"Consult " + mk.Log + " for more information."}
		if mk.NoSpace != "" {
			lines = append(lines, mk.NoSpace)
		}
		return &exitError{code: exitMake, lines: lines}
	case errors.As(err, &prep):
		return &exitError{code: exitMake, lines: []string{prep.Error()}}
	case errors.As(err, &bm):
		return &exitError{code: exitModuleMissing, lines: []string{"Build of " + bm.Path + " failed for: " + bm.Kernel + " (" + bm.Arch + ")",
			"Make sure the name and location of the generated module are correct,",
			"or consult " + bm.Log + " for more information."}}
	case errors.As(err, &sc):
		return &exitError{code: sc.Code}
	case errors.As(err, &se):
		return &exitError{code: exitModuleMissing, lines: []string{err.Error()}}
	case errors.As(err, &pe):
		return describePatch(pe)
	}
	return nil
}

func describePatch(pe *kbuild.PatchError) *exitError {
	switch pe.Kind {
	case kbuild.PatchDotDot:
		return &exitError{code: exitNotAllowed, lines: []string{"Patch " + pe.Patch + " as specified in dkms.conf contains '..' path component."}}
	case kbuild.PatchMissing:
		return &exitError{code: exitNotAllowed, lines: []string{"Patch " + pe.Patch + " as specified in dkms.conf cannot be", "found in " + pe.Dir + "."}}
	}
	return &exitError{code: exitInstall, lines: []string{"Application of patch " + pe.Patch + " failed.", "Consult " + pe.Log + " for more information."}}
}
