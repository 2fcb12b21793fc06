package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// MarshalTOML writes c as a readable TOML file that Load reads back to the
// same settings. Settings at their default are left out, so that a later
// change of a default reaches the user. For a config converted from a
// dvcs-autosync file, the header says what became of the settings the TOML
// format has no place for (the pidfile, the pull lock and, when they are
// not git's, the [dvcs] command templates, which are kept as comments).
func (c *Config) MarshalTOML() ([]byte, error) {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# autosync configuration. Durations are Go durations (\"500ms\", \"2s\", \"1m\");\n")
	w("# settings left out have their defaults.\n")
	if c.Legacy != nil {
		c.writeLegacyNotes(&b)
	}
	var top []string
	if c.DeviceName != "" && c.DeviceName != defaultDeviceName() {
		top = append(top, "device_name = "+quote(c.DeviceName))
	}
	if c.LogLevel != "" && c.LogLevel != DefaultLogLevel {
		top = append(top, "log_level = "+quote(c.LogLevel))
	}
	if len(top) > 0 {
		w("\n%s\n", strings.Join(top, "\n"))
	}
	for _, f := range c.Folders {
		w("\n[[folder]]\npath = %s\n", quote(tildePath(f.Path)))
		if f.Remote != "" {
			w("remote = %s\n", quote(f.Remote))
		}
		if f.Branch != "" {
			w("branch = %s\n", quote(f.Branch))
		}
		dur := func(key string, d, def Duration) {
			if d != def {
				w("%s = %s\n", key, quote(d.String()))
			}
		}
		dur("commit_delay", f.CommitDelay, Duration(DefaultCommitDelay))
		dur("max_delay", f.MaxDelay, max(Duration(DefaultMaxDelay), f.CommitDelay))
		dur("push_delay", f.PushDelay, Duration(DefaultPushDelay))
		if f.PollInterval != nil {
			w("poll_interval = %s\n", quote(f.PollInterval.String()))
		}
		if len(f.Ignore) > 0 {
			w("ignore = %s\n", quoteList(f.Ignore))
		}
		if f.MaxFileSize != DefaultMaxFileSize {
			w("max_file_size = %s\n", quote(f.MaxFileSize.String()))
		}
		if f.Paused {
			w("paused = true\n")
		}
		if f.LocalOnly {
			w("local_only = true\n")
		}
		if f.AskCommitMessage {
			w("ask_commit_message = true\n")
		}
		dur("ask_timeout", f.AskTimeout, Duration(DefaultAskTimeout))
	}
	if x := c.XMPP; x != nil {
		w("\n[xmpp]\njid = %s\n", quote(x.JID))
		if x.Password != "" {
			w("# Better: password_command = [\"pass\", \"show\", \"xmpp\"] (any command that prints it).\n")
			w("password = %s\n", quote(x.Password))
		}
		if len(x.PasswordCommand) > 0 {
			w("password_command = %s\n", quoteList(x.PasswordCommand))
		}
		if x.Server != "" {
			w("server = %s\n", quote(x.Server))
		}
		if x.TLS != "" && x.TLS != DefaultTLS {
			w("tls = %s\n", quote(x.TLS))
		}
		if x.CAFile != "" {
			w("ca_file = %s\n", quote(tildePath(x.CAFile)))
		}
		if x.Resource != "" && x.Resource != ResourcePrefix+c.DeviceName {
			w("resource = %s\n", quote(x.Resource))
		}
		if len(x.AllowedJIDs) > 0 {
			w("allowed_jids = %s\n", quoteList(x.AllowedJIDs))
		}
		if x.AlsoNotify != "" {
			w("also_notify = %s\n", quote(x.AlsoNotify))
		}
		if x.PollInterval != nil {
			w("poll_interval = %s\n", quote(x.PollInterval.String()))
		}
	}
	if l := c.Notifications.Level; l != "" && l != DefaultNotificationLevel {
		w("\n[notifications]\nlevel = %s\n", quote(l))
	}
	return b.Bytes(), nil
}

// writeLegacyNotes explains, as comments, what of a dvcs-autosync file has
// no TOML equivalent.
func (c *Config) writeLegacyNotes(b *bytes.Buffer) {
	l := c.Legacy
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	from := ""
	if c.Source != "" {
		from = " from " + c.Source
	}
	w("#\n# Converted%s (dvcs-autosync format).\n", from)
	w("# - pidfile (%s): not needed; autosync allows one instance per folder by itself.\n", l.PIDFile)
	if l.PullLock != "" {
		w("# - pulllock = %s: autosync has one strategy; it never commits what a pull changed.\n", l.PullLock)
	}
	if len(l.Commands) == 0 {
		return
	}
	if l.GitDefaults() {
		w("# - [dvcs]: git's default commands; autosync runs git itself.\n")
		return
	}
	w("# - [dvcs]: these command templates are NOT applied by this file, which always\n")
	w("#   uses git. To keep running them, keep using the old file (autosync %s).\n", c.Source)
	for _, k := range LegacyCommandKeys {
		v, ok := l.Commands[k]
		if !ok {
			continue
		}
		lines := strings.Split(v, "\n")
		w("#   %s = %s\n", k, lines[0])
		for _, more := range lines[1:] {
			w("#       %s\n", more)
		}
	}
}

// tildePath writes a path below the home directory as "~/...", which
// reads better and keeps working when the home directory moves.
func tildePath(p string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" || !filepath.IsAbs(p) {
		return p
	}
	rel, err := filepath.Rel(home, p)
	if err != nil || !filepath.IsLocal(rel) {
		return p
	}
	return "~/" + filepath.ToSlash(rel)
}

// quote writes s as a TOML string: a literal string for paths with
// backslashes (Windows), a basic string with escapes otherwise.
func quote(s string) string {
	if strings.Contains(s, `\`) && !strings.ContainsAny(s, "'\n\r") && !hasControl(s) {
		return "'" + s + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// Save writes c as TOML (see MarshalTOML) to path, atomically and readable
// by the user only (0600), creating the directory (0700) when needed. A
// crash leaves either the old file or the new one, never half of one. When
// path is a symbolic link (dotfiles managers), the file it points to is
// replaced and the link kept.
//
// Comments in an existing file are not kept: Save is for files autosync
// writes, such as the result of `autosync config convert`.
func (c *Config) Save(path string) error {
	data, err := c.MarshalTOML()
	if err != nil {
		return err
	}
	return writeAtomic(path, data)
}

// writeAtomic writes data to a temporary file beside path, syncs it and
// renames it over path (the same dance as syncthing's lib/osutil/atomic.go).
func writeAtomic(path string, data []byte) (err error) {
	if target, lerr := filepath.EvalSymlinks(path); lerr == nil {
		path = target
	} else if !errors.Is(lerr, fs.ErrNotExist) {
		return fmt.Errorf("save config: %w", lerr)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("save config: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save config %s: %w", path, err)
	}
	syncDir(dir) // the rename itself must survive a crash
	return nil
}

// Warnings returns what the user should know about the configuration but
// that does not stop autosync: what the loader worked around (an unknown
// notifymethod, say), and a config file that holds a password while other
// users can read it.
func (c *Config) Warnings() []string {
	w := slices.Clone(c.warnings)
	if c.Source != "" {
		w = append(w, modeWarnings(c.Source, c.XMPP != nil && c.XMPP.Password != "")...)
	}
	return w
}
