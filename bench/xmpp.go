//go:build unix

package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/config"
	"github.com/autosync-dev/autosync/syncer/control"
	"github.com/autosync-dev/autosync/syncer/peer/xmpp/xmpptest"
)

// The prosody harness is Unix-only, and so is this benchmark; main.go
// knows it only through this registration.
func init() { unixBenches["xmpp"] = benchXMPP }

// benchXMPP measures save on machine A -> the file's new content on
// machine B with two real autosync processes on one XMPP account (a real
// prosody on loopback) and polling off, minus the configured delays; beside
// each round, on another remote, the bare git pipeline by hand. Then the
// same with polling alone at its default interval and no XMPP, for a few
// rounds, each save made at a random moment of B's poll cycle.
func benchXMPP(ctx context.Context, w *world, o opts) error {
	bin, err := autosyncBinary(ctx, w, o)
	if err != nil {
		return err
	}
	srv, jid, stopServer, err := startProsody(w)
	if err != nil {
		return err
	}
	defer stopServer()

	remote, err := w.remote("xmpp")
	if err != nil {
		return err
	}
	dirA, err := w.clone(remote, "a")
	if err != nil {
		return err
	}
	dirB, err := w.clone(remote, "b")
	if err != nil {
		return err
	}
	dirC, dirD, err := w.pipeline()
	if err != nil {
		return err
	}
	delays := o.commitDelay + o.pushDelay
	folder := func(name, dir, poll string) string {
		s := fmt.Sprintf("device_name = %q\n\n[[folder]]\npath = %q\ncommit_delay = %q\npush_delay = %q\n",
			name, dir, o.commitDelay.String(), o.pushDelay.String())
		if poll != "" {
			s += fmt.Sprintf("poll_interval = %q\n", poll)
		}
		return s
	}
	withXMPP := func(name, dir string) string {
		return folder(name, dir, "0s") + fmt.Sprintf("\n[xmpp]\njid = %q\npassword = \"secret\"\nserver = %q\nca_file = %q\npoll_interval = \"0s\"\n",
			jid, srv.Addr(), srv.CAFile())
	}

	// XMPP, polling off: only the announcement can make B pull.
	a, err := startInstance(ctx, w, bin, "a", withXMPP("a", dirA))
	if err != nil {
		return err
	}
	defer a.stop()
	b, err := startInstance(ctx, w, bin, "b", withXMPP("b", dirB))
	if err != nil {
		return err
	}
	defer b.stop()
	for _, p := range []*instance{a, b} {
		if err := waitFor(30*time.Second, p.name+"'s XMPP connection", func() bool { return p.connected(ctx) }); err != nil {
			return fmt.Errorf("%w (log in %s)", err, p.logPath)
		}
	}
	rw, err := watchRef(remote, "main")
	if err != nil {
		return err
	}
	defer rw.close()

	var (
		toRef, refToB, toB         []time.Duration
		refToHeard, heardToB       []time.Duration
		addCommitPush, fetchMerge  []time.Duration
		pipeAll                    []time.Duration
		missedEvents               int
		content                    string
		pollToB                    []time.Duration
		pollWaits                  []time.Duration
		pollMissed, roundsWithXMPP int
	)
	for i := range o.rounds {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		content += fmt.Sprintf("line %d\n", i)
		r, err := saveAndSee(ctx, rw, dirA, dirB, content, delays+30*time.Second)
		if err != nil {
			return fmt.Errorf("xmpp round %d: %w (logs in %s, %s)", i, err, a.logPath, b.logPath)
		}
		toRef = append(toRef, r.ref.Sub(r.save)-delays)
		refToB = append(refToB, r.onB.Sub(r.ref))
		heard, ok := b.logged(`msg="xmpp: peer pushed"`, r.save)
		if !ok {
			return fmt.Errorf("xmpp round %d: B has the file but did not log the announcement (log in %s)", i, b.logPath)
		}
		refToHeard = append(refToHeard, heard.Sub(r.ref))
		heardToB = append(heardToB, r.onB.Sub(heard))
		toB = append(toB, r.onB.Sub(r.save)-delays)
		if r.byTick {
			missedEvents++
		}
		roundsWithXMPP++

		acp, fm, err := byHand(dirC, dirD, content, i)
		if err != nil {
			return err
		}
		addCommitPush = append(addCommitPush, acp)
		fetchMerge = append(fetchMerge, fm)
		pipeAll = append(pipeAll, acp+fm)
		progress("xmpp round %d: save -> file on B %s beyond the delays (push -> file on B %s); by hand add+commit+push+fetch+merge %s",
			i, (r.onB.Sub(r.save) - delays).Round(time.Millisecond), r.onB.Sub(r.ref).Round(time.Millisecond), (acp + fm).Round(time.Millisecond))
		if err := settle(ctx, remote, dirB, a, b); err != nil {
			return err
		}
	}
	a.stop()
	b.stop()

	// Polling alone at its default interval (poll_interval left out of
	// the configuration), no XMPP. The latency is set by where in B's
	// poll cycle the push lands; waiting a random part of the interval
	// before each save samples that position uniformly instead of
	// repeating the phase the previous round ended at.
	poll := config.DefaultPollInterval
	if o.pollRounds > 0 {
		a, err = startInstance(ctx, w, bin, "a-poll", folder("a", dirA, ""))
		if err != nil {
			return err
		}
		defer a.stop()
		b, err = startInstance(ctx, w, bin, "b-poll", folder("b", dirB, ""))
		if err != nil {
			return err
		}
		defer b.stop()
	}
	for i := range o.pollRounds {
		wait := rand.N(poll)
		progress("poll round %d: saving in %s", i, wait.Round(time.Second))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		content += fmt.Sprintf("poll line %d\n", i)
		r, err := saveAndSee(ctx, rw, dirA, dirB, content, delays+poll+time.Minute)
		if err != nil {
			return fmt.Errorf("poll round %d: %w (logs in %s, %s)", i, err, a.logPath, b.logPath)
		}
		pollToB = append(pollToB, r.onB.Sub(r.save)-delays)
		pollWaits = append(pollWaits, wait)
		if r.byTick {
			pollMissed++
		}
		progress("poll round %d: save -> file on B %s beyond the delays", i, (r.onB.Sub(r.save) - delays).Round(time.Millisecond))
		if err := settle(ctx, remote, dirB, a, b); err != nil {
			return err
		}
	}

	fmt.Printf("## Save on A -> file on B over XMPP (commit_delay %s, push_delay %s, %d saves)\n\n", o.commitDelay, o.pushDelay, roundsWithXMPP)
	fmt.Println("Two `autosync --no-tray` processes (the binary built from this tree), each with its own control directory, on one account of a prosody on loopback; polling off for the folders and for XMPP's safety net. The file on B is seen by inotify on B's folder. Engine rows are the time beyond the configured delays.")
	fmt.Println()
	fmt.Println(summaryHeader)
	fmt.Println(summarize(toRef).row("autosync on A: save -> remote branch updated, minus both delays"))
	fmt.Println(summarize(refToHeard).row("autosync: remote branch updated -> B logs the announcement (A's push returns, A sends, prosody routes, B reads)"))
	fmt.Println(summarize(heardToB).row("autosync on B: announcement logged -> file on B (fetch, merge)"))
	fmt.Println(summarize(refToB).row("autosync: remote branch updated -> file on B (the two rows above)"))
	fmt.Println(summarize(toB).row("**autosync + XMPP: save on A -> file on B, minus both delays**"))
	fmt.Println(summarize(addCommitPush).row("by hand: `git add -A && git commit && git push`"))
	fmt.Println(summarize(fetchMerge).row("by hand, second clone: `git fetch && git merge --ff-only`"))
	fmt.Println(summarize(pipeAll).row("**by hand: add + commit + push + fetch + merge**"))
	if len(pollToB) > 0 {
		fmt.Println(summarize(pollToB).row(fmt.Sprintf("**autosync, polling alone (poll_interval %s, the default), no XMPP: save on A -> file on B, minus both delays**", poll)))
		fmt.Println(expectedPoll(poll).row(fmt.Sprintf("expected for polling alone: the push lands uniformly in B's %s cycle (exact quantiles of U(0, %s), pipeline not added)", poll, poll)))
	}
	fmt.Println()
	if len(pollWaits) > 0 {
		fmt.Print("Random waits before the polling saves:")
		for _, d := range pollWaits {
			fmt.Printf(" %.1f s", d.Seconds())
		}
		fmt.Println(".")
		fmt.Println()
	}
	if missedEvents+pollMissed > 0 {
		fmt.Printf("%d rounds saw the file on B only by the 100 ms safety poll, not by inotify: their times are up to 100 ms late.\n\n", missedEvents+pollMissed)
	}
	return nil
}

// expectedPoll is the distribution of the wait for the next poll when a
// push lands at a uniformly random moment of the cycle: the quantiles of
// U(0, poll). n is 0: it is computed, not measured.
func expectedPoll(poll time.Duration) summary {
	q := func(p float64) time.Duration { return time.Duration(p * float64(poll)) }
	return summary{min: 0, med: q(0.5), p90: q(0.9), max: poll, avg: q(0.5)}
}

// seen is one round: when A's file was written, when the remote branch
// moved, and when B's file had the new content.
type seen struct {
	save, ref, onB time.Time
	byTick         bool // B's file was found by the safety poll, not inotify
}

// saveAndSee writes content to notes.md on A and waits until the remote
// branch moves and B's notes.md holds content.
func saveAndSee(ctx context.Context, rw *refWatch, dirA, dirB, content string, limit time.Duration) (seen, error) {
	var r seen
	old, err := rw.head()
	if err != nil {
		return r, err
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return r, err
	}
	defer fw.Close()
	if err := fw.Add(dirB); err != nil {
		return r, err
	}
	rw.drain()
	type onB struct {
		at     time.Time
		byTick bool
		err    error
	}
	got := make(chan onB, 1)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	path := filepath.Join(dirB, "notes.md")
	has := func() bool {
		data, err := os.ReadFile(path)
		return err == nil && string(data) == content
	}
	go func() {
		timer := time.NewTimer(limit)
		defer timer.Stop()
		// A safety net for an event inotify did not show (none is
		// expected); such a round is counted and reported.
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-wctx.Done():
				got <- onB{err: wctx.Err()}
				return
			case <-timer.C:
				got <- onB{err: fmt.Errorf("B's notes.md did not get the new content within %s", limit)}
				return
			case err := <-fw.Errors:
				got <- onB{err: fmt.Errorf("watching B's folder: %w", err)}
				return
			case <-fw.Events:
				at := time.Now()
				if has() {
					got <- onB{at: at}
					return
				}
			case <-tick.C:
				at := time.Now()
				if has() {
					got <- onB{at: at, byTick: true}
					return
				}
			}
		}
	}()
	r.save = time.Now()
	if err := os.WriteFile(filepath.Join(dirA, "notes.md"), []byte(content), 0o644); err != nil {
		return r, err
	}
	_, r.ref, err = rw.waitChange(ctx, old, limit, nil)
	if err != nil {
		return r, err
	}
	b := <-got
	if b.err != nil {
		return r, b.err
	}
	r.onB, r.byTick = b.at, b.byTick
	return r, nil
}

// byHand runs the bare git pipeline for one save: write, add, commit and
// push on dirC, then fetch and merge on dirD.
func byHand(dirC, dirD, content string, i int) (commitPush, fetchMerge time.Duration, err error) {
	if err := os.WriteFile(filepath.Join(dirC, "notes.md"), []byte(content), 0o644); err != nil {
		return 0, 0, err
	}
	steps := []struct {
		dir  string
		args []string
		sum  *time.Duration
	}{
		{dirC, []string{"add", "-A"}, &commitPush},
		{dirC, []string{"commit", "--quiet", "-m", fmt.Sprintf("round %d", i)}, &commitPush},
		{dirC, []string{"push", "--quiet"}, &commitPush},
		{dirD, []string{"fetch", "--quiet"}, &fetchMerge},
		{dirD, []string{"merge", "--ff-only", "--quiet"}, &fetchMerge},
	}
	for _, s := range steps {
		d, err := timeGit(s.dir, s.args...)
		if err != nil {
			return 0, 0, err
		}
		*s.sum += d
	}
	return commitPush, fetchMerge, nil
}

// settle waits until B is at the remote's head and both instances are idle,
// then lets their watchers deliver the echoes of the round, so that rounds
// do not overlap.
func settle(ctx context.Context, remote, dirB string, a, b *instance) error {
	head, err := gitOut(remote, "rev-parse", "main")
	if err != nil {
		return err
	}
	if err := waitFor(60*time.Second, "B at the remote's head and both idle", func() bool {
		time.Sleep(50 * time.Millisecond)
		h, err := gitOut(dirB, "rev-parse", "HEAD")
		return err == nil && h == head && a.idle(ctx) && b.idle(ctx)
	}); err != nil {
		return fmt.Errorf("%w (logs in %s, %s)", err, a.logPath, b.logPath)
	}
	time.Sleep(300 * time.Millisecond)
	return nil
}

// instance is one running autosync binary, with its own control directory
// as if on its own machine.
type instance struct {
	name, ctlDir, logPath string
	cmd                   *exec.Cmd
	exited                chan struct{}
	stopped               bool

	mu    sync.Mutex
	lines []logLine // what it logged, with when each line was read
}

// logged returns when the instance first logged a line holding substr at
// or after t.
func (p *instance) logged(substr string, t time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines {
		if !l.at.Before(t) && strings.Contains(l.text, substr) {
			return l.at, true
		}
	}
	return time.Time{}, false
}

// startInstance runs `autosync --config CFG --no-tray` with cfg as the
// configuration and waits until its folder is idle.
func startInstance(ctx context.Context, w *world, bin, name, cfg string) (*instance, error) {
	d, err := w.dir("autosync-" + name)
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(d, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	p := &instance{name: name, ctlDir: filepath.Join(d, "ctl"), logPath: filepath.Join(d, "autosync.log"), exited: make(chan struct{})}
	if err := os.MkdirAll(p.ctlDir, 0o700); err != nil {
		return nil, err
	}
	logFile, err := os.Create(p.logPath)
	if err != nil {
		return nil, err
	}
	// The log is read through a pipe so that each line gets the time it
	// was written (the log's own stamps are whole seconds).
	pr, pw, err := os.Pipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	p.cmd = exec.Command(bin, "--config", cfgPath, "--no-tray")
	// The last AUTOSYNC_CONTROL_DIR wins over the world's.
	p.cmd.Env = append(os.Environ(), "AUTOSYNC_CONTROL_DIR="+p.ctlDir, "DISPLAY=", "WAYLAND_DISPLAY=")
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	err = p.cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		logFile.Close()
		return nil, fmt.Errorf("start autosync %s: %w", name, err)
	}
	go func() {
		defer logFile.Close()
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			at := time.Now()
			fmt.Fprintln(logFile, sc.Text())
			p.mu.Lock()
			p.lines = append(p.lines, logLine{at, sc.Text()})
			p.mu.Unlock()
		}
	}()
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	progress("autosync %s started as PID %d; log in %s", name, p.cmd.Process.Pid, p.logPath)
	if err := waitFor(60*time.Second, name+" idle", func() bool {
		select {
		case <-p.exited:
			return true
		default:
		}
		time.Sleep(50 * time.Millisecond)
		return p.idle(ctx)
	}); err != nil {
		p.stop()
		return nil, fmt.Errorf("%w (log in %s)", err, p.logPath)
	}
	select {
	case <-p.exited:
		return nil, fmt.Errorf("autosync %s exited at start-up (log in %s)", name, p.logPath)
	default:
	}
	return p, nil
}

// stop ends the process with SIGTERM (SIGKILL after 30 s) and waits for
// it; it may be called more than once.
func (p *instance) stop() {
	if p.stopped {
		return
	}
	p.stopped = true
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// status asks the instance for its status over its control socket.
func (p *instance) status(ctx context.Context) (control.Status, bool) {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	inst, err := control.Send(sctx, p.ctlDir, control.Request{Cmd: control.CmdStatus})
	if err != nil {
		return control.Status{}, false
	}
	for _, in := range inst {
		if st := in.Response.Status; st != nil && st.PID == p.cmd.Process.Pid {
			return *st, true
		}
	}
	return control.Status{}, false
}

// idle reports whether the instance's folder is idle with nothing pending
// or ahead.
func (p *instance) idle(ctx context.Context) bool {
	st, ok := p.status(ctx)
	if !ok || len(st.Folders) != 1 {
		return false
	}
	f := st.Folders[0]
	return f.State == syncer.Idle && f.Ahead == 0 && len(f.Pending) == 0
}

// connected reports whether the instance's XMPP channel is connected.
func (p *instance) connected(ctx context.Context) bool {
	st, ok := p.status(ctx)
	return ok && len(st.Peers) == 1 && st.Peers[0].State == "connected"
}

// autosyncBinary returns o.binary, or builds ./cmd/autosync into the
// world's directory.
func autosyncBinary(ctx context.Context, w *world, o opts) (string, error) {
	if o.binary != "" {
		return o.binary, nil
	}
	bin := filepath.Join(w.root, "autosync")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	progress("building %s", bin)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/autosync")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build the autosync binary (run the benchmark from the repository root, or pass --binary): %w", err)
	}
	return bin, nil
}

// startProsody starts a prosody with the project's test harness (which
// takes a testing.TB) and creates one account, ann@localhost with password
// "secret". stop stops the server.
func startProsody(w *world) (srv *xmpptest.Server, jid string, stop func(), err error) {
	h := &harnessTB{w: w}
	stop = h.cleanup
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		f, ok := r.(harnessFailure)
		if !ok {
			panic(r)
		}
		h.cleanup()
		srv, jid, stop, err = nil, "", nil, f
	}()
	srv = xmpptest.Start(h)
	jid = srv.AddUser(h, "ann", "secret")
	progress("prosody listening on %s", srv.Addr())
	return srv, jid, stop, nil
}

// harnessFailure is a Fatal or Skip of the harness, turned into an error.
type harnessFailure string

func (f harnessFailure) Error() string { return "prosody: " + string(f) }

// harnessTB is the part of testing.TB the prosody harness calls, for a
// program that is not a test. A Fatal or Skip panics with harnessFailure,
// which startProsody recovers: the harness expects them not to return.
// Any other method reaches the nil embedded TB and panics, loudly, should
// the harness start using it.
type harnessTB struct {
	testing.TB
	w        *world
	cleanups []func()
}

func (h *harnessTB) Helper() {}

func (h *harnessTB) Fatal(args ...any) { panic(harnessFailure(fmt.Sprint(args...))) }

func (h *harnessTB) Fatalf(format string, args ...any) {
	panic(harnessFailure(fmt.Sprintf(format, args...)))
}

func (h *harnessTB) Skip(args ...any) { panic(harnessFailure(fmt.Sprint(args...))) }

func (h *harnessTB) Cleanup(f func()) { h.cleanups = append(h.cleanups, f) }

func (h *harnessTB) TempDir() string {
	d, err := h.w.dir("prosody")
	if err != nil {
		h.Fatal(err)
	}
	return d
}

// cleanup runs the registered cleanups, last first, once.
func (h *harnessTB) cleanup() {
	for i := len(h.cleanups) - 1; i >= 0; i-- {
		h.cleanups[i]()
	}
	h.cleanups = nil
}
