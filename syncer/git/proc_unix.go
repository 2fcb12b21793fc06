//go:build unix

package git

import (
	"os/exec"
	"syscall"
)

// prepare starts git in a session of its own: without a controlling
// terminal it (and ssh under it) cannot stop to ask for a password, and a
// Ctrl-C typed in autosync's terminal does not kill it halfway through
// writing the index; autosync cancels it through the context instead. A
// cancellation sends SIGTERM to the whole group (git, ssh, hooks), which
// lets git remove its lock files before it exits.
func prepare(x *exec.Cmd) {
	x.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	x.Cancel = func() error {
		if x.Process == nil {
			return nil
		}
		// With Setsid the process group id is git's pid.
		if err := syscall.Kill(-x.Process.Pid, syscall.SIGTERM); err != nil {
			return x.Process.Signal(syscall.SIGTERM)
		}
		return nil
	}
}
