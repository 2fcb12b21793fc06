// Package peertest is the conformance suite for peer.Transport
// implementations: every transport (the in-memory loopback, XMPP) runs it
// from its own tests with a factory for a pair of connected instances.
package peertest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer/peer"
)

// Timeout bounds every wait of the suite: how long a transport may take to
// connect or deliver before the test fails. Generous, because a real server
// on a loaded CI machine is slow now and then; transports normally take
// milliseconds.
const Timeout = 15 * time.Second

// CancelTimeout is how long Run may take to return after its context is
// cancelled: a user quitting the app notices anything longer. Arbitrary.
const CancelTimeout = 3 * time.Second

// Run runs the conformance suite. newPair returns two fresh, not yet
// running transports that can reach each other (two machines of one user);
// it is called once per subtest and must register its own cleanup.
func Run(t *testing.T, newPair func(t *testing.T) (a, b peer.Transport)) {
	t.Run("ConnectedAfterRunStarts", func(t *testing.T) {
		a, _ := newPair(t)
		ha := Start(t, a)
		ha.WaitConnected(t)
	})

	t.Run("PeerHearsAnnouncementWithoutCredentials", func(t *testing.T) {
		a, b := newPair(t)
		ha, hb := Start(t, a), Start(t, b)
		ha.WaitConnected(t)
		hb.WaitConnected(t)
		before := time.Now()
		mustAnnounce(t, a, "https://alice:s3cret@git.example.com/team/notes.git")
		got := hb.WaitAnnouncement(t)
		if got.Remote != "https://git.example.com/team/notes.git" {
			t.Errorf("b heard Remote %q, want the URL without credentials, otherwise intact", got.Remote)
		}
		if got.From == "" {
			t.Error("b heard an announcement with an empty From")
		}
		if got.Time.Before(before.Add(-time.Second)) {
			t.Errorf("announcement Time %v is before it was sent (%v)", got.Time, before)
		}
	})

	t.Run("ScpLikeURLArrivesIntact", func(t *testing.T) {
		a, b := newPair(t)
		ha, hb := Start(t, a), Start(t, b)
		ha.WaitConnected(t)
		hb.WaitConnected(t)
		mustAnnounce(t, a, "git@host.example:srv/repo.git")
		if got := hb.WaitAnnouncement(t); got.Remote != "git@host.example:srv/repo.git" {
			t.Errorf("b heard Remote %q, want git@host.example:srv/repo.git", got.Remote)
		}
	})

	t.Run("SenderDoesNotHearItself", func(t *testing.T) {
		a, b := newPair(t)
		ha, hb := Start(t, a), Start(t, b)
		ha.WaitConnected(t)
		hb.WaitConnected(t)
		mustAnnounce(t, a, "ssh://host/first.git")
		hb.WaitAnnouncement(t)
		// b answers only after it heard a; whatever the transport echoes
		// to a arrives before b's reply, so a's first announcement must
		// be b's.
		mustAnnounce(t, b, "ssh://host/second.git")
		if got := ha.WaitAnnouncement(t); got.Remote != "ssh://host/second.git" {
			t.Fatalf("a heard %q first, want b's ssh://host/second.git (a heard its own announcement)", got.Remote)
		}
	})

	t.Run("AnnounceWhileNotRunningFails", func(t *testing.T) {
		a, _ := newPair(t)
		ctx, cancel := context.WithTimeout(t.Context(), Timeout)
		defer cancel()
		start := time.Now()
		err := a.Announce(ctx, peer.Announcement{Remote: "ssh://host/r"})
		if err == nil {
			t.Fatal("Announce before Run returned nil, want an error")
		}
		if !errors.Is(err, peer.ErrNotConnected) {
			t.Errorf("Announce before Run: %v, want peer.ErrNotConnected", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Announce before Run took %v; it must fail at once", d)
		}
	})

	t.Run("AnnounceAfterRunReturnedFails", func(t *testing.T) {
		a, _ := newPair(t)
		ha := Start(t, a)
		ha.WaitConnected(t)
		ha.Stop(t)
		err := a.Announce(t.Context(), peer.Announcement{Remote: "ssh://host/r"})
		if !errors.Is(err, peer.ErrNotConnected) {
			t.Errorf("Announce after Run returned: %v, want peer.ErrNotConnected", err)
		}
	})

	t.Run("RunReturnsNilPromptlyOnCancel", func(t *testing.T) {
		a, _ := newPair(t)
		ha := Start(t, a)
		ha.WaitConnected(t)
		ha.Stop(t) // fails the test on a non-nil error or a slow return
	})

	t.Run("RunReturnsNilOnCancelBeforeConnecting", func(t *testing.T) {
		a, _ := newPair(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx, &Recorder{}) }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run with a cancelled context returned %v, want nil", err)
			}
		case <-time.After(CancelTimeout):
			t.Fatalf("Run with a cancelled context did not return within %v", CancelTimeout)
		}
	})

	t.Run("StatusReportsConnectionAndLastAnnouncements", func(t *testing.T) {
		a, b := newPair(t)
		if st := a.Status(); st.State == peer.Connected {
			t.Errorf("Status before Run: state %v, want not connected", st.State)
		}
		ha, hb := Start(t, a), Start(t, b)
		ha.WaitConnected(t)
		hb.WaitConnected(t)
		st := a.Status()
		if st.State != peer.Connected {
			t.Errorf("Status after Connected(): state %v, want connected", st.State)
		}
		if st.Name == "" {
			t.Error("Status has no Name")
		}
		if st.LastSent != nil || st.LastReceived != nil {
			t.Errorf("Status before any announcement: LastSent %v, LastReceived %v, want none", st.LastSent, st.LastReceived)
		}
		mustAnnounce(t, a, "https://bob:pw@example.com/r.git")
		hb.WaitAnnouncement(t)
		if st := a.Status(); st.LastSent == nil || st.LastSent.Remote != "https://example.com/r.git" || st.LastSent.Time.IsZero() {
			t.Errorf("a.Status().LastSent = %+v, want https://example.com/r.git with a time", st.LastSent)
		}
		if st := b.Status(); st.LastReceived == nil || st.LastReceived.Remote != "https://example.com/r.git" {
			t.Errorf("b.Status().LastReceived = %+v, want https://example.com/r.git", st.LastReceived)
		}
		ha.Stop(t)
		if st := a.Status(); st.State == peer.Connected {
			t.Errorf("Status after Run returned: state %v, want not connected", st.State)
		}
	})

	t.Run("HandlersAreNeverCalledConcurrently", func(t *testing.T) {
		a, b := newPair(t)
		ha, hb := Start(t, a), Start(t, b)
		ha.WaitConnected(t)
		hb.WaitConnected(t)
		hb.SlowDown(time.Millisecond)
		const n = 20
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := a.Announce(t.Context(), peer.Announcement{Remote: "ssh://host/r" + string(rune('a'+i))}); err != nil {
					t.Errorf("Announce: %v", err)
				}
			}()
		}
		wg.Wait()
		for range n {
			hb.WaitAnnouncement(t)
		}
		// Start's cleanup checks the overlap counter for every subtest;
		// this one only makes overlap likely if it were possible.
	})
}

func mustAnnounce(t *testing.T, tr peer.Transport, remote string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), Timeout)
	defer cancel()
	if err := tr.Announce(ctx, peer.Announcement{Remote: remote}); err != nil {
		t.Fatalf("Announce(%q): %v", remote, err)
	}
}

// Running is a transport whose Run was started by Start, with the Recorder
// its handler reports to.
type Running struct {
	*Recorder
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// Start runs tr with a fresh Recorder in a goroutine until Stop or the end
// of the test; the cleanup fails the test if Run returned an error, did not
// return promptly, or had its handler called concurrently.
func Start(t testing.TB, tr peer.Transport) *Running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{Recorder: &Recorder{}, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- tr.Run(ctx, r.Recorder) }()
	t.Cleanup(func() {
		r.Stop(t)
	})
	return r
}

// Stop cancels Run and waits for it to return; it fails the test if Run
// returned an error or took longer than CancelTimeout. Stopping twice is
// harmless.
func (r *Running) Stop(t testing.TB) {
	t.Helper()
	r.once.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.done:
			if r.err != nil {
				t.Errorf("Run returned %v after cancellation, want nil", r.err)
			}
		case <-time.After(CancelTimeout):
			t.Errorf("Run did not return within %v of cancellation", CancelTimeout)
		}
		if n := r.overlaps.Load(); n > 0 {
			t.Errorf("handler methods were called concurrently %d times", n)
		}
	})
}

// Recorder is a peer.Handler that records what it is told, for tests. It
// notices concurrent calls, which the Handler contract forbids.
type Recorder struct {
	inflight  atomic.Int32
	overlaps  atomic.Int32
	slow      atomic.Int64 // nanoseconds each call takes, to expose overlap
	connected atomic.Int32

	mu       sync.Mutex
	heard    []peer.Announcement
	consumed int           // how many of heard WaitAnnouncement returned
	changed  chan struct{} // closed and replaced on every call
}

var _ peer.Handler = (*Recorder)(nil)

func (r *Recorder) enter() {
	if r.inflight.Add(1) > 1 {
		r.overlaps.Add(1)
	}
	if d := r.slow.Load(); d > 0 {
		// A busy wait, not a sleep: the point is to hold the call open
		// long enough for a concurrent call to show.
		for end := time.Now().Add(time.Duration(d)); time.Now().Before(end); {
		}
	}
}

func (r *Recorder) leave() {
	r.inflight.Add(-1)
	r.mu.Lock()
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
	r.mu.Unlock()
}

// Announced implements peer.Handler.
func (r *Recorder) Announced(a peer.Announcement) {
	r.enter()
	r.mu.Lock()
	r.heard = append(r.heard, a)
	r.mu.Unlock()
	r.leave()
}

// Connected implements peer.Handler.
func (r *Recorder) Connected() {
	r.enter()
	r.connected.Add(1)
	r.leave()
}

// SlowDown makes every later handler call take d.
func (r *Recorder) SlowDown(d time.Duration) { r.slow.Store(int64(d)) }

// ConnectedCount reports how often Connected was called.
func (r *Recorder) ConnectedCount() int { return int(r.connected.Load()) }

// Overlaps reports how many handler calls overlapped another one.
func (r *Recorder) Overlaps() int { return int(r.overlaps.Load()) }

// Heard returns a copy of the announcements received so far.
func (r *Recorder) Heard() []peer.Announcement {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]peer.Announcement(nil), r.heard...)
}

// WaitFor waits up to Timeout for cond to hold, re-checking after every
// handler call; it fails the test with what otherwise.
func (r *Recorder) WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(Timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		if r.changed == nil {
			r.changed = make(chan struct{})
		}
		ch := r.changed
		r.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", Timeout, what)
		}
	}
}

// WaitConnected waits until Connected has been called at least once.
func (r *Recorder) WaitConnected(t testing.TB) {
	t.Helper()
	r.WaitConnectedCount(t, 1)
}

// WaitConnectedCount waits until Connected has been called at least n times.
func (r *Recorder) WaitConnectedCount(t testing.TB, n int) {
	t.Helper()
	r.WaitFor(t, "Connected()", func() bool { return r.ConnectedCount() >= n })
}

// WaitAnnouncement waits for the next announcement not yet returned by an
// earlier WaitAnnouncement and returns it.
func (r *Recorder) WaitAnnouncement(t testing.TB) peer.Announcement {
	t.Helper()
	var got peer.Announcement
	r.WaitFor(t, "an announcement", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.consumed < len(r.heard) {
			got = r.heard[r.consumed]
			r.consumed++
			return true
		}
		return false
	})
	return got
}
