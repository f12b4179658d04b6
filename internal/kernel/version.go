package kernel

import (
	"slices"
	"strings"
)

// SortV sorts s the way `sort -V` does in the C locale, which the reference
// uses to order --all kernel/arch lists and .dep_ versions (§3.4, §7.11):
// CompareVersions, with ties (e.g. "1.01" and "1.1") broken bytewise as
// sort's last-resort comparison does.
func SortV(s []string) {
	slices.SortStableFunc(s, func(a, b string) int {
		if c := CompareVersions(a, b); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
}

// CompareVersions compares a and b like GNU filevercmp, the comparison
// behind `sort -V` and `ls -v`: it returns <0, 0 or >0.
//
// Empty sorts first, then ".", "..", other names starting with '.', then the
// rest. A trailing file suffix (regexp (\.[A-Za-z~][A-Za-z0-9~]*)*$) is
// ignored unless the rest compares equal. The remainder is compared as
// alternating non-digit runs (letters before other bytes, '~' before
// everything, even the end) and digit runs (numerically).
func CompareVersions(a, b string) int {
	if c, done := compareSpecial(a, b); done {
		return c
	}
	ap, bp := prefixLen(a), prefixLen(b)
	if c := verrevcmp(a[:ap], b[:bp]); c != 0 || (ap == len(a) && bp == len(b)) {
		return c
	}
	return verrevcmp(a, b)
}

// compareSpecial orders the empty string and names with a leading dot.
func compareSpecial(a, b string) (int, bool) {
	rank := func(s string) int {
		switch {
		case s == "":
			return 0
		case s == ".":
			return 1
		case s == "..":
			return 2
		case s[0] == '.':
			return 3
		}
		return 4
	}
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra - rb, true
	}
	return 0, ra < 3
}

// prefixLen returns the length of s without its file suffix.
func prefixLen(s string) int {
	prefix := 0
	for i := 0; i < len(s); {
		i++
		prefix = i
		for i+1 < len(s) && s[i] == '.' && (isAlpha(s[i+1]) || s[i+1] == '~') {
			for i += 2; i < len(s) && (isAlpha(s[i]) || isDigit(s[i]) || s[i] == '~'); i++ {
			}
		}
	}
	return prefix
}

// order ranks one byte of a non-digit run; the end of the string (or a
// digit) ranks 0.
func order(s string, i int) int {
	if i >= len(s) || isDigit(s[i]) {
		return 0
	}
	switch c := int(s[i]); {
	case isAlpha(s[i]):
		return c
	case c == '~':
		return -1
	default:
		return c + 256
	}
}

func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			if ca, cb := order(a, i), order(b, j); ca != cb {
				return ca - cb
			}
			i, j = i+1, j+1
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		firstDiff := 0
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i, j = i+1, j+1
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return firstDiff
		}
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
