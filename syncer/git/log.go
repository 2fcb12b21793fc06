package git

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/autosync-dev/autosync/syncer/vcs"
)

// logFormat starts each commit with a record separator, then hash, author,
// author time and subject, NUL-separated; --name-only -z then lists the
// files, NUL-terminated.
const logFormat = "--format=%x1e%H%x00%an%x00%at%x00%s"

// logArgs lists the commits of revs (git log arguments), newest first, with
// the files each touched; a merge lists what it changed against its first
// parent (for autosync's merges: what the pull brought in).
func (r *Repo) logCommits(ctx context.Context, n int, revs ...string) ([]vcs.Commit, error) {
	args := []string{"--no-optional-locks", "log", logFormat, "--name-only", "-z", "--diff-merges=first-parent", "--no-renames", "-n", strconv.Itoa(n), "--end-of-options"}
	args = append(args, revs...)
	args = append(args, "--")
	out, err := r.run(ctx, cmd{args: args})
	if err != nil {
		return nil, err
	}
	return parseLog(string(out)), nil
}

func parseLog(out string) []vcs.Commit {
	var res []vcs.Commit
	for _, rec := range strings.Split(out, "\x1e") {
		if rec == "" {
			continue
		}
		f := strings.Split(rec, "\x00")
		if len(f) < 4 {
			continue
		}
		c := vcs.Commit{Hash: f[0], Author: f[1], Subject: f[3], Device: deviceOf(f[3])}
		if sec, err := strconv.ParseInt(f[2], 10, 64); err == nil {
			c.Time = time.Unix(sec, 0)
		}
		for _, p := range f[4:] {
			p = strings.TrimPrefix(p, "\n")
			if p != "" {
				c.Files = append(c.Files, p)
			}
		}
		res = append(res, c)
	}
	return res
}

// log1 describes one commit.
func (r *Repo) log1(ctx context.Context, rev string) (vcs.Commit, error) {
	cs, err := r.logCommits(ctx, 1, rev)
	if err != nil {
		return vcs.Commit{}, err
	}
	if len(cs) == 0 {
		return vcs.Commit{}, fmt.Errorf("no commit %s", rev)
	}
	return cs[0], nil
}

// Log returns the last n commits of the current branch, newest first, with
// the files each touched. An empty repository has none.
func (r *Repo) Log(ctx context.Context, n int) ([]vcs.Commit, error) {
	if n <= 0 {
		return nil, nil
	}
	head, err := r.revParse(ctx, "HEAD")
	if err != nil || head == "" {
		return nil, err
	}
	cs, err := r.logCommits(ctx, n, head)
	if err != nil {
		return nil, fmt.Errorf("read the history: %w", err)
	}
	return cs, nil
}

var subjectRE = regexp.MustCompile(`^autosync on (.+?): `)

// deviceOf returns DEVICE from a subject "autosync on DEVICE: ...".
func deviceOf(subject string) string {
	if m := subjectRE.FindStringSubmatch(subject); m != nil {
		return m[1]
	}
	return ""
}

// copyTimeFormat is the time in conflict-copy names.
const copyTimeFormat = "2006-01-02 150405"

// conflictName returns the name of the n-th (1-based) conflict copy of rel
// (slash-separated): "dir/name (conflict from DEVICE 2006-01-02 150405).ext",
// with " 2", " 3"... before the parenthesis closes for n > 1. The
// extension is the last one; a dotfile without another dot (".bashrc") gets
// the suffix at the end. now is shown in local time.
func conflictName(rel, device string, now time.Time, n int) string {
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

// parseConflictName splits a conflict-copy path into the original path,
// the device and the time; ok is false for other names.
func parseConflictName(rel string) (orig, device string, when time.Time, ok bool) {
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

// Conflicts lists the conflict copies in the working tree, tracked or not
// (git-ignored files excepted), with Path the original name each was made
// from, so the user can compare and delete the copy.
func (r *Repo) Conflicts(ctx context.Context) ([]vcs.Conflict, error) {
	out, err := r.run(ctx, cmd{args: []string{"--no-optional-locks", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate"}})
	if err != nil {
		return nil, fmt.Errorf("list conflict copies: %w", err)
	}
	var res []vcs.Conflict
	for _, p := range splitNul(out) {
		if !strings.Contains(p, "(conflict from ") {
			continue
		}
		orig, device, when, ok := parseConflictName(p)
		if !ok || !r.exists(p) {
			continue
		}
		res = append(res, vcs.Conflict{Path: orig, Copy: p,
			Reason: "kept beside it: the version from " + device + " of " + when.Format("2006-01-02 15:04:05")})
	}
	return res, nil
}
