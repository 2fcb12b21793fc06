package watch

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// isWatchLimit reports whether err from adding a watch means the kernel's
// per-user limit on inotify watches is reached.
func isWatchLimit(err error) bool { return errors.Is(err, syscall.ENOSPC) }

// watchLimitMessage explains the watch limit and the command that raises
// it. scan describes the fallback ("every 30s").
func watchLimitMessage(scan string) string {
	limit := readSysctl("max_user_watches")
	// 524288 is the value most distributions and editors recommend; if
	// the limit is already that high, suggest doubling it.
	suggest := 524288
	if limit >= suggest {
		suggest = 2 * limit
	}
	return fmt.Sprintf("too many directories to watch (inotify limit fs.inotify.max_user_watches=%s reached): "+
		"run `sudo sysctl fs.inotify.max_user_watches=%d` (and add it to /etc/sysctl.d/ to keep it); "+
		"until then changes are found by a scan %s", limitString(limit), suggest, scan)
}

// startFailureMessage explains why the watcher could not start at all.
func startFailureMessage(err error, scan string) string {
	if errors.Is(err, syscall.EMFILE) {
		limit := readSysctl("max_user_instances")
		suggest := 1024
		if limit >= suggest {
			suggest = 2 * limit
		}
		return fmt.Sprintf("cannot watch for changes (inotify limit fs.inotify.max_user_instances=%s reached, "+
			"or this process has too many open files): run `sudo sysctl fs.inotify.max_user_instances=%d` "+
			"(and add it to /etc/sysctl.d/ to keep it); until then changes are found by a scan %s",
			limitString(limit), suggest, scan)
	}
	return fmt.Sprintf("cannot watch for changes (%v); until then changes are found by a scan %s", err, scan)
}

// readSysctl reads /proc/sys/fs/inotify/name, or -1.
func readSysctl(name string) int {
	b, err := os.ReadFile("/proc/sys/fs/inotify/" + name)
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return n
}

func limitString(n int) string {
	if n < 0 {
		return "?"
	}
	return strconv.Itoa(n)
}
