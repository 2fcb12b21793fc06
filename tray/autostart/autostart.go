// Package autostart starts autosync at desktop login, or stops doing so. The
// CLI (`autosync autostart enable|disable|status`) and the tray's "Start at
// login" checkbox share this one implementation, so they always agree.
//
// Per platform (file suffix): an XDG autostart entry
// ($XDG_CONFIG_HOME/autostart/autosync.desktop) on Linux and the BSDs, a
// LaunchAgent (~/Library/LaunchAgents/dev.autosync.autosync.plist) on macOS,
// and a value under HKCU\Software\Microsoft\Windows\CurrentVersion\Run on
// Windows. The entry runs the current executable by its absolute path.
package autostart

import (
	"fmt"
	"os"
	"path/filepath"
)

// Name names the entry: the desktop file's base name, the Run value.
const Name = "autosync"

// Enable makes autosync start at login, running the current executable
// without arguments. Enabling twice is harmless (the entry is rewritten).
func Enable() error { return EnableArgs() }

// EnableArgs is Enable with arguments for the started process, for example
// "--config", "/path/to/config.toml" when a non-default config is in use.
func EnableArgs(args ...string) error {
	exe, err := executable()
	if err != nil {
		return err
	}
	return enable(exe, args)
}

// Disable removes the entry. Disabling when not enabled is not an error.
func Disable() error { return disable() }

// Enabled reports whether autosync starts at login: the entry exists and is
// not disabled by the desktop's own switch (Hidden=true or
// X-GNOME-Autostart-enabled=false in an XDG entry).
func Enabled() (bool, error) { return enabled() }

// Location is where the entry lives on this platform (a file path, or the
// registry key and value name on Windows), for status output.
func Location() (string, error) { return location() }

// executable is the absolute, symlink-resolved path of the running binary:
// the entry must keep working whatever the working directory at login is.
func executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("autostart: cannot find the running executable: %w", err)
	}
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	return filepath.Abs(exe)
}

// Switch adapts this package to the tray's "Start at login" checkbox
// (tray.Autostarter). Args are passed to EnableArgs.
type Switch struct{ Args []string }

// Enable is EnableArgs(s.Args...).
func (s Switch) Enable() error { return EnableArgs(s.Args...) }

// Disable is Disable.
func (Switch) Disable() error { return Disable() }

// Enabled is Enabled.
func (Switch) Enabled() (bool, error) { return Enabled() }
