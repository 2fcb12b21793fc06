package syncer

import (
	"context"
	"time"

	"github.com/autosync-dev/autosync/syncer/vcs"
)

// VCS is what the engine needs from a working copy. The native
// implementation is *git.Repo; the legacy [dvcs] command templates are
// another. Only the folder's own goroutine calls these methods, one at a
// time. Every method honours ctx (a cancelled ctx aborts the subprocess).
//
// Errors the engine decides on (see package vcs): ErrOffline (retry with
// backoff), ErrRejected (pull, then push again), ErrDirtyTree (commit first),
// ErrLocked (retry soon), *vcs.NeedsUserError (state Error until a later
// Check passes). Anything else is shown as an error and retried with backoff.
type VCS interface {
	// Check verifies that the repository may be synced now: not mid-merge or
	// mid-rebase (except a merge autosync itself left, which it aborts), on a
	// branch, with an upstream, with an author identity. It also removes a
	// stale index.lock when no git process is running in the repository.
	Check(ctx context.Context) error
	// Stage stages every change that should be committed and reports what it
	// staged and what it left out (ignored by the folder's patterns: not
	// reported; too big: reported as skipped). Git's own ignore rules apply
	// as git applies them. An empty result means there is nothing to commit.
	Stage(ctx context.Context) ([]vcs.Change, []vcs.Skipped, error)
	// Commit commits what is staged with message. Changes made to the
	// working tree after Stage are not in the commit; they stay for the next.
	Commit(ctx context.Context, message string) (vcs.Commit, error)
	// Pull fetches the upstream and integrates it: fast-forward when
	// possible, else a merge. A file changed on both sides keeps the remote
	// version under its name and the local one beside it as a conflict copy
	// named after device and now; a modification beats a deletion. The
	// repository is never left mid-merge and conflict markers are never
	// committed. Uncommitted changes that the merge would overwrite give
	// ErrDirtyTree and nothing is changed.
	Pull(ctx context.Context, device string, now time.Time) (vcs.PullResult, error)
	// Push pushes the branch to its upstream, never forcing.
	Push(ctx context.Context) error
}

// Inspector reads what the engine shows. Same calling rules as VCS.
type Inspector interface {
	// Status reports branch, head and ahead/behind as of the last fetch.
	Status(ctx context.Context) (vcs.Status, error)
	// Log returns the last n commits of the branch, newest first.
	Log(ctx context.Context, n int) ([]vcs.Commit, error)
	// Conflicts lists the conflict copies present in the working tree.
	Conflicts(ctx context.Context) ([]vcs.Conflict, error)
	// RemoteURL is the URL of the upstream remote, for announcements.
	RemoteURL(ctx context.Context) (string, error)
}

// Repository is everything a folder needs from its working copy.
type Repository interface {
	VCS
	Inspector
}

// Prompter asks the user for a commit message. CommitMessage shows the
// generated message for editing and returns what the user confirmed; it
// returns generated (and no error) on Cancel, on an empty answer, on timeout
// and when no dialog can be shown. It must return once ctx is done.
type Prompter interface {
	CommitMessage(ctx context.Context, folder, generated string) (string, error)
}

// Hinter is implemented by back ends that stage path by path (the legacy
// [dvcs] command templates: addcmd, rmcmd, ...) rather than from a status of
// the whole tree. Before each Stage the engine calls Hint with the paths the
// watcher reported since the last Stage (relative, slash-separated); all is
// true when they are unknown or too many (start, overflow, Sync now, after a
// pull), and the back end must then look at everything.
type Hinter interface {
	Hint(paths []string, all bool)
}
