package git

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

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
		c := vcs.Commit{Hash: f[0], Author: f[1], Subject: f[3], Device: vcs.DeviceFromSubject(f[3])}
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
		orig, device, when, ok := vcs.ParseConflictName(p)
		if !ok || !r.exists(p) {
			continue
		}
		res = append(res, vcs.Conflict{Path: orig, Copy: p,
			Reason: "kept beside it: the version from " + device + " of " + when.Format("2006-01-02 15:04:05")})
	}
	return res, nil
}
