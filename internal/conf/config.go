package conf

import (
	"errors"
	"fmt"
	"strings"
)

// Module is one record of the module arrays, after upstream's defaults.
type Module struct {
	BuiltName     string // BUILT_MODULE_NAME[i], or PACKAGE_NAME for a single record
	BuiltLocation string // BUILT_MODULE_LOCATION[i], with a trailing / when non-empty
	DestName      string // DEST_MODULE_NAME[i], or BuiltName
	DestLocation  string // DEST_MODULE_LOCATION[i] as written (the distro override is applied at install)
	Strip         bool   // STRIP[i]: n... no, y... yes, empty STRIP[0]'s answer, other yes
}

// BuildExclusive holds the BUILD_EXCLUSIVE_* constraints of one array
// index (§4.3; per module since dkms 3.3).
type BuildExclusive struct {
	Kernel    string // ERE the kernel release must match
	KernelMin string // lowest kernel (VER order)
	KernelMax string // highest kernel; OBSOLETE_BY when unset
	Arch      string // ERE the arch must match
	Config    string // space-separated CONFIG_X / !CONFIG_X
}

// Config is a dkms.conf after upstream's read_conf post-processing.
//
// Make/MakeMatch and Patch/PatchMatch keep upstream's quirk (§10.6): they
// have as many entries as MAKE (PATCH) has elements, and entry i is
// MAKE[i] (PATCH[i]) even when that index is a hole, so with MAKE[0] and
// MAKE[5] set only MAKE[0] and the hole MAKE[1] are looked at. Modules, in
// contrast, has 1 + the highest index used in any of the four module arrays.
type Config struct {
	PackageName    string
	PackageVersion string
	Modules        []Module
	Make           []string
	MakeMatch      []string
	Patch          []string
	PatchMatch     []string

	AutoInstall         bool
	BuildDependsRebuild bool
	NoWeakModules       bool
	BuildDepends        []string
	// BuildExclusive holds BUILD_EXCLUSIVE_* by array index, as dkms 3.3
	// reads them: [0] (a scalar assignment) constrains every module, [i]
	// (i ≥ 1) module i only. It has max(1, len(Modules)) entries: indices
	// beyond the modules are ignored. OBSOLETE_BY is folded into [0] (see
	// Parse).
	BuildExclusive []BuildExclusive
	ObsoleteBy     string

	PreBuild, PostBuild, PostAdd, PreInstall, PostInstall, PostRemove string
	Clean                                                             string

	// Deprecated lists the deprecated directives that are set, in
	// upstream's order (CLEAN only when it is not a true command).
	Deprecated []string
}

// ErrInvalid is returned by Parse when the conf has errors; the CLI prints
// upstream's "Bad conf file." block and exits 8.
var ErrInvalid = errors.New("not a valid dkms.conf")

// Parse turns evaluated values into a Config and checks them as upstream's
// read_conf (lenient) and, with strict, read_conf_strict do (§4.4), after
// folding the 2003 spellings Eval could not fold (alias.go): one set
// together with its array form is an error naming both. It
// returns every message upstream prints, in its order; the error is
// ErrInvalid when any of them is an error. As upstream, the strict checks
// run only when the lenient ones passed. Deprecation notices depend on
// each file read and come from Eval (Report.Deprecated).
func Parse(v Values, strict bool) (*Config, []Message, error) {
	v, conflicts := foldAliases(v)
	c := &Config{
		PackageName: v.Str(PackageName), PackageVersion: v.Str(PackageVersion),
		PostAdd: v.Str(PostAdd), PostBuild: v.Str(PostBuild), PostInstall: v.Str(PostInstall),
		PostRemove: v.Str(PostRemove), PreBuild: v.Str(PreBuild), PreInstall: v.Str(PreInstall),
		ObsoleteBy: v.Str(ObsoleteBy), Clean: v.Str(Clean),
		BuildDepends: elements(v, BuildDepends),
	}
	c.Make, c.MakeMatch = countPairs(v, Make, MakeMatch)
	c.Patch, c.PatchMatch = countPairs(v, Patch, PatchMatch)
	c.Deprecated = deprecatedSet(v)
	var msgs []Message
	msgs = append(msgs, c.checkPackage()...)
	c.Modules = modules(v)
	c.BuildExclusive = buildExclusive(v, len(c.Modules), c.ObsoleteBy)
	msgs = append(msgs, c.checkModules(v)...)
	msgs = append(msgs, c.checkYesNo(v)...)
	msgs = append(msgs, conflicts...)
	if hasError(msgs) {
		return c, msgs, ErrInvalid
	}
	if strict {
		msgs = append(msgs, c.checkStrict()...)
	}
	if hasError(msgs) {
		return c, msgs, ErrInvalid
	}
	return c, msgs, nil
}

// buildExclusive reads BUILD_EXCLUSIVE_* at indices 0..max(1,n)-1 for n
// modules. OBSOLETE_BY stands in for BUILD_EXCLUSIVE_KERNEL_MAX[0] when
// no index of a module sets a maximum, as dkms 3.3 keeps it working.
func buildExclusive(v Values, n int, obsoleteBy string) []BuildExclusive {
	be := make([]BuildExclusive, max(1, n))
	anyMax := false
	for i := range be {
		be[i] = BuildExclusive{
			Kernel: v[BuildExclusiveKernel][i], KernelMin: v[BuildExclusiveKernelMin][i],
			KernelMax: v[BuildExclusiveKernelMax][i], Arch: v[BuildExclusiveArch][i],
			Config: v[BuildExclusiveConfig][i],
		}
		anyMax = anyMax || be[i].KernelMax != ""
	}
	if obsoleteBy != "" && !anyMax {
		be[0].KernelMax = obsoleteBy
	}
	return be
}

func hasError(msgs []Message) bool {
	for _, m := range msgs {
		if m.Level == LevelError {
			return true
		}
	}
	return false
}

func confError(format string, args ...any) Message {
	return Message{Level: LevelError, Text: confMessagePrefix + "Error! " + fmt.Sprintf(format, args...)}
}

// elements returns the set elements of name in index order.
func elements(v Values, name string) []string {
	var out []string
	for _, i := range v.Indices(name) {
		out = append(out, v[name][i])
	}
	return out
}

// countPairs reads name[0..n-1] and match[0..n-1] with n the number of
// elements of name, as upstream's MAKE and PATCH loops do.
func countPairs(v Values, name, match string) ([]string, []string) {
	n := v.Count(name)
	if n == 0 {
		return nil, nil
	}
	a, m := make([]string, n), make([]string, n)
	for i := range n {
		a[i], m[i] = v[name][i], v[match][i]
	}
	return a, m
}

func deprecatedSet(v Values) []string {
	var out []string
	for _, name := range deprecatedVariables {
		if v.Count(name) == 0 || (name == Clean && isTrueCommand(v.Str(Clean))) {
			continue
		}
		out = append(out, name)
	}
	return out
}

func (c *Config) checkPackage() []Message {
	var msgs []Message
	if c.PackageName == "" {
		msgs = append(msgs, confError("No '%s' directive specified.", PackageName))
	}
	if c.PackageVersion == "" {
		msgs = append(msgs, confError("No '%s' directive specified.", PackageVersion))
	}
	return msgs
}

// moduleCount is 1 + the highest index used in any module array.
func moduleCount(v Values) int {
	n := 0
	for _, name := range []string{BuiltModuleName, BuiltModuleLocation, DestModuleName, DestModuleLocation} {
		for i := range v[name] {
			n = max(n, i+1)
		}
	}
	return n
}

// modules builds the records with upstream's defaults.
func modules(v Values) []Module {
	n := moduleCount(v)
	mods := make([]Module, n)
	for i := range mods {
		m := &mods[i]
		m.BuiltName, m.BuiltLocation = v[BuiltModuleName][i], v[BuiltModuleLocation][i]
		m.DestName, m.DestLocation = v[DestModuleName][i], v[DestModuleLocation][i]
		m.Strip = stripValue(v[Strip][i], i == 0 || mods[0].Strip)
		if m.BuiltName == "" && n == 1 {
			m.BuiltName = v.Str(PackageName)
		}
		if m.DestName == "" {
			m.DestName = m.BuiltName
		}
		if m.BuiltLocation != "" && !strings.HasSuffix(m.BuiltLocation, "/") {
			m.BuiltLocation += "/"
		}
	}
	return mods
}

// stripValue interprets STRIP[i]; def is the answer for an empty value.
func stripValue(s string, def bool) bool {
	switch {
	case s == "":
		return def
	case s[0] == 'n' || s[0] == 'N':
		return false
	}
	return true
}

func (c *Config) checkModules(v Values) []Message {
	var msgs []Message
	for i, m := range c.Modules {
		if m.BuiltName == "" {
			msgs = append(msgs, confError("No '%s' directive specified for record #%d.", BuiltModuleName, i))
		}
		if hasObjectSuffix(m.BuiltName) {
			msgs = append(msgs, confError("'%s' directive ends in '.o' or '.ko' in record #%d.", BuiltModuleName, i))
		}
		if hasObjectSuffix(m.DestName) {
			msgs = append(msgs, confError("'%s' directive ends in '.o' or '.ko' in record #%d.", DestModuleName, i))
		}
		switch loc := m.DestLocation; {
		case loc == "":
			msgs = append(msgs, confError("No '%s' directive specified for record #%d.", DestModuleLocation, i))
		case !strings.HasPrefix(loc, "/kernel") && !strings.HasPrefix(loc, "/updates") && !strings.HasPrefix(loc, "/extra"):
			msgs = append(msgs, confError("Directive '%s' does not begin with\n'/kernel', '/updates', or '/extra' in record #%d.", DestModuleLocation, i))
		}
	}
	return append(msgs, lengthMismatch(v, len(c.Modules))...)
}

func hasObjectSuffix(s string) bool {
	return strings.HasSuffix(s, ".o") || strings.HasSuffix(s, ".ko")
}

// lengthMismatch reproduces upstream's array length sanity check: the
// internal arrays get indices 0..n-1, so only indices a conf set beyond
// them make a length differ.
func lengthMismatch(v Values, n int) []Message {
	var msgs []Message
	for _, name := range []string{internalBuiltModuleName, internalBuiltModuleLoc, internalDestModuleName, internalDestModuleLoc} {
		extra := 0
		for i := range v[name] {
			if i >= n {
				extra++
			}
		}
		if extra > 0 {
			msgs = append(msgs, confError("Module name/location array length mismatch."))
		}
	}
	return msgs
}

// checkYesNo validates the yes/no directives (case-insensitive yes or no,
// or empty) and sets the booleans.
func (c *Config) checkYesNo(v Values) []Message {
	var msgs []Message
	for _, d := range []struct {
		name string
		dst  *bool
	}{{AutoInstall, &c.AutoInstall}, {BuildDependsRebuild, &c.BuildDependsRebuild}, {NoWeakModules, &c.NoWeakModules}} {
		switch s := v.Str(d.name); strings.ToLower(s) {
		case "", "no":
		case "yes":
			*d.dst = true
		default:
			msgs = append(msgs, confError("Unsupported %s value '%s'", d.name, s))
		}
	}
	return msgs
}

// checkStrict adds read_conf_strict's checks: no modules, duplicates.
func (c *Config) checkStrict() []Message {
	var msgs []Message
	if len(c.Modules) == 0 {
		msgs = append(msgs, Message{Level: LevelWarning, Text: confMessagePrefix + "Warning! Zero modules specified."})
	}
	built, dest := "", ""
	for i, m := range c.Modules {
		if name := m.BuiltLocation + m.BuiltName; listHas(built, name) {
			msgs = append(msgs, confError("Duplicate module '%s' in '%s[%d]'.", name, BuiltModuleName, i))
		}
		built += " " + m.BuiltLocation + m.BuiltName
	}
	for i, m := range c.Modules {
		if listHas(dest, m.DestName) {
			msgs = append(msgs, confError("Duplicate module '%s' in '%s[%d]'.", m.DestName, DestModuleName, i))
		}
		dest += " " + m.DestName
	}
	return msgs
}

// listHas is upstream's `case " $names " in *" $m "*)`.
func listHas(names, m string) bool {
	return strings.Contains(" "+names+" ", " "+m+" ")
}
