//go:build (linux || freebsd || openbsd || netbsd || dragonfly) && !android

package dialogs

import (
	"os"

	"github.com/ncruces/zenity"
)

// canShow checks for a display ourselves: zenity without one exits 1, which
// the library reports as ErrCanceled after 0.1 s, indistinguishable from a
// user's Cancel.
func canShow() (bool, string) {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return false, "no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"
	}
	if !zenity.IsAvailable() {
		return false, "no zenity, qarma or matedialog on PATH (install zenity)"
	}
	return true, ""
}
