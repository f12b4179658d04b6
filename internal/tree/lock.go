package tree

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// ErrLockTimeout is returned when another run held the tree lock for longer
// than the caller was willing to wait.
var ErrLockTimeout = errors.New("timed out waiting for the dkms tree lock")

// LockError says who held the lock when waiting gave up.
type LockError struct {
	Path   string
	Holder string // what the holder wrote into the lock file
	Waited time.Duration
}

func (e *LockError) Error() string {
	return fmt.Sprintf("gave up after %s waiting for %s held by %s", e.Waited.Round(time.Second), e.Path, e.Holder)
}

func (e *LockError) Unwrap() error { return ErrLockTimeout }

// Lock takes the exclusive lock of the tree, the restic way:
// `unlock, err := l.Lock(...); defer unlock()`. The lock is an flock on
// DT/.dkms.lock, so it vanishes with the process however the process ends;
// the file keeps a line saying who holds it, so a waiter can tell the user
// what it waits for. waiting is called once if the lock is busy.
func (l Layout) Lock(ctx context.Context, who string, timeout time.Duration, waiting func(holder string)) (unlock func(), err error) {
	if err := os.MkdirAll(l.DKMS, 0o755); err != nil {
		return nil, fmt.Errorf("creating dkms tree: %w", err)
	}
	path := l.LockFile()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock: %w", err)
	}
	start := time.Now()
	told := false
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		holder := readHolder(path)
		if !told && waiting != nil {
			waiting(holder)
			told = true
		}
		if time.Since(start) >= timeout {
			f.Close()
			return nil, &LockError{Path: path, Holder: holder, Waited: time.Since(start)}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	f.Truncate(0)
	f.WriteAt([]byte(fmt.Sprintf("pid %d: %s\n", os.Getpid(), who)), 0)
	return func() {
		f.Truncate(0)
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func readHolder(path string) string {
	b, _ := os.ReadFile(path)
	if s := strings.TrimSpace(string(b)); s != "" {
		return s
	}
	return "another dkms run"
}
