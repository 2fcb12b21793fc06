//go:build !linux

package watch

import (
	"errors"
	"fmt"
	"syscall"
)

// isWatchLimit reports whether err from adding a watch means a limit on
// watches (on BSD and macOS: open files, one per watched path) is reached.
func isWatchLimit(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// watchLimitMessage explains the watch limit and how to raise it.
func watchLimitMessage(scan string) string {
	return "too many files and directories to watch (open file limit reached): raise the limit " +
		"(`ulimit -n` in the shell that starts autosync, or launchctl limit maxfiles on macOS); " +
		"until then changes are found by a scan " + scan
}

// startFailureMessage explains why the watcher could not start at all.
func startFailureMessage(err error, scan string) string {
	return fmt.Sprintf("cannot watch for changes (%v); until then changes are found by a scan %s", err, scan)
}
