package syncer_test

// Integration tests of the engine with real parts: real git repositories (a
// bare remote and clones in temp dirs), the real watcher, one engine per
// clone, as on separate machines.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/config"
	"github.com/autosync-dev/autosync/syncer/gittest"
	"github.com/autosync-dev/autosync/syncer/ignore"
	"github.com/autosync-dev/autosync/syncer/vcs"
)

func TestMain(m *testing.M) { gittest.Main(m) }

// machine is one clone with its own engine, as if on its own computer.
type machine struct {
	t      *testing.T
	name   string
	dir    string
	mgr    *syncer.Manager
	folder *syncer.Folder
	cancel context.CancelFunc
	done   chan struct{}

	ignored *ignore.Matcher // what the engine leaves uncommitted on purpose

	mu     sync.Mutex
	events []syncer.Event
}

// fastFolder is a folder configuration with short delays, so the tests run
// in seconds. Polling is off unless a test turns it on: these tests say
// when a machine pulls.
func fastFolder(dir string) config.Folder {
	fc := config.FromFolder(dir).Folders[0]
	fc.CommitDelay = config.Duration(300 * time.Millisecond)
	fc.MaxDelay = config.Duration(5 * time.Second)
	fc.PushDelay = config.Duration(50 * time.Millisecond)
	zero := config.Duration(0)
	fc.PollInterval = &zero
	return fc
}

func start(t *testing.T, name, dir string, tweak func(*config.Folder)) *machine {
	t.Helper()
	fc := fastFolder(dir)
	if tweak != nil {
		tweak(&fc)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewTextHandler(testLog{t, name}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o, err := syncer.Open(ctx, fc, syncer.Setup{Device: name, Logger: logger})
	if err != nil {
		cancel()
		t.Fatalf("open %s: %v", name, err)
	}
	m := &machine{t: t, name: name, dir: dir, mgr: syncer.NewManager(logger), cancel: cancel, done: make(chan struct{})}
	m.ignored, err = ignore.New(append(slices.Clone(ignore.Defaults), fc.Ignore...))
	if err != nil {
		t.Fatal(err)
	}
	events, _ := m.mgr.Subscribe()
	go func() {
		for e := range events {
			m.mu.Lock()
			m.events = append(m.events, e)
			m.mu.Unlock()
		}
	}()
	m.folder = m.mgr.Add(o.Options)
	go func() {
		m.mgr.Run(ctx)
		o.Close()
		close(m.done)
	}()
	t.Cleanup(m.stop)
	m.waitIdle()
	return m
}

// testLog sends an engine's log to the test's log (shown on failure or
// with -v), prefixed with the machine's name.
type testLog struct {
	t    *testing.T
	name string
}

func (l testLog) Write(p []byte) (int, error) {
	l.t.Logf("[%s] %s", l.name, strings.TrimSpace(string(p)))
	return len(p), nil
}

func (m *machine) stop() {
	m.cancel()
	<-m.done
}

func (m *machine) write(rel, content string) { gittest.WriteFile(m.t, m.dir, rel, content) }

func (m *machine) read(rel string) string { return gittest.ReadFile(m.t, m.dir, rel) }

func (m *machine) state() syncer.State { return m.folder.Snapshot().State }

// waitIdle waits until the folder is Idle (or Conflict) with nothing
// pending, ahead or behind.
func (m *machine) waitIdle() {
	m.t.Helper()
	gittest.Eventually(m.t, 20*time.Second, m.name+" idle", func() bool {
		s := m.folder.Snapshot()
		return (s.State == syncer.Idle || s.State == syncer.Conflict) && s.Ahead == 0 && len(s.Pending) == 0
	})
}

// clean reports whether the working tree holds nothing autosync should
// commit: untracked files are allowed only where the engine leaves them on
// purpose (ignore patterns, files over max_file_size).
func (m *machine) clean() bool {
	out, err := gittest.Run(m.dir, "--no-optional-locks", "status", "--porcelain", "-z", "--untracked-files=all")
	if err != nil {
		return false
	}
	skipped := m.folder.Snapshot().Skipped
	for _, e := range strings.Split(out, "\x00") {
		if e == "" {
			continue
		}
		path := e[3:]
		if strings.HasPrefix(e, "?? ") && (m.ignored.Match(path, false) || slices.ContainsFunc(skipped, func(s vcs.Skipped) bool { return s.Path == path })) {
			continue
		}
		return false
	}
	return true
}

func (m *machine) count(kind syncer.EventKind) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, e := range m.events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// synced waits until every machine's HEAD equals the remote's main and
// their trees are identical.
func synced(t *testing.T, remote string, ms ...*machine) {
	t.Helper()
	syncedWithin(t, 30*time.Second, remote, ms...)
}

// syncedWithin is synced with a deadline of limit.
func syncedWithin(t *testing.T, limit time.Duration, remote string, ms ...*machine) {
	t.Helper()
	gittest.Eventually(t, limit, "all machines at the remote's head", func() bool {
		want, err := gittest.Run(remote, "rev-parse", "main")
		if err != nil {
			return false
		}
		for _, m := range ms {
			if head, err := gittest.Run(m.dir, "rev-parse", "HEAD"); err != nil || head != want {
				m.folder.SyncNow()
				return false
			}
			if !m.clean() {
				return false
			}
			// The engine may have committed between the two reads.
			if head, err := gittest.Run(m.dir, "rev-parse", "HEAD"); err != nil || head != want {
				return false
			}
		}
		return true
	})
	for _, m := range ms[1:] {
		if a, b := gittest.Tree(t, ms[0].dir), gittest.Tree(t, m.dir); a != b {
			t.Fatalf("trees differ:\n%s: %s\n%s: %s", ms[0].name, a, m.name, b)
		}
	}
}

// subjects lists the commit subjects on the remote's main, newest first.
func subjects(t *testing.T, remote string) []string {
	t.Helper()
	return strings.Split(gittest.Git(t, remote, "log", "--format=%s", "main"), "\n")
}

func countPrefix(list []string, prefix string) int {
	n := 0
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

func TestEditsAddsDeletesRenamesAndMovesReachTheOtherMachine(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	a := start(t, "laptop", gittest.Clone(t, remote, "a"), nil)
	b := start(t, "desktop", gittest.Clone(t, remote, "b"), nil)

	steps := []struct {
		name string
		do   func()
		want func() error
	}{
		{"add files and directories", func() {
			a.write("notes.md", "first\n")
			a.write("projects/alpha/plan.txt", "plan\n")
			a.write("projects/alpha/deep/er/x.txt", "x\n")
			a.write("with space é.txt", "unicode\n")
		}, func() error {
			if b.read("projects/alpha/deep/er/x.txt") != "x\n" || b.read("with space é.txt") != "unicode\n" {
				return errors.New("files missing")
			}
			return nil
		}},
		{"edit", func() { a.write("notes.md", "second\n") }, func() error {
			if got := b.read("notes.md"); got != "second\n" {
				return fmt.Errorf("notes.md = %q", got)
			}
			return nil
		}},
		{"rename a file", func() {
			os.Rename(filepath.Join(a.dir, "notes.md"), filepath.Join(a.dir, "journal.md"))
		}, func() error {
			if _, err := os.Stat(filepath.Join(b.dir, "notes.md")); !os.IsNotExist(err) {
				return errors.New("old name still there")
			}
			if b.read("journal.md") != "second\n" {
				return errors.New("new name missing")
			}
			return nil
		}},
		{"move a directory", func() {
			os.MkdirAll(filepath.Join(a.dir, "archive"), 0o755)
			os.Rename(filepath.Join(a.dir, "projects/alpha"), filepath.Join(a.dir, "archive/alpha"))
		}, func() error {
			if b.read("archive/alpha/deep/er/x.txt") != "x\n" {
				return errors.New("moved tree missing")
			}
			if _, err := os.Stat(filepath.Join(b.dir, "projects/alpha")); !os.IsNotExist(err) {
				return errors.New("old tree still there")
			}
			return nil
		}},
		{"delete a file and a directory", func() {
			os.Remove(filepath.Join(a.dir, "journal.md"))
			os.RemoveAll(filepath.Join(a.dir, "archive"))
		}, func() error {
			for _, p := range []string{"journal.md", "archive"} {
				if _, err := os.Stat(filepath.Join(b.dir, p)); !os.IsNotExist(err) {
					return fmt.Errorf("%s still there", p)
				}
			}
			return nil
		}},
	}
	for _, st := range steps {
		st.do()
		synced(t, remote, a, b)
		if err := st.want(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	subj := subjects(t, remote)
	if !slices.ContainsFunc(subj, func(s string) bool { return strings.HasPrefix(s, "autosync on laptop: rename notes.md to journal.md") }) {
		t.Errorf("no rename in the history: %q", subj)
	}
	if n := countPrefix(subj, "autosync on desktop"); n != 0 {
		t.Errorf("the receiving machine made %d commits of its own (its own pulls must not produce commits): %q", n, subj)
	}
}

func TestBurstOfSavesGivesOneCommit(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	a := start(t, "laptop", gittest.Clone(t, remote, "a"), func(fc *config.Folder) {
		fc.CommitDelay = config.Duration(time.Second)
	})
	tick := time.NewTicker(100 * time.Millisecond)
	for i := range 20 {
		a.write("draft.md", fmt.Sprintf("version %d\n", i))
		<-tick.C
	}
	tick.Stop()
	synced(t, remote, a)
	if n := countPrefix(subjects(t, remote), "autosync on laptop"); n != 1 {
		t.Fatalf("%d commits for 20 saves 100ms apart, want 1", n)
	}
	if got := gittest.Git(t, remote, "show", "main:draft.md"); got != "version 19" {
		t.Fatalf("pushed draft.md = %q, want the last save", got)
	}
}

func TestTenThousandFilesGiveFewCommits(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	t.Parallel()
	remote := gittest.NewRemote(t)
	a := start(t, "laptop", gittest.Clone(t, remote, "a"), nil)
	// Drop a tree prepared elsewhere into the folder at once, as a file
	// manager's copy or an unzip does.
	src := filepath.Join(t.TempDir(), "photos")
	for i := range 10000 {
		gittest.WriteFile(t, src, fmt.Sprintf("d%03d/f%05d.txt", i/100, i), fmt.Sprint(i))
	}
	if err := os.Rename(src, filepath.Join(a.dir, "photos")); err != nil {
		t.Fatal(err)
	}
	// Generous: git itself needs seconds for 10k files on a slow disk (see
	// docs/benchmarks.md for the numbers); this test counts commits.
	syncedWithin(t, 3*time.Minute, remote, a)
	if n := countPrefix(subjects(t, remote), "autosync on laptop"); n < 1 || n > 3 {
		t.Fatalf("%d commits for 10k files dropped at once, want 1 to 3", n)
	}
	if n := len(strings.Split(gittest.Git(t, remote, "ls-tree", "-r", "--name-only", "main", "photos"), "\n")); n != 10000 {
		t.Fatalf("%d files pushed, want 10000", n)
	}
}

func TestTempFilesAreNeverCommitted(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	a := start(t, "laptop", gittest.Clone(t, remote, "a"), func(fc *config.Folder) {
		fc.Ignore = []string{"*.secret"}
	})
	junk := []string{".notes.md.swp", "4913", "#notes.md#", ".#notes.md", "notes.md~", ".~lock.report.odt#",
		"~$report.docx", "x.tmp", "movie.part", "big.crdownload", ".DS_Store", "Thumbs.db", "keys.secret", "sub/.x.swp"}
	for _, j := range junk {
		a.write(j, "junk")
	}
	a.write("notes.md", "real\n")
	synced(t, remote, a)
	tree := gittest.Git(t, remote, "ls-tree", "-r", "--name-only", "main")
	for _, j := range junk {
		if slices.Contains(strings.Split(tree, "\n"), j) {
			t.Errorf("%s was committed", j)
		}
	}
	if !strings.Contains(tree, "notes.md") {
		t.Fatal("the real file was not committed")
	}
}

func TestConcurrentEditOfOneFileKeepsBothVersions(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	a := start(t, "laptop", gittest.Clone(t, remote, "a"), nil)
	b := start(t, "desktop", gittest.Clone(t, remote, "b"), nil)
	a.write("shared.md", "base\n")
	synced(t, remote, a, b)

	a.folder.Pause()
	b.folder.Pause()
	gittest.Eventually(t, 5*time.Second, "both paused", func() bool { return a.state() == syncer.Paused && b.state() == syncer.Paused })
	a.write("shared.md", "laptop's words\n")
	b.write("shared.md", "desktop's words\n")
	a.folder.Resume()
	b.folder.Resume()
	synced(t, remote, a, b)

	files := gittest.Files(t, a.dir)
	var copies []string
	for _, f := range files {
		if strings.HasPrefix(f, "shared (conflict from ") && strings.HasSuffix(f, ").md") {
			copies = append(copies, f)
		}
	}
	if len(copies) != 1 {
		t.Fatalf("want exactly one conflict copy, files: %q", files)
	}
	original, copied := a.read("shared.md"), a.read(copies[0])
	both := []string{original, copied}
	slices.Sort(both)
	if both[0] != "desktop's words\n" || both[1] != "laptop's words\n" {
		t.Fatalf("shared.md = %q, copy = %q: both versions must be kept", original, copied)
	}
	// The copy is named after the machine whose version it holds.
	owner := map[string]string{"laptop's words\n": "laptop", "desktop's words\n": "desktop"}[copied]
	if !strings.HasPrefix(copies[0], "shared (conflict from "+owner+" ") {
		t.Fatalf("copy %q holds %s's version but is not named after it", copies[0], owner)
	}
	for _, m := range []*machine{a, b} {
		for _, f := range gittest.Files(t, m.dir) {
			if strings.Contains(m.read(f), "<<<<<<<") {
				t.Fatalf("%s: conflict markers in %s", m.name, f)
			}
		}
		if _, err := gittest.Run(m.dir, "rev-parse", "-q", "--verify", "MERGE_HEAD"); err == nil {
			t.Fatalf("%s left mid-merge", m.name)
		}
	}
	gittest.Eventually(t, 10*time.Second, "conflict shown", func() bool {
		return len(a.folder.Snapshot().Conflicts) == 1 && len(b.folder.Snapshot().Conflicts) == 1
	})
	if a.count(syncer.EventConflict)+b.count(syncer.EventConflict) != 1 {
		t.Fatal("the conflict was not reported exactly once")
	}
	// The user looks at the copy and deletes it: the conflict is handled.
	os.Remove(filepath.Join(a.dir, copies[0]))
	synced(t, remote, a, b)
	gittest.Eventually(t, 10*time.Second, "conflict cleared", func() bool {
		return a.state() == syncer.Idle && len(a.folder.Snapshot().Conflicts) == 0
	})
}

func TestConcurrentEditsOfDifferentFilesMergeCleanly(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	a := start(t, "laptop", gittest.Clone(t, remote, "a"), nil)
	b := start(t, "desktop", gittest.Clone(t, remote, "b"), nil)
	c := start(t, "tablet", gittest.Clone(t, remote, "c"), nil)
	// All three save at the same moment: two of the pushes race and are
	// rejected, then fetch, merge and push again.
	a.write("from-laptop.md", "a\n")
	b.write("from-desktop.md", "b\n")
	c.write("from-tablet.md", "c\n")
	synced(t, remote, a, b, c)
	for _, m := range []*machine{a, b, c} {
		for _, f := range []string{"from-laptop.md", "from-desktop.md", "from-tablet.md"} {
			if _, err := os.Stat(filepath.Join(m.dir, f)); err != nil {
				t.Fatalf("%s lacks %s", m.name, f)
			}
		}
		if copies := m.folder.Snapshot().Conflicts; len(copies) > 0 {
			t.Fatalf("%s: conflict copies for edits of different files: %v", m.name, copies)
		}
	}
}

func TestRemoteUnreachableThenBack(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	a := start(t, "laptop", gittest.Clone(t, remote, "a"), nil)
	b := start(t, "desktop", gittest.Clone(t, remote, "b"), nil)

	away := remote + ".away"
	if err := os.Rename(remote, away); err != nil {
		t.Fatal(err)
	}
	a.write("offline.md", "written on the train\n")
	gittest.Eventually(t, 10*time.Second, "laptop offline", func() bool { return a.state() == syncer.Offline })
	s := a.folder.Snapshot()
	if s.LastError == "" || s.NextRetry.IsZero() {
		t.Fatalf("offline snapshot does not say why and when it retries: %+v", s)
	}
	if n := gittest.CommitCount(t, a.dir, "HEAD"); n != 2 {
		t.Fatalf("the change was not committed locally while offline (%d commits)", n)
	}
	if err := os.Rename(away, remote); err != nil {
		t.Fatal(err)
	}
	// No Sync now: the folder recovers by itself (backoff starts at 1s).
	gittest.Eventually(t, 20*time.Second, "laptop back online", func() bool {
		return a.state() == syncer.Idle && a.folder.Snapshot().Ahead == 0
	})
	b.folder.SyncNow()
	synced(t, remote, a, b)
	if b.read("offline.md") != "written on the train\n" {
		t.Fatal("the offline change did not reach the other machine")
	}
	if a.count(syncer.EventOffline) != 1 || a.count(syncer.EventBackOnline) != 1 {
		t.Fatalf("offline/back-online events: %d/%d, want 1/1", a.count(syncer.EventOffline), a.count(syncer.EventBackOnline))
	}
}

func TestPauseAndResume(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	a := start(t, "laptop", gittest.Clone(t, remote, "a"), nil)
	before := gittest.CommitCount(t, a.dir, "HEAD")
	a.folder.Pause()
	gittest.Eventually(t, 5*time.Second, "paused", func() bool { return a.state() == syncer.Paused })
	a.write("while-paused.md", "x\n")
	// Give the engine several commit delays' worth of chances to (wrongly)
	// commit; it must not.
	deadline := time.Now().Add(1500 * time.Millisecond)
	gittest.Eventually(t, 3*time.Second, "time to pass", func() bool { return time.Now().After(deadline) })
	if n := gittest.CommitCount(t, a.dir, "HEAD"); n != before {
		t.Fatalf("committed while paused")
	}
	a.folder.Resume()
	synced(t, remote, a)
	if n := gittest.CommitCount(t, a.dir, "HEAD"); n != before+1 {
		t.Fatalf("%d new commits after resume, want 1", n-before)
	}
}

func TestChangesMadeWhileStoppedAreSyncedAtStart(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	other := gittest.Clone(t, remote, "other")
	gittest.WriteFile(t, other, "pushed-meanwhile.md", "x\n")
	gittest.Git(t, other, "add", ".")
	gittest.Git(t, other, "commit", "-qm", "pushed while laptop was off")
	gittest.Git(t, other, "push", "-q")

	dir := gittest.Clone(t, remote, "a")
	gittest.Git(t, dir, "reset", "-q", "--hard", "HEAD~1") // laptop was behind...
	gittest.WriteFile(t, dir, "edited-while-stopped.md", "y\n")
	a := start(t, "laptop", dir, nil)
	synced(t, remote, a)
	if a.read("pushed-meanwhile.md") != "x\n" {
		t.Fatal("did not pull at start")
	}
	if got := gittest.Git(t, remote, "show", "main:edited-while-stopped.md"); got != "y" {
		t.Fatal("did not commit and push at start")
	}
}

func TestRefusalsAtStart(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	ctx := t.Context()

	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := syncer.Open(ctx, fastFolder(missing), syncer.Setup{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing folder: %v", err)
	}
	plain := t.TempDir()
	if _, err := syncer.Open(ctx, fastFolder(plain), syncer.Setup{}); err == nil || !strings.Contains(err.Error(), "git clone") || !strings.Contains(err.Error(), "git init") {
		t.Errorf("not a working copy: %v (want it to say: clone, or git init and add a remote)", err)
	}

	cases := []struct {
		name    string
		prepare func(dir string)
		hint    string
	}{
		{"detached HEAD", func(dir string) { gittest.Git(t, dir, "checkout", "-q", "--detach") }, "git switch"},
		{"no upstream", func(dir string) { gittest.Git(t, dir, "branch", "-q", "--unset-upstream") }, "upstream"},
		{"mid-merge", func(dir string) {
			gittest.Git(t, dir, "checkout", "-q", "-b", "side")
			gittest.WriteFile(t, dir, "README.md", "side\n")
			gittest.Git(t, dir, "commit", "-qam", "side")
			gittest.Git(t, dir, "checkout", "-q", "main")
			gittest.WriteFile(t, dir, "README.md", "main\n")
			gittest.Git(t, dir, "commit", "-qam", "main")
			gittest.Run(dir, "merge", "side") // conflicts: left mid-merge by "the user"
		}, "merge"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := gittest.Clone(t, remote, "x")
			tc.prepare(dir)
			headBefore := gittest.Git(t, dir, "rev-parse", "HEAD")
			statusBefore, _ := gittest.Run(dir, "status", "--porcelain")
			gittest.WriteFile(t, dir, "new-file.md", "must not be committed\n")
			// A good folder beside the bad one keeps running.
			good := gittest.Clone(t, remote, "good")
			mctx, cancel := context.WithCancel(ctx)
			defer cancel()
			mgr := syncer.NewManager(nil)
			for _, d := range []string{dir, good} {
				o, err := syncer.Open(mctx, fastFolder(d), syncer.Setup{Device: "laptop"})
				if err != nil {
					t.Fatalf("open %s: %v", d, err)
				}
				defer o.Close()
				mgr.Add(o.Options)
			}
			done := make(chan struct{})
			go func() { mgr.Run(mctx); close(done) }()
			defer func() { cancel(); <-done }()
			bad, ok := mgr.Folders()[0], mgr.Folders()[1]
			gittest.Eventually(t, 10*time.Second, "bad folder in error", func() bool {
				s := bad.Snapshot()
				return s.State == syncer.Error && s.NeedsUser
			})
			if msg := bad.Snapshot().LastError; !strings.Contains(msg, tc.hint) {
				t.Errorf("error %q does not tell what to do (want %q in it)", msg, tc.hint)
			}
			gittest.WriteFile(t, good, "fine.md", "ok\n")
			gittest.Eventually(t, 10*time.Second, "good folder syncs", func() bool {
				out, _ := gittest.Run(remote, "ls-tree", "--name-only", "main")
				return strings.Contains(out, "fine.md") && ok.Snapshot().State == syncer.Idle
			})
			if gittest.Git(t, dir, "rev-parse", "HEAD") != headBefore {
				t.Error("the refused repository was changed")
			}
			if st, _ := gittest.Run(dir, "status", "--porcelain"); st != statusBefore+"\n?? new-file.md" && st != strings.TrimSpace(statusBefore+"\n?? new-file.md") {
				t.Errorf("the refused repository's status changed: %q", st)
			}
		})
	}
}

func TestOneInstancePerFolder(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	o, err := syncer.Open(t.Context(), fastFolder(dir), syncer.Setup{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	_, err = syncer.Open(t.Context(), fastFolder(dir), syncer.Setup{})
	var held *syncer.HeldError
	if !errors.As(err, &held) || !strings.Contains(err.Error(), fmt.Sprintf("PID %d", os.Getpid())) {
		t.Fatalf("second instance: %v, want it to name PID %d", err, os.Getpid())
	}
}

func TestBigFilesAreLeftOutAndReported(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	a := start(t, "laptop", gittest.Clone(t, remote, "a"), func(fc *config.Folder) { fc.MaxFileSize = 1000 })
	a.write("small.txt", "ok\n")
	a.write("video.bin", strings.Repeat("x", 5000))
	synced(t, remote, a)
	tree := gittest.Git(t, remote, "ls-tree", "-r", "--name-only", "main")
	if strings.Contains(tree, "video.bin") || !strings.Contains(tree, "small.txt") {
		t.Fatalf("tree %q: want small.txt and not video.bin", tree)
	}
	if s := a.folder.Snapshot().Skipped; len(s) != 1 || s[0].Path != "video.bin" {
		t.Fatalf("snapshot does not report the skipped file: %+v", s)
	}
	if a.count(syncer.EventSkipped) != 1 {
		t.Fatal("the user was not told about the big file")
	}
}

func TestLocalOnlyCommitsWithoutARemote(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "diary")
	gittest.Require(t)
	gittest.Git(t, filepath.Dir(dir), "init", "-q", dir)
	a := start(t, "laptop", dir, func(fc *config.Folder) { fc.LocalOnly = true })
	a.write("today.md", "dear diary\n")
	gittest.Eventually(t, 10*time.Second, "a local commit", func() bool {
		out, _ := gittest.Run(dir, "log", "--format=%s")
		return strings.HasPrefix(out, "autosync on laptop: add today.md")
	})
	gittest.Eventually(t, 5*time.Second, "idle", func() bool { return a.state() == syncer.Idle })
	if s := a.folder.Snapshot(); s.LastError != "" {
		t.Fatalf("local-only folder reports an error: %s", s.LastError)
	}
}
