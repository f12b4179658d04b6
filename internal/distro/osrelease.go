package distro

import "strings"

// parseOSRelease reads NAME=value assignments with shell quoting: single
// quotes, double quotes (where \ escapes $ ` " \ and newline) and bare
// backslash escapes. Comments, blank and malformed lines are ignored, and
// a later assignment wins. Expansions ($VAR) are not performed.
func parseOSRelease(data string) map[string]string {
	vars := map[string]string{}
	for _, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || !isShellName(name) {
			continue
		}
		vars[name] = shellWord(value)
	}
	return vars
}

func isShellName(s string) bool {
	for i, c := range s {
		if c != '_' && !('A' <= c && c <= 'Z') && !('a' <= c && c <= 'z') && (i == 0 || !('0' <= c && c <= '9')) {
			return false
		}
	}
	return s != ""
}

// shellWord removes shell quoting from the word starting at s and stops at
// the first unquoted blank (the rest of the line would be a command).
func shellWord(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			return b.String()
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				end = len(s) - i - 1
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case c == '"':
			i = doubleQuoted(s, i+1, &b)
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// doubleQuoted copies the double-quoted text starting at s[i] into b and
// returns the index of the closing quote.
func doubleQuoted(s string, i int, b *strings.Builder) int {
	for ; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			return i
		}
		if c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0 {
			i++
			c = s[i]
		}
		b.WriteByte(c)
	}
	return i
}
