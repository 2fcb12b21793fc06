package vcs

import (
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// copyTimeFormat is the time in conflict-copy names.
const copyTimeFormat = "2006-01-02 150405"

// ConflictName returns the name of the n-th (1-based) conflict copy of rel
// (slash-separated): "dir/name (conflict from DEVICE 2006-01-02 150405).ext",
// with " 2", " 3"... before the parenthesis closes for n > 1. The
// extension is the last one; a dotfile without another dot (".bashrc") gets
// the suffix at the end. now is shown in local time.
func ConflictName(rel, device string, now time.Time, n int) string {
	dir, base := path.Split(rel)
	ext := path.Ext(base)
	if ext == base {
		ext = ""
	}
	stem := strings.TrimSuffix(base, ext)
	tag := "conflict from " + safeDevice(device) + " " + now.Local().Format(copyTimeFormat)
	if n > 1 {
		tag += " " + strconv.Itoa(n)
	}
	// Most file systems allow 255 bytes per name: shorten the stem rather
	// than fail to write the copy (and so fail the whole merge).
	if over := len(stem) + len(" ("+tag+")") + len(ext) - maxNameBytes; over > 0 {
		stem = truncateUTF8(stem, len(stem)-over)
		if stem == "" {
			stem = "file"
		}
	}
	return dir + stem + " (" + tag + ")" + ext
}

// maxNameBytes is the usual limit of a file name's length (ext4, APFS,
// NTFS in UTF-16 units is more lenient).
const maxNameBytes = 255

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// safeDevice makes a device name usable in a file name on every system the
// folder may be synced to.
func safeDevice(d string) string {
	d = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20, r == 0x7f:
			return -1
		case strings.ContainsRune(`/\:*?"<>|()`, r):
			return '-'
		}
		return r
	}, d)
	d = strings.TrimSpace(d)
	if d == "" {
		d = "unknown device"
	}
	return d
}

var copyRE = regexp.MustCompile(`^(.*) \(conflict from (.+) (\d{4}-\d{2}-\d{2} \d{6})(?: (\d+))?\)(.*)$`)

// ParseConflictName splits a conflict-copy path into the original path,
// the device and the time; ok is false for other names.
func ParseConflictName(rel string) (orig, device string, when time.Time, ok bool) {
	dir, base := path.Split(rel)
	m := copyRE.FindStringSubmatch(base)
	if m == nil || m[1] == "" {
		return "", "", time.Time{}, false
	}
	t, err := time.ParseInLocation(copyTimeFormat, m[3], time.Local)
	if err != nil {
		return "", "", time.Time{}, false
	}
	return dir + m[1] + m[5], m[2], t, true
}

// DeviceFromSubject returns the device named by an autosync commit subject
// ("autosync on laptop: ..."), or "".
func DeviceFromSubject(subject string) string {
	rest, ok := strings.CutPrefix(subject, "autosync on ")
	if !ok {
		return ""
	}
	dev, _, ok := strings.Cut(rest, ": ")
	if !ok {
		return ""
	}
	return dev
}
