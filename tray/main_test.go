package tray

import (
	"os"
	"testing"
)

// TestMain doubles as the tray helper process for the desktop tests: the
// systray library keeps global state and runs once per process, so each
// scenario runs tray.Run in a fresh copy of the test binary.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}
