//go:build unix

package legacy

import (
	"errors"
	"syscall"
)

// alive reports whether a process with this PID exists: signal 0 checks
// without sending anything. EPERM means it exists but belongs to another
// user (still running, so still a reason to refuse).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
