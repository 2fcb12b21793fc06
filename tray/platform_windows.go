package tray

import (
	"fmt"
	"os/exec"

	"github.com/autosync-dev/autosync/assets"
)

// iconFormat: the Windows notification area wants an ICO.
const iconFormat = assets.ICO

// Available reports whether a tray can be shown. On Windows the
// notification area is always there in an interactive session.
func Available() (bool, string) { return true, "" }

func openFolder(path string) error {
	cmd := exec.Command("explorer", path)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("explorer %s: %w", path, err)
	}
	go cmd.Wait() // explorer's exit code means nothing; just reap it
	return nil
}
