package conf

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// confVariablesLayout is upstream's dkms_conf_variables string, line breaks
// included: a conf can read it, and safe_source's $1 is this very string.
// TestVariablesLayout checks that its words are Variables.
const confVariablesLayout = `PACKAGE_NAME
   PACKAGE_VERSION POST_ADD POST_BUILD POST_INSTALL POST_REMOVE PRE_BUILD
   PRE_INSTALL BUILD_DEPENDS BUILD_EXCLUSIVE_ARCH BUILD_EXCLUSIVE_CONFIG
   BUILD_EXCLUSIVE_KERNEL BUILD_EXCLUSIVE_KERNEL_MIN BUILD_EXCLUSIVE_KERNEL_MAX
   build_exclude MAKE MAKE_MATCH
   PATCH PATCH_MATCH patch_array BUILT_MODULE_NAME
   built_module_name BUILT_MODULE_LOCATION built_module_location
   DEST_MODULE_NAME dest_module_name
   DEST_MODULE_LOCATION dest_module_location
   STRIP strip AUTOINSTALL NO_WEAK_MODULES BUILD_DEPENDS_REBUILD

   OBSOLETE_BY CLEAN
   REMAKE_INITRD MODULES_CONF MODULES_CONF_OBSOLETES
   MODULES_CONF_ALIAS_TYPE MODULES_CONF_OBSOLETE_ONLY`

// Upstream's framework name lists, as the strings it keeps them in.
const (
	frameworkNonsigningLayout = "source_tree dkms_tree install_tree tmp_location\n" +
		"   verbose symlink_modules autoinstall_all_kernels modprobe_on_install parallel_jobs\n" +
		"   compress_gzip_opts compress_xz_opts compress_zstd_opts build_environment post_transaction"
	frameworkSigningLayout = "sign_file mok_signing_key mok_certificate\n   try_sign_modules"
)

// shq quotes s for the shell.
func shq(s string) string {
	q, err := syntax.Quote(s, syntax.LangBash)
	if err != nil { // only for NUL bytes, which a shell value cannot hold
		q, _ = syntax.Quote(strings.ReplaceAll(s, "\x00", ""), syntax.LangBash)
	}
	return q
}

// globals renders the shell code that sets upstream's global variables as
// they are when a conf is read (values as in dkms-conf-ref, which mirrors
// dkms 3.2.2), then the context's values.
func (j *job) globals(seedBash bool) string {
	c := j.c
	var b strings.Builder
	set := func(name, value string) { fmt.Fprintf(&b, "%s=%s\n", name, shq(value)) }
	fmt.Fprintf(&b, "readonly dkms_conf_variables=%s\n", shq(confVariablesLayout))
	fmt.Fprintf(&b, "readonly dkms_framework_nonsigning_variables=%s\n", shq(frameworkNonsigningLayout))
	fmt.Fprintf(&b, "readonly dkms_framework_signing_variables=%s\n", shq(frameworkSigningLayout))
	b.WriteString("readonly dkms_framework_post_transaction=post_transaction\n")
	b.WriteString("readonly mv_re='^([^/]*)/(.*)$'\nshow_deprecation_warnings=0\n")
	if seedBash {
		b.WriteString(bashOwnVariables)
	}
	set("current_os", c.CurrentOS)
	set("current_kernel", c.CurrentKernel)
	set("running_distribution", c.RunningDistribution)
	set("dkms_tree", c.DkmsTree)
	set("source_tree", c.SourceTree)
	set("install_tree", c.InstallTree)
	set("tmp_location", c.TmpLocation)
	set("verbose", c.Verbose)
	b.WriteString(staticGlobals)
	set("i", j.frameworkLoopValue())
	if j.mode != modeFramework || c.ParallelJobs != "" {
		set("parallel_jobs", c.ParallelJobs) // not initialised before framework.conf
	}
	set("module", c.Module)
	set("module_version", c.ModuleVersion)
	fmt.Fprintf(&b, "kernelver[0]=%s\narch[0]=%s\n", shq(c.Kernel), shq(c.Arch))
	if c.KernelSourceDir != "" {
		set("kernel_source_dir", c.KernelSourceDir)
		b.WriteString("ksourcedir_fromcli=true\n")
	}
	if c.KernelConfig != "" {
		set("kernel_config", c.KernelConfig)
		b.WriteString("kconfig_fromcli=true\n")
	}
	set("try_source_tree", j.trySourceTree())
	j.writeVars(&b)
	j.writeFileList(&b)
	return b.String()
}

// writeVars appends Context.Vars in a stable order.
func (j *job) writeVars(b *strings.Builder) {
	keys := make([]string, 0, len(j.c.Vars))
	for k := range j.c.Vars {
		if syntax.ValidName(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "%s=%s\n", k, shq(j.c.Vars[k]))
	}
}

// writeFileList appends the harness's own list of files and names.
func (j *job) writeFileList(b *strings.Builder) {
	b.WriteString("__dkmsgo_files=(")
	for _, f := range j.files {
		b.WriteString(" " + shq(f))
	}
	b.WriteString(" )\n")
	fmt.Fprintf(b, "__dkmsgo_names=%s\n", shq(j.nameList()))
}

// nameList is the names argument given to safe_source.
func (j *job) nameList() string {
	if j.mode != modeFramework {
		return confVariablesLayout
	}
	return variableList(j.names)
}

// frameworkLoopValue is what upstream's framework loop leaves in $i: the
// last file of /etc/dkms/framework.conf.d, or the unmatched pattern. The
// conf path itself is not consulted: dkms always uses /etc/dkms.
func (j *job) frameworkLoopValue() string {
	if v, ok := j.c.Vars["i"]; ok {
		return v
	}
	return "/etc/dkms/framework.conf.d/*.conf"
}

// trySourceTree is upstream's try_source_tree: the directory argument of
// `dkms add DIR` as typed, empty with -m.
func (j *job) trySourceTree() string {
	if j.mode != modeAddSourceTree || len(j.typed) == 0 {
		return ""
	}
	return filepath.Dir(strings.TrimRight(j.typed[0], "/"))
}

// bashOwnVariables seeds variables bash defines and the interpreter does
// not (notes L9), with the values of the bash the reference was checked
// with. Variables that reflect live shell state (PIPESTATUS, SHELLOPTS,
// FUNCNAME, ...) are not seeded: detect.go sends such confs to bash.
const bashOwnVariables = `BASH_VERSION='5.2.15(1)-release'
BASH_VERSINFO=(5 2 15 1 release x86_64-pc-linux-gnu)
OSTYPE=linux-gnu
MACHTYPE=x86_64-pc-linux-gnu
HOSTTYPE=x86_64
`

// staticGlobals are upstream's globals whose values do not depend on the
// context (see dkms-conf-ref's list, which mirrors dkms 3.2.2).
const staticGlobals = `symlink_modules=""
compress_gzip_opts=""
compress_xz_opts="` + defaultCompressXzOpts + `"
compress_zstd_opts="` + defaultCompressZstdOpts + `"
addon_modules_dir="${ADDON_MODULES_DIR}"
template_kernel=""
conf=""
kernel_config=""
kconfig_fromcli=""
archive_location=""
kernel_source_dir=""
ksourcedir_fromcli=""
action=""
force=""
force_version_override=""
binaries_only=""
source_only=""
all=""
module_suffix=""
module_uncompressed_suffix=""
module_compressed_suffix=""
rpm_safe_upgrade=""
declare -a directive_array=() kernelver=() arch=()
weak_modules_add=''
weak_modules_remove=''
last_mvka=''
last_mvka_conf=''
try_source_tree=''
die_is_fatal="yes"
no_depmod=""
delayed_depmod=""
prepared_kernel="none"
action_re='^(remove|(auto|un)?install|match|mktarball|(un)?build|add|status|ldtarball|generate_mok|kernel_(preinst|postinst|prerm))$'
`
