package tray

import (
	"os"
	"testing"

	"github.com/autosync-dev/autosync/syncer/gittest"
)

// TestMain doubles as the tray helper process for the desktop tests: the
// systray library keeps global state and runs once per process, so each
// scenario runs tray.Run in a fresh copy of the test binary. Otherwise git is
// isolated from the machine's configuration for the end-to-end test.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helperMain())
	}
	gittest.Main(m)
}
