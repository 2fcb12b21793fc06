// Package legacy runs dvcs-autosync's [dvcs] command templates, so that a
// folder synced with Mercurial (or any tool the templates name) keeps
// working unchanged under autosync's engine, and guards a legacy config
// with dvcs-autosync's PID file.
//
// # Templates
//
// A template runs as dvcs-autosync ran it: the value is split on newlines
// into commands run in order; each command is split on spaces, with no
// quoting; each token that is exactly %s takes the next argument, the count
// carrying on across lines; paths are absolute and the working directory
// is the configured path. No shell is involved, except for statuscmd,
// which runs with sh -c (cmd /C on Windows) and whose exit status 0 means
// "nothing to commit". Differences from the old tool, all deliberate: an
// empty template does nothing (the old one crashed), runs of spaces are
// one separator (it passed empty arguments), a template that wants more %s
// than it is given is an error, and messages are asked for in English
// (LANGUAGE=C, LC_MESSAGES=C) so that failures can be classified.
//
// # Mapping to the engine
//
// Repo implements the engine's Repository and Hinter. The engine batches
// changes (one commit per quiet period, not one per file as the old tool
// made), then Stage runs, for each path the watcher reported, addcmd and
// modifycmd when it exists; for a path that is gone, rmcmd for tools
// autosync does not know, and startupcmd for Mercurial and git ("hg
// remove" and "git rm" delete from the working tree, so a file the user
// re-created between the check and the command would be lost, the race
// dvcs-autosync's users reported; "hg addremove" and "git add -A" only
// record what is gone). startupcmd also runs when everything must be
// looked at (start, overflow, Sync now, after a pull, a scan without
// hints) and when a per-path command failed. movecmd is never run: a move
// is the deletion of one path and the addition of another. statuscmd then
// decides whether Commit (commitcmd) runs.
//
// Pull runs pullcmd, Push pushcmd. Output that says the remote cannot be
// reached becomes vcs.ErrOffline (the engine retries with backoff), a push
// refused for new remote commits vcs.ErrRejected (the engine pulls and
// pushes again), refused credentials a NeedsUser error. After a pull, the
// next Stage runs startupcmd, like the old "conservative" pull lock.
//
// # What differs from the native git engine
//
//   - Which tool runs is known from the first word of pullcmd: hg, git, or
//     anything else. Only Mercurial and git are understood beyond the
//     templates (status, heads, merges, logs); for any other tool autosync
//     knows only what the templates say: no history in the tray, "ahead"
//     means "committed since the last successful push", and a pull that
//     leaves the tool mid-merge is the tool's business.
//   - Mercurial: "hg pull -u" leaves two heads when both machines
//     committed. Pull then merges them (hg merge --tool :fail, so that no
//     file gets conflict markers) and settles every file both sides
//     changed by keeping the other machine's version under the name and
//     this machine's beside it as "name (conflict from DEVICE YYYY-MM-DD
//     HHMMSS).ext"; a change beats a deletion. The git engine lets git
//     merge text edits in different places of one file; here any file
//     both sides changed gets a conflict copy. The merge commit is made
//     with commitcmd. A marker file .hg/autosync-merge says a merge in
//     progress is autosync's; Check aborts such a merge if autosync died
//     in it, and refuses any other merge, rebase, graft or interrupted
//     update with a message saying how to finish it.
//   - Mercurial "ahead" is the draft changesets of the working copy's
//     ancestry; pushing to a publishing repository (Mercurial's default)
//     makes them public. Pushing to a non-publishing repository leaves
//     them draft, so autosync shows them as unpushed.
//   - git templates that are not git's defaults (the defaults make the
//     native engine run instead): a pull that stops on a conflict is
//     aborted (git merge --abort) and reported as needing the user, since
//     the templates cannot keep both versions.
//   - Before pullcmd runs, uncommitted changes to tracked files make Pull
//     return vcs.ErrDirtyTree, so that the tool's update never merges
//     into unsaved work; the engine commits and pulls again.
//   - Ignore patterns: the watcher skips them, so the per-path commands
//     never see them, but startupcmd ("hg addremove", "git add -A") adds
//     what the tool itself does not ignore; put such files in .hgignore or
//     .gitignore.
//   - Large files are not held back (max_file_size applies to the native
//     engine only).
//
// # PID file
//
// WritePIDFile writes the process's PID to dvcs-autosync's pidfile
// (default: the config file name plus ".pid") and refuses to start when
// the file names a live process; a file left by a dead process is
// replaced. Liveness is checked with signal 0 on Unix and OpenProcess on
// Windows (the old tool looked in /proc, so its guard did nothing on
// macOS and Windows). Remove deletes the file only while it holds our PID.
package legacy
