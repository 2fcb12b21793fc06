package xmpp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xmppo/go-xmpp"

	"github.com/autosync-dev/autosync/syncer/peer"
	"github.com/autosync-dev/autosync/syncer/retry"
)

// timing holds the transport's delays; tests shorten them.
type timing struct {
	dial         time.Duration // TCP connect
	handshake    time.Duration // TLS, SASL, bind: bounds a server that accepts and stays silent
	online       time.Duration // wait for the own presence echo before going online anyway
	ping         time.Duration // XEP-0199 ping interval
	idle         time.Duration // nothing received for this long: the connection is dead
	graceful     time.Duration // wait for the server to close the stream on shutdown
	backoffFirst time.Duration
	backoffMax   time.Duration
	authRetry    time.Duration // after a wrong password
}

// defaultTiming: the ping follows dvcs-autosync (30 s), the idle limit
// gives a slow server two more pings' worth; the backoff cap keeps a long
// outage at one login attempt per 5 minutes. Judgement, not measurement.
var defaultTiming = timing{
	dial:         15 * time.Second,
	handshake:    30 * time.Second,
	online:       10 * time.Second,
	ping:         30 * time.Second,
	idle:         90 * time.Second,
	graceful:     time.Second,
	backoffFirst: time.Second,
	backoffMax:   5 * time.Minute,
	authRetry:    10 * time.Minute,
}

// Transport is the XMPP peer.Transport. Create it with New; Run it once.
type Transport struct {
	opts      Options
	account   jid
	bare      string // own bare JID, lower case
	resource  string
	server    string // host:port, "" for DNS SRV
	tlsMode   string
	tlsConfig *tls.Config
	allowed   map[string]bool
	log       *slog.Logger
	timing    timing

	running  atomic.Bool
	attempts atomic.Int64 // login attempts, for tests
	noPlus   atomic.Bool  // the server refused SCRAM channel binding: use SCRAM-SHA-1

	mu    sync.Mutex
	state stateInfo
	sess  *session // the online session, nil when not online
	sent  *peer.Announcement
	recvd *peer.Announcement
}

var _ peer.Transport = (*Transport)(nil)

type stateInfo struct {
	state  peer.ConnState
	detail string
}

// session is one login. Its client is read by the session's receive
// goroutine and written by anyone holding sendMu.
type session struct {
	client  *xmpp.Client
	pipe    *pipe
	fullJID string
	sendMu  sync.Mutex
}

// send writes one message stanza. go-xmpp writes a stanza with a single
// Write, and the lock keeps our own writers in order.
func (s *session) send(to, typ, body string) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	_, err := s.client.Send(xmpp.Chat{Remote: to, Type: typ, Text: body})
	return err
}

func (s *session) sendRaw(stanza string) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	_, err := s.client.SendOrg(stanza)
	return err
}

// errReplaced: the server ended our session because another one logged in
// with the same resource.
var errReplaced = errors.New("another client logged in with this machine's resource")

// roundDelay formats a retry delay for people: whole seconds, or
// milliseconds below a second.
func roundDelay(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// authError is a login the server refused: retrying will not help until the
// user fixes the password or account.
type authError struct{ reason string }

func (e *authError) Error() string { return "auth failure: " + e.reason }

// Run implements peer.Transport: it connects and reconnects until ctx ends
// and returns nil then. It returns an error only when called while another
// Run of the same Transport is active.
func (t *Transport) Run(ctx context.Context, h peer.Handler) error {
	if !t.running.CompareAndSwap(false, true) {
		return errors.New("xmpp: Run is already active for this transport")
	}
	defer t.running.Store(false)
	defer t.setState(peer.Disconnected, t.describe()+": stopped")

	backoff := retry.New(t.timing.backoffFirst, t.timing.backoffMax)
	for {
		if ctx.Err() != nil {
			return nil
		}
		t.setState(peer.Connecting, t.describe()+": connecting")
		wasOnline, err := t.session(ctx, h)
		if ctx.Err() != nil {
			return nil
		}
		// A session that came online resets the backoff, except when
		// another client took our resource: two instances with one
		// resource would otherwise kick each other off every second.
		if wasOnline && !errors.Is(err, errReplaced) {
			backoff.Reset()
		}
		var wait time.Duration
		if ae := (*authError)(nil); errors.As(err, &ae) {
			wait = t.timing.authRetry
			setting := "password"
			if len(t.opts.PasswordCommand) > 0 {
				setting = "password_command"
			}
			detail := fmt.Sprintf("XMPP login failed for %s: wrong password or unknown account; check [xmpp] %s (server said: %s)",
				t.bare, setting, ae.reason)
			t.setState(peer.Failed, detail)
			t.log.Error("xmpp login refused; trying again later", "detail", detail, "retry_in", wait)
		} else {
			wait = backoff.Next()
			t.setState(peer.Disconnected, fmt.Sprintf("%s: %v; retrying in %v", t.describe(), err, roundDelay(wait)))
			t.log.Warn("xmpp connection failed; retrying", "err", err, "retry_in", wait)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
	}
}

// session logs in once and serves until the connection fails or ctx ends.
// It reports whether the session came online. All handler calls happen on
// this goroutine.
func (t *Transport) session(ctx context.Context, h peer.Handler) (online bool, err error) {
	t.attempts.Add(1)
	pw, err := t.password(ctx)
	if err != nil {
		return false, err
	}
	addr := t.resolve(ctx)
	p, err := openPipe(ctx, addr, t.timing.dial, t.timing.idle)
	if err != nil {
		return false, fmt.Errorf("connect to %s: %w", addr, err)
	}
	defer p.Close()

	client, err := t.login(ctx, p, addr, pw)
	if err != nil {
		return false, err
	}
	s := &session{client: client, pipe: p, fullJID: client.JID()}

	stanzas := make(chan any, 16)
	recvErr := make(chan error, 1)
	stop := make(chan struct{})
	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		for {
			st, err := client.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			select {
			case stanzas <- st:
			case <-stop:
				return
			}
		}
	}()
	defer func() {
		t.mu.Lock()
		if t.sess == s {
			t.sess = nil
		}
		t.mu.Unlock()
		p.Close()
		close(stop)
		select {
		case <-recvDone:
			// Recv has returned, so Close cannot race with it. It may
			// still hang on go-xmpp's stuck decoder mutex after a stanza
			// cut in half; the pipe is closed already, so nothing is lost
			// by not waiting for it.
			go client.Close()
		case <-time.After(5 * time.Second):
			t.log.Warn("xmpp receive loop did not end after the connection closed")
		}
	}()

	goOnline := func() {
		online = true
		t.mu.Lock()
		t.sess = s
		t.state = stateInfo{peer.Connected, t.describeSession(s, addr)}
		t.mu.Unlock()
		t.log.Info("xmpp online", "jid", s.fullJID, "server", addr)
		// dvcs-autosync's greeting; every instance ignores it.
		if err := s.send(t.bare, "chat", "login "+t.resource); err != nil {
			t.log.Debug("xmpp login message not sent", "err", err)
		}
		h.Connected()
	}

	onlineTimer := time.NewTimer(t.timing.online)
	defer onlineTimer.Stop()
	ping := time.NewTicker(t.timing.ping)
	defer ping.Stop()
	pings := 0
	for {
		select {
		case <-ctx.Done():
			t.closeStream(s, stanzas, recvErr)
			return online, nil
		case err := <-recvErr:
			return online, t.lostError(p, err)
		case <-onlineTimer.C:
			if !online {
				t.log.Debug("xmpp server did not echo our presence; going online anyway")
				goOnline()
			}
		case <-ping.C:
			pings++
			// The answer refreshes the pipe's idle deadline; no answer
			// within timing.idle closes the pipe and Recv fails.
			if err := s.sendRaw(fmt.Sprintf("<iq type='get' id='autosync-ping-%d' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>",
				pings, xmlEscape(t.account.domain))); err != nil {
				return online, fmt.Errorf("ping: %w", err)
			}
		case st := <-stanzas:
			switch v := st.(type) {
			case xmpp.Presence:
				if !online && v.From == s.fullJID && v.Type == "" {
					goOnline()
				}
			case xmpp.Chat:
				if online {
					t.handleChat(s, h, v)
				}
			}
		}
	}
}

// login runs go-xmpp's handshake over the pipe, bounded by the handshake
// timeout and ctx: closing the pipe makes NewClient return.
func (t *Transport) login(ctx context.Context, p *pipe, addr, password string) (*xmpp.Client, error) {
	opts := xmpp.Options{
		Host:        p.Addr(),
		User:        t.account.local + "@" + t.account.domain,
		Password:    password,
		Resource:    t.resource,
		DialTimeout: t.timing.dial,
		TLSConfig:   t.tlsConfig.Clone(),
	}
	if t.noPlus.Load() {
		opts.Mechanism = "SCRAM-SHA-1"
	}
	switch t.tlsMode {
	case TLSStartTLS:
		opts.NoTLS, opts.StartTLS = true, true
	case TLSDirect:
		opts.NoTLS = false
	case TLSNone:
		// Plain TCP; STARTTLS still happens if the server requires it.
		opts.NoTLS, opts.InsecureAllowUnencryptedAuth = true, true
	}
	type result struct {
		c   *xmpp.Client
		err error
	}
	res := make(chan result, 1)
	go func() {
		c, err := opts.NewClient()
		res <- result{c, err}
	}()
	timer := time.NewTimer(t.timing.handshake)
	defer timer.Stop()
	var r result
	select {
	case r = <-res:
	case <-timer.C:
		p.Close()
		<-res
		return nil, fmt.Errorf("server %s accepted the connection but did not complete the XMPP login within %v", addr, t.timing.handshake)
	case <-ctx.Done():
		p.Close()
		<-res
		return nil, ctx.Err()
	}
	if r.err != nil {
		return nil, t.loginError(addr, r.err)
	}
	return r.c, nil
}

// loginError turns go-xmpp's untyped errors into ones that say what to do.
func (t *Transport) loginError(addr string, err error) error {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "auth failure:") && strings.Contains(strings.ToLower(msg), "channel binding") && !t.noPlus.Load():
		// ejabberd before 24.02 offers SCRAM-*-PLUS but fails go-xmpp's
		// tls-exporter binding under TLS 1.3 (xmppo/go-xmpp issue 184).
		// Not the user's password: try again without channel binding.
		t.noPlus.Store(true)
		t.log.Warn("xmpp server refused SCRAM channel binding; retrying with SCRAM-SHA-1", "err", err)
		return fmt.Errorf("login to %s: %w (retrying without channel binding)", addr, err)
	case strings.HasPrefix(msg, "auth failure:"):
		return &authError{reason: strings.TrimSpace(strings.TrimPrefix(msg, "auth failure:"))}
	case strings.Contains(msg, "x509:") || strings.Contains(msg, "certificate"):
		return fmt.Errorf("the certificate of %s is not trusted for %s: %w; if the server uses its own CA, set [xmpp] ca_file",
			addr, t.account.domain, err)
	case strings.Contains(msg, "Replaced by new connection") || strings.Contains(msg, "conflict"):
		return fmt.Errorf("%w %q; give each machine its own [xmpp] resource (%v)", errReplaced, t.resource, err)
	}
	return fmt.Errorf("login to %s: %w", addr, err)
}

// lostError explains why an established connection ended.
func (t *Transport) lostError(p *pipe, err error) error {
	if perr := p.Err(); errors.Is(perr, errIdle) {
		return fmt.Errorf("connection lost: %w", perr)
	}
	if strings.Contains(err.Error(), "Replaced by new connection") || strings.Contains(err.Error(), "conflict") {
		return fmt.Errorf("%w %q; give each machine its own [xmpp] resource (%v)", errReplaced, t.resource, err)
	}
	return fmt.Errorf("connection lost: %w", err)
}

// closeStream ends the stream politely and waits briefly for the server to
// close its side, so that it tells the other resources we left.
func (t *Transport) closeStream(s *session, stanzas <-chan any, recvErr <-chan error) {
	if err := s.sendRaw("</stream:stream>"); err != nil {
		return
	}
	timer := time.NewTimer(t.timing.graceful)
	defer timer.Stop()
	for {
		select {
		case <-recvErr:
			return
		case <-stanzas:
		case <-timer.C:
			return
		}
	}
}

// Commands and replies. Every reply starts with a word in ignored, so two
// bots never answer each other's replies.
const (
	helpText = "Available commands: pushed <url> (fetch that repository now), ping, whoami, help"
)

var ignored = map[string]bool{
	"login": true, "unknown": true, "pong": true, "you": true, "available": true,
}

// handleChat applies the protocol's filters and commands to one message.
func (t *Transport) handleChat(s *session, h peer.Handler, m xmpp.Chat) {
	switch m.Type {
	case "chat", "normal", "", "headline":
	default:
		return // error bounces and groupchat are never commands
	}
	if !m.Stamp.IsZero() || hasLegacyDelay(m) {
		t.log.Debug("xmpp: ignoring a delayed message", "from", m.Remote, "stamp", m.Stamp)
		return
	}
	body := strings.TrimSpace(m.Text)
	if body == "" || isCarbon(m) {
		return
	}
	if m.Remote == s.fullJID {
		return // our own message, echoed by the server
	}
	from := bareOf(m.Remote)
	if from != t.bare && !t.allowed[from] {
		t.log.Debug("xmpp: ignoring a message from a JID that is neither this account nor allowed", "from", m.Remote)
		return
	}
	cmd, arg, _ := strings.Cut(body, " ")
	cmd = strings.ToLower(strings.TrimSpace(cmd))
	arg = strings.TrimSpace(arg)
	replyType := "chat"
	if m.Type == "normal" {
		replyType = "normal"
	}
	reply := func(text string) {
		if err := s.send(m.Remote, replyType, text); err != nil {
			t.log.Debug("xmpp: reply not sent", "to", m.Remote, "err", err)
		}
	}
	switch {
	case cmd == "pushed":
		a := peer.Announcement{Remote: peer.StripCredentials(arg), From: m.Remote, Time: time.Now()}
		t.mu.Lock()
		t.recvd = &a
		t.mu.Unlock()
		t.log.Info("xmpp: peer pushed", "from", m.Remote, "remote", a.Remote)
		h.Announced(a)
	case cmd == "ping":
		reply("pong")
	case cmd == "whoami":
		reply(fmt.Sprintf("You are %s, I am %s", m.Remote, s.fullJID))
	case cmd == "help":
		reply(helpText)
	case ignored[cmd]:
	default:
		reply(fmt.Sprintf("Unknown command: %q. Type \"help\" for available commands.", cmd))
	}
}

// hasLegacyDelay finds the old XEP-0091 delay (jabber:x:delay), which
// go-xmpp does not turn into a Stamp (it lands in the Oob field, which
// takes any element named x), or a delay whose stamp go-xmpp could not
// parse (fractional seconds).
func hasLegacyDelay(m xmpp.Chat) bool {
	if m.Oob.XMLName.Space == "jabber:x:delay" {
		return true
	}
	for _, e := range m.OtherElem {
		if e.XMLName.Space == "jabber:x:delay" || e.XMLName.Space == "urn:xmpp:delay" {
			return true
		}
	}
	return false
}

// isCarbon finds XEP-0280 copies; we never enable carbons, but another
// client on the account may have, and a copy is never a command to us.
func isCarbon(m xmpp.Chat) bool {
	for _, e := range m.OtherElem {
		if strings.HasPrefix(e.XMLName.Space, "urn:xmpp:carbons:") || e.XMLName.Local == "forwarded" {
			return true
		}
	}
	return false
}

// Announce implements peer.Transport: it sends "pushed <url>" (without
// credentials) to the own account. It returns peer.ErrNotConnected while
// not online.
func (t *Transport) Announce(ctx context.Context, a peer.Announcement) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t.mu.Lock()
	s := t.sess
	t.mu.Unlock()
	if s == nil {
		return fmt.Errorf("xmpp announce: %w", peer.ErrNotConnected)
	}
	remote := peer.StripCredentials(a.Remote)
	if err := s.send(t.bare, "chat", "pushed "+remote); err != nil {
		return fmt.Errorf("xmpp announce: %w", err)
	}
	sent := peer.Announcement{Remote: remote, From: s.fullJID, Time: time.Now()}
	t.mu.Lock()
	t.sent = &sent
	t.mu.Unlock()
	return nil
}

// Notify sends text to Options.AlsoNotify (dvcs-autosync's alsonotify); it
// does nothing when that is not set, and returns peer.ErrNotConnected
// while not online.
func (t *Transport) Notify(ctx context.Context, text string) error {
	if t.opts.AlsoNotify == "" {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t.mu.Lock()
	s := t.sess
	t.mu.Unlock()
	if s == nil {
		return fmt.Errorf("xmpp notify: %w", peer.ErrNotConnected)
	}
	if err := s.send(strings.TrimSpace(t.opts.AlsoNotify), "chat", text); err != nil {
		return fmt.Errorf("xmpp notify: %w", err)
	}
	return nil
}

// Status implements peer.Transport.
func (t *Transport) Status() peer.Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := peer.Status{Name: "xmpp", State: t.state.state, Detail: t.state.detail}
	if t.sent != nil {
		a := *t.sent
		st.LastSent = &a
	}
	if t.recvd != nil {
		a := *t.recvd
		st.LastReceived = &a
	}
	return st
}

func (t *Transport) setState(s peer.ConnState, detail string) {
	t.mu.Lock()
	t.state = stateInfo{s, detail}
	t.mu.Unlock()
}

// describe names the account, server and TLS mode for Status details.
func (t *Transport) describe() string {
	server := t.server
	if server == "" {
		server = "DNS SRV of " + t.account.domain
	}
	return fmt.Sprintf("%s/%s via %s (%s)", t.bare, t.resource, server, t.tlsMode)
}

func (t *Transport) describeSession(s *session, addr string) string {
	return fmt.Sprintf("%s via %s (%s)", s.fullJID, addr, t.tlsMode)
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", "\"", "&quot;")
	return r.Replace(s)
}
