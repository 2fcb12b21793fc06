package watch

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer/ignore"
	"github.com/fsnotify/fsnotify"
)

// wait is how long a test waits for something that should take
// milliseconds; it only matters when the test fails.
const wait = 20 * time.Second

// harness runs a Watcher on a temporary directory and collects what it
// reports.
type harness struct {
	t    *testing.T
	w    *Watcher
	root string

	seen     map[string]bool // paths reported since the last reset
	overflow bool            // an Overflow batch arrived since the last reset
	batches  []Batch         // every batch, for the tests that count them
	settles  int
}

// start builds the tree (files and directories ending in "/") under a new
// root, runs a Watcher on it and waits until it is ready. prepare may set
// test hooks before Run.
func start(t *testing.T, tree []string, opts Options, prepare func(*Watcher)) *harness {
	t.Helper()
	root := t.TempDir()
	for _, p := range tree {
		write(t, root, p)
	}
	opts.Root = root
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare(w)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancellation, want nil", err)
			}
		case <-time.After(wait):
			t.Error("Run did not return after cancellation")
		}
	})
	select {
	case <-w.Ready():
	case <-time.After(wait):
		t.Fatal("watcher not ready")
	}
	return &harness{t: t, w: w, root: root, seen: map[string]bool{}}
}

// write creates rel (a directory if it ends in "/") with its parents.
func write(t *testing.T, root, rel string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if strings.HasSuffix(rel, "/") {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(rel+time.Now().String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// take records one batch.
func (h *harness) take(b Batch) {
	h.t.Helper()
	if len(b.Paths) > MaxPaths {
		h.t.Errorf("batch with %d paths, more than MaxPaths", len(b.Paths))
	}
	if b.Overflow && b.Paths != nil {
		h.t.Errorf("Overflow batch still lists %d paths", len(b.Paths))
	}
	if b.At.IsZero() {
		h.t.Error("batch without At")
	}
	for _, p := range b.Paths {
		if strings.HasPrefix(p, "/") || strings.Contains(p, `\`) || p == "" {
			h.t.Errorf("path %q is not relative and slash-separated", p)
		}
		h.seen[p] = true
	}
	h.overflow = h.overflow || b.Overflow
	h.batches = append(h.batches, b)
}

// until reads batches until cond holds.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(wait)
	for !cond() {
		select {
		case b := <-h.w.Batches():
			h.take(b)
		case <-time.After(5 * time.Millisecond):
			// cond may depend on more than batches.
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s; seen %v (overflow %v)", what, keys(h.seen), h.overflow)
		}
	}
}

// expect waits until every path was reported.
func (h *harness) expect(paths ...string) {
	h.t.Helper()
	h.until(fmt.Sprint(paths), func() bool {
		for _, p := range paths {
			if !h.seen[p] {
				return false
			}
		}
		return true
	})
}

// settle writes a new file and waits for it: events arrive in order, so
// everything that happened before has been reported then.
func (h *harness) settle() {
	h.t.Helper()
	h.settles++
	name := fmt.Sprintf("settle-%d", h.settles)
	write(h.t, h.root, name)
	h.expect(name)
}

// mark settles, then forgets what was seen: what is seen afterwards was
// caused by what the test does next.
func (h *harness) mark() {
	h.t.Helper()
	h.settle()
	h.reset()
}

// settleAfterOverflow settles when the kernel may have dropped events:
// an Overflow after the settle file was written means its event may be
// lost, so it tries again.
func (h *harness) settleAfterOverflow() {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		if time.Now().After(deadline) {
			h.t.Fatal("could not settle: overflow after overflow")
		}
		h.settles++
		name := fmt.Sprintf("settle-%d", h.settles)
		before := len(h.batches)
		write(h.t, h.root, name)
		h.until(name+" or Overflow", func() bool {
			if h.seen[name] {
				return true
			}
			for _, b := range h.batches[before:] {
				if b.Overflow {
					return true
				}
			}
			return false
		})
		if h.seen[name] {
			return
		}
	}
}

func (h *harness) reset() {
	clear(h.seen)
	h.overflow = false
	h.batches = nil
}

// notSeen fails for every reported path that matches bad.
func (h *harness) notSeen(bad func(string) bool) {
	h.t.Helper()
	for p := range h.seen {
		if !strings.HasPrefix(p, "settle-") && bad(p) {
			h.t.Errorf("%q was reported", p)
		}
	}
	if h.overflow {
		h.t.Error("unexpected Overflow")
	}
}

// watches waits until Watches() is n.
func (h *harness) watches(n int) {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for h.w.Watches() != n {
		if time.Now().After(deadline) {
			h.t.Fatalf("Watches() = %d, want %d", h.w.Watches(), n)
		}
		// Batches are what the loop produces after changing its watches;
		// taking them lets it go on. Polling otherwise: no sleep, the
		// receive below blocks at most a millisecond.
		select {
		case b := <-h.w.Batches():
			h.take(b)
		case <-time.After(time.Millisecond):
		}
	}
}

func keys(m map[string]bool) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	slices.Sort(s)
	if len(s) > 20 {
		s = append(s[:20], fmt.Sprintf("... (%d more)", len(s)-20))
	}
	return s
}

func (h *harness) path(rel string) string { return filepath.Join(h.root, filepath.FromSlash(rel)) }

func TestFileChanges(t *testing.T) {
	h := start(t, []string{"docs/"}, Options{}, nil)
	h.watches(2)

	h.mark()
	write(t, h.root, "docs/a.md")
	h.expect("docs/a.md")

	h.mark()
	f, err := os.OpenFile(h.path("docs/a.md"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("more"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	h.expect("docs/a.md")

	h.mark()
	if err := os.Rename(h.path("docs/a.md"), h.path("b.md")); err != nil {
		t.Fatal(err)
	}
	h.expect("docs/a.md", "b.md")

	h.mark()
	if err := os.Chmod(h.path("b.md"), 0o755); err != nil {
		t.Fatal(err)
	}
	h.expect("b.md") // git records the executable bit

	h.mark()
	if err := os.Remove(h.path("b.md")); err != nil {
		t.Fatal(err)
	}
	h.expect("b.md")
}

// TestNewNestedDirectories is the race every recursive watcher must win:
// files written into directories created a moment ago, before their
// watches can exist.
func TestNewNestedDirectories(t *testing.T) {
	h := start(t, nil, Options{}, nil)
	const n = 30
	var want []string
	for i := range n {
		dir := fmt.Sprintf("n%d/b/c", i)
		if err := os.MkdirAll(h.path(dir), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, h.root, dir+"/f")
		write(t, h.root, fmt.Sprintf("n%d/b/g", i))
		want = append(want, dir+"/f", fmt.Sprintf("n%d/b/g", i))
	}
	h.expect(want...)
	h.watches(1 + 3*n)

	// The new directories are watched, not just scanned once.
	h.mark()
	write(t, h.root, "n7/b/c/later")
	h.expect("n7/b/c/later")
}

func TestTreeMovedIn(t *testing.T) {
	h := start(t, nil, Options{}, nil)
	outside := t.TempDir()
	tree := []string{"x/1", "x/y/2", "x/y/z/3", "x/y/z/4", "x/w/5"}
	for _, p := range tree {
		write(t, outside, p)
	}
	h.mark()
	if err := os.Rename(filepath.Join(outside, "x"), h.path("moved")); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, p := range tree {
		want = append(want, "moved"+strings.TrimPrefix(p, "x"))
	}
	h.expect(want...)
	h.watches(5) // root, moved, moved/y, moved/y/z, moved/w

	h.mark()
	write(t, h.root, "moved/y/z/new")
	h.expect("moved/y/z/new")
}

func TestDirectoryRenamedInside(t *testing.T) {
	h := start(t, []string{"old/sub/f"}, Options{}, nil)
	h.watches(3)
	h.mark()
	if err := os.Rename(h.path("old"), h.path("new")); err != nil {
		t.Fatal(err)
	}
	h.expect("old", "new", "new/sub", "new/sub/f")
	h.watches(3)

	// Writes under the new name are reported under the new name: the
	// watches moved, they do not keep the old path.
	h.mark()
	write(t, h.root, "new/sub/g")
	h.expect("new/sub/g")
	h.settle()
	h.notSeen(func(p string) bool { return strings.HasPrefix(p, "old/") })

	// A new directory with the old name is watched on its own.
	write(t, h.root, "old/sub/h")
	h.expect("old/sub/h")
	h.watches(5)
}

func TestDirectoryDeleted(t *testing.T) {
	h := start(t, []string{"d/e/f", "d/g", "keep/"}, Options{}, nil)
	h.watches(4)
	h.mark()
	if err := os.RemoveAll(h.path("d")); err != nil {
		t.Fatal(err)
	}
	h.expect("d")
	h.watches(2)

	h.mark()
	write(t, h.root, "d/e/f2")
	h.expect("d/e/f2")
	h.watches(4)
}

func TestGitDirectoryNeverReported(t *testing.T) {
	h := start(t, []string{".git/objects/ab/cd", ".git/refs/heads/main", "sub/.git/HEAD", "sub/file"}, Options{}, nil)
	h.watches(2) // root and sub: no .git anywhere
	h.mark()
	write(t, h.root, ".git/index")
	write(t, h.root, ".git/objects/ef/01")
	write(t, h.root, "sub/.git/index")
	if err := os.RemoveAll(h.path(".git/refs")); err != nil {
		t.Fatal(err)
	}
	h.settle() // the writes above came first, so they are through
	h.notSeen(func(p string) bool { return strings.Contains(p, ".git") })
	// And a .git created later is not watched either.
	write(t, h.root, "later/.git/x")
	h.expect("later")
	h.watches(3)
}

func TestSkipAndGitIgnored(t *testing.T) {
	defaults, err := ignore.New(append(slices.Clone(ignore.Defaults), "/private/"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var calls [][]string
	gitIgnored := func(ctx context.Context, rels []string) ([]bool, error) {
		mu.Lock()
		calls = append(calls, slices.Clone(rels))
		mu.Unlock()
		out := make([]bool, len(rels))
		for i, r := range rels {
			base := r[strings.LastIndexByte(r, '/')+1:]
			out[i] = base == "build" || base == "node_modules"
		}
		return out, nil
	}
	tree := []string{
		"docs/a.md", "docs/img/b.png",
		"build/x/y/z/out.o", "node_modules/p/q/index.js", "docs/build/c",
		"private/secret/s",
	}
	h := start(t, tree, Options{Skip: defaults.Match, GitIgnored: gitIgnored}, nil)
	h.watches(3) // root, docs, docs/img

	mu.Lock()
	if len(calls) != 2 {
		t.Errorf("GitIgnored called %d times for a tree of 2 levels, want one call per level: %q", len(calls), calls)
	}
	if len(calls) > 0 && !slices.Equal(calls[0], []string{"build", "docs", "node_modules"}) {
		t.Errorf("first GitIgnored call %q, want the top level's directories in one call", calls[0])
	}
	mu.Unlock()

	h.mark()
	write(t, h.root, "build/x/y/z/new.o")
	write(t, h.root, "node_modules/p/new.js")
	write(t, h.root, "docs/build/d")
	write(t, h.root, "private/secret/t")
	write(t, h.root, "docs/.a.md.swp")
	write(t, h.root, "docs/4913")
	write(t, h.root, ".~lock.report.odt#")
	h.settle()
	h.notSeen(func(string) bool { return true })

	// Created later: the ignored directory is not watched and its
	// content not reported; the rest is.
	write(t, h.root, "later/build/out.o")
	write(t, h.root, "later/src/main.c")
	h.expect("later/src/main.c")
	h.watches(5) // + later, later/src
	h.settle()
	h.notSeen(func(p string) bool { return strings.HasPrefix(p, "later/build/") })
}

func TestGitIgnoredErrorWatchesEverything(t *testing.T) {
	failing := func(ctx context.Context, rels []string) ([]bool, error) {
		return nil, fmt.Errorf("git check-ignore: exit status 128")
	}
	h := start(t, []string{"build/x"}, Options{GitIgnored: failing}, nil)
	h.watches(2)
	h.mark()
	write(t, h.root, "build/y")
	h.expect("build/y")
}

func TestSymlinkToDirectoryNotFollowed(t *testing.T) {
	target := t.TempDir()
	h := start(t, nil, Options{}, nil)
	h.mark()
	if err := os.Symlink(target, h.path("link")); err != nil {
		t.Fatal(err)
	}
	h.expect("link")
	h.settle()
	h.watches(1)
}

// TestBurst drops 10k files at once while the consumer reads as fast as
// it can: a few batches, each bounded.
func TestBurst(t *testing.T) {
	h := start(t, nil, Options{}, nil)
	h.mark()
	const n = 10000
	for i := range 100 {
		write(t, h.root, fmt.Sprintf("burst/d%02d/", i))
	}
	h.mark()
	begin := time.Now()
	done := make(chan error, 1)
	go func() {
		for i := range n {
			p := filepath.Join(h.root, "burst", fmt.Sprintf("d%02d", i%100), fmt.Sprintf("f%05d", i))
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	var werr error
	finished := false
	h.until("the writer", func() bool {
		select {
		case werr = <-done:
			finished = true
		default:
		}
		return finished
	})
	if werr != nil {
		t.Fatal(werr)
	}
	h.settleAfterOverflow()
	t.Logf("10k files in %v: %d batches, overflow %v", time.Since(begin).Round(time.Millisecond), len(h.batches), h.overflow)
	// Nothing is missed silently: each file is listed, or a batch said
	// "check everything". (take checks that no batch lists more than
	// MaxPaths.)
	if !h.overflow {
		for i := range n {
			if p := fmt.Sprintf("burst/d%02d/f%05d", i%100, i); !h.seen[p] {
				t.Fatalf("%s was never reported and there was no Overflow", p)
			}
		}
	}
	// One batch per gathering window at most, plus slack for a loaded
	// machine; without gathering this would be thousands.
	if max := int(time.Since(begin)/gatherWindow) + 5; len(h.batches) > max {
		t.Errorf("10k files gave %d batches, want at most %d", len(h.batches), max)
	}
}

// TestNobodyReading writes 50k events while nobody reads: the loop keeps
// draining the kernel queue (no kernel overflow) and what accumulates is
// one merged batch.
func TestNobodyReading(t *testing.T) {
	for _, tc := range []struct {
		name         string
		files        int
		wantOverflow bool
	}{
		{"few files", 500, false},
		{"many files", 5000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sentinel := make(chan struct{})
			var once sync.Once
			var read atomic.Int64
			h := start(t, []string{"d/"}, Options{}, func(w *Watcher) {
				// No gathering: the first event alone is offered at
				// once, which makes the count of batches exact.
				w.window = 0
				w.eventHook = func(ev fsnotify.Event) {
					read.Add(1)
					if filepath.Base(ev.Name) == "sentinel" {
						once.Do(func() { close(sentinel) })
					}
				}
			})
			const events = 50000
			fs := make([]*os.File, tc.files)
			for i := range fs {
				f, err := os.Create(h.path(fmt.Sprintf("d/f%d", i)))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				fs[i] = f
			}
			// Round robin, so that the kernel cannot merge consecutive
			// identical events: every write is an event.
			read.Store(0)
			for i := range events {
				if _, err := fs[i%len(fs)].Write([]byte{'x'}); err != nil {
					t.Fatal(err)
				}
				// Keep well inside the kernel's queue, so that a slow
				// machine cannot overflow it: if the loop stopped
				// reading events because nobody reads batches, this
				// is where the test hangs.
				if i%1000 == 0 {
					deadline := time.Now().Add(wait)
					for int64(i)-read.Load() > int64(readQueueLimit()/2) {
						if time.Now().After(deadline) {
							t.Fatalf("the watcher stopped reading events while nobody read batches (%d of %d read)", read.Load(), i)
						}
						runtime.Gosched()
					}
				}
			}
			write(t, h.root, "d/sentinel")
			select {
			case <-sentinel:
			case <-time.After(wait):
				t.Fatal("the watcher did not get through the events")
			}
			// The loop has seen everything: the channel holds the first
			// batch, the loop holds everything since merged into one.
			h.until("two batches", func() bool { return len(h.batches) == 2 })
			select {
			case b := <-h.w.Batches():
				// The sentinel's own write makes more than one event
				// (create, then write); the hook fires on the first, so
				// the later one may come on its own. Nothing else may.
				if b.Overflow || len(b.Paths) != 1 || b.Paths[0] != "d/sentinel" {
					t.Errorf("a third batch after the events were read: %d paths %q, overflow %v", len(b.Paths), b.Paths, b.Overflow)
				}
			default:
			}
			last := h.batches[1]
			if last.Overflow != tc.wantOverflow {
				t.Errorf("merged batch Overflow = %v, want %v (%d paths)", last.Overflow, tc.wantOverflow, len(last.Paths))
			}
			if !tc.wantOverflow && !h.seen["d/sentinel"] {
				t.Error("merged batch lacks the last event")
			}
			if !tc.wantOverflow && len(h.seen) != tc.files+1 {
				t.Errorf("%d distinct paths reported, want %d", len(h.seen), tc.files+1)
			}
		})
	}
}

// TestKernelOverflow blocks the loop until the kernel's queue overflows:
// the batch says Overflow, and the watches are rebuilt, so old directories
// and new ones are still watched.
func TestKernelOverflow(t *testing.T) {
	block := make(chan struct{})
	var once sync.Once
	logs := &recorder{}
	h := start(t, []string{"a/b/", "c/x", "c/y"}, Options{Logger: slog.New(logs)}, func(w *Watcher) {
		w.eventHook = func(fsnotify.Event) { once.Do(func() { <-block }) }
	})
	h.watches(4)
	// More events than the kernel queue, fsnotify's read buffer and its
	// channel hold together. Writes alternate between two files so that
	// the kernel cannot merge them.
	files := make([]*os.File, 2)
	for i, name := range []string{"c/x", "c/y"} {
		f, err := os.OpenFile(h.path(name), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files[i] = f
	}
	n := readQueueLimit() + 2*eventBuffer + 1000
	for i := range n {
		if _, err := files[i%2].Write([]byte{'x'}); err != nil {
			t.Fatal(err)
		}
	}
	close(block)
	h.until("Overflow", func() bool { return h.overflow })

	// Writes made while the queue was still full are lost (and reported
	// as another Overflow); retry until the rebuilt watches report them.
	deadline := time.Now().Add(wait)
	for i := 0; ; i++ {
		if time.Now().After(deadline) {
			t.Fatal("changes after the overflow were never reported")
		}
		h.reset()
		a, b := fmt.Sprintf("a/b/after%d", i), fmt.Sprintf("new%d/d/after", i)
		write(t, h.root, a)
		write(t, h.root, b)
		h.until(a+" and "+b+" or Overflow", func() bool { return h.overflow || h.seen[a] && h.seen[b] })
		if !h.overflow {
			break
		}
	}
	if !logs.has("events were lost") {
		t.Error("no kernel overflow was logged; the test did not test what it says")
	}
}

// recorder is a slog.Handler that keeps the messages.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }
func (r *recorder) has(sub string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.msgs {
		if strings.Contains(m, sub) {
			return true
		}
	}
	return false
}

// readQueueLimit is fs.inotify.max_queued_events, or a guess.
func readQueueLimit() int {
	b, err := os.ReadFile("/proc/sys/fs/inotify/max_queued_events")
	if err != nil {
		return 16384
	}
	var n int
	if _, err := fmt.Sscan(string(b), &n); err != nil {
		return 16384
	}
	return n
}

func TestNew(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{"", file, filepath.Join(t.TempDir(), "missing")} {
		if _, err := New(Options{Root: root}); err == nil {
			t.Errorf("New(Root: %q) succeeded", root)
		}
	}
}

func TestRunTwice(t *testing.T) {
	h := start(t, nil, Options{}, nil)
	if err := h.w.Run(t.Context()); err == nil {
		t.Error("a second Run succeeded")
	}
}

func TestInGitDir(t *testing.T) {
	for p, want := range map[string]bool{
		".git": true, ".git/x": true, "a/.git": true, "a/.git/b": true,
		".gitignore": false, "a/.github/x": false, "x.git": false, "a": false,
	} {
		if got := inGitDir(p); got != want {
			t.Errorf("inGitDir(%q) = %v, want %v", p, got, want)
		}
	}
}
