package conf

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
)

// writeDirectives prints what upstream's
// `set | grep ^DKMS_DIRECTIVE | cut -d = -f 2-3` prints in the conf's
// subshell: for each shell variable whose name starts with DKMS_DIRECTIVE,
// bash's `set` line cut to its second and third =-separated fields. The
// harness then word-splits and globs it exactly as upstream does.
// TODO(compat): functions whose name starts with DKMS_DIRECTIVE also match
// upstream's grep; they are ignored here.
func writeDirectives(hc interp.HandlerContext) error {
	utf8Locale := isUTF8Locale(hc.Env)
	var lines []string
	hc.Env.Each(func(name string, vr expand.Variable) bool {
		if strings.HasPrefix(name, directiveEnvPrefix) && len(variableIndices(vr)) > 0 {
			lines = append(lines, name+"="+setValue(vr, utf8Locale))
		}
		return true
	})
	sort.Strings(lines)
	for _, l := range lines {
		fields := strings.Split(l, "=")
		end := min(len(fields), 3)
		fmt.Fprintln(hc.Stdout, strings.Join(fields[1:end], "="))
	}
	return nil
}

// setValue renders a value the way bash's `set` does.
func setValue(vr expand.Variable, utf8Locale bool) string {
	if vr.Kind != expand.Indexed {
		return setQuote(vr.String(), utf8Locale)
	}
	var b strings.Builder
	b.WriteByte('(')
	for k, i := range variableIndices(vr) {
		if k > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "[%d]=%s", i, dquote(vr.List[k]))
	}
	b.WriteByte(')')
	return b.String()
}

// setQuote quotes like bash's print_var_value: $'...' when the value has
// non-printable characters (in the C locale every byte >= 0x80 is one),
// '...' when it has shell metacharacters, as is otherwise.
func setQuote(s string, utf8Locale bool) string {
	switch {
	case s == "":
		return ""
	case needsANSIC(s, utf8Locale):
		return ansicQuote(s)
	case hasShellMetas(s):
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

// isUTF8Locale reports whether the shell's locale variables select UTF-8,
// as LC_ALL, then LC_CTYPE, then LANG do.
func isUTF8Locale(env expand.Environ) bool {
	for _, name := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := env.Get(name).String(); v != "" {
			v = strings.ToLower(v)
			return strings.Contains(v, "utf-8") || strings.Contains(v, "utf8")
		}
	}
	return false
}

func needsANSIC(s string, utf8Locale bool) bool {
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && (!utf8Locale || r < 0xa0)) {
			return true
		}
	}
	return false
}

func hasShellMetas(s string) bool {
	if s[0] == '~' || s[0] == '#' {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\'', '"', '\\', '|', '&', ';', '(', ')', '<', '>',
			'!', '{', '}', '*', '[', '?', ']', '^', '$', '`':
			return true
		case '~':
			if s[i-1] == '=' || s[i-1] == ':' {
				return true
			}
		}
	}
	return false
}

// ansicQuote renders bash's $'...' form.
// TODO(compat): in a UTF-8 locale bash keeps printable multibyte characters.
func ansicQuote(s string) string {
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\v':
			b.WriteString(`\v`)
		case 0x1b:
			b.WriteString(`\E`)
		case '\'', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			if c < 0x20 || c >= 0x7f {
				fmt.Fprintf(&b, `\%03o`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// dquote quotes an array element as bash's `set` does.
func dquote(s string) string {
	q := strconv.Quote(s)
	if !strings.ContainsAny(s, "$`") {
		return q
	}
	q = strings.ReplaceAll(q, "$", `\$`)
	return strings.ReplaceAll(q, "`", "\\`")
}
