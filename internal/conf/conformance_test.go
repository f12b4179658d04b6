package conf

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/dkms-go/dkms/internal/distro"
	"github.com/dkms-go/dkms/internal/testenv"
)

// candidateEnv makes the test binary act as a conf-conformance candidate.
const candidateEnv = "DKMS_CONF_CANDIDATE"

func TestMain(m *testing.M) {
	if os.Getenv(candidateEnv) == "1" {
		os.Exit(candidateMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// candidateMain implements the candidate side of conf-conformance:
// -k K -a A [--kernelsourcedir D] [--dkmstree D] [--sourcetree D]
// [--installtree D] [--config F] [-m M[/V]] [-v V] [-j N] FILE...
func candidateMain(args []string) int {
	c, files, err := candidateContext(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "candidate:", err)
		return 2
	}
	v, err := Eval(context.Background(), files, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "candidate:", err)
		return 1
	}
	os.Stdout.Write(v.JSON())
	return 0
}

// candidateContext builds the evaluation context as dkms-conf-ref does.
func candidateContext(args []string) (Context, []string, error) {
	c := machineContext()
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	c.PreferBash = os.Getenv(candidateEnv+"_BASH") == "1"
	var files []string
	jobs := ""
	for i := 0; i < len(args); i++ {
		opt, val, inline := strings.Cut(args[i], "=")
		if !inline || !strings.HasPrefix(opt, "--") {
			opt, val = args[i], ""
		}
		takes := map[string]bool{"-k": true, "-a": true, "--kernelsourcedir": true, "--dkmstree": true,
			"--sourcetree": true, "--installtree": true, "--config": true, "-m": true, "-v": true, "-j": true}
		if takes[opt] && !inline {
			if i+1 >= len(args) {
				return c, nil, fmt.Errorf("option %s needs a value", opt)
			}
			i++
			val = args[i]
		}
		val = optValue(val)
		switch opt {
		case "-k":
			k, a, ok := strings.Cut(val, "/")
			c.Kernel = k
			if ok {
				c.Arch = a
			}
		case "-a":
			c.Arch = val
		case "--kernelsourcedir":
			c.KernelSourceDir = val
		case "--dkmstree":
			c.DkmsTree = val
		case "--sourcetree":
			c.SourceTree = val
		case "--installtree":
			c.InstallTree = val
		case "--config":
			c.KernelConfig = val
		case "-m":
			c.Module, c.ModuleVersion, _ = strings.Cut(val, "/")
		case "-v":
			c.ModuleVersion = val
		case "-j":
			jobs = val
		default:
			files = append(files, args[i])
		}
	}
	if jobs != "" {
		c.ParallelJobs = jobs
	}
	if c.ParallelJobs == "0" {
		c.ParallelJobs = ""
	}
	return c, files, nil
}

// optValue trims like bash's `read -r` (upstream's option reader).
func optValue(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// machineContext fills the machine-dependent context as upstream does.
func machineContext() Context {
	var u syscall.Utsname
	_ = syscall.Uname(&u)
	str := func(b [65]int8) string {
		var s []byte
		for _, c := range b {
			if c == 0 {
				break
			}
			s = append(s, byte(c))
		}
		return string(s)
	}
	c := Context{CurrentOS: str(u.Sysname), CurrentKernel: str(u.Release), Arch: str(u.Machine)}
	c.Kernel = c.CurrentKernel
	c.ParallelJobs = strconv.Itoa(runtime.NumCPU())
	d, _ := distro.Detect("/")
	c.RunningDistribution = string(d)
	return c
}

// sharedDir locates /work/shared relative to the package directory.
func sharedDir(t testing.TB) string {
	t.Helper()
	return testenv.Shared(t, filepath.Join("..", ".."))
}

// candidateCommand is the shell command line that re-executes this test
// binary as a candidate.
func candidateCommand(t testing.TB) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return candidateEnv + "=1 " + strconv.Quote(exe)
}

func TestConformance(t *testing.T) {
	t.Run("interp", func(t *testing.T) {
		t.Parallel()
		testConformance(t, "")
	})
	t.Run("bash", func(t *testing.T) {
		testenv.SkipIfShort(t, "the bash fallback over the whole corpus is slow")
		t.Parallel()
		testConformance(t, candidateEnv+"_BASH=1 ")
	})
}

// testConformance runs conf-conformance over the shared corpus with this
// binary as the candidate; prefix adds environment settings.
func testConformance(t *testing.T, prefix string) {
	shared := sharedDir(t)
	testenv.LookPath(t, "jq")
	corpus := filepath.Join(shared, "corpus", "dkms-conf")
	cmd := exec.CommandContext(t.Context(), "bash", filepath.Join(shared, "tools", "conf-conformance"),
		prefix+candidateCommand(t), corpus)
	cmd.Stdin = nil
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Log(out.String())
	if err != nil {
		t.Fatalf("conf conformance failed: %v", err)
	}
}

// TestCorpusInProcess requires every file of the shared corpus to be
// evaluated in-process: the bash fallback is for rare constructs, and a
// detector that sends real files to bash costs 100 ms per read.
func TestCorpusInProcess(t *testing.T) {
	shared := sharedDir(t)
	files, _ := filepath.Glob(filepath.Join(shared, "corpus", "dkms-conf", "*.conf"))
	for _, f := range files {
		c, _, err := candidateContext([]string{"-k", "6.1.0-99-amd64", "-a", "x86_64"})
		if err != nil {
			t.Fatal(err)
		}
		var rep Report
		c.Stdout, c.Stderr, c.Report, c.Bash = io.Discard, io.Discard, &rep, "-"
		if _, err := Eval(t.Context(), []string{f}, c); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
}
