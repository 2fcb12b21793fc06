// Package watch watches a working copy recursively and tells the engine
// which paths may have changed.
//
// The watcher is a hint; `git status` is the truth. It therefore errs on
// the side of reporting too much: a lost or overflowed event, a directory
// it could not watch, or a burst too big to list becomes Batch.Overflow,
// "check everything". What it must never do is miss a change silently, so:
//
//   - every directory under the root is watched, except .git, those the
//     caller skips and those git ignores (which are never read at all, so
//     a huge build/ or node_modules/ costs nothing);
//   - a directory created later is watched at once and then read, so files
//     written into it before its watch existed are reported too (the
//     classic `mkdir -p a/b && echo > a/b/f` race); a tree moved in from
//     elsewhere is read the same way;
//   - a directory removed or moved away loses its watches, so that a new
//     directory of the same name is watched afresh and a moved directory
//     is reported under its new name;
//   - a kernel queue overflow rebuilds all watches (a rename missed in the
//     overflow could otherwise leave a directory silently unwatched);
//   - hitting the operating system's watch limit is reported once in
//     Batch.Degraded with the command that raises it; the engine then
//     falls back to periodic scans while watching goes on for what is
//     already watched.
//
// One goroutine (Run) owns all state. Batches are coalesced the way
// syncthing's watch aggregator does it: the channel holds at most one
// batch and the loop keeps at most one more pending, so a busy consumer
// costs bounded memory and never blocks the loop. Debouncing (the quiet
// period) is the engine's business; batches are delivered promptly.
//
// On Linux this uses inotify through fsnotify, one watch per directory.
package watch
