//go:build !windows

package config

import (
	"fmt"
	"os"
)

// modeWarnings warns about a config file other users can read (when it
// holds a password) or change (always: the file names commands to run).
func modeWarnings(file string, holdsPassword bool) []string {
	fi, err := os.Stat(file)
	if err != nil {
		return nil
	}
	var w []string
	mode := fi.Mode().Perm()
	if holdsPassword && mode&0o044 != 0 {
		w = append(w, fmt.Sprintf("%s holds the XMPP password and other users can read it (mode %04o): run chmod 600 %s, or use password_command instead", file, mode, file))
	}
	if mode&0o022 != 0 {
		w = append(w, fmt.Sprintf("%s can be changed by other users (mode %04o): run chmod go-w %s", file, mode, file))
	}
	return w
}

// syncDir flushes a directory entry after a rename. Errors are ignored:
// some file systems cannot sync a directory, and the data is already safe.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
