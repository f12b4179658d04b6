package kbuild

import (
	"strconv"
	"strings"
)

// MakeCommand completes the make command line for kernel k (§7.9): chosen
// is what dkms.conf's MAKE/MAKE_MATCH select (empty for kbuild's default),
// " LLVM=1" is added for clang-built kernels, and a leading "make" word
// becomes "make -j<jobs> KERNELRELEASE=<k>" ("-j" alone for jobs 0).
func MakeCommand(chosen, k, ksrc, buildDir string, jobs int, llvm bool) string {
	cmd := chosen
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
