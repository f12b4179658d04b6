package conf

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Ver normalises a version string as upstream's VER does (§7.11): every
// run of 1 or 2 digits is left-padded with zeros to 3 digits, spaces are
// dropped, everything else is kept, so that plain string comparison
// orders versions ("5.15.0-91-generic" -> "005.015.000-091-generic",
// "3.5-rc2" -> "003.005-rc002").
func Ver(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == ' ' {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == i {
			b.WriteByte(s[i])
			i++
			continue
		}
		if n := j - i; n < 3 {
			b.WriteString("00"[:3-n])
		}
		b.WriteString(s[i:j])
		i = j
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// VerLess reports whether version a sorts before b in upstream's VER
// order. Upstream compares with bash's < in [[ ]], which uses the
// locale's collation; this is byte order, as in the C locale.
// TODO(compat): locale collation.
func VerLess(a, b string) bool { return Ver(a) < Ver(b) }

// Excludes reports whether the constraints of one index exclude kernel
// (release) and arch (§4.3). kconfig is the content of the kernel's config
// file, nil when the file does not exist (CONFIG constraints are then
// ignored, as upstream does). A pattern that does not compile is an error;
// upstream's [[ =~ ]] would fail and not exclude.
func (b BuildExclusive) Excludes(kernel, arch string, kconfig []byte) (bool, error) {
	excluded := false
	var firstErr error
	mismatch := func(re, s string) bool {
		ok, err := ereMatch(re, s)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return err == nil && !ok
	}
	if b.Kernel != "" && mismatch(b.Kernel, kernel) {
		excluded = true
	}
	if b.KernelMin != "" && Ver(kernel) < Ver(b.KernelMin) {
		excluded = true
	}
	if b.KernelMax != "" && Ver(kernel) > Ver(b.KernelMax) {
		excluded = true
	}
	if b.Arch != "" && mismatch(b.Arch, arch) {
		excluded = true
	}
	if b.Config != "" && kconfig != nil && !configSatisfied(b.Config, kconfig) {
		excluded = true
	}
	return excluded, firstErr
}

// set reports whether any constraint of b is given.
func (b BuildExclusive) set() bool {
	return b.Kernel != "" || b.KernelMin != "" || b.KernelMax != "" || b.Arch != "" || b.Config != ""
}

// Exclusion is what BUILD_EXCLUSIVE_* say about one kernel and arch: the
// modules they exclude, and whether they exclude the whole package.
type Exclusion struct {
	// Excluded is indexed like Config.Modules. An excluded module is not
	// built, signed, installed or looked for, and nothing says so.
	Excluded []bool
	// All is set when every module is excluded by a directive that is
	// given: the build stops with the reference's warning and exit 77. A
	// conf without modules is never excluded.
	All bool
}

// Exclude applies BUILD_EXCLUSIVE_* to kernel and arch as dkms 3.3 does:
// module i is built only if index 0's constraints and index i's all
// pass (see Excludes for kconfig and patterns that do not compile).
func (c *Config) Exclude(kernel, arch string, kconfig []byte) Exclusion {
	ex := Exclusion{Excluded: make([]bool, len(c.Modules))}
	built := 0
	for i := range c.Modules {
		out, _ := c.exclusiveAt(0).Excludes(kernel, arch, kconfig)
		if !out && i > 0 {
			out, _ = c.exclusiveAt(i).Excludes(kernel, arch, kconfig)
		}
		ex.Excluded[i] = out
		if !out {
			built++
		}
	}
	ex.All = built == 0 && c.Exclusive()
	return ex
}

// Exclusive reports whether a BUILD_EXCLUSIVE_* directive (or
// OBSOLETE_BY) constrains any module, whatever the kernel: the reference
// then keeps quiet about a module version not installed on a kernel,
// since that can be expected.
func (c *Config) Exclusive() bool {
	for i := range c.Modules {
		if c.exclusiveAt(i).set() {
			return true
		}
	}
	return false
}

// exclusiveAt is index i of BuildExclusive, none when it has no such
// index (a Config not made by Parse).
func (c *Config) exclusiveAt(i int) BuildExclusive {
	if i < len(c.BuildExclusive) {
		return c.BuildExclusive[i]
	}
	return BuildExclusive{}
}

// ereMatch is bash's unanchored [[ s =~ re ]]. Go's RE2 syntax covers the
// POSIX EREs used in practice; back-references are not supported.
func ereMatch(re, s string) (bool, error) {
	r, err := regexp.Compile(re)
	if err != nil {
		return false, fmt.Errorf("BUILD_EXCLUSIVE pattern %q: %w", re, err)
	}
	return r.MatchString(s), nil
}

// configSatisfied checks each CONFIG_X (needs a line CONFIG_X=y or =m) and
// !CONFIG_X (needs no such line).
func configSatisfied(list string, kconfig []byte) bool {
	set := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(kconfig))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), "=")
		if ok && (strings.HasPrefix(val, "y") || strings.HasPrefix(val, "m")) {
			set[name] = true
		}
	}
	for _, k := range strings.Fields(list) {
		if neg, ok := strings.CutPrefix(k, "!"); ok {
			if set[neg] {
				return false
			}
		} else if !set[k] {
			return false
		}
	}
	return true
}

// MakeCommand returns the make command upstream picks for kernel: the
// last MAKE[i] whose MAKE_MATCH[i] matches, else MAKE[0] when MAKE_MATCH[0]
// is empty, else "" (the caller then uses the generic make command).
func (c *Config) MakeCommand(kernel string) (string, error) {
	cmd := ""
	if len(c.MakeMatch) == 0 || c.MakeMatch[0] == "" {
		cmd = first(c.Make)
	}
	for i, m := range c.Make {
		if m == "" || c.MakeMatch[i] == "" {
			continue
		}
		ok, err := ereMatch(c.MakeMatch[i], kernel)
		if err != nil {
			return "", err
		}
		if ok {
			cmd = m
		}
	}
	return cmd, nil
}

// Patches returns the patches that apply to kernel, in order: PATCH[i]
// when PATCH_MATCH[i] is empty or matches.
func (c *Config) Patches(kernel string) ([]string, error) {
	var out []string
	for i, p := range c.Patch {
		if p == "" {
			continue
		}
		if m := c.PatchMatch[i]; m != "" {
			ok, err := ereMatch(m, kernel)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
