// Package peer defines how autosync instances tell each other that they
// pushed: an Announcement, the Transport interface that carries it, an
// in-memory Loopback transport for tests and single-process use, and a
// conformance suite (package peer/peertest) every transport passes.
package peer

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"time"
)

// ErrNotConnected is returned by Announce (and similar sends) while the
// transport is not connected. Announcements are hints and are not queued:
// the other instances catch up by fetching when they (re)connect, and the
// periodic fetch covers the rest.
var ErrNotConnected = errors.New("peer: not connected")

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
// same repository, for matching an announcement to a folder:
//
//   - no user or password, lower-case scheme and host, no default port,
//     no query or fragment, no trailing slash or ".git";
//   - scp-like git URLs ([user@]host:path) become ssh://host/path, with a
//     relative path under "~/" as git reads it (host:repo is ~/repo on host),
//     so that "host:/srv/r.git" and "ssh://git@host/srv/r" are equal;
//   - absolute file paths become file:// URLs; Windows drive paths and
//     relative paths are kept as paths;
//   - surrounding white space is dropped (dvcs-autosync sent the remote URL
//     with git's trailing newline).
//
// The result is for comparison only; it is not always a URL git accepts.
func NormalizeURL(raw string) string {
	s := strings.TrimSpace(raw)
	if s == "" {
		return ""
	}
	if isDrivePath(s) {
		return trimRepoSuffix(strings.ReplaceAll(s, "\\", "/"))
	}
	if u, ok := parseSchemeURL(s); ok {
		scheme := strings.ToLower(u.Scheme)
		switch scheme {
		case "git+ssh", "ssh+git":
			scheme = "ssh"
		}
		if scheme == "file" {
			return "file://" + trimRepoSuffix(u.Path)
		}
		host := strings.ToLower(u.Hostname())
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		if p := u.Port(); p != "" && p != defaultPorts[scheme] {
			host += ":" + p
		}
		return scheme + "://" + host + trimRepoSuffix(u.Path)
	}
	if host, path, ok := splitSCP(s); ok {
		if !strings.HasPrefix(path, "/") {
			path = "/~/" + path
		}
		return "ssh://" + strings.ToLower(host) + trimRepoSuffix(path)
	}
	if strings.HasPrefix(s, "/") {
		return "file://" + trimRepoSuffix(s)
	}
	return trimRepoSuffix(s)
}

// StripCredentials removes secrets from a remote URL before it is announced;
// unlike NormalizeURL it keeps the rest as it is, so the receivers (old
// dvcs-autosync instances included) see the URL the user knows.
//
// For ssh (ssh://user@host/..., user@host:path) only a password is dropped:
// the user name is not a secret and is part of how the user wrote the URL.
// For every other scheme the whole user part goes, because https remotes
// often carry an access token in the user name position
// (https://TOKEN@host/...).
func StripCredentials(raw string) string {
	s := strings.TrimSpace(raw)
	if isDrivePath(s) {
		return s
	}
	if u, ok := parseSchemeURL(s); ok {
		if u.User == nil {
			return s
		}
		switch strings.ToLower(u.Scheme) {
		case "ssh", "git+ssh", "ssh+git":
			if _, has := u.User.Password(); !has {
				return s
			}
			u.User = url.User(u.User.Username())
		default:
			u.User = nil
		}
		return u.String()
	}
	if i := scpColon(s); i > 0 {
		if j := strings.LastIndex(s[:i], "@"); j >= 0 {
			if k := strings.Index(s[:j], ":"); k >= 0 {
				return s[:k] + s[j:]
			}
		}
	}
	return s
}

// defaultPorts are dropped by NormalizeURL so that host and host:22 match.
var defaultPorts = map[string]string{
	"ssh":   "22",
	"git":   "9418",
	"http":  "80",
	"https": "443",
	"ftp":   "21",
	"ftps":  "990",
}

// parseSchemeURL parses s if it is a URL with a scheme and (except for
// file:) a host, the forms git calls "URLs" as opposed to scp-like paths.
func parseSchemeURL(s string) (*url.URL, bool) {
	if !strings.Contains(s, "://") && !strings.HasPrefix(strings.ToLower(s), "file:") {
		return nil, false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return nil, false
	}
	if strings.EqualFold(u.Scheme, "file") {
		return u, u.Opaque == ""
	}
	return u, u.Host != ""
}

// splitSCP splits git's scp-like syntax [user@]host:path. As in git, it is
// scp-like only when the colon comes before any slash.
func splitSCP(s string) (host, path string, ok bool) {
	i := scpColon(s)
	if i <= 0 {
		return "", "", false
	}
	host = s[:i]
	if j := strings.LastIndex(host, "@"); j >= 0 {
		host = host[j+1:]
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		host = "[" + host + "]"
	}
	return host, s[i+1:], host != ""
}

// scpColon returns the index of the colon that makes s scp-like, or -1.
func scpColon(s string) int {
	if strings.HasPrefix(s, "[") { // [user@]::1]:path, git's IPv6 form
		if end := strings.Index(s, "]:"); end > 0 && !strings.Contains(s[:end], "/") {
			return end + 1
		}
		return -1
	}
	if isDrivePath(s) {
		return -1
	}
	// A user part may itself hold a colon (user:password@host:path), so
	// look for the host's colon after the last @ before any slash.
	start := 0
	head := s
	if slash := strings.Index(s, "/"); slash >= 0 {
		head = s[:slash]
	}
	if at := strings.LastIndex(head, "@"); at >= 0 {
		start = at + 1
	}
	i := strings.Index(s[start:], ":")
	if i < 0 || strings.Contains(s[:start+i], "/") {
		return -1
	}
	return start + i
}

// isDrivePath reports a Windows path like C:\repo or C:/repo, which git
// does not read as scp-like.
func isDrivePath(s string) bool {
	return len(s) >= 3 && s[1] == ':' && (s[2] == '\\' || s[2] == '/') &&
		('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z')
}

func trimRepoSuffix(p string) string {
	p = strings.TrimRight(p, "/")
	p = strings.TrimSuffix(p, ".git")
	return strings.TrimRight(p, "/")
}
