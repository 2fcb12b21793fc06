package tray

import (
	"fmt"
	"os/exec"

	"github.com/autosync-dev/autosync/assets"
)

const iconFormat = assets.PNG

// Available reports whether a tray can be shown. On macOS the menu bar is
// always there for a logged-in user.
func Available() (bool, string) { return true, "" }

func openFolder(path string) error {
	cmd := exec.Command("open", path)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	go cmd.Wait()
	return nil
}
