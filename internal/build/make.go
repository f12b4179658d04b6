package build

import (
	"regexp"
	"strconv"
	"strings"
)

// MakeCommand picks the make command line for kernel k (§7.9): MAKE[0]
// unless MAKE_MATCH[0] is set, then the last MAKE[i] whose MAKE_MATCH[i]
// matches k, else kbuild's default. Like the reference it looks at the
// first len(make) indices only (element count, not highest index). A
// leading "make" word becomes "make -j<jobs> KERNELRELEASE=<k>".
func MakeCommand(make, match []string, k, ksrc, buildDir string, jobs int, llvm bool) string {
	cmd := ""
	if at(match, 0) == "" {
		cmd = at(make, 0)
	}
	for i := range make {
		if at(make, i) == "" || at(match, i) == "" {
			continue
		}
		if Matches(at(match, i), k) {
			cmd = make[i]
		}
	}
	if cmd == "" {
		cmd = "make -C " + ksrc + " M=" + buildDir
	}
	if llvm {
		cmd += " LLVM=1"
	}
	if cmd == "make" || strings.HasPrefix(cmd, "make ") || strings.HasPrefix(cmd, "make\t") {
		j := "-j"
		if jobs > 0 {
			j += strconv.Itoa(jobs)
		}
		cmd = "make " + j + " KERNELRELEASE=" + k + cmd[len("make"):]
	}
	return cmd
}

// at returns s[i] or "" past the end.
func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// Matches reports whether the POSIX extended regular expression re matches
// s anywhere, as bash's =~ does; an invalid pattern matches nothing.
func Matches(re, s string) bool {
	r, err := regexp.CompilePOSIX(re)
	if err != nil {
		r, err = regexp.Compile(re)
		if err != nil {
			return false
		}
	}
	return r.MatchString(s)
}
