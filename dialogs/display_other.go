//go:build !((linux || freebsd || openbsd || netbsd || dragonfly) && !android)

package dialogs

// canShow: on Windows and macOS zenity uses the system's own dialogs, which
// exist in every user session.
func canShow() (bool, string) { return true, "" }
