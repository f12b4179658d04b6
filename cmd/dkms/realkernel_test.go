package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dkms-go/dkms/internal/testenv"
)

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

// condition answers the scripts' own conditions, the only ones a `skip`
// may follow (TestScriptRules): [realheaders], both Debian header trees
// are installed, and [cmd:NAME], the program NAME is in PATH. Under the
// strict switch (internal/testenv) a false answer is an error instead, so
// the script fails rather than skips.
func condition(cond string) (bool, error) {
	ok, what := false, ""
	switch name, isCmd := strings.CutPrefix(cond, "cmd:"); {
	case cond == "root": // the user running the tests; never a reason to skip
		return os.Geteuid() == 0, nil
	case cond == "realheaders":
		ok, what = len(realKernels()) == 2, "real kernel headers for 6.1 and 6.12 (run test/setup.sh)"
	case isCmd && name != "":
		_, err := exec.LookPath(name)
		ok, what = err == nil, "the program "+name+" (run test/setup.sh)"
	default:
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if !ok && testenv.Strict() {
		return false, fmt.Errorf("[%s] is false: %s is required (%s is set: nothing may skip)", cond, what, testenv.StrictEnv)
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
