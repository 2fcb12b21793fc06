// Package git runs the git command line for autosync and implements the
// engine's Repository interface (Check, Stage, Commit, Pull, Push, Status,
// Log, Conflicts, RemoteURL) over a real working copy. It needs git 2.31 or
// newer on PATH.
//
// # Running git
//
// git runs as a subprocess with an argument list, never through a shell;
// paths go after "--" or through --pathspec-from-file with
// --literal-pathspecs, so a file named "*.md" or ":x" is only that file.
// The environment is the user's own (ssh-agent, credential helpers, hooks,
// git-lfs and GIT_SSH_COMMAND keep working) plus LC_ALL=C, so that the
// messages can be classified, and GIT_TERMINAL_PROMPT=0. On Unix git runs in
// a session of its own: it cannot ask for a password on a terminal, and a
// Ctrl-C typed there does not kill it halfway through writing the index.
// Cancelling the context sends it SIGTERM, on which git removes its lock
// files. Every command has a timeout (Options.Timeout,
// Options.NetworkTimeout). Reads made only to show state use
// --no-optional-locks, so that they never compete with the user's git.
//
// A failed command is an *Error carrying git's standard error and a Kind;
// errors.Is(err, vcs.ErrOffline), vcs.ErrRejected, vcs.ErrLocked and
// vcs.ErrDirtyTree work on it. Authentication and identity failures come
// back as a *vcs.NeedsUserError whose hint says what to do.
//
// # Integration and conflicts
//
// Pull fetches the upstream branch and fast-forwards when it can, else makes
// a merge commit "autosync on DEVICE: merge from origin/main". Text files
// changed in different places on the two machines are merged by git as
// usual: both edits are kept in the one file and no copy is made. This is
// deliberate: it is what the user would get from git by hand, and what
// dvcs-autosync did. Where git cannot merge (the same lines changed,
// binary files, both sides added the same name), the remote version keeps
// the file's name and this machine's version is written beside it as
//
//	name (conflict from DEVICE 2006-01-02 150405).ext
//
// (the time is the merge's, in local time; ".bashrc" becomes
// ".bashrc (conflict from ...)"; " 2", " 3"... are added before the closing
// parenthesis if that name is taken). A file changed on one side and
// deleted on the other keeps the changed version. A file on one side where
// the other has a folder of that name is saved as a conflict copy beside the
// folder. Resolutions are written
// from the blobs git recorded for each side (with the file mode, executable
// bit and symbolic links kept), so conflict markers never reach a commit;
// a final check refuses the merge if a staged file gained marker lines that
// neither side had.
//
// While a merge runs, a marker file in the git directory (autosync-merge)
// says it is autosync's. If anything fails the merge is aborted, even when
// the context was cancelled; if autosync itself dies mid-merge, the next
// Check finds the marker and aborts it. A merge, rebase or other operation
// the user started is never touched: Check reports it with the command that
// finishes it.
// Two histories with no commit in common (most likely a folder pointed at
// the wrong remote) are not merged either.
//
// A stale index.lock (left by a git that crashed) is removed by Check only
// when no git process runs in the repository: on Linux it looks at
// /proc/*/cwd; elsewhere it waits until the lock is ten minutes old.
//
// When autosync is told to stop during a merge, git merge itself gets a
// grace period (git updates the working tree before it records the merge,
// so killing it halfway would leave changed files and no merge to abort);
// the steps after it are cancelled and the merge is aborted.
//
// # What is committed
//
// Stage reads git status once and stages everything git would show, in one
// git add call: additions, modifications, deletions and moves (reported as
// renames). git's own ignore rules apply as git applies them; on top of
// them Options.Ignored filters untracked paths (editor and OS temp files,
// the folder's ignore patterns), and files larger than Options.MaxFileSize
// are left out and reported, unless git-lfs stores them. Submodules and
// repositories nested in the folder are not synced.
//
// Open accepts only the top of a working copy: syncing a subfolder would
// commit changes outside it.
package git
