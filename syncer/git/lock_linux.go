package git

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// gitRunningIn reports whether a git process is running with its working
// directory inside one of dirs (the working tree or the git directory), by
// reading /proc. A process we may not inspect counts as not running there:
// on a desktop, the git processes that matter are the user's own.
func gitRunningIn(dirs []string, _ time.Time) bool {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		// No /proc to look at: be careful and keep the lock.
		return true
	}
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil || !strings.HasPrefix(string(comm), "git") {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil {
			continue
		}
		for _, d := range dirs {
			if within(cwd, d) {
				return true
			}
		}
	}
	return false
}
