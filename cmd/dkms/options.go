package main

import (
	"os"
	"regexp"
	"strings"

	"github.com/dkms-go/dkms/internal/fileutil"
)

// options is everything the command line can say. Field comments name the
// reference option (dkms-behaviour §3.1).
type options struct {
	action          string
	module, version string
	kernels, arches []string
	all, force      bool
	forceVersion    bool   // --force-version-override
	confFile        string // -c
	templateKernel  string // --templatekernel
	kernelConfig    string // --config
	archive         string // --archive, or a bare file argument
	kernelSourceDir string // --kernelsourcedir
	directives      []string
	dkmsTree        string
	sourceTree      string
	installTree     string
	symlinkModules  bool
	binariesOnly    bool
	sourceOnly      bool
	rpmSafeUpgrade  bool
	noDepmod        bool
	modprobe        bool
	jobs            string // -j, empty when not given
	verbose         bool
	quiet           bool
	json            bool   // --json, ours: machine-readable status and conf
	fix             bool   // --fix, ours: doctor repairs
	sourceDir       string // a bare directory (or dkms.conf path) argument
	showVersion     bool
	showHelp        bool
	deprecated      []string // options accepted and ignored, to warn about
	warnings        []string // "I do not know how to handle" arguments
	unknown         string   // the first unknown option, if any
	mvArg           string   // the positional word module/version came from
}

// optionSpec describes one option: its short spelling, its long stem (the
// reference matches long options by prefix, `--kernelver*`), whether it takes
// a value, and what it sets.
type optionSpec struct {
	short string
	long  string
	glob  bool // long name matched as a prefix, as the reference's `--name*`
	value bool
	set   func(o *options, v string)
}

var optionTable = []optionSpec{
	{"-m", "--module", true, true, func(o *options, v string) { o.module, o.version = splitModuleVersion(v, o.version) }},
	{"-v", "", false, true, func(o *options, v string) { o.version = v }},
	{"-k", "--kernelver", true, true, func(o *options, v string) { o.addKernel(v) }},
	{"", "--templatekernel", true, true, func(o *options, v string) { o.templateKernel = v }},
	{"-c", "", false, true, func(o *options, v string) { o.confFile = v }},
	{"-q", "--quiet", false, false, func(o *options, _ string) { o.quiet = true }},
	{"-V", "--version", false, false, func(o *options, _ string) { o.showVersion = true }},
	{"", "--no-initrd", false, false, func(o *options, _ string) { o.deprecated = append(o.deprecated, "--no-initrd") }},
	{"", "--no-clean-kernel", false, false, func(o *options, _ string) { o.deprecated = append(o.deprecated, "--no-clean-kernel") }},
	{"", "--no-prepare-kernel", false, false, func(o *options, _ string) { o.deprecated = append(o.deprecated, "--no-prepare-kernel") }},
	{"", "--binaries-only", false, false, func(o *options, _ string) { o.binariesOnly = true }},
	{"", "--source-only", false, false, func(o *options, _ string) { o.sourceOnly = true }},
	{"", "--force", false, false, func(o *options, _ string) { o.force = true }},
	{"", "--force-version-override", false, false, func(o *options, _ string) { o.forceVersion = true }},
	{"", "--all", false, false, func(o *options, _ string) { o.all = true }},
	{"", "--verbose", false, false, func(o *options, _ string) { o.verbose = true }},
	{"", "--rpm_safe_upgrade", false, false, func(o *options, _ string) { o.rpmSafeUpgrade = true }},
	{"", "--dkmstree", true, true, func(o *options, v string) { o.dkmsTree = v }},
	{"", "--sourcetree", true, true, func(o *options, v string) { o.sourceTree = v }},
	{"", "--installtree", true, true, func(o *options, v string) { o.installTree = v }},
	{"", "--symlink-modules", false, false, func(o *options, _ string) { o.symlinkModules = true }},
	{"", "--config", true, true, func(o *options, v string) { o.kernelConfig = v }},
	{"", "--archive", true, true, func(o *options, v string) { o.archive = v }},
	{"-a", "--arch", true, true, func(o *options, v string) { o.arches = append(o.arches, v) }},
	{"", "--kernelsourcedir", true, true, func(o *options, v string) { o.kernelSourceDir = v }},
	{"", "--directive", true, true, func(o *options, v string) { o.directives = append(o.directives, v) }},
	{"", "--no-depmod", false, false, func(o *options, _ string) { o.noDepmod = true }},
	{"", "--modprobe-on-install", false, false, func(o *options, _ string) { o.modprobe = true }},
	{"", "--debug", false, false, func(o *options, _ string) {}},
	{"-j", "", false, true, func(o *options, v string) { o.jobs = v }},
	{"-h", "--help", false, false, func(o *options, _ string) { o.showHelp = true }},
	{"", "--json", false, false, func(o *options, _ string) { o.json = true }},
	{"", "--fix", false, false, func(o *options, _ string) { o.fix = true }},
}

// actionRe is the reference's list of action words.
var actionRe = regexp.MustCompile(`^(remove|(auto|un)?install|match|mktarball|(un)?build|add|status|ldtarball|generate_mok|kernel_(preinst|postinst|prerm))$`)

// ourActions are the actions this program adds to the reference's.
var ourActions = map[string]bool{"conf": true, "doctor": true, "mkdeb": true, "mkbmdeb": true, "mkrpm": true}

// errTwoActions is returned when two action words are given.
type errTwoActions struct{}

func (errTwoActions) Error() string { return "Cannot specify more than one action." }

// parseArgs scans the command line the way the reference does: options and
// positional words in any order, scanning stops at --version.
func parseArgs(args []string) (*options, error) {
	o := &options{}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if strings.HasPrefix(arg, "-") {
			spec := lookupOption(arg)
			if spec == nil {
				o.unknown = arg
				return o, nil
			}
			val := ""
			if spec.value {
				if _, v, ok := strings.Cut(arg, "="); ok && spec.long != "" && strings.HasPrefix(arg, "--") {
					val = v
				} else {
					if i+1 < len(args) {
						val = args[i+1]
					}
					i++
				}
				val = readValue(val)
			}
			spec.set(o, val)
			if o.showVersion {
				return o, nil
			}
			continue
		}
		if err := o.positional(arg); err != nil {
			return o, err
		}
	}
	return o, nil
}

func lookupOption(arg string) *optionSpec {
	name, _, _ := strings.Cut(arg, "=")
	for i := range optionTable {
		s := &optionTable[i]
		if s.short != "" && arg == s.short {
			return s
		}
		if s.long == "" || !strings.HasPrefix(arg, "--") {
			continue
		}
		if name == s.long || (s.glob && strings.HasPrefix(arg, s.long)) {
			return s
		}
	}
	return nil
}

// readValue mimics `read -r v <<< "$value"`: only the first line is kept and
// surrounding blanks are trimmed.
func readValue(v string) string {
	v, _, _ = strings.Cut(v, "\n")
	return strings.Trim(v, " \t")
}

func (o *options) positional(arg string) error {
	switch {
	case actionRe.MatchString(arg) || (ourActions[arg] && o.action == ""):
		if o.action != "" {
			return errTwoActions{}
		}
		o.action = arg
	case isFile(arg) && strings.HasSuffix(arg, "dkms.conf"):
		o.sourceDir = strings.TrimSuffix(arg, "dkms.conf") + "./"
		if o.action == "conf" {
			o.confFile = arg
		}
	case isDir(arg) && isFile(arg+"/dkms.conf"):
		o.sourceDir = arg
	case isFile(arg):
		if o.action == "conf" {
			o.confFile = arg
		} else {
			o.archive = arg
		}
	case o.module == "":
		o.module, o.version = splitModuleVersion(arg, o.version)
		o.mvArg = arg
	default:
		o.warnings = append(o.warnings, "I do not know how to handle "+arg+".")
	}
	return nil
}

// splitModuleVersion splits "m/v" at the first slash; a bare "m" keeps the
// version already given.
func splitModuleVersion(s, version string) (string, string) {
	if m, v, ok := strings.Cut(s, "/"); ok {
		return m, v
	}
	return s, version
}

// addKernel appends a -k value; "K/A" also appends an arch.
func (o *options) addKernel(s string) {
	if k, a, ok := strings.Cut(s, "/"); ok {
		o.kernels = append(o.kernels, k)
		o.arches = append(o.arches, a)
		return
	}
	o.kernels = append(o.kernels, s)
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool { return fileutil.IsDir(p) }
