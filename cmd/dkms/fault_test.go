package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dkms-go/dkms/internal/fileutil"
	"github.com/dkms-go/dkms/internal/run"
	"github.com/dkms-go/dkms/internal/testenv"
	"github.com/dkms-go/dkms/internal/tree"
)

// faultFS are the sandbox directories that the fault tests put on small
// file systems of their own (tmpfs with a size and inode limit): the dkms
// tree, the source tree, the install tree and TMPDIR. The module's build
// directory gets one too once it is added (mountBuildDir).
var faultFS = []string{"dkms", "src", "modules", "tmp"}

// faultSandbox is a sandbox whose trees are mount points.
type faultSandbox struct {
	*sandbox
	mounts []string
}

// newFaultSandbox mounts the file systems and populates the sandbox. It
// needs root; without it, or where mounting is impossible, the test is
// skipped, which fails it under the strict CI switch.
func newFaultSandbox(t *testing.T, bin string) *faultSandbox {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Skipf(t, "the file system fault tests mount tmpfs file systems, which needs root")
	}
	root := t.TempDir()
	f := &faultSandbox{}
	for _, d := range faultFS {
		f.mount(t, filepath.Join(root, d))
	}
	f.sandbox = populateSandbox(t, bin, root)
	return f
}

// mount puts a small tmpfs on dir, unmounted when the test ends.
func (f *faultSandbox) mount(t *testing.T, dir string) {
	t.Helper()
	must(t, os.MkdirAll(dir, 0o755))
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m,nr_inodes=4000,mode=0755", "tmpfs", dir).CombinedOutput()
	if err != nil {
		testenv.Skipf(t, "cannot mount a tmpfs on %s: %v %s", dir, err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	f.mounts = append(f.mounts, dir)
}

// mountBuildDir gives the build directory of m/1.0 (which add made) a
// file system of its own: a directory of a tmpfs bind-mounted there, so
// that the files filling it stay out of the build's reach (dkms empties
// the build directory first).
func (f *faultSandbox) mountBuildDir(t *testing.T, m string) {
	t.Helper()
	fs := filepath.Join(f.root, "buildfs")
	f.mount(t, fs)
	must(t, os.Mkdir(filepath.Join(fs, "build"), 0o755))
	dir := filepath.Join(f.root, "dkms", m, "1.0", "build")
	if out, err := exec.Command("mount", "--bind", filepath.Join(fs, "build"), dir).CombinedOutput(); err != nil {
		t.Fatalf("bind mount: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
}

// fillName starts the names of the files that fill a file system.
const fillName = ".fault-fill-"

// fill uses up every block and inode of each file system, so that any
// write, file or directory creation fails with ENOSPC, and checks that it
// does.
func (f *faultSandbox) fill() error {
	for _, dir := range f.mounts {
		if err := fillFS(dir); err != nil {
			return err
		}
	}
	return nil
}

func fillFS(dir string) error {
	w, err := os.Create(filepath.Join(dir, fillName+"blocks"))
	if err != nil && !errors.Is(err, syscall.ENOSPC) {
		return err
	}
	if err == nil {
		for _, size := range []int{1 << 16, 1} {
			buf := make([]byte, size)
			for err == nil {
				_, err = w.Write(buf)
			}
			if !errors.Is(err, syscall.ENOSPC) {
				return fmt.Errorf("filling %s: %v", dir, err)
			}
			err = nil
		}
		w.Close()
	}
	for i := 0; ; i++ {
		g, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s%d", fillName, i)))
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			return err
		}
		g.Close()
	}
	if err := os.Mkdir(filepath.Join(dir, fillName+"check"), 0o755); !errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("%s is not full: mkdir gave %v", dir, err)
	}
	return nil
}

// free deletes what fill wrote.
func (f *faultSandbox) free() {
	for _, dir := range f.mounts {
		paths, _ := filepath.Glob(filepath.Join(dir, fillName+"*"))
		for _, p := range paths {
			os.Remove(p)
		}
	}
}

// stopped reports whether process pid is stopped (state T in
// /proc/pid/stat).
func stopped(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'T'
}

// runFault runs dkms args stopped before its step-th side effect, applies
// fault there and lets it go on. It returns the output, the exit status,
// and whether the run reached the step (and the fault was applied).
func (f *faultSandbox) runFault(args, env []string, step int, fault func() error) (string, int, bool, error) {
	cmd := exec.Command(f.bin, args...)
	cmd.Env = append(append(append([]string(nil), f.env...), env...), fmt.Sprintf("%s=%d", run.StopAtEnv, step))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", 0, false, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case err := <-done:
			return out.String(), exitCode(err), false, nil
		case <-deadline:
			cmd.Process.Kill()
			return out.String(), -1, false, fmt.Errorf("dkms %v neither stopped nor ended", args)
		case <-time.After(time.Millisecond):
		}
		if stopped(cmd.Process.Pid) {
			break
		}
	}
	ferr := fault()
	syscall.Kill(cmd.Process.Pid, syscall.SIGCONT)
	err := <-done
	return out.String(), exitCode(err), true, ferr
}

// installedFiles hashes every file of the install tree but depmod's maps,
// which depmod rewrites whole (modulesDepProblems checks them).
func (f *faultSandbox) installedFiles() map[string]string {
	out := map[string]string{}
	root := filepath.Join(f.root, "modules")
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), fillName) {
			return nil
		}
		if rel, _ := filepath.Rel(root, p); !strings.Contains(rel, "/modules.") {
			h, _ := fileutil.HashFile(p)
			out[rel] = h
		}
		return nil
	})
	return out
}

// treeState is what a fault must leave as it was: the status listing and
// the installed files.
type treeState struct {
	status string
	files  map[string]string
}

func (f *faultSandbox) state() (treeState, error) {
	st, err := f.status()
	return treeState{status: st, files: f.installedFiles()}, err
}

func (a treeState) diff(b treeState) string {
	var out []string
	if a.status != b.status {
		out = append(out, fmt.Sprintf("status %q, want %q", b.status, a.status))
	}
	var names []string
	for n := range a.files {
		names = append(names, n)
	}
	for n := range b.files {
		if _, ok := a.files[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if a.files[n] != b.files[n] {
			out = append(out, "install tree file "+n+" changed")
		}
	}
	return strings.Join(out, "; ")
}

// modulesDepOK checks each kernel's modules.dep against its modules.
func (f *faultSandbox) modulesDepOK() error {
	var problems []string
	kdirs, _ := filepath.Glob(filepath.Join(f.root, "modules", "*"))
	for _, kdir := range kdirs {
		problems = append(problems, modulesDepProblems(kdir)...)
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// faultCase is one action whose every side effect gets a fault in turn.
type faultCase struct {
	name  string
	setup func(f *faultSandbox)
	args  []string
	// steps is the number of side effects (see killCase); failed is how
	// many of the faults made the action fail (a fault after its last
	// write, before a removal or a rename, does not).
	steps, failed int
	// code is the exit status a fault before step i (of trace) makes the
	// action fail with: the reference's for the step that fails.
	code func(trace []string, i int) int
	// again is the exit status of a rerun that finds the action done
	// (see killCase), when the faulted run succeeded.
	again int
	// between are states (status listings) a failure may leave besides
	// the old one: those of the reference's intermediate steps.
	between []string
	// check, when set, is called on the sandbox after every rerun.
	check func(f *faultSandbox) error
}

// always is a faultCase.code for an action that fails with one status.
func always(code int) func([]string, int) int {
	return func([]string, int) int { return code }
}

// until is a faultCase.code: before for faults before the first step of
// the trace that mentions what, after for the others.
func until(what string, before, after int) func([]string, int) int {
	return func(trace []string, i int) int {
		for j, line := range trace {
			if strings.Contains(line, what) {
				if i < j+1 {
					return before
				}
				return after
			}
		}
		return -1
	}
}

func faultCases() []faultCase {
	k := []string{"-k", fakeK, "-a", "x86_64"}
	add := func(f *faultSandbox) { f.mustDkms("add", "hello/1.0") }
	build := func(f *faultSandbox) { f.mustDkms(append([]string{"build", "hello/1.0"}, k...)...) }
	install := func(f *faultSandbox) { f.mustDkms(append([]string{"install", "hello/1.0"}, k...)...) }
	return []faultCase{
		{name: "add", setup: func(f *faultSandbox) {}, args: []string{"add", "hello/1.0"}, again: 3,
			steps: 4, failed: 3, code: always(1)},
		{name: "build", setup: func(f *faultSandbox) { add(f); f.mountBuildDir(f.t, "hello") }, args: append([]string{"build", "hello/1.0"}, k...),
			steps: 11, failed: 8, again: 3, code: until("mkdir", 10, 7)}, // make, or the staging after it
		{name: "install", setup: func(f *faultSandbox) { add(f); build(f) }, args: append([]string{"install", "hello/1.0"}, k...),
			steps: 14, failed: 12, code: always(6)},
		{name: "uninstall", setup: func(f *faultSandbox) { add(f); build(f); install(f) }, args: append([]string{"uninstall", "hello/1.0"}, k...),
			steps: 16, failed: 8, code: until(tree.AsidePrefix+"kernel-", 1, 6)}, // a file, or the depmod that comes next
		{name: "autoinstall", setup: func(f *faultSandbox) { add(f); f.mountBuildDir(f.t, "hello") }, args: append([]string{"autoinstall"}, k...),
			steps: 25, failed: 23, code: always(11), between: []string{"hello/1.0, " + fakeK + ", x86_64: built\n"}},
		{name: "ldtarball", setup: func(f *faultSandbox) {
			add(f)
			build(f)
			f.mustDkms(append([]string{"mktarball", "hello/1.0", "--archive", filepath.Join(f.root, "hello.dkms.tar.gz")}, k...)...)
			f.mustDkms("remove", "hello/1.0", "--all")
			must(f.t, os.RemoveAll(filepath.Join(f.root, "src", "hello-1.0")))
		}, args: []string{"ldtarball", "--archive", "ARCHIVE"}, again: 8, steps: 19, failed: 15,
			code: func(trace []string, i int) int {
				switch i {
				case 1: // the reference's "Unable to make temporary directory."
					return 1
				case 2: // its unchecked tar leaves no dkms.conf to find
					return 3
				}
				return 1
			}, between: []string{"hello/1.0: added\n"}},
	}
}

// newFaultCase makes a fault sandbox with hello's source and original
// module and the case's setup done.
func newFaultCase(t *testing.T, bin string, c faultCase) *faultSandbox {
	f := newFaultSandbox(t, bin)
	f.addSource("hello")
	f.addOriginal("hello")
	c.setup(f)
	return f
}

// TestDiskFull fills every file system of the sandbox right before each
// side effect of each action in turn (the runner stops itself there, see
// run.StopAtEnv), so that each of its writes meets ENOSPC. A run that
// fails must say the disk is full and name the path, exit with the
// reference's status for the step, and leave the old state: status, the
// installed files, the originals and modules.dep as they were. After
// space is freed, the rerun completes. The test counts the faults it
// injected and the failures they caused, so it cannot pass vacuously.
func TestDiskFull(t *testing.T) {
	bin := dkmsBinary(t)
	for _, c := range faultCases() {
		t.Run(c.name, func(t *testing.T) {
			f := newFaultCase(t, bin, c)
			old, err := f.state()
			must(t, err)
			trace := filepath.Join(t.TempDir(), "trace")
			if out, err := f.dkms([]string{run.TraceEnv + "=" + trace}, f.args(c.args)...); err != nil {
				t.Fatalf("dkms %v: %v\n%s", c.args, err, out)
			}
			n := traceSteps(t, c.name, trace, c.steps)
			steps := traceLines(trace)
			done, err := f.state()
			must(t, err)
			injected, failed := 0, 0
			for i := 1; i <= n; i++ {
				fi := newFaultCase(t, bin, c)
				out, code, reached, ferr := fi.runFault(fi.args(c.args), nil, i, fi.fill)
				if !reached || ferr != nil {
					t.Errorf("step %d: no fault injected (reached %v): %v\n%s", i, reached, ferr, out)
					continue
				}
				injected++
				if code != 0 {
					failed++
				}
				if err := fi.checkFault(c, old, done, code, c.code(steps, i), out); err != nil {
					t.Errorf("fault at step %d: %v", i, err)
				}
				fi.free()
				if err := fi.checkRerun(c, done); err != nil {
					t.Errorf("fault at step %d: %v", i, err)
				}
			}
			t.Logf("%s: %d side effects, %d faults injected, %d made it fail", c.name, n, injected, failed)
			if injected != n || failed != c.failed {
				t.Errorf("%d faults injected, %d failures; want %d and %d", injected, failed, n, c.failed)
			}
		})
	}
}

// checkFault checks what a run with a fault left: the new state after a
// success; after a failure, the reference's status, a message naming the
// full disk and the path, and the old state.
func (f *faultSandbox) checkFault(c faultCase, old, done treeState, code, want int, out string) error {
	now, err := f.state()
	if err != nil {
		return fmt.Errorf("status: %v", err)
	}
	if code == 0 {
		if d := done.diff(now); d != "" {
			return fmt.Errorf("succeeded, but: %s", d)
		}
		return f.modulesDepOK()
	}
	var problems []string
	if code != want {
		problems = append(problems, fmt.Sprintf("exit %d, want %d", code, want))
	}
	if !strings.Contains(out, "No space left on device") || !strings.Contains(out, f.root+"/") {
		problems = append(problems, "the message does not say the disk is full or names no path")
	}
	if d := old.diff(now); d != "" && !slices.Contains(c.between, now.status) {
		problems = append(problems, d)
	}
	if err := f.modulesDepOK(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s\n%s", strings.Join(problems, "\n"), out)
	}
	return nil
}

// checkRerun runs the action again with space freed: it must complete
// and leave the new state and consistent trees.
func (f *faultSandbox) checkRerun(c faultCase, done treeState) error {
	out, err := f.dkms(nil, f.args(c.args)...)
	now, serr := f.state()
	if err != nil && (exitCode(err) != c.again || serr != nil || done.diff(now) != "") {
		return fmt.Errorf("rerun: %v\n%s", err, out)
	}
	if serr != nil || done.diff(now) != "" {
		return fmt.Errorf("after the rerun: %v %s", serr, done.diff(now))
	}
	if err := f.consistent(); err != nil {
		return err
	}
	if c.check != nil {
		return c.check(f)
	}
	return nil
}

// traceLines reads a runner trace: each side effect without its number.
func traceLines(trace string) []string {
	b, _ := os.ReadFile(trace)
	var out []string
	for line := range strings.Lines(string(b)) {
		_, what, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		out = append(out, what)
	}
	return out
}

// faultOnce is an action run once against a fault present from its
// start: its exit status, and the text its error must hold.
type faultOnce struct {
	name string
	args []string
	code int
	says string
	// between: as for faultCase.
	between []string
}

// faultOnceCases are the actions that write the install tree.
func faultOnceCases(says string, install, uninstall, auto int) []faultOnce {
	k := []string{"-k", fakeK, "-a", "x86_64"}
	return []faultOnce{
		{name: "install", args: append([]string{"install", "hello/1.0"}, k...), code: install, says: says},
		{name: "uninstall", args: append([]string{"uninstall", "hello/1.0"}, k...), code: uninstall, says: says},
		{name: "autoinstall", args: append([]string{"autoinstall"}, k...), code: auto, says: says,
			between: []string{"hello/1.0, " + fakeK + ", x86_64: built\n"}},
	}
}

// newOnceSandbox makes a fault sandbox with hello's source and original
// module, hello built (and, to uninstall it, installed), or only added
// for autoinstall.
func newOnceSandbox(t *testing.T, bin string, c faultOnce) *faultSandbox {
	f := newFaultSandbox(t, bin)
	f.addSource("hello")
	f.addOriginal("hello")
	k := []string{"-k", fakeK, "-a", "x86_64"}
	f.mustDkms("add", "hello/1.0")
	if c.name == "autoinstall" {
		return f
	}
	f.mustDkms(append([]string{"build", "hello/1.0"}, k...)...)
	if c.name == "uninstall" {
		f.mustDkms(append([]string{"install", "hello/1.0"}, k...)...)
	}
	return f
}

// runOnce runs c with the fault in place (env for the run, fault and
// heal around it) and checks the promises of TestDiskFull: the status,
// the message, the old state and a consistent modules.dep, then the
// rerun once healed.
func runOnce(t *testing.T, f *faultSandbox, c faultOnce, env []string, fault, heal func() error) {
	t.Helper()
	old, err := f.state()
	must(t, err)
	must(t, fault())
	out, err := f.dkms(env, c.args...)
	healErr := heal()
	must(t, healErr)
	now, serr := f.state()
	must(t, serr)
	if code := exitCode(err); code != c.code {
		t.Errorf("exit %d, want %d\n%s", code, c.code, out)
	}
	if !strings.Contains(out, c.says) || !strings.Contains(out, f.root+"/") {
		t.Errorf("the message does not say %q or names no path:\n%s", c.says, out)
	}
	if d := old.diff(now); d != "" && !slices.Contains(c.between, now.status) {
		t.Errorf("the old state changed: %s\n%s", d, out)
	}
	if err := f.modulesDepOK(); err != nil {
		t.Error(err)
	}
	if out, err := f.dkms(nil, c.args...); err != nil {
		t.Errorf("rerun: %v\n%s", err, out)
	}
	if err := f.consistent(); err != nil {
		t.Error(err)
	}
	if st, _ := f.status(); c.name != "uninstall" && !strings.HasSuffix(st, ": installed (Original modules exist)\n") {
		t.Errorf("after the rerun: %q", st)
	}
}

// TestReadOnlyInstallTree runs the actions that write the install tree
// while it is mounted read-only (EROFS): each fails with the reference's
// status, says which file system is read-only, leaves the old state; the
// rerun with the tree writable completes.
func TestReadOnlyInstallTree(t *testing.T) {
	bin := dkmsBinary(t)
	for _, c := range faultOnceCases("Read-only file system", 6, 1, 11) {
		t.Run(c.name, func(t *testing.T) {
			f := newOnceSandbox(t, bin, c)
			it := filepath.Join(f.root, "modules")
			remount := func(mode string) func() error {
				return func() error {
					out, err := exec.Command("mount", "-o", "remount,"+mode, it).CombinedOutput()
					return errOut(err, out)
				}
			}
			runOnce(t, f, c, nil, remount("ro"), remount("rw"))
		})
	}
}

// TestDepmodKilled runs the actions that end with depmod while depmod is
// killed (SIGKILL) each time: the same promises as TestDiskFull, with the
// rerun running the real depmod.
func TestDepmodKilled(t *testing.T) {
	bin := dkmsBinary(t)
	for _, c := range faultOnceCases("depmod", 6, 6, 11) {
		t.Run(c.name, func(t *testing.T) {
			f := newOnceSandbox(t, bin, c)
			bindir := t.TempDir()
			must(t, os.WriteFile(filepath.Join(bindir, "depmod"), []byte("#!/bin/sh\nkill -9 $$\n"), 0o755))
			env := []string{"PATH=" + bindir + ":" + os.Getenv("PATH")}
			nothing := func() error { return nil }
			runOnce(t, f, c, env, nothing, nothing)
		})
	}
}
