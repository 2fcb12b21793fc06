// Package peer defines how autosync instances tell each other that they
// pushed: an Announcement, the Transport interface that carries it, an
// in-memory Loopback transport for tests and single-process use, and a
// conformance suite (package peer/peertest) every transport passes.
package peer

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// Announcement says that some instance pushed to a remote.
type Announcement struct {
	// Remote is the URL that was pushed to, without credentials.
	Remote string
	// From identifies the sender (for XMPP the full JID), for logs and
	// status only.
	From string
	// Time is when the announcement was received (or sent).
	Time time.Time
}

// ConnState is the connection state of a transport.
type ConnState int

// Connection states.
const (
	Disconnected ConnState = iota
	Connecting
	Connected
	// Failed is a permanent failure (for example a wrong password) that
	// retrying will not fix; polling keeps folders in sync meanwhile.
	Failed
)

func (s ConnState) String() string {
	switch s {
	case Disconnected:
		return "disconnected"
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Status is a transport's state for `autosync status` and the tray.
type Status struct {
	Name         string // "xmpp", "loopback"
	State        ConnState
	Detail       string // e.g. the JID and server, or the last error
	LastSent     *Announcement
	LastReceived *Announcement
}

// Handler receives what a transport hears. The transport calls its methods
// from its own goroutine, one call at a time; they must not block (the
// engine's triggers are non-blocking sends).
type Handler interface {
	// Announced is called for an announcement from another instance that
	// the transport accepted (own echo and strangers are already filtered).
	Announced(Announcement)
	// Connected is called after every (re)connect: announcements sent while
	// this instance was offline are lost, so every folder should catch up.
	Connected()
}

// Transport carries announcements between instances.
//
// Run connects, keeps the connection alive, reconnects with backoff and
// delivers to h until ctx is done; it returns nil on cancellation and an
// error only for a configuration that can never work. Announce may be called
// from any goroutine at any time: while disconnected it returns an error
// (announcements are hints, they are not queued: the receivers catch up by
// fetching on reconnect). Status never blocks.
type Transport interface {
	Run(ctx context.Context, h Handler) error
	Announce(ctx context.Context, a Announcement) error
	Status() Status
}

// NormalizeURL reduces a remote URL to a form that compares equal for the
// same repository: no user or password, no trailing slash or ".git", lower
// case scheme and host. scp-like git URLs (user@host:path) are kept in that
// form without the user. Surrounding white space (dvcs-autosync sent a
// trailing newline) is dropped.
func NormalizeURL(raw string) string {
	s := strings.TrimSpace(raw)
	if s == "" {
		return ""
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" || err == nil && u.Scheme == "file" {
		u.User = nil
		u.Scheme = strings.ToLower(u.Scheme)
		u.Host = strings.ToLower(u.Host)
		u.Path = trimRepoSuffix(u.Path)
		u.RawQuery, u.Fragment = "", ""
		return u.String()
	}
	// scp-like: [user@]host:path (no scheme, a colon before any slash).
	if i := strings.Index(s, ":"); i > 0 && !strings.Contains(s[:i], "/") {
		host := s[:i]
		if j := strings.LastIndex(host, "@"); j >= 0 {
			host = host[j+1:]
		}
		return strings.ToLower(host) + ":" + trimRepoSuffix(s[i+1:])
	}
	return trimRepoSuffix(s)
}

// StripCredentials removes a user name and password from a URL, for
// announcing it; unlike NormalizeURL it keeps the rest as it is.
func StripCredentials(raw string) string {
	s := strings.TrimSpace(raw)
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.User != nil {
		u.User = nil
		return u.String()
	}
	if i := strings.Index(s, ":"); i > 0 && !strings.Contains(s[:i], "/") {
		if j := strings.LastIndex(s[:i], "@"); j >= 0 {
			// user@host:path: the user of an ssh URL is not a secret, but
			// a user:password@ form is; drop only a password.
			if k := strings.Index(s[:j], ":"); k >= 0 {
				return s[:k] + s[j:]
			}
		}
	}
	return s
}

func trimRepoSuffix(p string) string {
	p = strings.TrimRight(p, "/")
	p = strings.TrimSuffix(p, ".git")
	return strings.TrimRight(p, "/")
}
