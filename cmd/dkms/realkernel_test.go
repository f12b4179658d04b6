package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// requireHeadersEnv, when set (CI sets it), turns a missing real kernel
// header tree into a failure instead of a skip.
const requireHeadersEnv = "DKMS_TEST_REQUIRE_HEADERS"

// realKernels finds the Debian 6.1 and 6.12 kernels whose headers are
// installed, as KVER61 and KVER612.
func realKernels() map[string]string {
	out := map[string]string{}
	dirs, _ := filepath.Glob("/lib/modules/*/build/include")
	sort.Strings(dirs)
	for _, d := range dirs {
		k := filepath.Base(filepath.Dir(filepath.Dir(d)))
		switch {
		case strings.HasPrefix(k, "6.1.") && strings.HasSuffix(k, "-amd64"):
			out["KVER61"] = k
		case strings.HasPrefix(k, "6.12.") && strings.HasSuffix(k, "-amd64"):
			out["KVER612"] = k
		}
	}
	return out
}

// condition answers [realheaders]: both Debian header trees are installed.
// When they are not and DKMS_TEST_REQUIRE_HEADERS is set, it fails loudly.
func condition(cond string) (bool, error) {
	if cond == "pkgtools" {
		return pkgToolsCondition()
	}
	if cond != "realheaders" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	ok := len(realKernels()) == 2
	if !ok && os.Getenv(requireHeadersEnv) != "" {
		return false, fmt.Errorf("real kernel headers for 6.1 and 6.12 are required (%s is set): run test/setup.sh", requireHeadersEnv)
	}
	return ok, nil
}

// cmdRealKernel makes $WORK/modules/<release> an install tree for a real
// kernel: its build link points at the installed headers, and an empty
// modules.dep makes dkms run depmod there.
func cmdRealKernel(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: realkernel RELEASE")
	}
	k := args[0]
	headers, err := filepath.EvalSymlinks(filepath.Join("/lib/modules", k, "build"))
	ts.Check(err)
	kdir := ts.MkAbs(filepath.Join("modules", k))
	ts.Check(os.MkdirAll(kdir, 0o755))
	ts.Check(os.Symlink(headers, filepath.Join(kdir, "build")))
	ts.Check(os.WriteFile(filepath.Join(kdir, "modules.dep"), nil, 0o644))
}
