//go:build !linux

package git

import "time"

// staleAfter is how old an index.lock must be before it is considered left
// by a crash where the running processes cannot be inspected. Ten minutes is
// arbitrary: far longer than any git command autosync itself runs locally.
const staleAfter = 10 * time.Minute

// gitRunningIn cannot list processes portably here; it says a git process
// may be running unless the lock is older than staleAfter.
func gitRunningIn(_ []string, lockTime time.Time) bool {
	return time.Since(lockTime) < staleAfter
}
