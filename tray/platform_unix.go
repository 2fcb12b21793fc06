//go:build (linux || freebsd || openbsd || netbsd || dragonfly) && !android

package tray

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/godbus/dbus/v5"

	"github.com/autosync-dev/autosync/assets"
)

// iconFormat: the StatusNotifierItem gets pixels decoded from a PNG
// (systray registers only the PNG decoder on Linux).
const iconFormat = assets.PNG

// Available reports whether a tray can be shown: a desktop session (DISPLAY
// or WAYLAND_DISPLAY) and a reachable session bus. When it cannot, the
// string says why, for the log. When it can, the string may carry a warning
// (no StatusNotifierWatcher yet: the icon appears once the panel runs).
func Available() (bool, string) {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return false, "no desktop session (neither DISPLAY nor WAYLAND_DISPLAY is set); running without a tray"
	}
	// Without the variable, godbus would try dbus-launch, which can start a
	// stray bus and stall for seconds; the systemd user bus socket is the
	// only other place worth trying.
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		rt := os.Getenv("XDG_RUNTIME_DIR")
		if rt == "" {
			return false, "no session bus (DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR are unset); running without a tray"
		}
		if _, err := os.Stat(filepath.Join(rt, "bus")); err != nil {
			return false, "no session bus (DBUS_SESSION_BUS_ADDRESS is unset and " + filepath.Join(rt, "bus") + " does not exist); running without a tray"
		}
	}
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		return false, fmt.Sprintf("cannot reach the session bus (%v); running without a tray", err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return false, fmt.Sprintf("cannot log in to the session bus (%v); running without a tray", err)
	}
	if err := conn.Hello(); err != nil {
		return false, fmt.Sprintf("the session bus does not answer (%v); running without a tray", err)
	}
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	if err != nil || !has {
		return true, "no StatusNotifierWatcher on the session bus yet (a panel with a system tray); the icon appears once one runs"
	}
	return true, ""
}

func openFolder(path string) error {
	cmd := exec.Command("xdg-open", path)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("xdg-open %s: %w (install xdg-utils)", path, err)
	}
	go cmd.Wait() // reap it; xdg-open returns once the file manager got it
	return nil
}
