// Package config holds autosync's configuration: the typed structs with their
// defaults, the TOML loader and writer (validation errors name the file, the
// line and the key), and the reader for dvcs-autosync's legacy INI file
// (~/.autosync).
package config

import (
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

// Config is the whole configuration of one autosync process.
type Config struct {
	// DeviceName names this machine in commit messages and conflict copies.
	// Default: the host name.
	DeviceName string `toml:"device_name"`
	// LogLevel is debug, info, warn or error. Default info.
	LogLevel string `toml:"log_level"`

	Folders       []Folder      `toml:"folder"`
	XMPP          *XMPP         `toml:"xmpp"`
	Notifications Notifications `toml:"notifications"`

	// Source is the file the configuration was read from ("" when built
	// from the command line). Not part of the file.
	Source string `toml:"-"`
	// Legacy carries what only a dvcs-autosync INI file can say; nil for
	// the TOML format. Not part of the file.
	Legacy *Legacy `toml:"-"`
}

// Folder is one synced folder.
type Folder struct {
	// Path is the working copy (required). "~" is expanded.
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
	// PollInterval is the periodic fetch; 0 turns it off. Default 2m, or
	// 15m while an XMPP connection is up.
	PollInterval *Duration `toml:"poll_interval"`
	// Ignore holds extra gitignore-style patterns for files never to commit.
	Ignore []string `toml:"ignore"`
	// MaxFileSize: bigger files are left uncommitted and the user is told.
	MaxFileSize Size `toml:"max_file_size"`
	// Paused starts the folder paused.
	Paused bool `toml:"paused"`
	// AskCommitMessage shows a dialog for the commit message.
	AskCommitMessage bool `toml:"ask_commit_message"`
	// AskTimeout is how long the dialog waits before using the generated
	// message.
	AskTimeout Duration `toml:"ask_timeout"`
}

// XMPP configures the peer channel.
type XMPP struct {
	JID             string   `toml:"jid"`
	Password        string   `toml:"password"`
	PasswordCommand []string `toml:"password_command"`
	// Server is host:port. Default: the SRV record of the JID's domain,
	// then domain:5222.
	Server string `toml:"server"`
	// TLS is "starttls" (default), "direct" or "none" (loopback only).
	TLS    string `toml:"tls"`
	CAFile string `toml:"ca_file"`
	// Resource defaults to "AutosyncJabberBot on <device_name>".
	Resource    string   `toml:"resource"`
	AllowedJIDs []string `toml:"allowed_jids"`
	AlsoNotify  string   `toml:"also_notify"`
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
	PIDFile      string
	SyncMethod   string // xmpp, none
	NotifyMethod string // desktop, xmpp, all, none
	PullLock     string
	// Commands holds the [dvcs] templates by key (statuscmd, addcmd, ...).
	Commands map[string]string
}

// Duration is a time.Duration written as a Go duration string ("500ms").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalText writes d as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	if v < 0 {
		return errNegative
	}
	*d = Duration(v)
	return nil
}

// Size is a byte count written as an integer or with a unit ("100MB", "2GiB").
type Size int64

var errNegative = errorString("must not be negative")

type errorString string

func (e errorString) Error() string { return string(e) }
