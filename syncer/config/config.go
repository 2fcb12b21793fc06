// Package config holds autosync's configuration: the typed structs with their
// defaults, the TOML loader and writer (validation errors name the file, the
// line and the key), and the reader for dvcs-autosync's legacy INI file
// (~/.autosync).
//
// The TOML format lives at [DefaultPath]; [Load] reads it, applies the
// defaults and validates everything it can check without touching the
// folders themselves (whether a path is a git working copy is the engine's
// business, so that one bad folder does not stop the others). [LoadLegacy]
// reads a dvcs-autosync file into the same [Config], with the parts only that
// format can say in [Config.Legacy]. [Config.MarshalTOML] and [Config.Save]
// write the TOML form back.
package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults. Each is a judgement call, noted where it is arbitrary.
const (
	DefaultCommitDelay  = 2 * time.Second   // quiet period: long enough for an editor's save burst
	DefaultMaxDelay     = 60 * time.Second  // commit even if a file never stops changing
	DefaultPushDelay    = 1 * time.Second   // lets a few quick commits go out in one push
	DefaultPollInterval = 2 * time.Minute   // periodic fetch without a peer channel
	DefaultXMPPPoll     = 15 * time.Minute  // safety-net fetch while XMPP is connected
	DefaultMaxFileSize  = 100 * 1000 * 1000 // 100 MB: GitHub's hard limit per file
	DefaultAskTimeout   = 30 * time.Second
)

// More defaults, for the settings that are words rather than numbers.
const (
	DefaultLogLevel          = "info"
	DefaultNotificationLevel = "all"
	DefaultTLS               = "starttls"
	// ResourcePrefix + device name is the default XMPP resource. It is
	// dvcs-autosync's, so that old and new instances recognise each other.
	ResourcePrefix = "AutosyncJabberBot on "
)

// Valid values of the settings that take a word. The first is the default.
var (
	LogLevels          = []string{"info", "debug", "warn", "error"}
	NotificationLevels = []string{"all", "changes", "errors", "none"}
	TLSModes           = []string{"starttls", "direct", "none"}
)

// Config is the whole configuration of one autosync process.
type Config struct {
	// DeviceName names this machine in commit messages and conflict copies.
	// Default: the host name.
	DeviceName string `toml:"device_name"`
	// LogLevel is debug, info, warn or error. Default info.
	LogLevel string `toml:"log_level"`

	// Folders are the [[folder]] tables, one per synced folder.
	Folders []Folder `toml:"folder"`
	// XMPP is the [xmpp] table; nil without one (sync by polling alone).
	XMPP *XMPP `toml:"xmpp"`
	// Notifications is the [notifications] table.
	Notifications Notifications `toml:"notifications"`

	// Source is the file the configuration was read from ("" when built
	// from the command line). Not part of the file.
	Source string `toml:"-"`
	// Legacy carries what only a dvcs-autosync INI file can say; nil for
	// the TOML format. Not part of the file.
	Legacy *Legacy `toml:"-"`

	// warnings are what the loader noticed but could work around; see
	// Warnings.
	warnings []string
}

// Folder is one synced folder.
type Folder struct {
	// Path is the working copy (required). "~" is expanded; a relative
	// path is taken relative to the config file's directory.
	Path string `toml:"path"`
	// Remote is the remote to sync with. Default: the upstream remote of
	// the current branch.
	Remote string `toml:"remote"`
	// Branch is the branch to sync. Default: the current branch.
	Branch string `toml:"branch"`
	// CommitDelay is the quiet period after the last change before a commit.
	CommitDelay Duration `toml:"commit_delay"`
	// MaxDelay bounds how long changes wait when they never settle.
	MaxDelay Duration `toml:"max_delay"`
	// PushDelay is the wait after the last commit before pushing.
	PushDelay Duration `toml:"push_delay"`
	// PollInterval is the periodic fetch; 0 turns it off. nil means the
	// default: 2m, or xmpp.poll_interval (15m) while an XMPP connection is
	// up. Use Poll to read it.
	PollInterval *Duration `toml:"poll_interval"`
	// Ignore holds extra gitignore-style patterns for files never to commit.
	Ignore []string `toml:"ignore"`
	// MaxFileSize: bigger files are left uncommitted and the user is told.
	MaxFileSize Size `toml:"max_file_size"`
	// Paused starts the folder paused.
	Paused bool `toml:"paused"`
	// LocalOnly commits but never fetches, merges or pushes (what
	// dvcs-autosync's syncmethod = none did): an automatic local history.
	LocalOnly bool `toml:"local_only"`
	// AskCommitMessage shows a dialog for the commit message.
	AskCommitMessage bool `toml:"ask_commit_message"`
	// AskTimeout is how long the dialog waits before using the generated
	// message.
	AskTimeout Duration `toml:"ask_timeout"`

	// xmppPoll is xmpp.poll_interval after ApplyDefaults, so that Poll can
	// answer without the whole Config.
	xmppPoll *Duration
}

// Poll returns how often the folder fetches: the folder's own
// poll_interval when set; otherwise xmpp.poll_interval (default 15m) while
// the XMPP channel is up, and 2m while it is not. 0 means no polling.
func (f Folder) Poll(xmppUp bool) time.Duration {
	switch {
	case f.PollInterval != nil:
		return f.PollInterval.D()
	case xmppUp && f.xmppPoll != nil:
		return f.xmppPoll.D()
	case xmppUp:
		return DefaultXMPPPoll
	default:
		return DefaultPollInterval
	}
}

// XMPP configures the peer channel.
type XMPP struct {
	// JID is the account every instance logs into (user@domain).
	JID string `toml:"jid"`
	// Password is the account's password. PasswordCommand is preferred: a
	// file holding a password must not be readable by others.
	Password string `toml:"password"`
	// PasswordCommand is an argv, run without a shell, whose first line of
	// output is the password (e.g. ["pass", "show", "xmpp"]).
	PasswordCommand []string `toml:"password_command"`
	// Server is host:port. Default: the SRV record of the JID's domain,
	// then domain:5222.
	Server string `toml:"server"`
	// TLS is "starttls" (default), "direct" or "none" (loopback only).
	TLS string `toml:"tls"`
	// CAFile is an extra trusted CA certificate (PEM).
	CAFile string `toml:"ca_file"`
	// Resource defaults to "AutosyncJabberBot on <device_name>".
	Resource string `toml:"resource"`
	// AllowedJIDs are other accounts whose announcements count.
	AllowedJIDs []string `toml:"allowed_jids"`
	// AlsoNotify is a JID that gets a readable line for each action.
	AlsoNotify string `toml:"also_notify"`
	// PollInterval is the safety-net fetch while connected (default 15m).
	PollInterval *Duration `toml:"poll_interval"`
}

// Notifications configures desktop notifications.
type Notifications struct {
	// Level is all, changes, errors or none. Default all.
	Level string `toml:"level"`
}

// Legacy is what a dvcs-autosync INI file says beyond the TOML format.
type Legacy struct {
	// PIDFile is written at start (default: the config file + ".pid").
	PIDFile string
	// SyncMethod is "xmpp" or "none" (the folder is then LocalOnly).
	SyncMethod string
	// NotifyMethod is desktop, xmpp, all or none, as the file said (or
	// desktop); it is already applied to Notifications.Level and
	// XMPP.AlsoNotify.
	NotifyMethod string
	// PullLock is conservative or optimized; both run autosync's own
	// strategy.
	PullLock string
	// Commands holds the [dvcs] templates by key (statuscmd, addcmd, ...),
	// each as the file wrote it, continuation lines joined with "\n".
	Commands map[string]string
}

// Duration is a time.Duration written as a Go duration string ("500ms").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String writes d the way a person would: "2s", "1m", "1h30m".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalText writes d as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a Go duration string. Negative durations are
// refused: every duration in the file is a delay or an interval.
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	v, err := time.ParseDuration(s)
	if err != nil {
		if _, ferr := strconv.ParseFloat(s, 64); ferr == nil {
			return fmt.Errorf("%s has no unit: write a Go duration like %q", s, s+"s")
		}
		return fmt.Errorf("%q is not a duration (use Go durations like \"500ms\", \"2s\", \"1m\")", s)
	}
	if v < 0 {
		return fmt.Errorf("%q is negative: use 0 or more", s)
	}
	*d = Duration(v)
	return nil
}

// Size is a byte count written as an integer or with a unit ("100MB", "2GiB").
type Size int64

// sizeUnits: decimal units are powers of 1000 and binary ones of 1024, as
// IEC 80000-13 has them; the names are matched case-insensitively, since
// "100mb" can only mean one thing here.
var sizeUnits = []struct {
	name string
	n    int64
}{
	{"GiB", 1 << 30}, {"GB", 1e9}, {"MiB", 1 << 20}, {"MB", 1e6},
	{"KiB", 1 << 10}, {"KB", 1e3}, {"B", 1},
}

// String writes s with the largest unit that divides it exactly ("100MB",
// "2GiB", "1500B").
func (s Size) String() string {
	if s == 0 {
		return "0B"
	}
	for _, u := range sizeUnits {
		if s%Size(u.n) == 0 {
			return strconv.FormatInt(int64(s)/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(s), 10) + "B"
}

// MarshalText writes s in its human form (see String).
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a byte count: an integer (a TOML integer arrives
// here as its digits), or a number with one of the units B, KB, MB, GB
// (powers of 1000), KiB, MiB, GiB (powers of 1024).
func (s *Size) UnmarshalText(b []byte) error {
	text := strings.TrimSpace(string(b))
	if n, err := strconv.ParseInt(text, 0, 64); err == nil {
		if n < 0 {
			return fmt.Errorf("%s is negative: a size must be more than 0", text)
		}
		*s = Size(n)
		return nil
	}
	bad := fmt.Errorf("%q is not a size (use a number of bytes or a unit: \"100MB\", \"2GiB\"; units B, KB, MB, GB, KiB, MiB, GiB)", text)
	num := strings.TrimRight(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
	unit := strings.TrimSpace(text[len(num):])
	num = strings.TrimSpace(num)
	if num == "" || unit == "" {
		return bad
	}
	var mult int64
	for _, u := range sizeUnits {
		if strings.EqualFold(u.name, unit) {
			mult = u.n
		}
	}
	if mult == 0 {
		return bad
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) {
		return bad
	}
	if f < 0 {
		return fmt.Errorf("%q is negative: a size must be more than 0", text)
	}
	v := f * float64(mult)
	if v >= math.MaxInt64 {
		return fmt.Errorf("%q is too large", text)
	}
	*s = Size(v)
	return nil
}

// errNoHome is returned when "~" cannot be expanded.
var errNoHome = errors.New("cannot expand ~: the home directory is unknown (set HOME)")

// hostname is os.Hostname, replaced in tests.
var hostname = os.Hostname
