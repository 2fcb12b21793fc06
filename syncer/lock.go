package syncer

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrHeld is returned by Lock when another process syncs the folder.
var ErrHeld = errors.New("folder is already synced by another autosync")

// HeldError says which process holds a folder's lock.
type HeldError struct {
	Folder string
	PID    int // 0 when unknown
}

func (e *HeldError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("%s is already synced by another autosync (PID %d); stop that one first, or leave this folder out", e.Folder, e.PID)
	}
	return fmt.Sprintf("%s is already synced by another autosync; stop that one first, or leave this folder out", e.Folder)
}

func (e *HeldError) Unwrap() error { return ErrHeld }

// InstanceLock is an exclusive lock on one folder, held for the life of the
// process (one instance per folder). The operating system releases it when
// the process dies, so a crash never leaves a stale lock.
type InstanceLock struct {
	f *os.File
}

// Lock takes the instance lock file at path (inside the git directory) for
// folder, and writes our PID into it. If another process holds it, the
// error is a *HeldError naming that process.
func Lock(path, folder string) (*InstanceLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", folder, err)
	}
	if err := lockFile(f); err != nil {
		b, _ := os.ReadFile(path)
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		f.Close()
		return nil, &HeldError{Folder: folder, PID: pid}
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &InstanceLock{f: f}, nil
}

// Release gives the lock up. The file stays (removing it would race with a
// process that just opened it); it is empty once released.
func (l *InstanceLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
