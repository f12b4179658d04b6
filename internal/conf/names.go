package conf

import "strings"

// The dkms.conf directive names, spelled once. Everything else in this
// package refers to these constants, never to a literal.
const (
	PackageName             = "PACKAGE_NAME"
	PackageVersion          = "PACKAGE_VERSION"
	PostAdd                 = "POST_ADD"
	PostBuild               = "POST_BUILD"
	PostInstall             = "POST_INSTALL"
	PostRemove              = "POST_REMOVE"
	PreBuild                = "PRE_BUILD"
	PreInstall              = "PRE_INSTALL"
	BuildDepends            = "BUILD_DEPENDS"
	BuildExclusiveArch      = "BUILD_EXCLUSIVE_ARCH"
	BuildExclusiveConfig    = "BUILD_EXCLUSIVE_CONFIG"
	BuildExclusiveKernel    = "BUILD_EXCLUSIVE_KERNEL"
	BuildExclusiveKernelMin = "BUILD_EXCLUSIVE_KERNEL_MIN"
	BuildExclusiveKernelMax = "BUILD_EXCLUSIVE_KERNEL_MAX"
	ObsoleteBy              = "OBSOLETE_BY"
	Make                    = "MAKE"
	MakeMatch               = "MAKE_MATCH"
	Patch                   = "PATCH"
	PatchMatch              = "PATCH_MATCH"
	BuiltModuleName         = "BUILT_MODULE_NAME"
	BuiltModuleLocation     = "BUILT_MODULE_LOCATION"
	DestModuleName          = "DEST_MODULE_NAME"
	DestModuleLocation      = "DEST_MODULE_LOCATION"
	Strip                   = "STRIP"
	AutoInstall             = "AUTOINSTALL"
	NoWeakModules           = "NO_WEAK_MODULES"
	BuildDependsRebuild     = "BUILD_DEPENDS_REBUILD"
	Clean                   = "CLEAN"
	RemakeInitrd            = "REMAKE_INITRD"
	ModulesConf             = "MODULES_CONF"
	ModulesConfObsoletes    = "MODULES_CONF_OBSOLETES"
	ModulesConfAliasType    = "MODULES_CONF_ALIAS_TYPE"
	ModulesConfObsoleteOnly = "MODULES_CONF_OBSOLETE_ONLY"
	directiveEnvPrefix      = "DKMS_DIRECTIVE"
	internalBuildExclude    = "build_exclude"
	internalPatchArray      = "patch_array"
	internalBuiltModuleName = "built_module_name"
	internalBuiltModuleLoc  = "built_module_location"
	internalDestModuleName  = "dest_module_name"
	internalDestModuleLoc   = "dest_module_location"
	internalStrip           = "strip"
	frameworkFile           = "framework.conf"
	frameworkDropInDir      = "framework.conf.d"
	frameworkDropInPattern  = "*.conf"
	deprecatedFeaturePrefix = "Deprecated feature: "
	confMessagePrefix       = "dkms.conf: "
	defaultCompressXzOpts   = "--check=crc32 --lzma2=dict=1MiB"
	defaultCompressZstdOpts = "-q --rm -T0"
)

// Variables lists the variables accepted from dkms.conf, in upstream's
// order. The order is an interface: it is the order in which the written
// back assignments are re-evaluated in the parent, so a later value can
// refer to an earlier one. The lower-case names are upstream internals that
// read_conf recomputes; the last seven are deprecated but still read.
var Variables = []string{
	PackageName, PackageVersion, PostAdd, PostBuild, PostInstall, PostRemove,
	PreBuild, PreInstall, BuildDepends, BuildExclusiveArch, BuildExclusiveConfig,
	BuildExclusiveKernel, BuildExclusiveKernelMin, BuildExclusiveKernelMax,
	internalBuildExclude, Make, MakeMatch, Patch, PatchMatch,
	internalPatchArray, BuiltModuleName, internalBuiltModuleName,
	BuiltModuleLocation, internalBuiltModuleLoc, DestModuleName,
	internalDestModuleName, DestModuleLocation, internalDestModuleLoc, Strip,
	internalStrip, AutoInstall, NoWeakModules, BuildDependsRebuild,
	ObsoleteBy, Clean, RemakeInitrd, ModulesConf, ModulesConfObsoletes,
	ModulesConfAliasType, ModulesConfObsoleteOnly,
}

// deprecatedVariables lists the deprecated directives in the order upstream
// reports them after each sourced file.
var deprecatedVariables = []string{
	Clean, RemakeInitrd, ModulesConf, ModulesConfObsoletes,
	ModulesConfAliasType, ModulesConfObsoleteOnly, ObsoleteBy,
}

// FrameworkVariables lists the names imported from framework.conf (§5):
// upstream's non-signing set, then its signing set. post_transaction is in
// the first set, as upstream has it.
var FrameworkVariables = []string{
	"source_tree", "dkms_tree", "install_tree", "tmp_location", "verbose",
	"symlink_modules", "autoinstall_all_kernels", "modprobe_on_install",
	"parallel_jobs", "compress_gzip_opts", "compress_xz_opts",
	"compress_zstd_opts", "build_environment", "post_transaction",
	"sign_file", "mok_signing_key", "mok_certificate", "try_sign_modules",
}

// variableList renders names the way upstream keeps them: one string that
// the shell word-splits (safe_source's export_envs and its $1).
func variableList(names []string) string {
	return strings.Join(names, " ")
}
