//go:build unix

package xmpp

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer/peer"
	"github.com/autosync-dev/autosync/syncer/peer/peertest"
	"github.com/autosync-dev/autosync/syncer/peer/xmpp/xmpptest"
)

// fastTiming keeps reconnects and dead-connection detection within test
// time; the protocol is the same as with the defaults.
var fastTiming = timing{
	dial:         5 * time.Second,
	handshake:    5 * time.Second,
	online:       5 * time.Second,
	ping:         200 * time.Millisecond,
	idle:         2 * time.Second,
	graceful:     time.Second,
	backoffFirst: 20 * time.Millisecond,
	backoffMax:   200 * time.Millisecond,
	authRetry:    time.Hour,
}

var userSeq atomic.Int64

// account creates a fresh account on srv and returns its JID and password.
func account(t *testing.T, srv *xmpptest.Server) (string, string) {
	t.Helper()
	name := fmt.Sprintf("user%d", userSeq.Add(1))
	return srv.AddUser(t, name, "pw-"+name), "pw-" + name
}

type tlogWriter struct {
	t    testing.TB
	mu   *sync.Mutex
	done *atomic.Bool
}

func (w tlogWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	done := &atomic.Bool{}
	t.Cleanup(func() { done.Store(true) })
	return slog.New(slog.NewTextHandler(tlogWriter{t, &sync.Mutex{}, done}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newTransport makes a transport for jid on srv with the test CA and fast
// timing; edit may change the options first.
func newTransport(t *testing.T, srv *xmpptest.Server, jid, pw, resource string, edit ...func(*Options)) *Transport {
	t.Helper()
	opts := Options{JID: jid, Password: pw, Server: srv.Addr(), CAFile: srv.CAFile(), Resource: resource, Logger: testLogger(t)}
	for _, e := range edit {
		e(&opts)
	}
	tr, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tr.timing = fastTiming
	return tr
}

// waitStatus polls tr.Status until cond holds (a real server: there is no
// event to wait on besides the handler's).
func waitStatus(t *testing.T, tr *Transport, what string, cond func(peer.Status) bool) peer.Status {
	t.Helper()
	deadline := time.Now().Add(peertest.Timeout)
	for {
		st := tr.Status()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; status: %v %q", what, st.State, st.Detail)
		}
		time.Sleep(5 * time.Millisecond) // polling a real connection
	}
}

func TestConformance(t *testing.T) {
	srv := xmpptest.Start(t)
	peertest.Run(t, func(t *testing.T) (a, b peer.Transport) {
		jid, pw := account(t, srv)
		return newTransport(t, srv, jid, pw, "AutosyncJabberBot on a"), newTransport(t, srv, jid, pw, "AutosyncJabberBot on b")
	})
}

func TestThreeInstancesAllHearAPush(t *testing.T) {
	srv := xmpptest.Start(t)
	jid, pw := account(t, srv)
	var trs []*Transport
	var runs []*peertest.Running
	for _, name := range []string{"a", "b", "c"} {
		tr := newTransport(t, srv, jid, pw, "autosync-"+name)
		trs = append(trs, tr)
		runs = append(runs, peertest.Start(t, tr))
	}
	for _, r := range runs {
		r.WaitConnected(t)
	}
	if err := trs[1].Announce(t.Context(), peer.Announcement{Remote: "ssh://git@host/srv/notes.git"}); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2} {
		got := runs[i].WaitAnnouncement(t)
		if got.Remote != "ssh://git@host/srv/notes.git" || got.From != jid+"/autosync-b" {
			t.Errorf("instance %d heard %+v, want ssh://git@host/srv/notes.git from %s/autosync-b", i, got, jid)
		}
	}
}

// TestStrangersAreIgnoredAllowedJIDsCount: a foreign account's "pushed"
// does nothing, unless the account is in AllowedJIDs.
func TestStrangersAreIgnoredAllowedJIDsCount(t *testing.T) {
	srv := xmpptest.Start(t)
	jid, pw := account(t, srv)
	strangerJID, strangerPW := account(t, srv)
	friendJID, friendPW := account(t, srv)

	tr := newTransport(t, srv, jid, pw, "laptop", func(o *Options) { o.AllowedJIDs = []string{strings.ToUpper(friendJID)} })
	r := peertest.Start(t, tr)
	r.WaitConnected(t)
	full := jid + "/laptop"

	stranger := srv.Connect(t, strangerJID, strangerPW, "x")
	stranger.Send(t, jid, "chat", "pushed ssh://evil/repo.git")
	stranger.Send(t, full, "chat", "pushed ssh://evil/direct.git")
	stranger.Send(t, full, "chat", "ping")
	stranger.Sync(t) // the server has routed all three

	friend := srv.Connect(t, friendJID, friendPW, "y")
	friend.Send(t, full, "chat", "pushed ssh://friend/repo.git")
	if got := r.WaitAnnouncement(t); got.Remote != "ssh://friend/repo.git" {
		t.Fatalf("first announcement heard is %q from %s, want the allowed JID's ssh://friend/repo.git (a stranger was obeyed)", got.Remote, got.From)
	}
	friend.Send(t, full, "chat", "ping")
	if m := friend.NextFrom(t, full); m.Text != "pong" {
		t.Errorf("allowed JID's ping answered %q, want pong", m.Text)
	}
	stranger.Sync(t)
	if p := stranger.Pending(); len(p) > 0 {
		t.Errorf("the stranger got answers: %+v", p)
	}
}

func TestCommandsAndRepliesNeverLoop(t *testing.T) {
	srv := xmpptest.Start(t)
	jid, pw := account(t, srv)
	tr := newTransport(t, srv, jid, pw, "desk")
	r := peertest.Start(t, tr)
	r.WaitConnected(t)
	full := jid + "/desk"
	human := srv.Connect(t, jid, pw, "phone")

	ask := func(body string) string {
		t.Helper()
		human.Send(t, full, "chat", body)
		return human.NextFrom(t, full).Text
	}
	if got := ask("ping"); got != "pong" {
		t.Errorf("ping: %q, want pong", got)
	}
	if got := ask("PING"); got != "pong" {
		t.Errorf("PING: %q, want pong (commands are case-insensitive)", got)
	}
	if got, want := ask("whoami"), fmt.Sprintf("You are %s, I am %s", human.JID(), full); got != want {
		t.Errorf("whoami: %q, want %q", got, want)
	}
	if got, want := ask("frobnicate now"), `Unknown command: "frobnicate". Type "help" for available commands.`; got != want {
		t.Errorf("unknown command: %q, want %q", got, want)
	}
	if got := ask("help"); !strings.Contains(got, "pushed") || !strings.Contains(got, "ping") {
		t.Errorf("help: %q, want the list of commands", got)
	}

	// Everything a bot says (ours and dvcs-autosync's replies, greetings)
	// is answered by nothing, so two bots can never talk in a loop.
	botTalk := []string{
		"pong",
		"You are a@b/c, I am a@b/d",
		`Unknown command: "x". Type "help" for available commands.`,
		"Unknown command: \"x\". Type \"help\" for available commands.<b>blubb!</b>",
		helpText,
		"login AutosyncJabberBot on oldhost",
		"unknown x",
	}
	for _, b := range botTalk {
		human.Send(t, full, "chat", b)
	}
	if got := ask("ping"); got != "pong" {
		t.Errorf("after bot talk, the next reply is %q, want only the pong (a bot reply was answered)", got)
	}
	// Messages to the bare JID reach every instance and the human too;
	// the transport answers to the sender's full JID only.
	human.Send(t, jid, "chat", "ping")
	if m := human.NextFrom(t, full); m.Text != "pong" {
		t.Errorf("ping to the bare JID: %q", m.Text)
	}
	if r.Overlaps() > 0 || len(r.Heard()) > 0 {
		t.Errorf("commands produced announcements: %+v", r.Heard())
	}
}

// TestDelayedMessagesAreNotActedOn: an offline-stored "pushed" (and one
// with a delay stamp) does not trigger anything; Connected does, once.
func TestDelayedMessagesAreNotActedOn(t *testing.T) {
	srv := xmpptest.Start(t)
	jid, pw := account(t, srv)
	friendJID, friendPW := account(t, srv)
	friend := srv.Connect(t, friendJID, friendPW, "f")
	// Nobody of jid is online: prosody stores this one (mod_offline).
	friend.Send(t, jid, "chat", "pushed ssh://host/while-offline.git")
	friend.Sync(t)

	tr := newTransport(t, srv, jid, pw, "laptop", func(o *Options) { o.AllowedJIDs = []string{friendJID} })
	r := peertest.Start(t, tr)
	r.WaitConnected(t)
	full := jid + "/laptop"
	friend.SendRaw(t, fmt.Sprintf(`<message to='%s' type='chat' id='d1'><body>pushed ssh://host/stamped.git</body><delay xmlns='urn:xmpp:delay' stamp='2020-01-02T03:04:05Z'/></message>`, full))
	friend.SendRaw(t, fmt.Sprintf(`<message to='%s' type='chat' id='d2'><body>pushed ssh://host/legacy.git</body><x xmlns='jabber:x:delay' stamp='20200102T03:04:05'/></message>`, full))
	friend.SendRaw(t, fmt.Sprintf(`<message to='%s' type='error' id='d3'><body>pushed ssh://host/bounce.git</body></message>`, full))
	friend.Send(t, full, "chat", "pushed ssh://host/live.git")
	if got := r.WaitAnnouncement(t); got.Remote != "ssh://host/live.git" {
		t.Fatalf("first announcement is %q, want ssh://host/live.git (a delayed or error message was acted on)", got.Remote)
	}
	if n := r.ConnectedCount(); n != 1 {
		t.Errorf("Connected called %d times, want 1", n)
	}
}

func TestReconnectsAfterServerRestartAndCatchesUp(t *testing.T) {
	srv := xmpptest.Start(t)
	jid, pw := account(t, srv)
	a := newTransport(t, srv, jid, pw, "a")
	b := newTransport(t, srv, jid, pw, "b")
	ra, rb := peertest.Start(t, a), peertest.Start(t, b)
	ra.WaitConnected(t)
	rb.WaitConnected(t)

	srv.Kill(t)
	waitStatus(t, a, "a to notice the dead server", func(st peer.Status) bool { return st.State != peer.Connected })
	if err := a.Announce(t.Context(), peer.Announcement{Remote: "ssh://host/r.git"}); err == nil {
		t.Error("Announce while the server is down returned nil, want an error")
	}
	start := time.Now()
	srv.Restart(t)
	ra.WaitConnectedCount(t, 2)
	rb.WaitConnectedCount(t, 2)
	t.Logf("both reconnected %v after the restart", time.Since(start))
	if err := a.Announce(t.Context(), peer.Announcement{Remote: "ssh://host/r.git"}); err != nil {
		t.Fatal(err)
	}
	if got := rb.WaitAnnouncement(t); got.Remote != "ssh://host/r.git" {
		t.Errorf("after reconnect b heard %q", got.Remote)
	}
}

// TestHungServerIsDetected: a server that stops answering (SIGSTOP: the
// TCP connection stays open) is given up after the idle limit; once it
// answers again the transport reconnects and catches up.
func TestHungServerIsDetected(t *testing.T) {
	srv := xmpptest.Start(t)
	jid, pw := account(t, srv)
	a := newTransport(t, srv, jid, pw, "a")
	ra := peertest.Start(t, a)
	ra.WaitConnected(t)
	srv.Pause(t)
	start := time.Now()
	st := waitStatus(t, a, "the hung server to be noticed", func(st peer.Status) bool { return st.State != peer.Connected })
	t.Logf("hung server noticed after %v: %s", time.Since(start), st.Detail)
	srv.Resume(t)
	ra.WaitConnectedCount(t, 2)
}

func TestWrongPasswordFailsPermanently(t *testing.T) {
	srv := xmpptest.Start(t)
	jid, _ := account(t, srv)
	for _, tc := range []struct{ name, jid string }{
		{"wrong password", jid},
		{"unknown account", "nobody@" + xmpptest.Domain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTransport(t, srv, tc.jid, "wrong", "a", func(o *Options) {
				// Count login attempts through the password command,
				// which runs before each.
				o.Password = ""
				o.PasswordCommand = []string{"echo", "wrong"}
			})
			tr.timing.authRetry = time.Hour
			r := peertest.Start(t, tr)
			st := waitStatus(t, tr, "state failed", func(st peer.Status) bool { return st.State == peer.Failed })
			want := "XMPP login failed for " + strings.ToLower(tc.jid) + ": wrong password or unknown account; check [xmpp] password_command"
			if !strings.HasPrefix(st.Detail, want) {
				t.Errorf("detail %q, want it to start with %q", st.Detail, want)
			}
			// Give a hot loop the chance to show: a round trip through
			// the server by another client, then the state must still
			// be Failed (a retry would pass through Connecting).
			other, otherPW := account(t, srv)
			srv.Connect(t, other, otherPW, "z").Sync(t)
			if st := tr.Status(); st.State != peer.Failed {
				t.Errorf("state %v after the failure, want it to stay failed until the retry in an hour", st.State)
			}
			if n := r.ConnectedCount(); n != 0 {
				t.Errorf("Connected called %d times", n)
			}
			if n := tr.attempts.Load(); n != 1 {
				t.Errorf("%d login attempts, want 1 (no retry loop)", n)
			}
		})
	}
}

// TestSameResourceBacksOff: two instances configured with one resource
// kick each other off; the transport says why and backs off instead of
// fighting every second.
func TestSameResourceBacksOff(t *testing.T) {
	srv := xmpptest.Start(t)
	jid, pw := account(t, srv)
	a := newTransport(t, srv, jid, pw, "same")
	b := newTransport(t, srv, jid, pw, "same")
	a.timing.backoffFirst, a.timing.backoffMax = 100*time.Millisecond, time.Hour
	b.timing.backoffFirst, b.timing.backoffMax = 100*time.Millisecond, time.Hour
	peertest.Start(t, a).WaitConnected(t)
	peertest.Start(t, b)
	st := waitStatus(t, a, "the resource conflict", func(st peer.Status) bool {
		return strings.Contains(st.Detail, "give each machine its own [xmpp] resource")
	})
	t.Logf("detail: %s", st.Detail)
}

func TestTLS(t *testing.T) {
	srv := xmpptest.StartWith(t, xmpptest.Options{DirectTLS: true})
	jid, pw := account(t, srv)

	t.Run("direct TLS with the test CA", func(t *testing.T) {
		tr := newTransport(t, srv, jid, pw, "direct", func(o *Options) {
			o.Server, o.TLS = srv.DirectTLSAddr(), TLSDirect
		})
		peertest.Start(t, tr).WaitConnected(t)
		if st := tr.Status(); !strings.Contains(st.Detail, "(direct)") {
			t.Errorf("detail %q does not say direct TLS", st.Detail)
		}
	})
	for _, mode := range []string{TLSStartTLS, TLSDirect} {
		t.Run(mode+" without the CA is rejected", func(t *testing.T) {
			tr := newTransport(t, srv, jid, pw, "noca-"+mode, func(o *Options) {
				o.CAFile, o.TLS = "", mode
				if mode == TLSDirect {
					o.Server = srv.DirectTLSAddr()
				}
			})
			r := peertest.Start(t, tr)
			st := waitStatus(t, tr, "a certificate error", func(st peer.Status) bool {
				return strings.Contains(st.Detail, "certificate")
			})
			if st.State == peer.Connected || r.ConnectedCount() != 0 {
				t.Errorf("connected without trusting the server: %v", st)
			}
			if !strings.Contains(st.Detail, "ca_file") {
				t.Errorf("detail %q does not tell the user about ca_file", st.Detail)
			}
		})
	}
}

func TestPlaintextToLoopbackServer(t *testing.T) {
	srv := xmpptest.StartWith(t, xmpptest.Options{AllowPlaintext: true})
	jid, pw := account(t, srv)
	tr := newTransport(t, srv, jid, pw, "plain", func(o *Options) { o.TLS = TLSNone; o.Server = "localhost:" + portOf(srv.Addr()) })
	peertest.Start(t, tr).WaitConnected(t)
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// TestSilentServerDoesNotHang: a listener that accepts and never speaks
// neither hangs Run nor its cancellation.
func TestSilentServerDoesNotHang(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	tr, err := New(Options{JID: "a@localhost", Password: "x", Server: ln.Addr().String(), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	tr.timing = fastTiming
	tr.timing.handshake = 300 * time.Millisecond
	r := peertest.Start(t, tr)
	st := waitStatus(t, tr, "the handshake timeout", func(st peer.Status) bool {
		return strings.Contains(st.Detail, "did not complete the XMPP login")
	})
	t.Logf("detail: %s", st.Detail)
	start := time.Now()
	r.Stop(t) // fails if Run takes longer than peertest.CancelTimeout
	t.Logf("Run returned %v after cancel", time.Since(start))

	// And cancelling in the middle of a handshake, with the long default.
	tr2, _ := New(Options{JID: "a@localhost", Password: "x", Server: ln.Addr().String()})
	r2 := peertest.Start(t, tr2)
	waitStatus(t, tr2, "connecting", func(st peer.Status) bool { return st.State == peer.Connecting })
	mu.Lock()
	n := len(conns)
	mu.Unlock()
	for n < 2 { // wait until tr2's connection is accepted
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		n = len(conns)
		mu.Unlock()
	}
	start = time.Now()
	r2.Stop(t)
	if d := time.Since(start); d > time.Second {
		t.Errorf("cancel during a hung handshake took %v", d)
	}
}

func TestPasswordCommand(t *testing.T) {
	srv := xmpptest.Start(t)
	jid, pw := account(t, srv)
	tr := newTransport(t, srv, jid, "", "cmd", func(o *Options) {
		o.PasswordCommand = []string{"printf", "%s\\nsecond line ignored\\n", pw}
	})
	peertest.Start(t, tr).WaitConnected(t)

	bad := newTransport(t, srv, jid, "", "cmd2", func(o *Options) {
		o.PasswordCommand = []string{"sh", "-c", "echo keyring is locked >&2; exit 3"}
	})
	peertest.Start(t, bad)
	st := waitStatus(t, bad, "the password_command error", func(st peer.Status) bool {
		return strings.Contains(st.Detail, "password_command")
	})
	if !strings.Contains(st.Detail, "keyring is locked") || st.State == peer.Connected {
		t.Errorf("status %v %q, want the command's stderr and not connected", st.State, st.Detail)
	}
}

func TestNotifyAlsoNotify(t *testing.T) {
	srv := xmpptest.Start(t)
	jid, pw := account(t, srv)
	watcherJID, watcherPW := account(t, srv)
	watcher := srv.Connect(t, watcherJID, watcherPW, "phone")
	tr := newTransport(t, srv, jid, pw, "desk", func(o *Options) { o.AlsoNotify = watcherJID })
	if err := tr.Notify(t.Context(), "early"); err == nil {
		t.Error("Notify before Run returned nil")
	}
	peertest.Start(t, tr).WaitConnected(t)
	if err := tr.Notify(t.Context(), "Pushed 2 changes in notes"); err != nil {
		t.Fatal(err)
	}
	if m := watcher.NextFrom(t, jid+"/desk"); m.Text != "Pushed 2 changes in notes" {
		t.Errorf("also_notify got %q", m.Text)
	}
	none := newTransport(t, srv, jid, pw, "none")
	if err := none.Notify(t.Context(), "x"); err != nil {
		t.Errorf("Notify without also_notify: %v, want nil (no-op)", err)
	}
}

// TestDvcsAutosyncWireCompat plays an old dvcs-autosync instance with a
// plain client: its messages are understood, and ours reach it in the old
// format.
func TestDvcsAutosyncWireCompat(t *testing.T) {
	srv := xmpptest.Start(t)
	jid, pw := account(t, srv)
	old := srv.Connect(t, jid, pw, "AutosyncJabberBot on oldhost")

	tr := newTransport(t, srv, jid, pw, "AutosyncJabberBot on newhost")
	r := peertest.Start(t, tr)
	r.WaitConnected(t)
	full := jid + "/AutosyncJabberBot on newhost"
	if m := old.NextFrom(t, full); m.Text != "login AutosyncJabberBot on newhost" || m.Type != "chat" {
		t.Errorf("old instance got %q (%s) at our login, want the chat \"login AutosyncJabberBot on newhost\"", m.Text, m.Type)
	}

	// The old tool greets, then announces the raw remote URL with git's
	// newline, to the bare JID.
	old.Send(t, jid, "chat", "login AutosyncJabberBot on oldhost")
	old.Send(t, jid, "chat", "pushed ssh://host/repo.git\n")
	got := r.WaitAnnouncement(t)
	if got.Remote != "ssh://host/repo.git" || got.From != old.JID() {
		t.Errorf("heard %+v, want ssh://host/repo.git from %s", got, old.JID())
	}
	if peer.NormalizeURL(got.Remote) != peer.NormalizeURL("git@host:/repo") {
		t.Errorf("%q does not match the folder remote git@host:/repo", got.Remote)
	}

	if err := tr.Announce(t.Context(), peer.Announcement{Remote: "https://me:tok@example.com/notes.git"}); err != nil {
		t.Fatal(err)
	}
	m := old.NextFrom(t, full)
	if m.Text != "pushed https://example.com/notes.git" || m.Type != "chat" {
		t.Errorf("old instance got %q (%s), want the chat \"pushed https://example.com/notes.git\"", m.Text, m.Type)
	}
	// dvcs-autosync answers our replies with "Unknown command"; we ignore it.
	old.Send(t, full, "chat", "ping")
	if m := old.NextFrom(t, full); m.Text != "pong" {
		t.Errorf("ping from the old instance: %q", m.Text)
	}
}

func TestNewValidates(t *testing.T) {
	ca := t.TempDir() + "/ca.pem"
	tests := []struct {
		name string
		opts Options
		want string // substring of the error; "" = no error
	}{
		{"ok", Options{JID: "a@example.org", Password: "x"}, ""},
		{"ok with command", Options{JID: "a@example.org", PasswordCommand: []string{"pass", "xmpp"}}, ""},
		{"no at", Options{JID: "example.org", Password: "x"}, "not an XMPP address"},
		{"empty", Options{Password: "x"}, "not an XMPP address"},
		{"space", Options{JID: "a b@example.org", Password: "x"}, "not an XMPP address"},
		{"no password", Options{JID: "a@example.org"}, "password_command"},
		{"bad tls", Options{JID: "a@example.org", Password: "x", TLS: "ssl"}, `use "starttls"`},
		{"none remote", Options{JID: "a@example.org", Password: "x", TLS: "none", Server: "example.org:5222"}, "only for a server on this machine"},
		{"none srv", Options{JID: "a@example.org", Password: "x", TLS: "none"}, "only for a server on this machine"},
		{"none loopback", Options{JID: "a@example.org", Password: "x", TLS: "none", Server: "127.0.0.1:5222"}, ""},
		{"none localhost", Options{JID: "a@example.org", Password: "x", TLS: "none", Server: "localhost"}, ""},
		{"none ::1", Options{JID: "a@example.org", Password: "x", TLS: "none", Server: "[::1]:5222"}, ""},
		{"missing ca", Options{JID: "a@example.org", Password: "x", CAFile: ca + ".missing"}, "ca_file"},
		{"bad allowed", Options{JID: "a@example.org", Password: "x", AllowedJIDs: []string{"a b"}}, "allowed_jids"},
		{"bad also_notify", Options{JID: "a@example.org", Password: "x", AlsoNotify: "@"}, "also_notify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New: %v, want no error", err)
			case tt.want != "" && err == nil:
				t.Errorf("New succeeded, want an error with %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("New: %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	tr, err := New(Options{JID: "Alice@Example.org", Password: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tr.resource, "AutosyncJabberBot on ") {
		t.Errorf("default resource %q, want dvcs-autosync's", tr.resource)
	}
	if tr.tlsMode != TLSStartTLS || tr.tlsConfig.ServerName != "Example.org" || tr.tlsConfig.InsecureSkipVerify {
		t.Errorf("tls %q ServerName %q", tr.tlsMode, tr.tlsConfig.ServerName)
	}
	if st := tr.Status(); st.Name != "xmpp" || st.State != peer.Disconnected || !strings.Contains(st.Detail, "alice@example.org") {
		t.Errorf("status before Run: %+v", st)
	}
	tr2, _ := New(Options{JID: "a@example.org", Password: "x", Server: "xmpp.example.org", TLS: "direct"})
	if tr2.server != "xmpp.example.org:5223" {
		t.Errorf("server without port for direct TLS: %q, want :5223", tr2.server)
	}
}

func TestLoginErrorClassification(t *testing.T) {
	tr, err := New(Options{JID: "a@example.org", Password: "x"})
	if err != nil {
		t.Fatal(err)
	}
	err = tr.loginError("h:5222", errors.New("auth failure: Invalid channel binding"))
	if ae := (*authError)(nil); errors.As(err, &ae) {
		t.Errorf("a channel binding refusal is not a wrong password: %v", err)
	}
	if !tr.noPlus.Load() {
		t.Error("after a channel binding refusal the next login must avoid SCRAM-*-PLUS")
	}
	// The second time it is what the server says.
	err = tr.loginError("h:5222", errors.New("auth failure: Invalid channel binding"))
	if ae := (*authError)(nil); !errors.As(err, &ae) {
		t.Errorf("second refusal: %v, want an auth failure", err)
	}
	err = tr.loginError("h:5222", errors.New("auth failure: not-authorized"))
	if ae := (*authError)(nil); !errors.As(err, &ae) || ae.reason != "not-authorized" {
		t.Errorf("not-authorized: %v, want an auth failure", err)
	}
	err = tr.loginError("h:5222", errors.New("starttls handshake: tls: failed to verify certificate: x509: certificate signed by unknown authority"))
	if !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("certificate error %q does not mention ca_file", err)
	}
}

// cuttingProxy forwards TCP to target; once armed, it forwards only part
// of the next large chunk from the server and then cuts the connection,
// which leaves go-xmpp's decoder in the middle of a stanza (the state in
// which go-xmpp's Close hangs forever).
type cuttingProxy struct {
	ln     net.Listener
	target string
	armed  atomic.Bool
	cuts   atomic.Int32
}

func startCuttingProxy(t *testing.T, target string) *cuttingProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cuttingProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *cuttingProxy) serve(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				s.Write(buf[:n])
			}
			if err != nil {
				s.Close()
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := s.Read(buf)
		if n >= 4096 && p.armed.CompareAndSwap(true, false) {
			c.Write(buf[:n/2])
			p.cuts.Add(1)
			return
		}
		if n > 0 {
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// TestConnectionCutMidStanza: a connection that dies in the middle of a
// stanza is noticed, the transport reconnects, and stopping never hangs
// (go-xmpp's Close would).
func TestConnectionCutMidStanza(t *testing.T) {
	srv := xmpptest.Start(t)
	jid, pw := account(t, srv)
	proxy := startCuttingProxy(t, srv.Addr())
	tr := newTransport(t, srv, jid, pw, "cut", func(o *Options) { o.Server = proxy.ln.Addr().String() })
	r := peertest.Start(t, tr)
	r.WaitConnected(t)

	other := srv.Connect(t, jid, pw, "big")
	proxy.armed.Store(true)
	other.Send(t, jid+"/cut", "chat", "pushed ssh://host/"+strings.Repeat("x", 50000))
	r.WaitConnectedCount(t, 2)
	if proxy.cuts.Load() != 1 {
		t.Fatalf("the proxy cut %d connections, want 1", proxy.cuts.Load())
	}
	other.Send(t, jid+"/cut", "chat", "pushed ssh://host/after-cut.git")
	if got := r.WaitAnnouncement(t); got.Remote != "ssh://host/after-cut.git" {
		t.Errorf("after the cut heard %q", got.Remote)
	}
	start := time.Now()
	r.Stop(t)
	t.Logf("stopped %v after cancel", time.Since(start))
}
