package tree

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lockHelperEnv makes the test binary take the lock of the tree it names,
// say so on stdout, and sleep until it is killed.
const lockHelperEnv = "DKMS_TREE_TEST_LOCK_HELPER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(lockHelperEnv); dir != "" {
		if _, err := (Layout{DKMS: dir}).Lock(context.Background(), "helper", time.Second, nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestLockSameProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dkms") // Lock creates the tree
	unlock, err := Layout{DKMS: dir}.Lock(t.Context(), "dkms build foo/1.0", time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	holder := fmt.Sprintf("pid %d: dkms build foo/1.0", os.Getpid())
	if b, _ := os.ReadFile(filepath.Join(dir, ".dkms.lock")); string(b) != holder+"\n" {
		t.Errorf("lock file holds %q, want %q", b, holder+"\n")
	}

	// A second Lock, from another goroutine with its own Layout value,
	// opens its own file description and so waits like another process.
	type result struct {
		err     error
		waited  []string
		elapsed time.Duration
	}
	done := make(chan result)
	go func() {
		var r result
		start := time.Now()
		_, r.err = Layout{DKMS: dir}.Lock(t.Context(), "second", 300*time.Millisecond, func(h string) { r.waited = append(r.waited, h) })
		r.elapsed = time.Since(start)
		done <- r
	}()
	r := <-done
	var le *LockError
	if !errors.As(r.err, &le) {
		t.Fatalf("second Lock: %v, want a *LockError", r.err)
	}
	if !errors.Is(r.err, ErrLockTimeout) {
		t.Error("LockError does not unwrap to ErrLockTimeout")
	}
	if le.Holder != holder || le.Path != filepath.Join(dir, ".dkms.lock") {
		t.Errorf("LockError = %+v, want holder %q", le, holder)
	}
	if le.Waited < 300*time.Millisecond || r.elapsed < 300*time.Millisecond {
		t.Errorf("gave up after %v (reported %v), before the timeout", r.elapsed, le.Waited)
	}
	if len(r.waited) != 1 || r.waited[0] != holder {
		t.Errorf("waiting called with %q, want once with the holder", r.waited)
	}
	if msg := le.Error(); !strings.HasPrefix(msg, "gave up after ") || !strings.HasSuffix(msg, "s waiting for "+le.Path+" held by "+holder) {
		t.Errorf("Error() = %q", msg)
	}

	unlock()
	if b, _ := os.ReadFile(filepath.Join(dir, ".dkms.lock")); len(b) != 0 {
		t.Errorf("lock file after unlock holds %q", b)
	}
	unlock2, err := Layout{DKMS: dir}.Lock(t.Context(), "third", 0, func(string) { t.Error("waited for a free lock") })
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock2()
}

func TestLockWaitsForRelease(t *testing.T) {
	l := Layout{DKMS: t.TempDir()}
	unlock, err := l.Lock(t.Context(), "first", time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(200*time.Millisecond, unlock)
	unlock2, err := l.Lock(t.Context(), "second", 5*time.Second, nil)
	if err != nil {
		t.Fatalf("Lock did not get the released lock: %v", err)
	}
	unlock2()
}

func TestLockContext(t *testing.T) {
	l := Layout{DKMS: t.TempDir()}
	unlock, err := l.Lock(t.Context(), "first", time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(150*time.Millisecond, cancel)
	if _, err := l.Lock(ctx, "second", time.Minute, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Lock = %v, want context.Canceled", err)
	}
}

func TestLockUnusableTree(t *testing.T) {
	root := t.TempDir()
	f := filepath.Join(root, "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (Layout{DKMS: filepath.Join(f, "dkms")}).Lock(t.Context(), "x", 0, nil); err == nil {
		t.Error("Lock under a regular file succeeded")
	}
}

// TestLockOtherProcess takes the lock in a child process, checks that it
// is seen as busy with the child's line, then kills the child and checks
// that the lock went with it.
func TestLockOtherProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len("locked\n"))
	if _, err := out.Read(buf); err != nil || string(buf) != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q, %v", buf, err)
	}
	_, err = Layout{DKMS: dir}.Lock(t.Context(), "parent", 200*time.Millisecond, nil)
	var le *LockError
	if want := fmt.Sprintf("pid %d: helper", cmd.Process.Pid); !errors.As(err, &le) || le.Holder != want {
		t.Errorf("Lock = %v, want a LockError held by %q", err, want)
	}
	cmd.Process.Kill()
	cmd.Wait()
	unlock, err := Layout{DKMS: dir}.Lock(t.Context(), "parent", time.Second, nil)
	if err != nil {
		t.Fatalf("lock of a killed process still held: %v", err)
	}
	unlock()
}
