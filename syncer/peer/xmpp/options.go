package xmpp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/autosync-dev/autosync/syncer/peer"
)

// Options configure a Transport; they mirror the [xmpp] config table.
type Options struct {
	// JID is the account, name@example.org. All of the user's machines
	// log into this one account, each with its own Resource. A resource
	// in it (name@example.org/laptop) is used when Resource is empty.
	JID string
	// Password is the account's password. Ignored when PasswordCommand
	// is set.
	Password string
	// PasswordCommand is an argv run without a shell before every login;
	// the first line of its standard output is the password.
	PasswordCommand []string
	// Server is host:port (a missing port means 5222, or 5223 for direct
	// TLS). Empty: the DNS SRV record of the JID's domain
	// (_xmpp-client._tcp, or _xmpps-client._tcp for direct TLS), then the
	// domain itself.
	Server string
	// TLS is "starttls" (the default when empty), "direct" (TLS from the
	// first byte) or "none" (refused unless Server is a loopback address).
	TLS string
	// CAFile is a PEM file of extra CA certificates to trust besides the
	// system's, for a server with its own CA.
	CAFile string
	// Resource tells this machine's session apart; default
	// "AutosyncJabberBot on <hostname>", as dvcs-autosync. Two sessions
	// with one resource kick each other off, so it must differ per machine.
	Resource string
	// AllowedJIDs are other accounts (bare JIDs) whose messages count like
	// the own account's. Default none.
	AllowedJIDs []string
	// AlsoNotify is a JID that Notify sends readable lines to (as
	// dvcs-autosync's alsonotify); empty for none.
	AlsoNotify string
	// Logger receives the transport's logs; nil discards them.
	Logger *slog.Logger
}

// TLS modes.
const (
	TLSStartTLS = "starttls"
	TLSDirect   = "direct"
	TLSNone     = "none"
)

// passwordTimeout bounds password_command: long enough for a keyring to
// ask the user to unlock it, short enough that a hung helper does not
// stall reconnects forever. Arbitrary.
const passwordTimeout = 2 * time.Minute

type jid struct {
	local, domain, resource string
}

// bare is local@domain, lower-cased for comparisons (XMPP treats the
// local part and domain case-insensitively).
func (j jid) bare() string { return strings.ToLower(j.local + "@" + j.domain) }

// parseJID parses local@domain[/resource]; local may be empty only if
// needLocal is false.
func parseJID(s string, needLocal bool) (jid, error) {
	s = strings.TrimSpace(s)
	var j jid
	rest := s
	if i := strings.Index(rest, "/"); i >= 0 {
		j.resource, rest = rest[i+1:], rest[:i]
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		j.local, rest = rest[:i], rest[i+1:]
	}
	j.domain = rest
	// Resources may hold spaces ("AutosyncJabberBot on host"); the
	// local part and domain may not.
	if j.domain == "" || strings.ContainsAny(j.local+j.domain, " \t\r\n") || strings.Contains(j.local, "@") ||
		needLocal && j.local == "" {
		return jid{}, fmt.Errorf("%q is not an XMPP address like name@example.org", s)
	}
	return j, nil
}

// bareOf returns the lower-cased bare JID of a full JID, "" if unparsable.
func bareOf(full string) string {
	j, err := parseJID(full, false)
	if err != nil {
		return ""
	}
	if j.local == "" {
		return strings.ToLower(j.domain)
	}
	return j.bare()
}

// New validates opts and returns a Transport that is not yet connected
// (Run connects). The errors name the [xmpp] setting to fix.
func New(opts Options) (*Transport, error) {
	account, err := parseJID(opts.JID, true)
	if err != nil {
		return nil, fmt.Errorf("xmpp: jid: %w", err)
	}
	if opts.Password == "" && len(opts.PasswordCommand) == 0 {
		return nil, fmt.Errorf("xmpp: no password for %s: set [xmpp] password or password_command", opts.JID)
	}
	if len(opts.PasswordCommand) > 0 && opts.PasswordCommand[0] == "" {
		return nil, errors.New("xmpp: password_command has an empty program name")
	}
	mode := strings.ToLower(strings.TrimSpace(opts.TLS))
	if mode == "" {
		mode = TLSStartTLS
	}
	switch mode {
	case TLSStartTLS, TLSDirect, TLSNone:
	default:
		return nil, fmt.Errorf("xmpp: tls = %q: use \"starttls\", \"direct\" or \"none\"", opts.TLS)
	}
	server := strings.TrimSpace(opts.Server)
	if server != "" {
		if _, _, err := net.SplitHostPort(server); err != nil {
			port := "5222"
			if mode == TLSDirect {
				port = "5223"
			}
			server = net.JoinHostPort(strings.Trim(server, "[]"), port)
		}
		if host, port, err := net.SplitHostPort(server); err != nil || host == "" || port == "" {
			return nil, fmt.Errorf("xmpp: server %q is not host:port", opts.Server)
		}
	}
	if mode == TLSNone && !isLoopback(server) {
		return nil, fmt.Errorf("xmpp: tls = \"none\" would send the password unencrypted; it is allowed only for a server on this machine (server = \"localhost:5222\"), not %q", opts.Server)
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("xmpp: ca_file: %w", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("xmpp: ca_file %s holds no PEM certificate", opts.CAFile)
		}
	}
	allowed := make(map[string]bool)
	for _, a := range opts.AllowedJIDs {
		j, err := parseJID(a, false)
		if err != nil {
			return nil, fmt.Errorf("xmpp: allowed_jids: %w", err)
		}
		allowed[bareOf(j.local+"@"+j.domain)] = true
	}
	if opts.AlsoNotify != "" {
		if _, err := parseJID(opts.AlsoNotify, false); err != nil {
			return nil, fmt.Errorf("xmpp: also_notify: %w", err)
		}
	}
	resource := strings.TrimSpace(opts.Resource)
	if resource == "" {
		resource = account.resource
	}
	if resource == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "unknown"
		}
		resource = "AutosyncJabberBot on " + host
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Transport{
		opts:     opts,
		account:  account,
		bare:     account.bare(),
		resource: resource,
		server:   server,
		tlsMode:  mode,
		tlsConfig: &tls.Config{
			RootCAs:    roots,
			ServerName: account.domain,
			MinVersion: tls.VersionTLS12,
		},
		allowed: allowed,
		log:     log.With("account", account.bare()),
		timing:  defaultTiming,
	}
	t.state = stateInfo{state: peer.Disconnected, detail: t.describe()}
	return t, nil
}

// isLoopback reports whether host:port names this machine.
func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// password returns the configured password or runs password_command.
func (t *Transport) password(ctx context.Context) (string, error) {
	argv := t.opts.PasswordCommand
	if len(argv) == 0 {
		return t.opts.Password, nil
	}
	ctx, cancel := context.WithTimeout(ctx, passwordTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		if msg != "" {
			return "", fmt.Errorf("password_command %q: %w: %s", argv[0], err, msg)
		}
		return "", fmt.Errorf("password_command %q: %w", argv[0], err)
	}
	line, _, _ := strings.Cut(stdout.String(), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", fmt.Errorf("password_command %q printed no password on its first line", argv[0])
	}
	return line, nil
}

// resolve finds the server address: the configured one, else the DNS SRV
// record of the domain, else the domain with the default port.
func (t *Transport) resolve(ctx context.Context) string {
	if t.server != "" {
		return t.server
	}
	service, port := "xmpp-client", "5222"
	if t.tlsMode == TLSDirect {
		service, port = "xmpps-client", "5223"
	}
	// A domain that is an IP address has no SRV record: asking DNS would
	// only send a pointless query off the machine.
	if ip := strings.Trim(t.account.domain, "[]"); net.ParseIP(ip) != nil {
		return net.JoinHostPort(ip, port)
	}
	_, addrs, err := net.DefaultResolver.LookupSRV(ctx, service, "tcp", t.account.domain)
	if err == nil && len(addrs) > 0 && addrs[0].Target != "." {
		// LookupSRV sorts by priority and shuffles by weight.
		return net.JoinHostPort(strings.TrimSuffix(addrs[0].Target, "."), fmt.Sprint(addrs[0].Port))
	}
	return net.JoinHostPort(t.account.domain, port)
}
