package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/autosync-dev/autosync/syncer/retry"
	"github.com/autosync-dev/autosync/syncer/vcs"
	"github.com/autosync-dev/autosync/syncer/watch"
)

// Tunables of the loop. The numbers are judgement calls, not measurements.
const (
	// maxPushAttempts bounds "push rejected -> pull -> push again" before
	// the folder backs off: another machine pushing every second could
	// otherwise keep us busy forever.
	maxPushAttempts = 5
	// shutdownGrace is how long a git step may run on after shutdown was
	// asked for before it is killed. Killing git mid-write leaves locks
	// behind (which Check recovers), so let it finish when it can.
	shutdownGrace = 10 * time.Second
	// needsUserRecheck is how often a folder in Error re-checks whether the
	// user fixed the repository.
	needsUserRecheck = 10 * time.Second
	// degradedScan is the scan interval when the watcher could not watch
	// everything (inotify limit).
	degradedScan = 30 * time.Second
	// maxPendingShown bounds Snapshot.Pending; it is for display only.
	maxPendingShown = 100
	// recentCommits is how many commits a snapshot carries.
	recentCommits = 10
	// promptSlack is added to the ask timeout when waiting for a Prompter,
	// so that a Prompter that honours its own timeout is not cut short.
	promptSlack = 2 * time.Second
)

// FolderOptions configure a Folder. Repo is required; everything else has a
// default.
type FolderOptions struct {
	Path   string // absolute path of the working copy, for snapshots and logs
	Device string // names this machine in commit messages and conflict copies
	Repo   Repository

	// Batches are the watcher's hints; nil means no watcher (periodic scans
	// at ScanInterval, or only on triggers).
	Batches <-chan watch.Batch
	// WatchReady, when set, is closed once the watcher has set up its
	// watches. The first scan waits for it: a change made before the
	// watches exist is seen by that scan, any later one by the watcher.
	WatchReady <-chan struct{}

	CommitDelay time.Duration // quiet period (default 2s)
	MaxDelay    time.Duration // upper bound on waiting for quiet (default 60s)
	PushDelay   time.Duration // after the last commit (default 1s)
	// Poll returns the current periodic-fetch interval; 0 turns polling
	// off. It is asked again after every fetch and after Poke, so that it
	// can depend on whether a peer channel is up. nil means no polling.
	Poll func() time.Duration
	// ScanInterval, when non-zero, checks the working tree periodically
	// even without watcher hints.
	ScanInterval time.Duration

	Paused bool
	// LocalOnly commits but never fetches, merges or pushes (dvcs-autosync's
	// syncmethod = none): an automatic local history.
	LocalOnly bool

	// Prompter, when set, is asked for each commit message; AskTimeout
	// bounds the wait (default 30s).
	Prompter   Prompter
	AskTimeout time.Duration

	// Publish is called (from the folder's goroutine) after the snapshot
	// changed; Emit for each event; Announce after each successful push.
	// They must not block.
	Publish  func()
	Emit     func(Event)
	Announce func(remoteURL string)

	// Backoff for network failures (default 1s doubling to 5m).
	Backoff *retry.Backoff
	Logger  *slog.Logger
}

// Folder keeps one working copy in sync. Its Run method owns all of its
// state; other goroutines talk to it through SyncNow, Pause, Resume,
// Announced and Poke, which never block, and read it through Snapshot.
type Folder struct {
	opts FolderOptions
	log  *slog.Logger

	// Triggers: 1-buffered, non-blocking sends, so they coalesce.
	syncNow chan struct{}
	pull    chan struct{}
	control chan struct{}
	poke    chan struct{}

	mu       sync.Mutex
	snap     Snapshot
	wantPaus bool // desired pause state, guarded by mu

	// Owned by the Run goroutine.
	deb         debouncer
	pending     map[string]bool
	overflow    bool
	commitAt    time.Time // debounce deadline; zero: nothing pending
	pushAt      time.Time
	pollAt      time.Time
	retryAt     time.Time
	scanAt      time.Time
	lastScan    time.Time // start of the last Stage: hints read before it are covered
	needPull    bool
	offline     bool
	needsUser   bool
	failing     bool // a non-network error is being retried
	degraded    bool
	paused      bool
	lastSkipped []vcs.Skipped
	remoteURL   string
	head        string
}

// NewFolder returns a Folder; call Run to start it.
func NewFolder(opts FolderOptions) *Folder {
	if opts.CommitDelay <= 0 {
		opts.CommitDelay = 2 * time.Second
	}
	if opts.MaxDelay < opts.CommitDelay {
		opts.MaxDelay = max(60*time.Second, opts.CommitDelay)
	}
	if opts.PushDelay < 0 {
		opts.PushDelay = 0
	}
	if opts.AskTimeout <= 0 {
		opts.AskTimeout = 30 * time.Second
	}
	if opts.Backoff == nil {
		opts.Backoff = retry.New(time.Second, 5*time.Minute)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Device == "" {
		opts.Device = "unknown device"
	}
	f := &Folder{
		opts:    opts,
		log:     opts.Logger.With("folder", opts.Path),
		syncNow: make(chan struct{}, 1),
		pull:    make(chan struct{}, 1),
		control: make(chan struct{}, 1),
		poke:    make(chan struct{}, 1),
		pending: map[string]bool{},
		deb:     debouncer{quiet: opts.CommitDelay, max: opts.MaxDelay},
	}
	f.wantPaus = opts.Paused
	// Until the first cycle ran, nothing is known: show the folder as
	// having changes pending, not as in sync.
	f.snap = Snapshot{Path: opts.Path, Name: filepath.Base(opts.Path), State: Pending, Detail: "starting", Since: time.Now(), Paused: opts.Paused, LocalOnly: opts.LocalOnly}
	return f
}

// Path is the folder's path.
func (f *Folder) Path() string { return f.opts.Path }

// RemoteURL is the URL of the folder's upstream as read at start ("" before
// that, or when it could not be read). Safe from any goroutine.
func (f *Folder) RemoteURL() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap.Remote
}

// Snapshot returns the folder's current state. Safe from any goroutine.
func (f *Folder) Snapshot() Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

// SyncNow asks for a full cycle: commit what changed, fetch and merge, push.
func (f *Folder) SyncNow() { signal(f.syncNow) }

// Announced tells the folder that another machine pushed: it fetches and
// merges at once.
func (f *Folder) Announced() { signal(f.pull) }

// Pause stops commits, pulls and pushes until Resume. Changes made while
// paused are committed after Resume.
func (f *Folder) Pause() { f.setWantPaused(true) }

// Resume undoes Pause and runs a full cycle.
func (f *Folder) Resume() { f.setWantPaused(false) }

// Poke makes the folder re-read its poll interval (the peer channel went up
// or down).
func (f *Folder) Poke() { signal(f.poke) }

func (f *Folder) setWantPaused(p bool) {
	f.mu.Lock()
	f.wantPaus = p
	f.mu.Unlock()
	signal(f.control)
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Run keeps the folder in sync until ctx is done. It returns nil then;
// nothing else ends it. A git step that is running when ctx is cancelled is
// given shutdownGrace to finish before it is killed.
func (f *Folder) Run(ctx context.Context) error {
	opCtx, cancelOps := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelOps()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(shutdownGrace, cancelOps)
		context.AfterFunc(opCtx, func() { t.Stop() })
	})
	defer stop()

	f.mu.Lock()
	f.paused = f.wantPaus
	f.mu.Unlock()
	if f.opts.WatchReady != nil {
		select {
		case <-f.opts.WatchReady:
		case <-ctx.Done():
			return nil
		}
	}
	f.startup(ctx, opCtx)

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		f.armTimer(timer)
		select {
		case <-ctx.Done():
			f.log.Debug("stopped")
			return nil
		case b, ok := <-f.opts.Batches:
			if !ok {
				f.opts.Batches = nil // watcher gone: keep running on triggers and scans
				continue
			}
			f.hint(b)
		case <-f.syncNow:
			f.markDirty()
			f.needPull = true
			f.retryAt = time.Time{}
			f.work(ctx, opCtx, true)
		case <-f.pull:
			f.needPull = true
			f.work(ctx, opCtx, false)
		case <-f.control:
			f.applyPause(ctx, opCtx)
		case <-f.poke:
			f.schedulePoll(time.Now(), false)
		case <-timer.C:
			f.work(ctx, opCtx, false)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// startup checks the repository and runs the first cycle: commit what
// changed while autosync was not running, fetch and merge, push.
func (f *Folder) startup(ctx, opCtx context.Context) {
	if url, err := f.opts.Repo.RemoteURL(opCtx); err == nil {
		f.remoteURL = url
		f.update(func(s *Snapshot) { s.Remote = url })
	}
	f.markDirty()
	f.needPull = true // a first fetch always: catch up with what others pushed
	if f.paused {
		f.refresh(opCtx, true)
		f.setState(Paused, "paused")
		return
	}
	f.commitAt = time.Now() // commit at once, no quiet period for old changes
	f.work(ctx, opCtx, true)
	if f.head == "" {
		// The first cycle stopped before it settled (offline, or the
		// repository needs the user): show what is known all the same.
		// A cycle that settled has read all this already.
		f.refresh(opCtx, true)
	}
}

// hint takes a watcher batch: the paths changed (or may have).
func (f *Folder) hint(b watch.Batch) {
	if b.Degraded != nil && !f.degraded {
		f.degraded = true
		f.log.Warn("watching degraded, scanning periodically instead", "err", b.Degraded)
		f.emit(Event{Kind: EventWarning, Err: b.Degraded})
		f.scanAt = time.Now().Add(degradedScan)
	}
	if len(b.Paths) == 0 && !b.Overflow {
		return
	}
	// A hint read before the start of the last status scan is already
	// covered by that scan (typically the echo of our own merge or
	// checkout). Later hints may be real edits.
	if !b.At.IsZero() && b.At.Before(f.lastScan) {
		return
	}
	now := time.Now()
	for _, p := range b.Paths {
		if len(f.pending) < maxPendingShown {
			f.pending[p] = true
		}
	}
	f.overflow = f.overflow || b.Overflow
	f.commitAt = f.deb.touch(now)
	if !f.paused && f.stateIs(Idle, Conflict) {
		f.setState(Pending, fmt.Sprintf("waiting for changes to settle (%d changed)", len(f.pending)))
	}
	f.update(func(s *Snapshot) { s.Pending = f.pendingList() })
}

// markDirty schedules a commit check at once (used at start, on Sync now and
// on resume, where there is no reason to wait).
func (f *Folder) markDirty() {
	f.overflow = true
	f.commitAt = time.Now()
}

func (f *Folder) pendingList() []string {
	l := make([]string, 0, len(f.pending))
	for p := range f.pending {
		l = append(l, p)
	}
	slices.Sort(l)
	return l
}

func (f *Folder) applyPause(ctx, opCtx context.Context) {
	f.mu.Lock()
	want := f.wantPaus
	f.mu.Unlock()
	if want == f.paused {
		return
	}
	f.paused = want
	f.update(func(s *Snapshot) { s.Paused = want })
	if want {
		f.log.Info("paused")
		f.setState(Paused, "paused")
		return
	}
	f.log.Info("resumed")
	f.markDirty()
	f.needPull = true
	f.retryAt = time.Time{}
	f.setState(Idle, "")
	f.work(ctx, opCtx, true)
}

// armTimer sets timer to the earliest deadline that applies now.
func (f *Folder) armTimer(t *time.Timer) {
	var next time.Time
	consider := func(d time.Time) {
		if !d.IsZero() && (next.IsZero() || d.Before(next)) {
			next = d
		}
	}
	if !f.paused {
		if !f.needsUser {
			consider(f.commitAt) // local commits go on while the network backs off
		}
		if f.retryAt.IsZero() {
			consider(f.pushAt)
		}
		consider(f.pollAt)
		consider(f.retryAt)
		consider(f.scanAt)
	}
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	if next.IsZero() {
		t.Reset(24 * time.Hour) // nothing scheduled; any trigger re-arms
		return
	}
	t.Reset(max(time.Until(next), 0))
}

// work runs whatever is due. forced runs the commit check and the pull now
// regardless of deadlines (Sync now, start, resume).
func (f *Folder) work(ctx, opCtx context.Context, forced bool) {
	if f.paused {
		return
	}
	now := time.Now()
	due := func(d time.Time) bool { return !d.IsZero() && !d.After(now) }

	if due(f.scanAt) {
		f.scanAt = now.Add(f.scanInterval())
		f.commitAt = now
	}
	if due(f.pollAt) {
		f.needPull = true
	}
	retrying := due(f.retryAt)
	if !f.retryAt.IsZero() && !retrying && !forced {
		// Backing off: only local commits go on (they need no network);
		// the network steps wait for retryAt.
		if due(f.commitAt) && !f.needsUser {
			before := f.Snapshot()
			if f.commitStep(ctx, opCtx) {
				f.setState(before.State, before.Detail)
			}
		}
		return
	}
	f.retryAt = time.Time{}

	if err := f.opts.Repo.Check(opCtx); err != nil {
		f.fail(opCtx, "check", err)
		return
	}
	if f.needsUser || f.failing {
		f.needsUser, f.failing = false, false
		f.log.Info("repository is usable again")
		f.update(func(s *Snapshot) { s.LastError, s.NeedsUser = "", false })
		f.markDirty()
		f.needPull = true
	}

	if due(f.commitAt) || forced {
		if !f.commitStep(ctx, opCtx) {
			return
		}
	}
	if f.opts.LocalOnly {
		f.needPull, f.pushAt = false, time.Time{}
		f.settle(opCtx)
		return
	}
	if f.needPull || retrying {
		if !f.pullStep(ctx, opCtx) {
			return
		}
	}
	if due(f.pushAt) || retrying || forced {
		if !f.pushStep(ctx, opCtx) {
			return
		}
	}
	f.settle(opCtx)
}

func (f *Folder) scanInterval() time.Duration {
	if f.degraded {
		return degradedScan
	}
	return f.opts.ScanInterval
}

// commitStep stages and commits local changes. It reports whether the cycle
// may go on.
func (f *Folder) commitStep(ctx, opCtx context.Context) bool {
	f.setState(Committing, "looking for changes")
	if h, ok := f.opts.Repo.(Hinter); ok {
		h.Hint(f.pendingList(), f.overflow || len(f.pending) >= maxPendingShown)
	}
	f.lastScan = time.Now()
	changes, skipped, err := f.opts.Repo.Stage(opCtx)
	if err != nil {
		f.fail(opCtx, "stage", err)
		return false
	}
	f.commitAt = time.Time{}
	f.deb.reset()
	clear(f.pending)
	f.overflow = false
	f.update(func(s *Snapshot) { s.Pending = nil; s.Skipped = skipped })
	if len(skipped) > 0 && !slices.EqualFunc(skipped, f.lastSkipped, func(a, b vcs.Skipped) bool { return a.Path == b.Path && a.Size == b.Size }) {
		for _, s := range skipped {
			f.log.Warn("file left uncommitted", "path", s.Path, "size", s.Size, "reason", s.Reason)
		}
		f.emit(Event{Kind: EventSkipped, Skipped: skipped})
	}
	f.lastSkipped = skipped
	if len(changes) == 0 {
		return true
	}

	msg := CommitMessage(f.opts.Device, changes)
	if f.opts.Prompter != nil {
		f.setState(Committing, "waiting for a commit message")
		pctx, cancel := context.WithTimeout(ctx, f.opts.AskTimeout+promptSlack)
		answer, err := f.opts.Prompter.CommitMessage(pctx, f.opts.Path, msg)
		cancel()
		switch {
		case err != nil:
			f.log.Warn("commit message dialog failed; using the generated message", "err", err)
		case answer != "":
			msg = answer
		}
	}
	f.setState(Committing, fmt.Sprintf("committing %d changes", len(changes)))
	c, err := f.opts.Repo.Commit(opCtx, msg)
	if err != nil {
		f.fail(opCtx, "commit", err)
		return false
	}
	f.log.Info("committed", "commit", short(c.Hash), "subject", c.Subject, "files", len(changes))
	f.emit(Event{Kind: EventCommitted, Commit: &c, Changes: changes})
	f.pushAt = time.Now().Add(f.opts.PushDelay)
	return true
}

// pullStep fetches and integrates. On ErrDirtyTree it commits first and
// tries once more.
func (f *Folder) pullStep(ctx, opCtx context.Context) bool {
	for attempt := 0; ; attempt++ {
		f.setState(Pulling, "fetching")
		res, err := f.opts.Repo.Pull(opCtx, f.opts.Device, time.Now())
		if errors.Is(err, vcs.ErrDirtyTree) && attempt == 0 {
			f.log.Info("local changes in the way of the merge; committing them first")
			if !f.commitStep(ctx, opCtx) {
				return false
			}
			continue
		}
		if err != nil {
			f.fail(opCtx, "pull", err)
			return false
		}
		f.needPull = false
		f.schedulePoll(time.Now(), true)
		f.online()
		if res.Updated {
			f.pulled(res)
			// Edits the user made while the merge ran are real changes;
			// look once more, so that their hints can be dropped as seen.
			f.commitAt = time.Now()
			if !f.commitStep(ctx, opCtx) {
				return false
			}
			if res.Merge != nil {
				f.pushAt = time.Now() // our merge must reach the others
			}
		}
		return true
	}
}

func (f *Folder) pulled(res vcs.PullResult) {
	f.log.Info("pulled", "commits", len(res.Commits), "files", len(res.Files), "fast_forward", res.FastForward)
	f.emit(Event{Kind: EventPulled, Pull: &res})
	if len(res.Conflicts) > 0 {
		for _, c := range res.Conflicts {
			if c.Copy == "" {
				f.log.Warn("conflict: the changed version is kept", "file", c.Path, "reason", c.Reason)
				continue
			}
			f.log.Warn("conflict: kept both versions", "file", c.Path, "copy", c.Copy, "reason", c.Reason)
		}
		f.emit(Event{Kind: EventConflict, Pull: &res, Conflicts: res.Conflicts})
	}
}

// pushStep pushes when the branch is ahead; a rejected push pulls and tries
// again, a bounded number of times.
func (f *Folder) pushStep(ctx, opCtx context.Context) bool {
	f.pushAt = time.Time{}
	for attempt := 1; ; attempt++ {
		st, err := f.opts.Repo.Status(opCtx)
		if err != nil {
			f.fail(opCtx, "status", err)
			return false
		}
		if st.Ahead == 0 {
			return true
		}
		f.setState(Pushing, fmt.Sprintf("pushing %d commit%s", st.Ahead, plural(st.Ahead)))
		err = f.opts.Repo.Push(opCtx)
		if err == nil {
			f.log.Info("pushed", "commits", st.Ahead)
			f.online()
			f.emit(Event{Kind: EventPushed, Commits: st.Ahead})
			if f.opts.Announce != nil && f.remoteURL != "" {
				f.opts.Announce(f.remoteURL)
			}
			return true
		}
		if errors.Is(err, vcs.ErrRejected) && attempt < maxPushAttempts {
			f.log.Info("push rejected: the remote has new commits; merging them first", "attempt", attempt)
			if !f.pullStep(ctx, opCtx) {
				return false
			}
			continue
		}
		if errors.Is(err, vcs.ErrRejected) {
			err = fmt.Errorf("%w (gave up after %d attempts in a row; will try again)", err, attempt)
		}
		f.fail(opCtx, "push", err)
		return false
	}
}

// settle ends a successful cycle: refresh what the snapshot shows and go
// back to Idle (or Conflict).
func (f *Folder) settle(opCtx context.Context) {
	// A push due within push_delay refreshes the snapshot when it is done;
	// reading status, log and conflict copies now as well would only cost
	// git processes (docs/benchmarks.md counts them).
	if f.pushAt.IsZero() || f.opts.LocalOnly {
		f.refresh(opCtx, false)
	}
	s := f.Snapshot()
	switch {
	case len(f.pending) > 0 || f.overflow:
		f.setState(Pending, "waiting for changes to settle")
	case !f.pushAt.IsZero() && !f.opts.LocalOnly:
		f.setState(Pending, fmt.Sprintf("pushing in %s", time.Until(f.pushAt).Round(100*time.Millisecond)))
	case len(s.Conflicts) > 0:
		f.setState(Conflict, fmt.Sprintf("%d conflict cop%s to look at", len(s.Conflicts), pluralY(len(s.Conflicts))))
	default:
		f.setState(Idle, "")
	}
}

// refresh re-reads status, recent commits and conflict copies for the
// snapshot.
func (f *Folder) refresh(opCtx context.Context, first bool) {
	st, err := f.opts.Repo.Status(opCtx)
	if err != nil {
		f.log.Debug("status for snapshot failed", "err", err)
		return
	}
	var recent []vcs.Commit
	if st.Head != f.head || first {
		recent, err = f.opts.Repo.Log(opCtx, recentCommits)
		if err != nil {
			f.log.Debug("log for snapshot failed", "err", err)
		}
		f.head = st.Head
	}
	conflicts, err := f.opts.Repo.Conflicts(opCtx)
	if err != nil {
		f.log.Debug("listing conflict copies failed", "err", err)
	}
	if f.opts.LocalOnly {
		// Nothing is ever pushed or pulled: "ahead" means nothing here, and
		// the folder is in sync once its changes are committed.
		st.Ahead, st.Behind = 0, 0
	}
	f.update(func(s *Snapshot) {
		s.Branch, s.Ahead, s.Behind = st.Branch, st.Ahead, st.Behind
		if recent != nil {
			s.Recent = recent
		}
		s.Conflicts = conflicts
		if st.Ahead == 0 && st.Behind == 0 && !first {
			s.LastSync = time.Now()
		}
	})
}

// schedulePoll sets the next periodic fetch. fetched says a fetch just
// happened (so the interval starts now).
func (f *Folder) schedulePoll(now time.Time, fetched bool) {
	if f.opts.Poll == nil {
		return
	}
	d := f.opts.Poll()
	if d <= 0 {
		f.pollAt = time.Time{}
		return
	}
	if fetched || f.pollAt.IsZero() {
		f.pollAt = now.Add(d)
		return
	}
	// The interval changed (peer up or down): never wait longer than the
	// new interval from now.
	if f.pollAt.After(now.Add(d)) {
		f.pollAt = now.Add(d)
	}
}

// online records a successful network step.
func (f *Folder) online() {
	f.opts.Backoff.Reset()
	if f.offline {
		f.offline = false
		f.log.Info("remote reachable again")
		f.emit(Event{Kind: EventBackOnline})
		f.update(func(s *Snapshot) { s.LastError, s.NextRetry = "", time.Time{} })
	}
	if f.failing {
		f.failing = false
		f.update(func(s *Snapshot) { s.LastError = "" })
	}
}

// fail puts the folder into Offline or Error, by the kind of err, and
// schedules what happens next.
func (f *Folder) fail(opCtx context.Context, step string, err error) {
	if opCtx.Err() != nil {
		return // shutting down: the step was aborted on purpose
	}
	now := time.Now()
	switch {
	case vcs.IsNeedsUser(err):
		if !f.needsUser || f.snap.LastError != err.Error() {
			f.log.Error("needs your attention", "step", step, "err", err)
			f.emit(Event{Kind: EventError, Err: err})
		}
		f.needsUser = true
		f.retryAt = now.Add(needsUserRecheck)
		f.update(func(s *Snapshot) { s.LastError, s.NeedsUser, s.NextRetry = err.Error(), true, f.retryAt })
		f.setState(Error, err.Error())
	case errors.Is(err, vcs.ErrOffline):
		wait := f.opts.Backoff.Next()
		f.retryAt = now.Add(wait)
		if !f.offline {
			f.offline = true
			f.emit(Event{Kind: EventOffline, Err: err})
		}
		f.log.Warn("remote unreachable; will retry", "step", step, "in", wait.Round(time.Millisecond), "err", err)
		f.update(func(s *Snapshot) { s.LastError, s.NextRetry = err.Error(), f.retryAt })
		f.setState(Offline, "remote unreachable")
	case errors.Is(err, vcs.ErrLocked):
		f.retryAt = now.Add(f.opts.Backoff.Next())
		f.log.Info("repository busy (another git is running); will retry", "step", step)
		f.update(func(s *Snapshot) { s.NextRetry = f.retryAt })
	default:
		wait := f.opts.Backoff.Next()
		f.retryAt = now.Add(wait)
		if !f.failing || f.snap.LastError != err.Error() {
			f.log.Error("sync step failed; will retry", "step", step, "in", wait.Round(time.Millisecond), "err", err)
			f.emit(Event{Kind: EventError, Err: fmt.Errorf("%s: %w", step, err)})
		}
		f.failing = true
		f.update(func(s *Snapshot) { s.LastError, s.NextRetry = step+": "+err.Error(), f.retryAt })
		f.setState(Error, step+" failed")
	}
	if step == "pull" || step == "push" || step == "check" {
		f.needPull = true
	}
}

// setState is the one place the state changes.
func (f *Folder) setState(s State, detail string) {
	f.update(func(snap *Snapshot) {
		if snap.State != s {
			snap.State = s
			snap.Since = time.Now()
		}
		snap.Detail = detail
	})
}

func (f *Folder) stateIs(states ...State) bool {
	return slices.Contains(states, f.Snapshot().State)
}

// update changes the snapshot under the lock and publishes it. Slices in
// the snapshot are replaced, never modified, so published copies stay
// valid.
func (f *Folder) update(fn func(*Snapshot)) {
	f.mu.Lock()
	fn(&f.snap)
	f.mu.Unlock()
	if f.opts.Publish != nil {
		f.opts.Publish()
	}
}

func (f *Folder) emit(e Event) {
	if f.opts.Emit == nil {
		return
	}
	e.Folder, e.Name = f.opts.Path, f.snap.Name
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	f.opts.Emit(e)
}

func short(hash string) string {
	if len(hash) > 10 {
		return hash[:10]
	}
	return hash
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func pluralY(n int) string {
	if n == 1 {
		return "y"
	}
	return "ies"
}

// debouncer computes when a burst of changes has settled: quiet after the
// last change, but never later than max after the first one.
type debouncer struct {
	quiet, max  time.Duration
	first, last time.Time
}

// touch records a change at now and returns the new deadline.
func (d *debouncer) touch(now time.Time) time.Time {
	if d.first.IsZero() {
		d.first = now
	}
	d.last = now
	return d.deadline()
}

func (d *debouncer) deadline() time.Time {
	if d.first.IsZero() {
		return time.Time{}
	}
	t := d.last.Add(d.quiet)
	if capAt := d.first.Add(d.max); capAt.Before(t) {
		t = capAt
	}
	return t
}

func (d *debouncer) reset() { d.first, d.last = time.Time{}, time.Time{} }
