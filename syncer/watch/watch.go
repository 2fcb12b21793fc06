package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// MaxPaths bounds the paths of one Batch. Beyond it the list is dropped and
// Overflow set: the engine checks everything anyway, and a list of 10k
// paths would only cost memory. The number is arbitrary.
const MaxPaths = 1000

// eventBuffer is fsnotify's channel buffer. With a buffer the loop can take
// a kernel read's worth of events in one go and hand them on as one batch;
// the kernel's own queue (fs.inotify.max_queued_events) still absorbs
// bursts beyond it. The number is arbitrary.
const eventBuffer = 4096

// gatherWindow is how long the first change of a batch waits for more
// before the batch is offered. It is not a quiet period (later changes do
// not extend it; the engine debounces): it only keeps a burst of 10k files
// from becoming 10k batches when the consumer is fast. Short next to any
// commit delay; otherwise arbitrary.
const gatherWindow = 50 * time.Millisecond

// ErrWatchLimit is wrapped by Batch.Degraded when the operating system's
// limit on watches is reached.
var ErrWatchLimit = errors.New("watch limit reached")

// ErrCannotWatch is wrapped by Batch.Degraded when watching could not start
// at all (for example no inotify instance was left).
var ErrCannotWatch = errors.New("cannot watch for changes")

// Options configure a Watcher.
type Options struct {
	// Root is the top of the working copy.
	Root string
	// Skip reports paths (slash-separated, relative to Root) to ignore
	// entirely: events for them are dropped and directories are not
	// watched. A ".git" path component is always skipped. nil = none.
	// Called from the watcher's goroutine only.
	Skip func(rel string, isDir bool) bool
	// GitIgnored checks a batch of directory paths (relative,
	// slash-separated) against git's own ignore rules (one `git
	// check-ignore --stdin` call on the caller's side) and returns one
	// answer per path; ignored ones are not watched. nil = none. An error
	// is logged and treated as "not ignored".
	GitIgnored func(ctx context.Context, rels []string) ([]bool, error)
	// Logger receives WARN for directories that cannot be watched and
	// DEBUG for the rest. nil discards.
	Logger *slog.Logger
	// ScanInterval is how often the engine scans when watching is
	// degraded. It is only used in the Degraded message; 0 says
	// "periodically".
	ScanInterval time.Duration
}

// Batch is one delivery of changes.
type Batch struct {
	// Paths are the changed paths, relative to Root and slash-separated,
	// without duplicates, at most MaxPaths. Directories are listed too. It
	// is nil when Overflow is set.
	Paths []string
	// Overflow means "check everything": the kernel queue overflowed, too
	// many paths changed to list, or a directory could not be watched.
	Overflow bool
	// At is when the last event of the batch was read.
	At time.Time
	// Degraded is non-nil once, when watching fell back to periodic scans
	// (the watch limit was reached, or watching could not start). Its
	// message says how to fix it; it wraps ErrWatchLimit or
	// ErrCannotWatch.
	Degraded error
}

// Watcher watches a directory tree. Create it with New, run it with Run,
// read Batches.
type Watcher struct {
	root       string
	skip       func(string, bool) bool
	gitIgnored func(context.Context, []string) ([]bool, error)
	log        *slog.Logger
	scan       string

	out     chan Batch
	ready   chan struct{}
	watches atomic.Int64
	started atomic.Bool

	// Test hooks, nil in production: addHook runs before each watch is
	// added and can fail it; eventHook sees every event the loop reads.
	addHook   func(path string) error
	eventHook func(fsnotify.Event)

	// Everything below is owned by the Run goroutine.
	window    time.Duration // gatherWindow; 0 in tests that need one batch per drain
	gather    *time.Timer   // runs while a batch gathers; nil until first used
	gathering bool          // gather is running
	gathered  bool          // the pending batch may be offered
	fsw       *fsnotify.Watcher
	dirs      map[string]struct{} // watched directories ("" is Root)
	unwatched map[string]struct{} // directories skipped or gitignored
	newDirs   []string            // created directories to watch after the current drain

	paths      []string
	seen       map[string]struct{}
	overflow   bool
	degraded   error // waiting to be delivered
	wasDegrade bool  // Degraded was already reported once
	last       time.Time
}

// New checks opts and returns a Watcher; nothing is watched before Run.
func New(opts Options) (*Watcher, error) {
	if opts.Root == "" {
		return nil, errors.New("watch: no root directory given")
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", opts.Root, err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", root, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("watch %s: not a directory", root)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	scan := "periodically"
	if opts.ScanInterval > 0 {
		scan = "every " + opts.ScanInterval.String()
	}
	return &Watcher{
		root:       root,
		skip:       opts.Skip,
		gitIgnored: opts.GitIgnored,
		log:        log,
		scan:       scan,
		window:     gatherWindow,
		out:        make(chan Batch, 1),
		ready:      make(chan struct{}),
		dirs:       make(map[string]struct{}),
		unwatched:  make(map[string]struct{}),
		seen:       make(map[string]struct{}),
	}, nil
}

// Batches delivers changes. The channel holds at most one batch; while it
// is full, changes accumulate into one pending batch that is delivered as
// soon as the consumer takes the previous one. It is never closed.
func (w *Watcher) Batches() <-chan Batch { return w.out }

// Ready is closed when the initial watches are set up (or failed to be).
// Changes made before that may not be reported: scan once after Ready.
func (w *Watcher) Ready() <-chan struct{} { return w.ready }

// Watches returns the number of watched directories. Safe from any
// goroutine.
func (w *Watcher) Watches() int { return int(w.watches.Load()) }

// Run sets up the watches, then delivers batches until ctx is done; it
// returns nil then. It may be called once. Problems watching are reported
// in batches (Overflow, Degraded), not as errors: Run returns an error only
// when the event source broke down for good.
func (w *Watcher) Run(ctx context.Context) error {
	if !w.started.CompareAndSwap(false, true) {
		return errors.New("watch: Run called twice")
	}
	defer func() {
		if w.fsw != nil {
			w.fsw.Close()
		}
		if w.gather != nil {
			w.gather.Stop()
		}
	}()
	if err := w.start(ctx); err != nil {
		// Without any watcher the engine's periodic scan is all there is.
		w.log.Error("cannot watch for changes", "err", err)
		w.degrade(&degradedError{msg: startFailureMessage(err, w.scan), err: errors.Join(ErrCannotWatch, err)})
	}
	close(w.ready)
	return w.loop(ctx)
}

// start creates the fsnotify watcher and watches the tree.
func (w *Watcher) start(ctx context.Context) error {
	fsw, err := fsnotify.NewBufferedWatcher(eventBuffer)
	if err != nil {
		return err
	}
	w.fsw = fsw
	clear(w.dirs)
	clear(w.unwatched)
	w.watches.Store(0)
	w.watchTrees(ctx, []string{""}, false)
	w.log.Debug("watching", "root", w.root, "directories", len(w.dirs))
	return nil
}

func (w *Watcher) loop(ctx context.Context) error {
	for {
		var events <-chan fsnotify.Event
		var errs <-chan error
		if w.fsw != nil {
			events, errs = w.fsw.Events, w.fsw.Errors
		}
		var out chan<- Batch
		var gathered <-chan time.Time
		if w.hasPending() {
			switch {
			case w.window <= 0 || w.gathered:
				out = w.out
			case !w.gathering:
				if w.gather == nil {
					w.gather = time.NewTimer(w.window)
				} else {
					w.gather.Reset(w.window)
				}
				w.gathering = true
				fallthrough
			default:
				gathered = w.gather.C
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return errors.New("watch: event source closed unexpectedly")
			}
			w.handle(ev)
			w.drain(ctx, events, errs)
		case err, ok := <-errs:
			if !ok {
				return errors.New("watch: event source closed unexpectedly")
			}
			w.handleError(ctx, err)
			w.drain(ctx, events, errs)
		case <-gathered:
			w.gathering, w.gathered = false, true
		case out <- w.pending():
			w.reset()
		}
	}
}

// drain handles the events that are already waiting, so that a burst
// becomes one batch, then watches the directories they created.
func (w *Watcher) drain(ctx context.Context, events <-chan fsnotify.Event, errs <-chan error) {
more:
	for range eventBuffer {
		select {
		case ev, ok := <-events:
			if !ok {
				break more // the loop sees it next
			}
			w.handle(ev)
		case err, ok := <-errs:
			if !ok {
				break more
			}
			w.handleError(ctx, err)
		default:
			break more
		}
	}
	if len(w.newDirs) > 0 {
		dirs := w.newDirs
		w.newDirs = nil
		w.watchTrees(ctx, dedupe(dirs), true)
	}
}

// handle turns one event into paths and watch changes.
func (w *Watcher) handle(ev fsnotify.Event) {
	if w.eventHook != nil {
		w.eventHook(ev)
	}
	w.last = time.Now()
	rel, ok := w.rel(ev.Name)
	if !ok {
		return
	}
	if rel == "" {
		if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
			w.log.Warn("the watched folder itself was removed or moved", "root", w.root)
			w.setOverflow()
		}
		return
	}
	if inGitDir(rel) {
		return
	}
	gone := ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)
	if _, ok := w.unwatched[rel]; ok {
		if gone {
			delete(w.unwatched, rel)
			return
		}
		if !ev.Has(fsnotify.Create) {
			return
		}
		delete(w.unwatched, rel) // created anew: decide again below
	}
	_, isDir := w.dirs[rel]
	if gone && isDir {
		w.unwatchTree(rel)
	}
	created := false
	if ev.Has(fsnotify.Create) {
		// Lstat, not Stat: a symlink to a directory is a file to git.
		if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() {
			isDir, created = true, true
		}
	}
	if w.skip != nil && w.skip(rel, isDir) {
		if isDir {
			w.unwatched[rel] = struct{}{}
		}
		return
	}
	if created {
		w.newDirs = append(w.newDirs, rel)
	}
	w.addPath(rel)
}

func (w *Watcher) handleError(ctx context.Context, err error) {
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		// Events were lost, possibly the renames that keep watches
		// right; start over with fresh watches.
		w.log.Warn("too many changes at once, events were lost; checking everything", "root", w.root)
		w.setOverflow()
		w.rewatch(ctx)
		return
	}
	w.log.Warn("watching for changes", "root", w.root, "err", err)
	w.setOverflow()
}

// rewatch replaces the fsnotify watcher and watches the whole tree again.
func (w *Watcher) rewatch(ctx context.Context) {
	if w.fsw != nil {
		w.fsw.Close()
		w.fsw = nil
	}
	w.newDirs = nil
	if err := w.start(ctx); err != nil {
		w.log.Error("cannot watch for changes", "err", err)
		w.degrade(&degradedError{msg: startFailureMessage(err, w.scan), err: errors.Join(ErrCannotWatch, err)})
	}
}

// watchTrees watches the directories rels and everything below them,
// level by level so that each level's directories go to GitIgnored in one
// call. Each directory is read after its watch exists, so nothing created
// in between is missed; with report set, what is read is reported.
func (w *Watcher) watchTrees(ctx context.Context, rels []string, report bool) {
	level := rels
	for len(level) > 0 && ctx.Err() == nil {
		level = w.filterGitIgnored(ctx, level)
		var next []string
		for _, rel := range level {
			abs := w.abs(rel)
			if err := w.add(abs); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue // gone already; its parent reports that
				}
				if isWatchLimit(err) {
					w.log.Error("watch limit reached", "root", w.root, "directories", len(w.dirs), "err", err)
					w.degrade(&degradedError{msg: watchLimitMessage(w.scan), err: errors.Join(ErrWatchLimit, err)})
					if report {
						// New directories went unwatched and unread:
						// the engine must look for itself.
						w.setOverflow()
					}
					return
				}
				w.log.Warn("cannot watch directory; checking everything", "dir", abs, "err", err)
				w.setOverflow()
				continue
			}
			if _, ok := w.dirs[rel]; !ok {
				w.dirs[rel] = struct{}{}
				w.watches.Add(1)
			}
			entries, err := os.ReadDir(abs)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				w.log.Warn("cannot read directory; checking everything", "dir", abs, "err", err)
				w.setOverflow()
			}
			for _, e := range entries {
				crel := e.Name()
				if rel != "" {
					crel = rel + "/" + crel
				}
				if e.Name() == ".git" {
					continue
				}
				isDir := e.IsDir()
				if w.skip != nil && w.skip(crel, isDir) {
					if isDir {
						w.unwatched[crel] = struct{}{}
					}
					continue
				}
				if report {
					w.addPath(crel)
				}
				if isDir {
					next = append(next, crel)
				}
			}
		}
		level = next
	}
}

// filterGitIgnored drops the directories git ignores. The root is never
// asked about.
func (w *Watcher) filterGitIgnored(ctx context.Context, rels []string) []string {
	if w.gitIgnored == nil {
		return rels
	}
	var ask []string
	for _, rel := range rels {
		if rel != "" {
			ask = append(ask, rel)
		}
	}
	if len(ask) == 0 {
		return rels
	}
	ignored, err := w.gitIgnored(ctx, ask)
	if err == nil && len(ignored) != len(ask) {
		err = fmt.Errorf("%d answers for %d paths", len(ignored), len(ask))
	}
	if err != nil {
		if ctx.Err() == nil {
			w.log.Warn("cannot ask git which directories it ignores; watching them all", "err", err)
		}
		return rels
	}
	kept := rels[:0:0]
	if len(ask) < len(rels) {
		kept = append(kept, "")
	}
	for i, rel := range ask {
		if ignored[i] {
			w.unwatched[rel] = struct{}{}
			continue
		}
		kept = append(kept, rel)
	}
	return kept
}

// unwatchTree drops the watches on rel and below. Errors are expected: the
// kernel removes the watch of a deleted directory by itself.
func (w *Watcher) unwatchTree(rel string) {
	prefix := rel + "/"
	// A scan of all watched directories: removals of watched directories
	// are rare next to file events, and 10k directories scan in well under
	// a millisecond.
	for d := range w.dirs {
		if d == rel || strings.HasPrefix(d, prefix) {
			if w.fsw != nil {
				_ = w.fsw.Remove(w.abs(d))
			}
			delete(w.dirs, d)
			w.watches.Add(-1)
		}
	}
	for d := range w.unwatched {
		if d == rel || strings.HasPrefix(d, prefix) {
			delete(w.unwatched, d)
		}
	}
}

func (w *Watcher) add(abs string) error {
	if w.addHook != nil {
		if err := w.addHook(abs); err != nil {
			return err
		}
	}
	if w.fsw == nil {
		return ErrCannotWatch
	}
	return w.fsw.Add(abs)
}

// degrade queues err for delivery, once per Run.
func (w *Watcher) degrade(err error) {
	if w.wasDegrade {
		return
	}
	w.wasDegrade = true
	w.degraded = err
}

// setOverflow switches the pending batch to "check everything"; its list
// of paths is of no use any more.
func (w *Watcher) setOverflow() {
	w.overflow = true
	w.paths = nil
	clear(w.seen)
}

func (w *Watcher) addPath(rel string) {
	if w.overflow {
		return
	}
	if _, ok := w.seen[rel]; ok {
		return
	}
	if len(w.paths) >= MaxPaths {
		w.setOverflow()
		return
	}
	w.seen[rel] = struct{}{}
	w.paths = append(w.paths, rel)
}

func (w *Watcher) hasPending() bool {
	return len(w.paths) > 0 || w.overflow || w.degraded != nil
}

// pending is the batch the loop offers; it shares w.paths, which reset
// gives up once the batch is sent.
func (w *Watcher) pending() Batch {
	at := w.last
	if at.IsZero() {
		at = time.Now()
	}
	return Batch{Paths: w.paths, Overflow: w.overflow, At: at, Degraded: w.degraded}
}

func (w *Watcher) reset() {
	w.paths = nil
	clear(w.seen)
	w.overflow = false
	w.degraded = nil
	w.gathered = false
}

// rel converts an event's path to slash-separated relative form.
func (w *Watcher) rel(name string) (string, bool) {
	if name == w.root {
		return "", true
	}
	if !strings.HasPrefix(name, w.root) || len(name) <= len(w.root) || name[len(w.root)] != filepath.Separator {
		if w.root == string(filepath.Separator) && strings.HasPrefix(name, w.root) {
			return filepath.ToSlash(name[1:]), true
		}
		return "", false
	}
	return filepath.ToSlash(name[len(w.root)+1:]), true
}

func (w *Watcher) abs(rel string) string {
	if rel == "" {
		return w.root
	}
	return filepath.Join(w.root, filepath.FromSlash(rel))
}

// inGitDir reports whether rel is or is inside a directory named .git, at
// any depth (nested repositories and submodules have their own).
func inGitDir(rel string) bool {
	for {
		i := strings.IndexByte(rel, '/')
		if i < 0 {
			return rel == ".git"
		}
		if rel[:i] == ".git" {
			return true
		}
		rel = rel[i+1:]
	}
}

func dedupe(s []string) []string {
	seen := make(map[string]struct{}, len(s))
	out := s[:0]
	for _, x := range s {
		if _, ok := seen[x]; !ok {
			seen[x] = struct{}{}
			out = append(out, x)
		}
	}
	return out
}

// degradedError carries a message for the user and the causes for
// errors.Is.
type degradedError struct {
	msg string
	err error
}

func (e *degradedError) Error() string { return e.msg }
func (e *degradedError) Unwrap() error { return e.err }
