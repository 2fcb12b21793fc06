//go:build (linux || freebsd || openbsd || netbsd || dragonfly) && !android

package autostart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// path is $XDG_CONFIG_HOME/autostart/autosync.desktop (~/.config when unset
// or relative, as the XDG base directory spec says).
func path() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("autostart: no home directory (set HOME or XDG_CONFIG_HOME): %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", Name+".desktop"), nil
}

func location() (string, error) { return path() }

// Entry returns the autostart desktop entry that runs exe with args.
func Entry(exe string, args []string) string {
	cmd := []string{execQuote(exe)}
	for _, a := range args {
		cmd = append(cmd, execQuote(a))
	}
	return "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Name=autosync\n" +
		"GenericName=Folder synchronisation\n" +
		"Comment=Keep folders in sync across your machines with git\n" +
		"Exec=" + strings.Join(cmd, " ") + "\n" +
		"Icon=autosync\n" +
		"Terminal=false\n" +
		"Categories=Utility;\n" +
		"X-GNOME-Autostart-enabled=true\n"
}

func enable(exe string, args []string) error {
	p, err := path()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	// Temp file + rename: a desktop reading the directory at that moment
	// never sees half an entry.
	tmp, err := os.CreateTemp(filepath.Dir(p), ".autosync-*.desktop")
	if err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(Entry(exe, args)); err != nil {
		tmp.Close()
		return fmt.Errorf("autostart: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("autostart: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("autostart: write %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

func disable() error {
	p, err := path()
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("autostart: remove %s: %w", p, err)
	}
	return nil
}

func enabled() (bool, error) {
	p, err := path()
	if err != nil {
		return false, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: %w", err)
	}
	// The desktop honours these two switches (a user may have turned the
	// entry off in the session settings); report what it will do.
	sc := bufio.NewScanner(bytes.NewReader(b))
	group := ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			group = line
			continue
		}
		if group != "[Desktop Entry]" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if (k == "Hidden" && v == "true") || (k == "X-GNOME-Autostart-enabled" && v == "false") {
			return false, nil
		}
	}
	return true, nil
}

// execQuote quotes one Exec argument as the desktop entry spec asks:
// arguments with reserved characters go in double quotes with ", `, $ and \
// backslash-escaped; then the value as a whole escapes backslashes again
// (the "string" type) and % as %% (field codes).
func execQuote(arg string) string {
	const reserved = " \t\n\"'\\><~|&;$*?#()`"
	s := arg
	if s == "" || strings.ContainsAny(s, reserved) {
		var b strings.Builder
		b.WriteByte('"')
		for _, r := range s {
			if strings.ContainsRune("\"`$\\", r) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
		s = b.String()
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	return strings.ReplaceAll(s, "%", "%%")
}
