package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/config"
	"github.com/autosync-dev/autosync/syncer/gittest"
	"github.com/autosync-dev/autosync/syncer/peer"
)

// world is the temporary directory every benchmark builds its
// repositories in, with git isolated from the machine's configuration.
type world struct {
	root string
	keep bool
	n    int
}

func newWorld(keep bool) (*world, error) {
	root, err := os.MkdirTemp("", "autosync-bench-")
	if err != nil {
		return nil, err
	}
	home := filepath.Join(root, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	if err := gittest.Isolate(home); err != nil {
		return nil, fmt.Errorf("isolate git: %w", err)
	}
	// Instances started by the idle benchmark must not meet the user's
	// own autosync over the control socket.
	ctl := filepath.Join(root, "control")
	if err := os.MkdirAll(ctl, 0o700); err != nil {
		return nil, err
	}
	os.Setenv("AUTOSYNC_CONTROL_DIR", ctl)
	progress("working in %s", root)
	return &world{root: root, keep: keep}, nil
}

func (w *world) close() {
	if w.keep {
		progress("kept %s", w.root)
		return
	}
	os.RemoveAll(w.root)
}

// dir returns a new empty directory named after what.
func (w *world) dir(what string) (string, error) {
	w.n++
	d := filepath.Join(w.root, fmt.Sprintf("%02d-%s", w.n, what))
	return d, os.MkdirAll(d, 0o755)
}

// remote creates a bare repository whose main branch has one commit, and
// returns its path.
func (w *world) remote(name string) (string, error) {
	d, err := w.dir(name)
	if err != nil {
		return "", err
	}
	bare := filepath.Join(d, "remote.git")
	seed := filepath.Join(d, "seed")
	steps := [][]string{
		{"init", "--quiet", "--bare", "--initial-branch=main", bare},
		{"clone", "--quiet", bare, seed},
	}
	for _, s := range steps {
		if _, err := gitOut(d, s...); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(seed, "README.md"), []byte("shared folder\n"), 0o644); err != nil {
		return "", err
	}
	for _, s := range [][]string{{"add", "README.md"}, {"commit", "--quiet", "-m", "initial commit"}, {"push", "--quiet", "origin", "HEAD:main"}} {
		if _, err := gitOut(seed, s...); err != nil {
			return "", err
		}
	}
	return bare, nil
}

// clone clones remote into a new directory and returns its path.
func (w *world) clone(remote, name string) (string, error) {
	d, err := w.dir(name)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(d, name)
	if _, err := gitOut(d, "clone", "--quiet", remote, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// pipeline makes a second bare remote with two clones of it, on which the
// by-hand git pipeline runs beside the engine.
func (w *world) pipeline() (c, d string, err error) {
	remote, err := w.remote("pipeline")
	if err != nil {
		return "", "", err
	}
	if c, err = w.clone(remote, "c"); err != nil {
		return "", "", err
	}
	d, err = w.clone(remote, "d")
	return c, d, err
}

// gitOut runs git in dir and returns its trimmed output.
func gitOut(dir string, args ...string) (string, error) {
	out, err := gittest.Run(dir, args...)
	if err != nil {
		return "", fmt.Errorf("git %s in %s: %w", strings.Join(args, " "), dir, err)
	}
	return out, nil
}

// timeGit runs git and returns how long it took.
func timeGit(dir string, args ...string) (time.Duration, error) {
	start := time.Now()
	_, err := gitOut(dir, args...)
	return time.Since(start), err
}

// gitCall is one git process the engine ran, from its debug log.
type gitCall struct {
	at   time.Time // when it ended (when the log record was made)
	args string
	took time.Duration
}

// recorder is a slog.Handler that keeps the engine's git calls and passes
// every record on to a log file; errors are also shown on standard error,
// so that an engine problem is not mistaken for a slow benchmark.
type recorder struct {
	next slog.Handler
	st   *recState
}

type recState struct {
	mu    sync.Mutex
	calls []gitCall
}

func newRecorder(logFile *os.File) *recorder {
	return &recorder{
		next: slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}),
		st:   &recState{},
	}
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Message == "git" {
		c := gitCall{at: rec.Time}
		rec.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "args":
				c.args = a.Value.String()
			case "took":
				c.took = a.Value.Duration()
			}
			return true
		})
		r.st.mu.Lock()
		r.st.calls = append(r.st.calls, c)
		r.st.mu.Unlock()
	}
	if rec.Level >= slog.LevelWarn {
		fmt.Fprintf(os.Stderr, "  engine %s: %s\n", rec.Level, rec.Message)
	}
	return r.next.Handle(ctx, rec)
}

func (r *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &recorder{next: r.next.WithAttrs(as), st: r.st}
}

func (r *recorder) WithGroup(name string) slog.Handler {
	return &recorder{next: r.next.WithGroup(name), st: r.st}
}

// since returns the git calls that ended at or after t.
func (r *recorder) since(t time.Time) []gitCall {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	var out []gitCall
	for _, c := range r.st.calls {
		if !c.at.Before(t) {
			out = append(out, c)
		}
	}
	return out
}

// engine is one clone with the real engine running on it in this process,
// as `autosync` would run it (syncer.Open, then a Manager).
type engine struct {
	name   string
	dir    string
	folder *syncer.Folder
	rec    *recorder
	cancel context.CancelFunc
	done   chan struct{}
	log    *os.File

	stopOnce sync.Once
	mu       sync.Mutex
	events   []syncer.Event
}

// startEngine runs the engine on dir with the given delays and no periodic
// fetch. With a hub, it announces its pushes there and pulls on the
// announcements of the others (the loopback stands in for XMPP).
func startEngine(w *world, name, dir string, commitDelay, pushDelay time.Duration, hub *peer.Hub) (*engine, error) {
	fc := config.FromFolder(dir).Folders[0]
	fc.CommitDelay = config.Duration(commitDelay)
	fc.PushDelay = config.Duration(pushDelay)
	zero := config.Duration(0)
	fc.PollInterval = &zero

	logFile, err := os.Create(filepath.Join(w.root, fmt.Sprintf("engine-%02d-%s.log", w.n, name)))
	if err != nil {
		return nil, err
	}
	rec := newRecorder(logFile)
	logger := slog.New(rec)
	ctx, cancel := context.WithCancel(context.Background())
	o, err := syncer.Open(ctx, fc, syncer.Setup{Device: name, Logger: logger})
	if err != nil {
		cancel()
		logFile.Close()
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	mgr := syncer.NewManager(logger)
	if hub != nil {
		mgr.AddTransport(hub.Transport(name))
	}
	e := &engine{name: name, dir: dir, rec: rec, cancel: cancel, done: make(chan struct{}), log: logFile}
	events, _ := mgr.Subscribe()
	go func() {
		for ev := range events {
			e.mu.Lock()
			e.events = append(e.events, ev)
			e.mu.Unlock()
		}
	}()
	e.folder = mgr.Add(o.Options)
	go func() {
		mgr.Run(ctx)
		o.Close()
		close(e.done)
	}()
	if err := e.waitIdle(60 * time.Second); err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

// stop stops the engine and waits for it; it may be called more than once.
func (e *engine) stop() {
	e.stopOnce.Do(func() {
		e.cancel()
		<-e.done
		e.log.Close()
	})
}

// idle reports whether the folder is Idle with nothing pending or ahead.
func (e *engine) idle() bool {
	s := e.folder.Snapshot()
	return s.State == syncer.Idle && s.Ahead == 0 && len(s.Pending) == 0
}

func (e *engine) waitIdle(limit time.Duration) error {
	return waitFor(limit, e.name+" idle", e.idle)
}

// eventsSince returns the events of kind emitted at or after t.
func (e *engine) eventsSince(kind syncer.EventKind, t time.Time) []syncer.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []syncer.Event
	for _, ev := range e.events {
		if ev.Kind == kind && !ev.Time.Before(t) {
			out = append(out, ev)
		}
	}
	return out
}

// waitEvent waits for the first event of kind at or after t.
func (e *engine) waitEvent(kind syncer.EventKind, t time.Time, limit time.Duration) (syncer.Event, error) {
	var ev syncer.Event
	err := waitFor(limit, fmt.Sprintf("%s: event %v", e.name, kind), func() bool {
		evs := e.eventsSince(kind, t)
		if len(evs) == 0 {
			return false
		}
		ev = evs[0]
		return true
	})
	return ev, err
}

// waitFor polls cond every 2 ms until it holds or limit passes. The short
// interval matters only where a wait is timed; polling a snapshot is cheap.
func waitFor(limit time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}

// errNoChange is returned by refWatch.waitChange when the branch stayed
// put.
var errNoChange = errors.New("the remote branch did not change")

// refWatch sees a bare repository's branch change the moment git renames
// the new ref into place (inotify on refs/heads and on the repository's
// top directory, where packed-refs lives), without polling git.
type refWatch struct {
	bare, ref, name string
	fsw             *fsnotify.Watcher
}

func watchRef(bare, branch string) (*refWatch, error) {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	for _, d := range []string{filepath.Join(bare, "refs", "heads"), bare} {
		if err := fsw.Add(d); err != nil {
			fsw.Close()
			return nil, err
		}
	}
	return &refWatch{bare: bare, ref: "refs/heads/" + branch, name: "/" + branch, fsw: fsw}, nil
}

func (r *refWatch) close() { r.fsw.Close() }

func (r *refWatch) head() (string, error) {
	return gitOut(r.bare, "rev-parse", "--verify", "--quiet", r.ref)
}

// drain drops the events that have queued up.
func (r *refWatch) drain() {
	for {
		select {
		case <-r.fsw.Events:
		case <-r.fsw.Errors:
		default:
			return
		}
	}
}

// waitChange waits until the branch is no longer old and returns the new
// value and when the file system event that showed it arrived. With cond,
// a new value for which cond is false does not count: waitChange keeps
// waiting, with old updated.
func (r *refWatch) waitChange(ctx context.Context, old string, limit time.Duration, cond func(head string) bool) (string, time.Time, error) {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	// A safety net for an event inotify cannot show (none is expected);
	// a change found this way has no precise time and is reported as an
	// error rather than as a wrong number.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return "", time.Time{}, ctx.Err()
		case <-timer.C:
			return "", time.Time{}, fmt.Errorf("%w within %s", errNoChange, limit)
		case err := <-r.fsw.Errors:
			return "", time.Time{}, fmt.Errorf("watching the remote: %w", err)
		case <-tick.C:
			if h, err := r.head(); err == nil && h != old && (cond == nil || cond(h)) {
				return "", time.Time{}, errors.New("the remote branch changed without a file system event")
			}
		case ev := <-r.fsw.Events:
			at := time.Now()
			if !strings.HasSuffix(ev.Name, r.name) && !strings.HasSuffix(ev.Name, "packed-refs") {
				continue
			}
			h, err := r.head()
			if err != nil || h == old {
				continue
			}
			if cond == nil || cond(h) {
				return h, at, nil
			}
			old = h
		}
	}
}
