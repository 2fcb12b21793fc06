//go:build !windows

package legacy_test

// Integration tests with the real Mercurial: a shared repository and two
// clones, each synced by a real engine (syncer.Folder with the real
// watcher) driving hg through the [dvcs] templates of dvcs-autosync's
// Mercurial example, as on two machines.

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
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
	"github.com/autosync-dev/autosync/syncer/legacy"
	"github.com/autosync-dev/autosync/syncer/vcs"
	"github.com/autosync-dev/autosync/syncer/watch"
)

var (
	_ syncer.Repository = (*legacy.Repo)(nil)
	_ syncer.Hinter     = (*legacy.Repo)(nil)
)

func TestMain(m *testing.M) {
	// Mercurial reads only an empty config (no user extensions or hooks)
	// and commits as a test user.
	rc, err := os.CreateTemp("", "hgrc-")
	if err != nil {
		panic(err)
	}
	rc.Close()
	os.Setenv("HGRCPATH", rc.Name())
	os.Setenv("HGUSER", "Test User <test@example.invalid>")
	os.Unsetenv("HGPLAIN")
	defer os.Remove(rc.Name())
	gittest.Main(m)
}

// requireHg skips without Mercurial, and fails under CI=true.
func requireHg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("hg"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("hg is not installed (CI=true: a missing dependency is a failure); install the Debian package mercurial")
		}
		t.Skip("hg is not installed; apt-get install mercurial to run this test")
	}
}

func hg(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("hg", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HGPLAIN=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hg %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return strings.TrimSpace(string(out))
}

// hgCommands are the templates of dvcs-autosync's Mercurial example.
func hgCommands(t *testing.T) map[string]string {
	t.Helper()
	c, err := config.LoadLegacy(filepath.Join("..", "config", "testdata", "legacy", "hg.autosync"))
	if err != nil {
		t.Fatal(err)
	}
	return c.Legacy.Commands
}

// newHgRemote makes the shared repository with one commit and returns it.
func newHgRemote(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "remote")
	hg(t, filepath.Dir(dir), "init", dir)
	tmp := filepath.Join(t.TempDir(), "seed")
	hg(t, filepath.Dir(tmp), "clone", "-q", dir, tmp)
	os.WriteFile(filepath.Join(tmp, "README"), []byte("shared notes\n"), 0o644)
	hg(t, tmp, "add", "-q")
	hg(t, tmp, "commit", "-m", "seed")
	hg(t, tmp, "push", "-q")
	return dir
}

func hgClone(t *testing.T, remote, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	hg(t, filepath.Dir(dir), "clone", "-q", remote, dir)
	return dir
}

// net connects machines: a push by one is announced to the others, as
// XMPP would.
type net struct {
	mu       sync.Mutex
	machines []*machine
}

func (n *net) announce(from *machine) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, m := range n.machines {
		if m != from {
			m.folder.Announced()
		}
	}
}

type machine struct {
	t      *testing.T
	name   string
	dir    string
	repo   *legacy.Repo
	folder *syncer.Folder
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	events []syncer.Event
}

type testLog struct {
	t    *testing.T
	name string
}

func (l testLog) Write(p []byte) (int, error) {
	l.t.Logf("[%s] %s", l.name, strings.TrimSpace(string(p)))
	return len(p), nil
}

// start runs a real engine with the watcher on dir, driving hg through
// the templates.
func start(t *testing.T, n *net, name, dir string, commands map[string]string) *machine {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewTextHandler(testLog{t, name}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	repo, err := legacy.Open(ctx, dir, commands, legacy.Options{Device: name, Logger: logger, Timeout: time.Minute})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	lock, err := syncer.Lock(repo.LockPath(), dir)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	matcher, err := ignore.New(append(slices.Clone(ignore.Defaults), ".hg"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := watch.New(watch.Options{Root: dir, Skip: matcher.Match, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	m := &machine{t: t, name: name, dir: dir, repo: repo, cancel: cancel, done: make(chan struct{})}
	m.folder = syncer.NewFolder(syncer.FolderOptions{
		Path: dir, Device: name, Repo: repo, Batches: w.Batches(),
		CommitDelay: 300 * time.Millisecond, MaxDelay: 5 * time.Second, PushDelay: 50 * time.Millisecond,
		Announce: func(string) { n.announce(m) },
		Emit: func(e syncer.Event) {
			m.mu.Lock()
			m.events = append(m.events, e)
			m.mu.Unlock()
		},
		Logger: logger,
	})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); w.Run(ctx) }()
	go func() { defer wg.Done(); m.folder.Run(ctx) }()
	go func() { wg.Wait(); lock.Release(); close(m.done) }()
	t.Cleanup(func() { cancel(); <-m.done })
	n.mu.Lock()
	n.machines = append(n.machines, m)
	n.mu.Unlock()
	m.waitIdle()
	return m
}

func (m *machine) write(rel, content string) {
	m.t.Helper()
	p := filepath.Join(m.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		m.t.Fatal(err)
	}
}

func (m *machine) read(rel string) string {
	b, _ := os.ReadFile(filepath.Join(m.dir, filepath.FromSlash(rel)))
	return string(b)
}

func (m *machine) state() syncer.State { return m.folder.Snapshot().State }

func (m *machine) waitIdle() {
	m.t.Helper()
	gittest.Eventually(m.t, 30*time.Second, m.name+" idle", func() bool {
		s := m.folder.Snapshot()
		return (s.State == syncer.Idle || s.State == syncer.Conflict) && s.Ahead == 0 && len(s.Pending) == 0
	})
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

// tree maps every file outside .hg to its content.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && d.Name() == ".hg" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			b, _ := os.ReadFile(p)
			files[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	return files
}

// synced waits until every clone is at the remote's tip with nothing
// uncommitted and one head, then compares the trees.
func synced(t *testing.T, remote string, ms ...*machine) {
	t.Helper()
	gittest.Eventually(t, 60*time.Second, "all clones at the remote's tip", func() bool {
		want := hg(t, remote, "log", "-r", "tip", "-T", "{node}")
		for _, m := range ms {
			if hg(t, m.dir, "log", "-r", ".", "-T", "{node}") != want {
				m.folder.SyncNow()
				return false
			}
			if hg(t, m.dir, "status") != "" {
				return false
			}
			// The engine may have committed between the two reads.
			if hg(t, m.dir, "log", "-r", ".", "-T", "{node}") != want {
				return false
			}
		}
		return true
	})
	for _, m := range ms {
		if heads := hg(t, m.dir, "heads", "-T", "{node}\n"); strings.Count(heads, "\n") != 0 {
			t.Fatalf("%s has several heads:\n%s", m.name, heads)
		}
		if p2 := hg(t, m.dir, "log", "-r", "p2()", "-T", "{node}"); p2 != "" {
			t.Fatalf("%s left mid-merge", m.name)
		}
	}
	a := tree(t, ms[0].dir)
	for _, m := range ms[1:] {
		if b := tree(t, m.dir); fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("trees differ:\n%s: %q\n%s: %q", ms[0].name, a, m.name, b)
		}
	}
}

func TestMercurialClonesSyncThroughTheTemplates(t *testing.T) {
	requireHg(t)
	t.Parallel()
	cmds := hgCommands(t)
	remote := newHgRemote(t)
	n := &net{}
	a := start(t, n, "laptop", hgClone(t, remote, "a"), cmds)
	b := start(t, n, "desktop", hgClone(t, remote, "b"), cmds)

	steps := []struct {
		name  string
		do    func()
		check func() bool
	}{
		{"add", func() { a.write("notes.md", "hello\n") }, func() bool { return b.read("notes.md") == "hello\n" }},
		{"add with spaces in a subfolder", func() { a.write("my docs/a file.txt", "spaces\n") },
			func() bool { return b.read("my docs/a file.txt") == "spaces\n" }},
		{"edit on the other machine", func() { b.write("notes.md", "hello again\n") }, func() bool { return a.read("notes.md") == "hello again\n" }},
		{"delete", func() { os.Remove(filepath.Join(a.dir, "README")) }, func() bool {
			_, err := os.Stat(filepath.Join(b.dir, "README"))
			return os.IsNotExist(err)
		}},
	}
	for _, s := range steps {
		s.do()
		gittest.Eventually(t, 30*time.Second, s.name+" reaching the other clone", s.check)
		synced(t, remote, a, b)
	}
	// Commit messages are autosync's, made by the engine from hg status.
	log := hg(t, remote, "log", "-T", "{desc|firstline}\n")
	for _, want := range []string{"autosync on laptop: add notes.md", "autosync on desktop: edit notes.md", "autosync on laptop: delete README"} {
		if !strings.Contains(log, want) {
			t.Errorf("remote log lacks %q:\n%s", want, log)
		}
	}
	if got := a.folder.Snapshot().Recent; len(got) == 0 || got[0].Device == "" {
		t.Errorf("recent commits not shown: %+v", got)
	}
}

func TestMercurialConcurrentEditKeepsBothVersions(t *testing.T) {
	requireHg(t)
	t.Parallel()
	cmds := hgCommands(t)
	remote := newHgRemote(t)
	n := &net{}
	a := start(t, n, "laptop", hgClone(t, remote, "a"), cmds)
	b := start(t, n, "desktop", hgClone(t, remote, "b"), cmds)
	a.write("shared.md", "base\n")
	a.write("gone-there.md", "base\n")
	synced(t, remote, a, b)

	a.folder.Pause()
	b.folder.Pause()
	gittest.Eventually(t, 5*time.Second, "both paused", func() bool { return a.state() == syncer.Paused && b.state() == syncer.Paused })
	a.write("shared.md", "laptop's words\n")
	b.write("shared.md", "desktop's words\n")
	a.write("gone-there.md", "edited on the laptop\n")
	os.Remove(filepath.Join(b.dir, "gone-there.md"))
	a.folder.Resume()
	b.folder.Resume()
	synced(t, remote, a, b)

	var copies []string
	for f := range tree(t, a.dir) {
		if strings.HasPrefix(f, "shared (conflict from ") && strings.HasSuffix(f, ").md") {
			copies = append(copies, f)
		}
	}
	if len(copies) != 1 {
		t.Fatalf("want exactly one conflict copy, files: %q", tree(t, a.dir))
	}
	both := []string{a.read("shared.md"), a.read(copies[0])}
	slices.Sort(both)
	if both[0] != "desktop's words\n" || both[1] != "laptop's words\n" {
		t.Fatalf("shared.md = %q, copy = %q: both versions must be kept", a.read("shared.md"), a.read(copies[0]))
	}
	owner := map[string]string{"laptop's words\n": "laptop", "desktop's words\n": "desktop"}[a.read(copies[0])]
	if !strings.HasPrefix(copies[0], "shared (conflict from "+owner+" ") {
		t.Fatalf("copy %q holds %s's version but is not named after it", copies[0], owner)
	}
	if got := a.read("gone-there.md"); got != "edited on the laptop\n" {
		t.Fatalf("the edit lost against a deletion: gone-there.md = %q", got)
	}
	for _, m := range []*machine{a, b} {
		for f, content := range tree(t, m.dir) {
			if strings.Contains(content, "<<<<<<<") || strings.Contains(content, ">>>>>>>") {
				t.Fatalf("%s: conflict markers in %s", m.name, f)
			}
		}
		if _, err := os.Stat(filepath.Join(m.dir, ".hg", "autosync-merge")); err == nil {
			t.Fatalf("%s: merge marker left behind", m.name)
		}
	}
	gittest.Eventually(t, 10*time.Second, "conflict shown", func() bool {
		return len(a.folder.Snapshot().Conflicts) == 1 && len(b.folder.Snapshot().Conflicts) == 1
	})
	if got := a.count(syncer.EventConflict) + b.count(syncer.EventConflict); got != 1 {
		t.Fatalf("the conflict was reported %d times, want once", got)
	}
	// The user deletes the copy: the conflict is handled everywhere.
	os.Remove(filepath.Join(a.dir, copies[0]))
	synced(t, remote, a, b)
	gittest.Eventually(t, 10*time.Second, "conflict cleared", func() bool {
		return a.state() == syncer.Idle && len(b.folder.Snapshot().Conflicts) == 0
	})
}

func TestMercurialRemoteUnreachableThenBack(t *testing.T) {
	requireHg(t)
	t.Parallel()
	cmds := hgCommands(t)
	remote := newHgRemote(t)
	n := &net{}
	a := start(t, n, "laptop", hgClone(t, remote, "a"), cmds)

	away := remote + ".away"
	if err := os.Rename(remote, away); err != nil {
		t.Fatal(err)
	}
	a.write("offline.md", "written on the train\n")
	gittest.Eventually(t, 20*time.Second, "laptop offline", func() bool { return a.state() == syncer.Offline })
	if s := a.folder.Snapshot(); !strings.Contains(s.LastError, "remote unreachable") {
		t.Fatalf("offline error does not say so: %q", s.LastError)
	}
	if log := hg(t, a.dir, "log", "-r", ".", "-T", "{desc|firstline}"); !strings.Contains(log, "offline.md") {
		t.Fatalf("the change was not committed locally while offline: %q", log)
	}
	if err := os.Rename(away, remote); err != nil {
		t.Fatal(err)
	}
	gittest.Eventually(t, 30*time.Second, "laptop back online", func() bool {
		s := a.folder.Snapshot()
		return s.State == syncer.Idle && s.Ahead == 0
	})
	if got := hg(t, remote, "log", "-r", "tip", "-T", "{desc|firstline}"); !strings.Contains(got, "offline.md") {
		t.Fatalf("the offline commit was not pushed later: tip is %q", got)
	}
	if a.count(syncer.EventOffline) != 1 || a.count(syncer.EventBackOnline) != 1 {
		t.Fatalf("offline/back-online events: %d/%d, want 1/1", a.count(syncer.EventOffline), a.count(syncer.EventBackOnline))
	}
}

func TestMercurialPushAndPullErrorsAreClassified(t *testing.T) {
	requireHg(t)
	t.Parallel()
	cmds := hgCommands(t)
	remote := newHgRemote(t)
	dir := hgClone(t, remote, "a")
	other := hgClone(t, remote, "b")
	repo, err := legacy.Open(t.Context(), dir, cmds, legacy.Options{Device: "laptop", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	// Another clone pushes first: our push creates a new remote head.
	os.WriteFile(filepath.Join(other, "x"), []byte("x\n"), 0o644)
	hg(t, other, "commit", "-A", "-m", "other")
	hg(t, other, "push", "-q")
	os.WriteFile(filepath.Join(dir, "y"), []byte("y\n"), 0o644)
	hg(t, dir, "commit", "-A", "-m", "mine")
	if st, err := repo.Status(t.Context()); err != nil || st.Ahead != 1 {
		t.Fatalf("status = %+v, %v; want 1 ahead", st, err)
	}
	if err := repo.Push(t.Context()); !errorsIs(err, vcs.ErrRejected) {
		t.Fatalf("push onto a new remote head: %v, want ErrRejected", err)
	}
	// Uncommitted changes are in the way of a pull.
	os.WriteFile(filepath.Join(dir, "y"), []byte("changed\n"), 0o644)
	if _, err := repo.Pull(t.Context(), "laptop", time.Now()); !errorsIs(err, vcs.ErrDirtyTree) {
		t.Fatalf("pull with uncommitted changes: %v, want ErrDirtyTree", err)
	}
	hg(t, dir, "revert", "--no-backup", "y")
	res, err := repo.Pull(t.Context(), "laptop", time.Now())
	if err != nil || !res.Updated || res.Merge == nil || len(res.Conflicts) != 0 {
		t.Fatalf("pull of a diverged head: %+v, %v; want a clean merge", res, err)
	}
	if err := repo.Push(t.Context()); err != nil {
		t.Fatalf("push after the merge: %v", err)
	}
	if err := repo.Push(t.Context()); err != nil {
		t.Fatalf("push with nothing to push: %v (hg's exit 1 for no changes is success)", err)
	}
	// An unreachable remote, by path and by URL.
	for _, url := range []string{filepath.Join(t.TempDir(), "nowhere"), "http://127.0.0.1:1/repo"} {
		c := maps(cmds)
		c["pullcmd"] = "hg pull -u " + url
		c["pushcmd"] = "hg push " + url
		r2, err := legacy.Open(t.Context(), dir, c, legacy.Options{Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r2.Pull(t.Context(), "laptop", time.Now()); !errorsIs(err, vcs.ErrOffline) {
			t.Errorf("pull from %s: %v, want ErrOffline", url, err)
		}
		os.WriteFile(filepath.Join(dir, "z"), []byte(url), 0o644)
		hg(t, dir, "commit", "-A", "-m", "z")
		if err := r2.Push(t.Context()); !errorsIs(err, vcs.ErrOffline) {
			t.Errorf("push to %s: %v, want ErrOffline", url, err)
		}
	}
	if url, err := repo.RemoteURL(t.Context()); err != nil || url != remote {
		t.Errorf("RemoteURL = %q, %v; want %q", url, err, remote)
	}
}

func TestMercurialMergeInProgressNeedsTheUser(t *testing.T) {
	requireHg(t)
	t.Parallel()
	cmds := hgCommands(t)
	remote := newHgRemote(t)
	dir := hgClone(t, remote, "a")
	other := hgClone(t, remote, "b")
	os.WriteFile(filepath.Join(other, "README"), []byte("theirs\n"), 0o644)
	hg(t, other, "commit", "-m", "theirs")
	hg(t, other, "push", "-q")
	os.WriteFile(filepath.Join(dir, "README"), []byte("mine\n"), 0o644)
	hg(t, dir, "commit", "-m", "mine")
	hg(t, dir, "pull", "-q")
	cmd := exec.Command("hg", "merge", "--tool", ":fail")
	cmd.Dir = dir
	cmd.Run() // leaves README unresolved, as a user's merge would
	repo, err := legacy.Open(t.Context(), dir, cmds, legacy.Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	err = repo.Check(t.Context())
	if !vcs.IsNeedsUser(err) || !strings.Contains(err.Error(), "hg merge --abort") {
		t.Fatalf("Check in a user's merge: %v; want a needs-user error saying how to finish", err)
	}
	// The same merge marked as autosync's (it died mid-merge) is aborted.
	os.WriteFile(filepath.Join(dir, ".hg", "autosync-merge"), nil, 0o644)
	if err := repo.Check(t.Context()); err != nil {
		t.Fatalf("Check after autosync died mid-merge: %v", err)
	}
	if p2 := hg(t, dir, "log", "-r", "p2()", "-T", "{node}"); p2 != "" {
		t.Fatal("autosync's unfinished merge was not aborted")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "README")); string(got) != "mine\n" {
		t.Fatalf("aborting the merge lost the local version: %q", got)
	}
}

func maps(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func TestMercurialOldRevisionCheckedOutNeedsTheUser(t *testing.T) {
	requireHg(t)
	t.Parallel()
	remote := newHgRemote(t)
	dir := hgClone(t, remote, "a")
	os.WriteFile(filepath.Join(dir, "x"), []byte("1\n"), 0o644)
	hg(t, dir, "commit", "-A", "-m", "one")
	os.WriteFile(filepath.Join(dir, "x"), []byte("2\n"), 0o644)
	hg(t, dir, "commit", "-m", "two")
	hg(t, dir, "update", "-q", "-r", ".^") // the user looks at an old version
	repo, err := legacy.Open(t.Context(), dir, hgCommands(t), legacy.Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	_, err = repo.Pull(t.Context(), "laptop", time.Now())
	if !vcs.IsNeedsUser(err) || !strings.Contains(err.Error(), "hg update") {
		t.Fatalf("pull with an old revision checked out: %v; want a needs-user error saying hg update", err)
	}
	if p2 := hg(t, dir, "log", "-r", "p2()", "-T", "{node}"); p2 != "" {
		t.Fatal("left mid-merge")
	}
}

func TestMercurialWithoutDefaultPathNeedsTheUser(t *testing.T) {
	requireHg(t)
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "alone")
	hg(t, filepath.Dir(dir), "init", dir)
	repo, err := legacy.Open(t.Context(), dir, hgCommands(t), legacy.Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Pull(t.Context(), "laptop", time.Now()); !vcs.IsNeedsUser(err) || !strings.Contains(err.Error(), "default") {
		t.Fatalf("pull without a default path: %v; want a needs-user error", err)
	}
}
