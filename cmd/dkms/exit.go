package main

// Exit codes, as the reference dkms uses them (dkms-behaviour §2.5).
const (
	exitOK             = 0
	exitGeneric        = 1  // not root, missing module/version, bad -a count
	exitUsage          = 2  // unknown option, -k with --all, missing source dir
	exitState          = 3  // already added, not added, already built
	exitConfMissing    = 4  // two actions, no dkms.conf, broken module, kernel count
	exitNotAllowed     = 5  // --all not supported, bad PATCH name or missing patch
	exitInstall        = 6  // patch failed, no IT/K, installation aborted, depmod
	exitModuleMissing  = 7  // built .ko missing after make
	exitBadConf        = 8  // invalid dkms.conf, too-empty source dir
	exitNoConf         = 9  // source tree without dkms.conf, tarball dir unwritable
	exitMake           = 10 // make failed
	exitAutoinstall    = 11 // autoinstall had failures
	exitBuildDepends   = 13 // missing BUILD_DEPENDS
	exitKernelHook     = 14 // kernel_preinst/prerm unbuild failure
	exitEmptyKernel    = 16 // empty kernel or arch entry
	exitNoHeaders      = 21 // kernel headers not found
	exitBuildExclusive = 77 // BUILD_EXCLUSIVE excludes this kernel
	exitPreInstall     = 101
)
