package lifecycle

import (
	"strconv"
	"strings"
)

// Kind tells apart the conditions an action reports as an *Error; the CLI
// words each one and picks its exit status.
type Kind int

// The conditions, with the fields of Error each one fills. Target is the
// module version and kernel concerned, where there is one.
const (
	_                 Kind = iota
	NoModuleVersion        // no module/version to add
	AlreadyAdded           // Target: add of an added module
	NoSourceDir            // Path: ST/m-v does not exist
	NoConfInDir            // Path: a directory argument without dkms.conf
	BadPackageName         // Detail: PACKAGE_NAME or PACKAGE_VERSION that is no plain name
	AlreadyBuilt           // Target, Path: DT/m/v/K/A exists
	Excluded               // Target, Path: BUILD_EXCLUSIVE does not match (a warning)
	NoModuleSource         // Path: the source directory is (nearly) empty
	MissingDepends         // Target, Names: BUILD_DEPENDS not installed
	NoHeaders              // Target, Path: IT/K, where headers were looked for
	NoKernelDir            // Path: IT/K does not exist
	PreInstallFailed       // PRE_INSTALL failed
	KernelHookFailed       // Target (kernel), Detail: the action, Names: "m/v(code)" each
	MatchUsage             // match without --templatekernel
	MatchSameKernel        // the template kernel is the target kernel
	ModuleNotInTree        // Target (module)
	AutoinstallFailed      // some module failed to autoinstall
	NoTempDir              // the staging directory could not be made
	NotBuiltFor            // Target, Detail: the action: a kernel m/v is not built for
	NotWritable            // Path: where the tarball would go
	TarballFailed          // Detail: why the tarball could not be written
	ArchiveMissing         // Path: the archive to load
	RPMArchive             // Path: an .rpm to load
	ArchiveRefused         // Path, Names: entry, reason
	ArchiveMalformed       // Detail: the extraction error, or "" for no dkms.conf found
	TarballAdded           // Target: ldtarball of an added module
	TarballNoConf          // Path: no usable dkms.conf in the tarball
	Broken                 // Target: a broken module met by autoinstall
	PackageSourceOnly      // Detail: the action: --source-only for built modules only
	PackageBadField        // Path: the dkms.conf, Names: the field, Detail: the rule broken
	PackageEmpty           // no built module to package
	PackageFailed          // Detail: why the package could not be written
	RemoveCancelled        // remove --rpm_safe_upgrade within the add's rpm transaction (a warning, exit 0)
	InstallFailed          // Err: a change of the install step that failed
	UninstallUndone        // Target, Err: depmod failed, the uninstall was taken back
)

// Error is a condition of an action that the CLI words: the reference's
// message and exit status for Kind, with the details below.
type Error struct {
	Kind   Kind
	Target Target
	Path   string
	Names  []string
	Detail string
	// Err is the cause, when there is one (a full file system, say),
	// for errors.Is and errors.As.
	Err error
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	parts := []string{"dkms condition", e.Target.mv(), e.Target.Kernel, e.Path, strings.Join(e.Names, " "), e.Detail}
	var out []string
	for _, p := range parts {
		if p != "" && p != "/" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ": ")
}

// Status is an exit status whose message was already printed (a script's
// own status, the last failure of a multi-kernel run).
type Status int

func (s Status) Error() string { return "exit status " + strconv.Itoa(int(s)) }
