//go:build linux

package tray

import (
	"strings"
	"testing"
)

func TestAvailableWithoutSession(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no display", map[string]string{"DISPLAY": "", "WAYLAND_DISPLAY": ""}, "neither DISPLAY nor WAYLAND_DISPLAY"},
		{"no bus", map[string]string{"DISPLAY": ":0", "DBUS_SESSION_BUS_ADDRESS": "", "XDG_RUNTIME_DIR": t.TempDir()}, "does not exist"},
		{"no bus, no runtime dir", map[string]string{"DISPLAY": ":0", "DBUS_SESSION_BUS_ADDRESS": "", "XDG_RUNTIME_DIR": ""}, "are unset"},
		{"dead bus", map[string]string{"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": "unix:path=" + t.TempDir() + "/nobus"}, "cannot reach the session bus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			ok, why := Available()
			if ok || !strings.Contains(why, tc.want) || !strings.Contains(why, "without a tray") {
				t.Errorf("Available() = %v, %q; want false and a reason with %q", ok, why, tc.want)
			}
		})
	}
}

func TestAvailableOnDesktop(t *testing.T) {
	needDesktop(t)
	if ok, why := Available(); !ok || why != "" {
		t.Errorf("Available() = %v, %q on the harness desktop; want true, \"\"", ok, why)
	}
}
