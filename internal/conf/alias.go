package conf

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The 2003 dkms.conf spellings (ours; the reference ignores them):
//
//   - PATCH<n> is PATCH[n]: PATCH0, PATCH1, … in numerical order;
//   - PATCH_<pattern> is a kernel-specific patch, applied after every
//     generic one (several in name order): it becomes PATCH[#] with
//     PATCH_MATCH[#] = kernelPattern(<pattern>), # being the first index
//     after the highest one PATCH or PATCH_MATCH uses;
//   - MODULES_CONF<n> is MODULES_CONF[n], with no limit on n.
//
// n is a decimal number without leading zeros, of at most nine digits.
// Only names matching aliasPattern are aliases: PATCH_MATCH, PATCH_DIR,
// PATCH01 or MODULES_CONF_OBSOLETES are not. A kernel-specific pattern
// must start with a digit, as kernel releases do, so helper variables such
// as PATCH_LIST stay what they are in the reference: ignored.
//
// Eval writes the aliases back to dkms's shell like the accepted
// variables (so they are expanded twice too, and later override files see
// them), reports a "Deprecated feature:" line for each one set after each
// file, and folds them into the array forms. An alias whose array entry is
// also set is left unfolded; Parse reports it as an error.
const aliasPattern = `^(PATCH(0|[1-9][0-9]{0,8})|PATCH_[0-9][A-Za-z0-9_]*|MODULES_CONF(0|[1-9][0-9]{0,8}))$`

var aliasRE = regexp.MustCompile(aliasPattern)

// kernelPatchPrefix starts the name of a kernel-specific patch.
const kernelPatchPrefix = Patch + "_"

// isAlias reports whether name is one of the 2003 spellings.
func isAlias(name string) bool { return aliasRE.MatchString(name) }

// alias is what an alias name stands for: element index of target, or,
// for a kernel-specific patch (index -1), a PATCH entry limited by
// pattern.
type alias struct {
	target  string // Patch or ModulesConf
	index   int
	pattern string // PATCH_MATCH value of a kernel-specific patch
}

// parseAlias returns what name stands for; ok is false for other names.
func parseAlias(name string) (a alias, ok bool) {
	if !isAlias(name) {
		return alias{}, false
	}
	if text, ok := strings.CutPrefix(name, kernelPatchPrefix); ok {
		return alias{target: Patch, index: -1, pattern: kernelPattern(text)}, true
	}
	target := Patch
	if strings.HasPrefix(name, ModulesConf) {
		target = ModulesConf
	}
	n, _ := strconv.Atoi(name[len(target):]) // at most nine digits: fits
	return alias{target: target, index: n}, true
}

// kernelPattern turns the text after PATCH_ into the ERE that PATCH_MATCH
// would hold. A name holds only letters, digits and _, so no regexp can be
// written there: _ stands for one character that is neither a letter nor a
// digit (the . - + of a release); the text must match at the start of the
// release and end where a number or word of the release ends. So PATCH_6_12
// applies to 6.12.118+deb12-amd64 and not to 6.1.0-57-amd64 or 6.120.1,
// PATCH_6_1 to 6.1.0-57-amd64 and not to 6.12.118+deb12-amd64. Unanchored,
// as PATCH_MATCH is, PATCH_6_12 would also apply to 5.16.12.
func kernelPattern(text string) string {
	var b strings.Builder
	b.WriteByte('^')
	for i := 0; i < len(text); i++ {
		if text[i] == '_' {
			b.WriteString("[^[:alnum:]]")
		} else {
			b.WriteByte(text[i])
		}
	}
	switch last := text[len(text)-1]; {
	case isDigit(last):
		b.WriteString("($|[^[:digit:]])")
	case last != '_':
		b.WriteString("($|[^[:alpha:]])")
	}
	return b.String()
}

// aliasAdvice is the end of a "Deprecated feature:" line: the modern
// spelling, for OBSOLETE_BY as the reference words it, and for an alias
// in the same words.
func aliasAdvice(name string) string {
	a, ok := parseAlias(name)
	switch {
	case name == ObsoleteBy:
		return ": use " + BuildExclusiveKernelMax + " instead"
	case !ok:
		return ""
	case a.index < 0:
		return fmt.Sprintf(": use %s[#] with %s[#]='%s' instead", Patch, PatchMatch, a.pattern)
	}
	return fmt.Sprintf(": use %s[%d] instead", a.target, a.index)
}

// deprecation is the "Deprecated feature:" notice for variable name set
// after reading file.
func deprecation(name, file string) Message {
	return Message{Level: LevelDeprecated, Text: deprecatedFeaturePrefix + name + " (" + file + ")" + aliasAdvice(name)}
}

// foldAliases returns v with every alias folded into its array form (v
// itself when it has none). An alias whose element is also set in the array
// form stays under its own name, and a message names both spellings. The
// alias's value is its element 0, as $NAME reads it.
func foldAliases(v Values) (Values, []Message) {
	var names []string
	for name := range v {
		if isAlias(name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return v, nil
	}
	slices.Sort(names)
	out := make(Values, len(v))
	for name, elems := range v {
		if !isAlias(name) {
			out[name] = elems
		}
	}
	var msgs []Message
	var kernel []string
	for _, name := range names {
		a, _ := parseAlias(name)
		switch _, both := v[a.target][a.index]; {
		case a.index < 0:
			kernel = append(kernel, name)
		case both:
			out[name] = v[name]
			msgs = append(msgs, confError("'%s' and '%s[%d]' are both set: they are the same entry, keep only '%s[%d]'.",
				name, a.target, a.index, a.target, a.index))
		default:
			out.set(a.target, a.index, v[name][0])
		}
	}
	next := max(highest(out, Patch), highest(out, PatchMatch)) + 1
	for _, name := range kernel {
		a, _ := parseAlias(name)
		out.set(Patch, next, v[name][0])
		out.set(PatchMatch, next, a.pattern)
		next++
	}
	return out, msgs
}

// set sets element i of name, copying the element map first so the Values
// folded from are left as they were.
func (v Values) set(name string, i int, value string) {
	m := make(map[int]string, len(v[name])+1)
	for k, s := range v[name] {
		m[k] = s
	}
	m[i] = value
	v[name] = m
}

// highest is the highest index set in name, -1 when none is.
func highest(v Values, name string) int {
	n := -1
	for i := range v[name] {
		n = max(n, i)
	}
	return n
}
