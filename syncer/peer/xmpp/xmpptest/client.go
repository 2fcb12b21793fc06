//go:build unix

package xmpptest

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xmppo/go-xmpp"
)

// WaitTimeout bounds every wait of a Client. Stanzas take well under a
// millisecond on loopback; the rest is headroom for loaded CI machines.
const WaitTimeout = 15 * time.Second

// Client is a plain go-xmpp session for playing another program in tests:
// an old dvcs-autosync instance, a stranger's account, a chat client. It
// receives in its own goroutine; its methods are for the test goroutine.
type Client struct {
	c     *xmpp.Client
	chats chan xmpp.Chat
	pres  chan xmpp.Presence
	iqs   chan xmpp.IQ
	done  chan struct{} // closed when the receive loop ended
	err   atomic.Value  // the receive loop's error
	ids   atomic.Int64
}

// Connect logs jid (with password) into the server over STARTTLS as
// resource and waits for its own presence to come back, so that messages
// to the account reach it from then on. It is closed when the test ends.
func (s *Server) Connect(tb testing.TB, jid, password, resource string) *Client {
	tb.Helper()
	opts := xmpp.Options{
		Host: s.Addr(), User: jid, Password: password, Resource: resource,
		NoTLS: true, StartTLS: true, TLSConfig: s.TLSConfig(),
		DialTimeout: 5 * time.Second,
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
	var xc *xmpp.Client
	select {
	case r := <-res:
		if r.err != nil {
			tb.Fatalf("xmpptest: login %s/%s: %v", jid, resource, r.err)
		}
		xc = r.c
	case <-time.After(WaitTimeout):
		tb.Fatalf("xmpptest: login %s/%s did not finish within %v", jid, resource, WaitTimeout)
	}
	c := &Client{
		c: xc, chats: make(chan xmpp.Chat, 100), pres: make(chan xmpp.Presence, 100),
		iqs: make(chan xmpp.IQ, 100), done: make(chan struct{}),
	}
	go c.recv()
	tb.Cleanup(c.close)
	c.WaitPresence(tb, xc.JID())
	return c
}

func (c *Client) recv() {
	defer close(c.done)
	for {
		st, err := c.c.Recv()
		if err != nil {
			c.err.Store(err)
			return
		}
		switch v := st.(type) {
		case xmpp.Chat:
			if v.Type != "roster" {
				c.chats <- v
			}
		case xmpp.Presence:
			c.pres <- v
		case xmpp.IQ:
			c.iqs <- v
		}
	}
}

// close ends the stream and waits for the server to close it before
// calling go-xmpp's Close: Close running beside a blocked Recv is a data
// race inside go-xmpp.
func (c *Client) close() {
	_, _ = c.c.SendOrg("</stream:stream>")
	select {
	case <-c.done:
		_ = c.c.Close()
	case <-time.After(5 * time.Second):
		// The server did not answer; leave the socket to the finalizer
		// rather than race or hang in go-xmpp's Close.
	}
}

// JID is the client's full JID as bound by the server.
func (c *Client) JID() string { return c.c.JID() }

// Send sends a message stanza of type typ ("chat", "normal", "headline").
func (c *Client) Send(tb testing.TB, to, typ, body string) {
	tb.Helper()
	if _, err := c.c.Send(xmpp.Chat{Remote: to, Type: typ, Text: body}); err != nil {
		tb.Fatalf("xmpptest: send to %s: %v", to, err)
	}
}

// SendRaw sends raw XML, for stanzas go-xmpp cannot build (a delay stamp).
func (c *Client) SendRaw(tb testing.TB, stanza string) {
	tb.Helper()
	if _, err := c.c.SendOrg(stanza); err != nil {
		tb.Fatalf("xmpptest: send: %v", err)
	}
}

// Sync makes a round trip to the server (an XEP-0199 ping): everything sent
// before it has been processed and routed by the server when it returns.
func (c *Client) Sync(tb testing.TB) {
	tb.Helper()
	id := fmt.Sprintf("sync%d", c.ids.Add(1))
	c.SendRaw(tb, fmt.Sprintf("<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>", id, Domain))
	deadline := time.After(WaitTimeout)
	for {
		select {
		case iq := <-c.iqs:
			if iq.ID == id {
				return
			}
		case <-c.done:
			tb.Fatalf("xmpptest: %s: connection closed: %v", c.JID(), c.err.Load())
		case <-deadline:
			tb.Fatalf("xmpptest: %s: no answer to a ping within %v", c.JID(), WaitTimeout)
		}
	}
}

// Next returns the next message with a body (not an empty carbon or
// state notification) or fails the test after WaitTimeout.
func (c *Client) Next(tb testing.TB) xmpp.Chat {
	tb.Helper()
	deadline := time.After(WaitTimeout)
	for {
		select {
		case m := <-c.chats:
			if strings.TrimSpace(m.Text) != "" {
				return m
			}
		case <-c.done:
			tb.Fatalf("xmpptest: %s: connection closed: %v", c.JID(), c.err.Load())
		case <-deadline:
			tb.Fatalf("xmpptest: %s: no message within %v", c.JID(), WaitTimeout)
		}
	}
}

// NextFrom returns the next message with a body from the full JID from,
// skipping others.
func (c *Client) NextFrom(tb testing.TB, from string) xmpp.Chat {
	tb.Helper()
	for {
		if m := c.Next(tb); m.Remote == from {
			return m
		}
	}
}

// Pending returns the messages with a body received so far and not yet
// returned by Next, without waiting.
func (c *Client) Pending() []xmpp.Chat {
	var out []xmpp.Chat
	for {
		select {
		case m := <-c.chats:
			if strings.TrimSpace(m.Text) != "" {
				out = append(out, m)
			}
		default:
			return out
		}
	}
}

// WaitPresence waits for an available presence from the full JID from.
func (c *Client) WaitPresence(tb testing.TB, from string) {
	tb.Helper()
	deadline := time.After(WaitTimeout)
	for {
		select {
		case p := <-c.pres:
			if p.From == from && p.Type == "" {
				return
			}
		case <-c.done:
			tb.Fatalf("xmpptest: %s: connection closed: %v", c.c.JID(), c.err.Load())
		case <-deadline:
			tb.Fatalf("xmpptest: no presence from %s within %v", from, WaitTimeout)
		}
	}
}
