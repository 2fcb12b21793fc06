package config

import (
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// FromFolder is the configuration of `autosync FOLDER` without a config
// file: that one folder with every default. A relative path is taken
// relative to the working directory.
func FromFolder(path string) *Config {
	c := &Config{Folders: []Folder{{Path: path}}}
	c.ApplyDefaults()
	return c
}

// ApplyDefaults fills every setting left at its zero value with its
// default, expands "~" and makes paths absolute and clean (relative to the
// config file's directory, or the working directory without one). It is
// idempotent. Load and LoadLegacy have already called it; they only fill the
// keys absent from the file, so an explicit "0s" stays 0 there.
func (c *Config) ApplyDefaults() {
	base := ""
	if c.Source != "" {
		base = filepath.Dir(c.Source)
	}
	c.applyDefaults(func(string) bool { return false }, base)
}

// applyDefaults fills the zero settings for which given(key) is false; key
// is the TOML key ("folder[0].push_delay").
func (c *Config) applyDefaults(given func(key string) bool, base string) {
	if c.DeviceName == "" {
		c.DeviceName = defaultDeviceName()
	}
	c.LogLevel = strings.ToLower(strings.TrimSpace(c.LogLevel))
	if c.LogLevel == "" {
		c.LogLevel = DefaultLogLevel
	}
	c.Notifications.Level = strings.ToLower(strings.TrimSpace(c.Notifications.Level))
	if c.Notifications.Level == "" {
		c.Notifications.Level = DefaultNotificationLevel
	}
	dur := func(d *Duration, def Duration, key string) {
		if *d == 0 && !given(key) {
			*d = def
		}
	}
	for i := range c.Folders {
		f := &c.Folders[i]
		k := fmt.Sprintf("folder[%d].", i)
		if strings.TrimSpace(f.Path) == "" {
			f.Path = "" // reported by validate
		} else {
			f.Path = absPath(f.Path, base)
		}
		dur(&f.CommitDelay, Duration(DefaultCommitDelay), k+"commit_delay")
		// A quiet period longer than the cap would make the cap the only
		// rule; so the default cap grows with it.
		dur(&f.MaxDelay, max(Duration(DefaultMaxDelay), f.CommitDelay), k+"max_delay")
		dur(&f.PushDelay, Duration(DefaultPushDelay), k+"push_delay")
		dur(&f.AskTimeout, Duration(DefaultAskTimeout), k+"ask_timeout")
		if f.MaxFileSize == 0 && !given(k+"max_file_size") {
			f.MaxFileSize = DefaultMaxFileSize
		}
		f.xmppPoll = nil
		if c.XMPP != nil && c.XMPP.PollInterval != nil {
			p := *c.XMPP.PollInterval
			f.xmppPoll = &p
		}
	}
	if x := c.XMPP; x != nil {
		x.TLS = strings.ToLower(strings.TrimSpace(x.TLS))
		if x.TLS == "" {
			x.TLS = DefaultTLS
		}
		if x.Resource == "" {
			x.Resource = ResourcePrefix + c.DeviceName
		}
		if x.CAFile != "" {
			x.CAFile = absPath(x.CAFile, base)
		}
	}
}

// Poll returns the safety-net fetch interval while XMPP is connected.
func (x *XMPP) Poll() Duration {
	if x.PollInterval != nil {
		return *x.PollInterval
	}
	return Duration(DefaultXMPPPoll)
}

// SetDeviceName changes the device name after loading (a command-line
// override), and the XMPP resource with it when that was the default.
func (c *Config) SetDeviceName(name string) error {
	if err := checkDeviceName(name); err != nil {
		return fmt.Errorf("device name %w", err)
	}
	if c.XMPP != nil && c.XMPP.Resource == ResourcePrefix+c.DeviceName {
		c.XMPP.Resource = ResourcePrefix + name
	}
	c.DeviceName = name
	return nil
}

// checkDeviceName refuses names that cannot be part of a file name on any
// platform: the device name goes into conflict copies' names.
func checkDeviceName(name string) error {
	if name == "" || strings.ContainsAny(name, `/\:*?"<>|`) || hasControl(name) || strings.TrimSpace(name) != name {
		return fmt.Errorf("%q cannot be part of a file name (it names conflict copies): use letters, digits, '-' and '.'", name)
	}
	return nil
}

// defaultDeviceName is the host name as the system has it (dvcs-autosync
// used the same, in its XMPP resource).
func defaultDeviceName() string {
	if h, err := hostname(); err == nil && h != "" {
		return h
	}
	return "unknown-host" // no host name at all: rare, and better than nothing
}

// expandHome expands a leading "~" or "~user", as Python's expanduser did
// for dvcs-autosync. Other paths come back unchanged.
func expandHome(p string) (string, error) {
	if !strings.HasPrefix(p, "~") {
		return p, nil
	}
	name, rest, _ := strings.Cut(p[1:], string(filepath.Separator))
	if filepath.Separator != '/' {
		name, rest, _ = strings.Cut(strings.ReplaceAll(p[1:], "/", string(filepath.Separator)), string(filepath.Separator))
	}
	var home string
	if name == "" {
		h, err := os.UserHomeDir()
		if err != nil || h == "" {
			return p, errNoHome
		}
		home = h
	} else {
		u, err := user.Lookup(name)
		if err != nil {
			return p, fmt.Errorf("cannot expand ~%s: %w", name, err)
		}
		home = u.HomeDir
	}
	return filepath.Join(home, rest), nil
}

// absPath expands "~", then makes p absolute relative to base (the working
// directory when base is "") and clean. When "~" cannot be expanded, p
// comes back unchanged, for validate to report.
func absPath(p, base string) string {
	e, err := expandHome(p)
	if err != nil {
		return p // validate reports it
	}
	p = e
	if !filepath.IsAbs(p) {
		if base == "" {
			if abs, err := filepath.Abs(p); err == nil {
				return abs
			}
		}
		p = filepath.Join(base, p)
	}
	return filepath.Clean(p)
}

// validate checks what the types alone cannot; name maps a TOML key to the
// key as the file spells it and its line.
func (c *Config) validate(ps *problems, name func(key string) (string, int)) {
	bad := func(key, format string, args ...any) {
		k, line := name(key)
		ps.add(line, k, format, args...)
	}
	if err := checkDeviceName(c.DeviceName); err != nil {
		bad("device_name", "%v", err)
	}
	if !slices.Contains(LogLevels, c.LogLevel) {
		bad("log_level", "%q is not a log level: use %s", c.LogLevel, orList(LogLevels))
	}
	if !slices.Contains(NotificationLevels, c.Notifications.Level) {
		bad("notifications.level", "%q is not a level: use %s", c.Notifications.Level, orList(NotificationLevels))
	}
	seen := map[string]int{}
	for i := range c.Folders {
		c.validateFolder(i, seen, bad, name)
	}
	if c.XMPP != nil {
		c.XMPP.validate(bad)
	}
}

func (c *Config) validateFolder(i int, seen map[string]int, bad func(key, format string, args ...any), name func(string) (string, int)) {
	f := &c.Folders[i]
	k := fmt.Sprintf("folder[%d].", i)
	if f.Path == "" {
		bad(k+"path", "missing or empty: every [[folder]] needs a path, like path = \"~/notes\"")
	} else if strings.HasPrefix(f.Path, "~") {
		_, err := expandHome(f.Path)
		bad(k+"path", "%v", err)
	} else {
		id := f.Path
		if real, err := filepath.EvalSymlinks(f.Path); err == nil {
			id = real // two spellings of one folder are still one folder
		}
		if j, dup := seen[id]; dup {
			_, other := name(fmt.Sprintf("folder[%d].path", j))
			where := ""
			if other > 0 {
				where = fmt.Sprintf(", line %d", other)
			}
			bad(k+"path", "%s is already folder[%d]%s: list each folder once", f.Path, j, where)
		} else {
			seen[id] = i
		}
	}
	for key, v := range map[string]string{"remote": f.Remote, "branch": f.Branch} {
		// A leading "-" would reach git as an option.
		if v != "" && (strings.HasPrefix(v, "-") || strings.ContainsFunc(v, unicode.IsSpace) || hasControl(v)) {
			bad(k+key, "%q is not a valid %s name", v, key)
		}
	}
	if f.MaxDelay < f.CommitDelay {
		bad(k+"max_delay", "max_delay (%s) is shorter than commit_delay (%s): make it at least as long, so that changes can settle before a commit", f.MaxDelay, f.CommitDelay)
	}
	for _, p := range f.Ignore {
		if strings.TrimSpace(p) == "" {
			bad(k+"ignore", "has an empty pattern: remove it")
		}
	}
	if f.MaxFileSize <= 0 {
		bad(k+"max_file_size", "must be more than 0 (for practically no limit, write a large size like \"50GB\")")
	}
	if f.AskTimeout <= 0 {
		bad(k+"ask_timeout", "must be more than 0: it is how long the commit-message dialog waits")
	}
}

func (x *XMPP) validate(bad func(key, format string, args ...any)) {
	if x.JID == "" {
		bad("xmpp.jid", "missing: [xmpp] needs the account, like jid = \"me@example.org\"")
	} else if !isBareJID(x.JID) {
		bad("xmpp.jid", "%q is not an XMPP account: write it as user@domain, without a /resource", x.JID)
	}
	switch {
	case x.Password != "" && len(x.PasswordCommand) > 0:
		bad("xmpp.password", "set password or password_command, not both")
	case x.Password == "" && len(x.PasswordCommand) == 0:
		bad("xmpp.password_command", "missing: set password_command (a command that prints the password, like [\"pass\", \"show\", \"xmpp\"]) or password")
	case len(x.PasswordCommand) > 0 && strings.TrimSpace(x.PasswordCommand[0]) == "":
		bad("xmpp.password_command", "the first element must be the program to run")
	}
	if !slices.Contains(TLSModes, x.TLS) {
		bad("xmpp.tls", "%q is not valid: use %s", x.TLS, orList(TLSModes))
	}
	if x.Server != "" {
		host, port, err := net.SplitHostPort(x.Server)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			bad("xmpp.server", "%q is not host:port: write it like \"xmpp.example.org:5222\"", x.Server)
		}
	}
	if x.TLS == "none" && !isLoopback(x.Server) {
		bad("xmpp.tls", "\"none\" would send the password unencrypted: it is allowed only with a server on this machine (server = \"127.0.0.1:5222\"); use \"starttls\" or \"direct\"")
	}
	if strings.HasPrefix(x.CAFile, "~") {
		_, err := expandHome(x.CAFile)
		bad("xmpp.ca_file", "%v", err)
	} else if x.CAFile != "" {
		if _, err := os.Stat(x.CAFile); err != nil {
			bad("xmpp.ca_file", "cannot read %s: %v", x.CAFile, err)
		}
	}
	if strings.TrimSpace(x.Resource) == "" || hasControl(x.Resource) {
		bad("xmpp.resource", "%q is not a usable resource name", x.Resource)
	}
	for _, j := range x.AllowedJIDs {
		if !isBareJID(j) {
			bad("xmpp.allowed_jids", "%q is not an XMPP account: write it as user@domain", j)
		}
	}
	if x.AlsoNotify != "" && !isBareJID(x.AlsoNotify) {
		bad("xmpp.also_notify", "%q is not an XMPP account: write it as user@domain", x.AlsoNotify)
	}
	if x.PollInterval != nil && *x.PollInterval < 0 {
		bad("xmpp.poll_interval", "must not be negative")
	}
}

// isBareJID is a sanity check, not RFC 7622: user@domain, no resource, no
// spaces.
func isBareJID(j string) bool {
	local, domain, ok := strings.Cut(j, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(j, "/ \t") &&
		!strings.Contains(domain, "@") && !hasControl(j)
}

func isLoopback(server string) bool {
	host, _, err := net.SplitHostPort(server)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// orList writes `"a", "b" or "c"`.
func orList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = strconv.Quote(w)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
