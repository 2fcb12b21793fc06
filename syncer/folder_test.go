package syncer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/autosync-dev/autosync/syncer/vcs"
	"github.com/autosync-dev/autosync/syncer/watch"
)

// fakeRepo is an in-memory Repository for the state machine's unit tests.
// Files "change" when a test calls edit; Stage picks them up; the remote is
// a counter of commits we have not merged.
type fakeRepo struct {
	mu        sync.Mutex
	dirty     map[string]bool
	staged    []vcs.Change
	ahead     int
	remoteNew int // commits on the remote we have not pulled

	checkErr  error   // returned by Check
	netErrs   []error // returned by the next Pull/Push calls, in order
	rejects   int     // the next n pushes are rejected (and the remote gets a commit)
	commits   []string
	pulls     int
	pushes    int
	stages    int
	conflicts []vcs.Conflict
}

func newFakeRepo() *fakeRepo { return &fakeRepo{dirty: map[string]bool{}} }

func (r *fakeRepo) edit(paths ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range paths {
		r.dirty[p] = true
	}
}

func (r *fakeRepo) nextNetErr() error {
	if len(r.netErrs) == 0 {
		return nil
	}
	err := r.netErrs[0]
	r.netErrs = r.netErrs[1:]
	return err
}

func (r *fakeRepo) Check(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.checkErr
}

func (r *fakeRepo) Stage(context.Context) ([]vcs.Change, []vcs.Skipped, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stages++
	for p := range r.dirty {
		r.staged = append(r.staged, vcs.Change{Kind: vcs.Modified, Path: p})
	}
	clear(r.dirty)
	return r.staged, nil, nil
}

func (r *fakeRepo) Commit(_ context.Context, msg string) (vcs.Commit, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.staged) == 0 {
		return vcs.Commit{}, errors.New("nothing staged")
	}
	r.staged = nil
	r.commits = append(r.commits, msg)
	r.ahead++
	return vcs.Commit{Hash: fmt.Sprint(len(r.commits)), Subject: msg}, nil
}

func (r *fakeRepo) Pull(context.Context, string, time.Time) (vcs.PullResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pulls++
	if err := r.nextNetErr(); err != nil {
		return vcs.PullResult{}, err
	}
	if r.remoteNew == 0 {
		return vcs.PullResult{}, nil
	}
	res := vcs.PullResult{Updated: true, FastForward: r.ahead == 0}
	if r.ahead > 0 {
		res.Merge = &vcs.Commit{Hash: "merge"}
		r.ahead++
	}
	r.remoteNew = 0
	return res, nil
}

func (r *fakeRepo) Push(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pushes++
	if err := r.nextNetErr(); err != nil {
		return err
	}
	if r.remoteNew > 0 {
		return vcs.ErrRejected
	}
	if r.rejects > 0 {
		r.rejects--
		r.remoteNew++
		return vcs.ErrRejected
	}
	r.ahead = 0
	return nil
}

func (r *fakeRepo) Status(context.Context) (vcs.Status, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return vcs.Status{Branch: "main", Head: fmt.Sprint(len(r.commits)), Ahead: r.ahead, Behind: r.remoteNew}, nil
}

func (r *fakeRepo) Log(context.Context, int) ([]vcs.Commit, error) { return nil, nil }

func (r *fakeRepo) Conflicts(context.Context) ([]vcs.Conflict, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conflicts, nil
}

func (r *fakeRepo) RemoteURL(context.Context) (string, error) { return "ssh://host/notes.git", nil }

func (r *fakeRepo) aheadBy() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ahead
}

func (r *fakeRepo) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.commits...)
}

func (r *fakeRepo) scans() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stages
}

func (r *fakeRepo) counts() (commits, pulls, pushes int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.commits), r.pulls, r.pushes
}

// harness runs one Folder over a fakeRepo inside a synctest bubble.
type harness struct {
	t         *testing.T
	repo      *fakeRepo
	f         *Folder
	batches   chan watch.Batch
	mu        sync.Mutex
	events    []Event
	announced []string
	cancel    context.CancelFunc
	done      chan struct{}
}

func startFolder(t *testing.T, repo *fakeRepo, tweak func(*FolderOptions)) *harness {
	t.Helper()
	h := &harness{t: t, repo: repo, batches: make(chan watch.Batch, 1), done: make(chan struct{})}
	opts := FolderOptions{
		Path: "/home/u/notes", Device: "laptop", Repo: repo, Batches: h.batches,
		CommitDelay: 2 * time.Second, MaxDelay: 60 * time.Second, PushDelay: time.Second,
		Emit: func(e Event) {
			h.mu.Lock()
			h.events = append(h.events, e)
			h.mu.Unlock()
		},
		Announce: func(url string) {
			h.mu.Lock()
			h.announced = append(h.announced, url)
			h.mu.Unlock()
		},
	}
	if tweak != nil {
		tweak(&opts)
	}
	h.f = NewFolder(opts)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		h.f.Run(ctx)
		close(h.done)
	}()
	synctest.Wait()
	t.Cleanup(func() {
		cancel()
		<-h.done
	})
	return h
}

// save simulates the user saving paths and the watcher reporting it.
func (h *harness) save(paths ...string) {
	h.repo.edit(paths...)
	h.batches <- watch.Batch{Paths: paths, At: time.Now()}
	synctest.Wait()
}

func (h *harness) state() State { return h.f.Snapshot().State }

func (h *harness) kinds() []EventKind {
	h.mu.Lock()
	defer h.mu.Unlock()
	var k []EventKind
	for _, e := range h.events {
		k = append(k, e.Kind)
	}
	return k
}

func (h *harness) count(kind EventKind) int {
	n := 0
	for _, k := range h.kinds() {
		if k == kind {
			n++
		}
	}
	return n
}

func TestStartupCommitsPullsAndPushesWhatChangedWhileStopped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		repo := newFakeRepo()
		repo.edit("offline-edit.md")
		repo.remoteNew = 1
		h := startFolder(t, repo, nil)
		if c, p, s := repo.counts(); c != 1 || p != 1 || s != 1 {
			t.Fatalf("after start: %d commits, %d pulls, %d pushes; want 1, 1, 1", c, p, s)
		}
		if h.state() != Idle {
			t.Fatalf("state = %v, want idle", h.state())
		}
		if len(h.announced) != 1 {
			t.Fatalf("announced %d times, want once after the push", len(h.announced))
		}
	})
}

func TestBurstOfSavesGivesOneCommitAfterTheQuietPeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		repo := newFakeRepo()
		h := startFolder(t, repo, nil)
		for i := range 20 {
			h.save(fmt.Sprintf("notes.md~%d", i%2), "notes.md")
			if i == 0 && h.state() != Pending {
				t.Fatalf("state after a save = %v, want pending", h.state())
			}
			time.Sleep(100 * time.Millisecond)
		}
		if c, _, _ := repo.counts(); c != 0 {
			t.Fatalf("committed during the burst (%d commits)", c)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if c, _, _ := repo.counts(); c != 1 {
			t.Fatalf("%d commits after the quiet period, want 1", c)
		}
		time.Sleep(time.Second) // push delay
		synctest.Wait()
		if _, _, p := repo.counts(); p != 1 {
			t.Fatalf("%d pushes, want 1", p)
		}
		if h.state() != Idle {
			t.Fatalf("state = %v, want idle", h.state())
		}
		want := []EventKind{EventCommitted, EventPushed}
		if got := h.kinds(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("events %v, want %v", got, want)
		}
	})
}

func TestChangesThatNeverSettleAreCommittedAfterMaxDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		repo := newFakeRepo()
		h := startFolder(t, repo, nil)
		start := time.Now()
		for time.Since(start) < 59*time.Second {
			h.save("log.txt")
			time.Sleep(time.Second) // always inside the 2s quiet period
		}
		if c, _, _ := repo.counts(); c != 0 {
			t.Fatalf("committed before max_delay")
		}
		h.save("log.txt")
		time.Sleep(time.Second)
		synctest.Wait()
		if c, _, _ := repo.counts(); c != 1 {
			t.Fatalf("%d commits at max_delay, want 1", c)
		}
	})
}

func TestHintsOlderThanTheLastScanAreIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		repo := newFakeRepo()
		h := startFolder(t, repo, nil)
		stale := time.Now().Add(-time.Second) // read before the startup scan
		h.batches <- watch.Batch{Paths: []string{"pulled.md"}, At: stale}
		synctest.Wait()
		if h.state() != Idle {
			t.Fatalf("a stale hint moved the folder to %v", h.state())
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if repo.scans() != 1 {
			t.Fatalf("%d scans, want only the startup one", repo.scans())
		}
	})
}

func TestOfflineBacksOffAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		repo := newFakeRepo()
		offline := fmt.Errorf("fetch: %w", vcs.ErrOffline)
		repo.netErrs = []error{offline, offline, offline}
		h := startFolder(t, repo, nil)
		if h.state() != Offline {
			t.Fatalf("state = %v, want offline", h.state())
		}
		if h.f.Snapshot().NextRetry.IsZero() || h.f.Snapshot().LastError == "" {
			t.Fatalf("snapshot does not say when it retries and why: %+v", h.f.Snapshot())
		}
		// A save while offline is still committed locally.
		h.save("offline.md")
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if c, _, _ := repo.counts(); c != 1 {
			t.Fatalf("%d commits while offline, want 1", c)
		}
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if h.state() != Idle {
			t.Fatalf("state = %v after the remote came back, want idle", h.state())
		}
		if _, pulls, _ := repo.counts(); pulls != 4 {
			t.Fatalf("%d pull attempts, want 3 failed + 1 good (backoff, not a hot loop)", pulls)
		}
		if repo.aheadBy() != 0 {
			t.Fatal("the offline commit was not pushed after recovery")
		}
		if h.count(EventOffline) != 1 || h.count(EventBackOnline) != 1 {
			t.Fatalf("events %v: want one offline and one back-online", h.kinds())
		}
	})
}

func TestRejectedPushPullsAndRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		repo := newFakeRepo()
		h := startFolder(t, repo, nil)
		repo.rejects = 2
		h.save("a.md")
		time.Sleep(4 * time.Second)
		synctest.Wait()
		_, pulls, pushes := repo.counts()
		if pushes != 3 || repo.aheadBy() != 0 {
			t.Fatalf("%d pushes (ahead %d), want 2 rejected + 1 accepted", pushes, repo.aheadBy())
		}
		if pulls != 3 {
			t.Fatalf("%d pulls, want 1 at start + 1 per rejection", pulls)
		}
		if len(h.announced) != 1 {
			t.Fatalf("announced %d times, want only after the accepted push", len(h.announced))
		}
	})
}

func TestPushRejectedForeverBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		repo := newFakeRepo()
		h := startFolder(t, repo, nil)
		repo.rejects = 1000
		h.save("a.md")
		// Commit at 2s, push at 3s; the first retry comes no sooner than
		// 0.8s after the last rejection (1s backoff, ±20%).
		time.Sleep(3500 * time.Millisecond)
		synctest.Wait()
		if _, _, pushes := repo.counts(); pushes != maxPushAttempts {
			t.Fatalf("%d pushes, want %d then back off", pushes, maxPushAttempts)
		}
		if h.state() != Error || len(h.announced) != 0 {
			t.Fatalf("state %v, %d announcements; want error and none", h.state(), len(h.announced))
		}
	})
}

func TestPauseStopsCommitsAndResumeCommits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		repo := newFakeRepo()
		h := startFolder(t, repo, nil)
		h.f.Pause()
		synctest.Wait()
		if h.state() != Paused || !h.f.Snapshot().Paused {
			t.Fatalf("state = %v, want paused", h.state())
		}
		h.save("while-paused.md")
		time.Sleep(time.Minute)
		synctest.Wait()
		if c, _, _ := repo.counts(); c != 0 {
			t.Fatalf("committed while paused")
		}
		h.f.Resume()
		synctest.Wait()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if c, _, p := repo.counts(); c != 1 || p != 1 {
			t.Fatalf("after resume: %d commits, %d pushes; want 1, 1", c, p)
		}
		if h.state() != Idle {
			t.Fatalf("state = %v, want idle", h.state())
		}
	})
}

func TestRepositoryNeedingTheUserIsNotTouchedUntilFixed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		repo := newFakeRepo()
		repo.checkErr = vcs.NeedsUser("a rebase is in progress", "finish it with git rebase --continue", nil)
		repo.edit("x.md")
		h := startFolder(t, repo, nil)
		s := h.f.Snapshot()
		if s.State != Error || !s.NeedsUser || s.LastError == "" {
			t.Fatalf("snapshot %+v: want error that needs the user", s)
		}
		if c, p, _ := repo.counts(); c != 0 || p != 0 || repo.scans() != 0 {
			t.Fatal("touched a repository that needs the user")
		}
		h.save("y.md")
		time.Sleep(time.Minute)
		synctest.Wait()
		if c, _, _ := repo.counts(); c != 0 {
			t.Fatal("committed during the user's rebase")
		}
		if h.count(EventError) != 1 {
			t.Fatalf("events %v: want the error reported once", h.kinds())
		}
		repo.mu.Lock()
		repo.checkErr = nil
		repo.mu.Unlock()
		time.Sleep(needsUserRecheck)
		synctest.Wait()
		if c, _, _ := repo.counts(); c != 1 || h.state() != Idle {
			t.Fatalf("after the fix: %d commits, state %v; want 1, idle", c, h.state())
		}
	})
}

func TestSyncNowFetches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		repo := newFakeRepo()
		h := startFolder(t, repo, nil)
		repo.mu.Lock()
		repo.remoteNew = 2
		repo.mu.Unlock()
		h.f.SyncNow()
		synctest.Wait()
		if _, pulls, _ := repo.counts(); pulls != 2 {
			t.Fatalf("%d pulls, want 2 (start + sync now)", pulls)
		}
		if h.count(EventPulled) != 1 {
			t.Fatalf("events %v, want one pulled", h.kinds())
		}
	})
}

func TestPollFetchesPeriodically(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		repo := newFakeRepo()
		poll := 2 * time.Minute
		startFolder(t, repo, func(o *FolderOptions) { o.Poll = func() time.Duration { return poll } })
		time.Sleep(10*time.Minute + time.Second)
		synctest.Wait()
		if _, pulls, _ := repo.counts(); pulls != 6 {
			t.Fatalf("%d pulls in 10 minutes at a 2m poll, want 6 (start + 5)", pulls)
		}
	})
}

func TestConflictStateWhileCopiesExist(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		repo := newFakeRepo()
		repo.conflicts = []vcs.Conflict{{Path: "a.md", Copy: "a (conflict from desk 2026-11-21 101010).md"}}
		h := startFolder(t, repo, nil)
		if h.state() != Conflict || len(h.f.Snapshot().Conflicts) != 1 {
			t.Fatalf("state %v, want conflict listing the copy", h.state())
		}
		repo.mu.Lock()
		repo.conflicts = nil
		repo.mu.Unlock()
		h.save("a (conflict from desk 2026-11-21 101010).md") // the user deleted the copy
		time.Sleep(4 * time.Second)
		synctest.Wait()
		if h.state() != Idle {
			t.Fatalf("state %v after the copy was handled, want idle", h.state())
		}
	})
}

type fakePrompter struct {
	answer string
	block  bool
	asked  []string
}

func (p *fakePrompter) CommitMessage(ctx context.Context, folder, generated string) (string, error) {
	p.asked = append(p.asked, generated)
	if p.block {
		<-ctx.Done()
		return generated, nil
	}
	return p.answer, nil
}

func TestPromptedCommitMessage(t *testing.T) {
	for _, tt := range []struct {
		name   string
		p      *fakePrompter
		prefix string
	}{
		{"typed", &fakePrompter{answer: "my words"}, "my words"},
		{"empty answer", &fakePrompter{answer: ""}, "autosync on laptop: edit a.md"},
		{"dialog never answers", &fakePrompter{block: true}, "autosync on laptop: edit a.md"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				repo := newFakeRepo()
				h := startFolder(t, repo, func(o *FolderOptions) { o.Prompter = tt.p; o.AskTimeout = 30 * time.Second })
				h.save("a.md")
				time.Sleep(2*time.Second + 40*time.Second)
				synctest.Wait()
				msgs := repo.messages()
				if len(msgs) != 1 {
					t.Fatalf("%d commits, want 1", len(msgs))
				}
				if got := msgs[0]; len(got) < len(tt.prefix) || got[:len(tt.prefix)] != tt.prefix {
					t.Fatalf("commit message %q, want it to start with %q", got, tt.prefix)
				}
			})
		})
	}
}

func TestShutdownReturnsPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startFolder(t, newFakeRepo(), nil)
		h.cancel()
		synctest.Wait()
		select {
		case <-h.done:
		default:
			t.Fatal("Run did not return after cancel")
		}
	})
}

func TestDebouncer(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := debouncer{quiet: 2 * time.Second, max: 10 * time.Second}
	if got := d.touch(t0); !got.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("first touch: %v", got)
	}
	if got := d.touch(t0.Add(time.Second)); !got.Equal(t0.Add(3 * time.Second)) {
		t.Fatalf("second touch: %v", got)
	}
	if got := d.touch(t0.Add(9 * time.Second)); !got.Equal(t0.Add(10 * time.Second)) {
		t.Fatalf("capped: %v, want first+max", got)
	}
	d.reset()
	if !d.deadline().IsZero() {
		t.Fatal("deadline after reset")
	}
}

func TestDegradedWatchingFallsBackToPeriodicScans(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		repo := newFakeRepo()
		h := startFolder(t, repo, nil)
		limit := errors.New("too many directories to watch: run sudo sysctl fs.inotify.max_user_watches=524288")
		h.batches <- watch.Batch{Degraded: limit, At: time.Now()}
		synctest.Wait()
		if h.count(EventWarning) != 1 {
			t.Fatalf("events %v: want one warning naming the fix", h.kinds())
		}
		// A change the watcher never reports is still found by a scan.
		repo.edit("unwatched/dir/file.md")
		time.Sleep(degradedScan + time.Second)
		synctest.Wait()
		if c, _, _ := repo.counts(); c != 1 {
			t.Fatalf("%d commits: the periodic scan did not find the change", c)
		}
		scans := repo.scans()
		time.Sleep(5 * degradedScan)
		synctest.Wait()
		if got := repo.scans() - scans; got < 4 || got > 6 {
			t.Fatalf("%d scans in %v, want one every %v", got, 5*degradedScan, degradedScan)
		}
		if h.count(EventWarning) != 1 {
			t.Fatal("the warning was repeated")
		}
	})
}

func TestSlowSubscriberNeverBlocksTheFolder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		events, _ := m.Subscribe() // never read
		repo := newFakeRepo()
		f := m.Add(FolderOptions{Path: "/x", Device: "d", Repo: repo, CommitDelay: time.Second, PushDelay: time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { m.Run(ctx); close(done) }()
		synctest.Wait()
		for i := range eventBuffer + 50 { // more events than the buffer holds
			repo.edit(fmt.Sprint(i))
			f.SyncNow()
			synctest.Wait()
		}
		if c, _, _ := repo.counts(); c != eventBuffer+50 {
			t.Fatalf("%d commits: the folder stalled behind a subscriber that does not read", c)
		}
		if len(events) != eventBuffer {
			t.Fatalf("subscriber buffer holds %d events, want it full at %d", len(events), eventBuffer)
		}
		select {
		case <-m.Changed():
		default:
			t.Fatal("no change signal")
		}
		cancel()
		<-done
	})
}

func TestBrokenFoldersAreListedUntilTheyStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		m.Add(FolderOptions{Path: "/home/u/notes", Device: "d", Repo: newFakeRepo()})
		m.AddBroken("/media/usb/photos", errors.New("folder /media/usb/photos does not exist"))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { m.Run(ctx); close(done) }()
		synctest.Wait()
		snaps := m.Snapshots()
		if len(snaps) != 2 || snaps[1].State != Error || !snaps[1].NeedsUser || !strings.Contains(snaps[1].LastError, "does not exist") {
			t.Fatalf("snapshots %+v: want the broken folder listed in Error with its reason", snaps)
		}
		if err := m.SyncNow("photos"); err == nil || !strings.Contains(err.Error(), "could not be started") {
			t.Fatalf("SyncNow on a broken folder: %v", err)
		}
		// The disk is plugged in: the folder starts and replaces the entry.
		f := m.Add(FolderOptions{Path: "/media/usb/photos", Device: "d", Repo: newFakeRepo()})
		synctest.Wait()
		snaps = m.Snapshots()
		if len(snaps) != 2 || snaps[1].State != Idle || f.Snapshot().State != Idle {
			t.Fatalf("after the folder started: %+v", snaps)
		}
		cancel()
		<-done
	})
}

func TestSyncNowOnAPausedFolderSaysSo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		repo := newFakeRepo()
		f := m.Add(FolderOptions{Path: "/home/u/notes", Device: "d", Repo: repo, Paused: true})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { m.Run(ctx); close(done) }()
		synctest.Wait()
		repo.edit("x.md")
		err := m.SyncNow("")
		if !errors.Is(err, ErrPaused) || !strings.Contains(err.Error(), "autosync resume") {
			t.Fatalf("SyncNow on a paused folder: %v, want ErrPaused saying how to resume", err)
		}
		synctest.Wait()
		if c, _, _ := repo.counts(); c != 0 || !f.Snapshot().Paused {
			t.Fatal("SyncNow synced a paused folder")
		}
		cancel()
		<-done
	})
}
