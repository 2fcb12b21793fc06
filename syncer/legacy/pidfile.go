package legacy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// ErrRunning is wrapped by the error WritePIDFile returns when the PID
// file names a live process.
var ErrRunning = errors.New("already running")

// RunningError says which process holds a PID file.
type RunningError struct {
	Path string // the PID file
	PID  int
}

func (e *RunningError) Error() string {
	what := "PID file " + e.Path
	if cfg, ok := strings.CutSuffix(e.Path, ".pid"); ok {
		what = "config " + cfg
	}
	return fmt.Sprintf("dvcs-autosync/autosync already running with %s under PID %d; stop it first (if no such program runs under PID %d, delete %s)",
		what, e.PID, e.PID, e.Path)
}

func (e *RunningError) Unwrap() error { return ErrRunning }

// PIDFile is dvcs-autosync's guard against two instances with one config:
// a file holding the PID of the process that runs it.
type PIDFile struct {
	path   string
	pid    int
	notice string
}

// WritePIDFile writes our PID to path (without a trailing newline, as
// dvcs-autosync did). If the file names a live process, the error is a
// *RunningError naming it; a file left by a dead process, or holding
// anything but a PID, is replaced, and Replaced says so.
func WritePIDFile(path string) (*PIDFile, error) {
	p := &PIDFile{path: path, pid: os.Getpid()}
	data := []byte(strconv.Itoa(p.pid))
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, werr := f.Write(data)
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(path)
				return nil, fmt.Errorf("write PID file %s: %w", path, werr)
			}
			return p, nil
		}
		if !errors.Is(err, fs.ErrExist) || attempt > 0 {
			return nil, fmt.Errorf("write PID file %s: %w; fix its folder's permissions or set pidfile in the config", path, err)
		}
		old, rerr := os.ReadFile(path)
		if rerr != nil {
			return nil, fmt.Errorf("read PID file %s: %w", path, rerr)
		}
		pid, perr := strconv.Atoi(strings.TrimSpace(string(old)))
		switch {
		case perr != nil || pid <= 0:
			p.notice = fmt.Sprintf("PID file %s held %q, not a PID; replaced it", path, tail(strings.TrimSpace(string(old)), 40))
		case alive(pid):
			return nil, &RunningError{Path: path, PID: pid}
		default:
			p.notice = fmt.Sprintf("PID file %s was left by PID %d, which is no longer running; replaced it", path, pid)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("remove stale PID file %s: %w", path, err)
		}
	}
}

// Path is the PID file's path.
func (p *PIDFile) Path() string { return p.path }

// Replaced is a message for the log when WritePIDFile replaced a stale
// file, else "".
func (p *PIDFile) Replaced() string { return p.notice }

// Remove deletes the PID file if it still holds our PID (another instance
// may have replaced it after deciding ours was stale). Removing twice is
// not an error.
func (p *PIDFile) Remove() error {
	if p == nil {
		return nil
	}
	data, err := os.ReadFile(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove PID file: %w", err)
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err != nil || pid != p.pid {
		return nil
	}
	if err := os.Remove(p.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove PID file: %w", err)
	}
	return nil
}
