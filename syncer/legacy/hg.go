package legacy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/autosync-dev/autosync/syncer/vcs"
)

// maxMerges bounds the heads merged after one pull; more than a couple of
// heads on one branch means someone else is making them.
const maxMerges = 5

// otherHeads lists the heads of the current branch other than the working
// copy's parent. A working copy that is not at a head of its branch (the
// user updated to an old revision) needs the user: merging from there
// would be wrong.
func (r *Repo) otherHeads(ctx context.Context) ([]string, error) {
	res, err := r.own.run(ctx, "", []string{"hg", "log", "-r", "(head() and branch(.) and not closed()) or .",
		"-T", `{node}\x1f{ifcontains(rev, revset("."), "@")}{ifcontains(rev, revset("head()"), "h")}\n`})
	if err != nil {
		return nil, err
	}
	var others []string
	for _, line := range lines(res.stdout) {
		node, mark, _ := strings.Cut(line, "\x1f")
		switch {
		case mark == "@":
			if strings.Trim(node, "0") != "" {
				return nil, vcs.NeedsUser("the Mercurial working copy in "+r.root+" is not at the newest revision of its branch",
					"run hg update (autosync keeps the newest revision in sync; an old one checked out would be merged backwards)", nil)
			}
		case !strings.Contains(mark, "@"):
			others = append(others, node)
		}
	}
	return others, nil
}

// mergeHeads merges every other head of the branch into the working copy's
// parent, the way autosync merges: what only one side changed is taken; a
// file both sides changed keeps the other head's version under its name
// and this machine's beside it as a conflict copy; a change beats a
// deletion. Nothing is left half merged, and no conflict markers are
// written (the merge runs with the :fail tool and every unresolved file is
// written from one side's content).
func (r *Repo) mergeHeads(ctx context.Context, device string, now time.Time) (*vcs.Commit, []vcs.Conflict, error) {
	var merge *vcs.Commit
	var conflicts []vcs.Conflict
	for range maxMerges {
		heads, err := r.otherHeads(ctx)
		if vcs.IsNeedsUser(err) {
			return nil, nil, err
		}
		if err != nil {
			return nil, nil, fmt.Errorf("pull: list heads: %w", err)
		}
		if len(heads) == 0 {
			return merge, conflicts, nil
		}
		c, cs, err := r.mergeHead(ctx, heads[0], device, now)
		if err != nil {
			return nil, nil, err
		}
		merge = &c
		conflicts = append(conflicts, cs...)
	}
	return merge, conflicts, nil
}

func (r *Repo) mergeHead(ctx context.Context, other, device string, now time.Time) (c vcs.Commit, conflicts []vcs.Conflict, err error) {
	local, err := r.head(ctx)
	if err != nil {
		return c, nil, fmt.Errorf("merge: %w", err)
	}
	if d, err := r.dirty(ctx); err != nil {
		return c, nil, fmt.Errorf("merge: %w", err)
	} else if d {
		return c, nil, fmt.Errorf("merge: %w", vcs.ErrDirtyTree)
	}
	if err := os.WriteFile(r.hgMarker(), []byte(other+"\n"), 0o644); err != nil {
		return c, nil, fmt.Errorf("merge: %w", err)
	}
	started := false
	defer func() {
		if err != nil && started {
			// Abort even when ctx was cancelled: never leave a merge.
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if _, aerr := r.own.run(actx, "", []string{"hg", "merge", "--abort"}); aerr != nil {
				err = fmt.Errorf("%w (and aborting the merge failed: %v; run hg merge --abort in %s)", err, aerr, r.root)
				return // keep the marker: the next Check aborts it
			}
		}
		os.Remove(r.hgMarker())
	}()

	started = true
	_, merr := r.own.run(ctx, "", []string{"hg", "merge", "--config", "ui.interactive=false", "--tool", ":fail", "-r", other})
	var ce *CommandError
	if merr != nil && !(errors.As(merr, &ce) && ce.ExitCode == 1) {
		if errors.As(merr, &ce) && strings.Contains(ce.Output, "uncommitted changes") {
			return c, nil, fmt.Errorf("merge: %w", vcs.ErrDirtyTree)
		}
		return c, nil, fmt.Errorf("merge %s: %w", short(other), merr)
	}
	res, err := r.own.run(ctx, "", []string{"hg", "resolve", "-l", "-T", "{mergestatus}\x1f{path}\n"})
	if err != nil {
		return c, nil, fmt.Errorf("merge: list unresolved files: %w", err)
	}
	for _, line := range lines(res.stdout) {
		status, p, ok := strings.Cut(line, "\x1f")
		if !ok || !strings.EqualFold(status, "u") {
			continue
		}
		cf, err := r.resolveFile(ctx, p, local, other, device, now)
		if err != nil {
			return c, nil, err
		}
		if cf != nil {
			conflicts = append(conflicts, *cf)
		}
	}
	res, err = r.own.run(ctx, "", []string{"hg", "resolve", "-l", "-T", "{mergestatus}\x1f{path}\n"})
	if err != nil {
		return c, nil, fmt.Errorf("merge: list unresolved files: %w", err)
	}
	for _, line := range lines(res.stdout) {
		if status, p, _ := strings.Cut(line, "\x1f"); strings.EqualFold(status, "u") {
			return c, nil, fmt.Errorf("merge: %s is still unresolved after keeping both versions; the merge was abandoned", p)
		}
	}
	msg := "autosync on " + device + ": merge from " + short(other)
	if len(conflicts) > 0 {
		msg += fmt.Sprintf(", %d conflict%s", len(conflicts), map[bool]string{true: "s"}[len(conflicts) > 1])
		msg += "\n\n"
		for _, cf := range conflicts {
			if cf.Copy != "" {
				msg += "kept " + cf.Path + " from the other machine; this machine's version is " + cf.Copy + "\n"
			} else {
				msg += "kept " + cf.Path + ": " + cf.Reason + "\n"
			}
		}
	}
	if _, err := r.runTemplate(ctx, keyCommit, msg); err != nil {
		return c, nil, fmt.Errorf("commit the merge: %w", err)
	}
	head, err := r.head(ctx)
	if err != nil {
		return c, nil, fmt.Errorf("merge: %w", err)
	}
	subject, _, _ := strings.Cut(msg, "\n")
	r.log.Info("merged", "other", short(other), "conflicts", len(conflicts))
	return vcs.Commit{Hash: head, Subject: subject, Author: device, Device: device, Time: time.Now()}, conflicts, nil
}

// cat returns a file's content at rev; ok is false when the file is not
// in rev.
func (r *Repo) cat(ctx context.Context, rev, p string) ([]byte, bool, error) {
	res, err := r.own.run(ctx, "", []string{"hg", "files", "-r", rev, "--", "path:" + p})
	if err != nil {
		var ce *CommandError
		if errors.As(err, &ce) && ce.ExitCode == 1 {
			return nil, false, nil // not in rev
		}
		return nil, false, err
	}
	if strings.TrimSpace(res.stdout) == "" {
		return nil, false, nil
	}
	res, err = r.own.run(ctx, "", []string{"hg", "cat", "-r", rev, "--", "path:" + p})
	if err != nil {
		return nil, false, err
	}
	return []byte(res.stdout), true, nil
}

// resolveFile settles one unresolved file: both changed -> the other's
// version under the name, ours as a conflict copy (added); changed on one
// side and deleted on the other -> the changed version.
func (r *Repo) resolveFile(ctx context.Context, p, local, other, device string, now time.Time) (*vcs.Conflict, error) {
	mine, inLocal, err := r.cat(ctx, local, p)
	if err != nil {
		return nil, fmt.Errorf("merge: read this machine's %s: %w", p, err)
	}
	theirs, inOther, err := r.cat(ctx, other, p)
	if err != nil {
		return nil, fmt.Errorf("merge: read the other machine's %s: %w", p, err)
	}
	abs := filepath.Join(r.root, filepath.FromSlash(p))
	mode := os.FileMode(0o644)
	if fi, err := os.Lstat(abs); err == nil {
		mode = fi.Mode().Perm()
	}
	var cf *vcs.Conflict
	switch {
	case inLocal && inOther:
		if !bytes.Equal(mine, theirs) {
			cp := ""
			for n := 1; ; n++ {
				cp = vcs.ConflictName(p, device, now, n)
				if _, err := os.Lstat(filepath.Join(r.root, filepath.FromSlash(cp))); os.IsNotExist(err) {
					break
				}
			}
			if err := os.WriteFile(filepath.Join(r.root, filepath.FromSlash(cp)), mine, mode); err != nil {
				return nil, fmt.Errorf("merge: write conflict copy: %w", err)
			}
			if _, err := r.own.run(ctx, "", []string{"hg", "add", "--", "path:" + cp}); err != nil {
				return nil, fmt.Errorf("merge: add conflict copy: %w", err)
			}
			cf = &vcs.Conflict{Path: p, Copy: cp, Reason: "both changed"}
		}
		if err := writeFile(abs, theirs, mode); err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
	case inLocal:
		if err := writeFile(abs, mine, mode); err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		cf = &vcs.Conflict{Path: p, Reason: "changed here, deleted there: kept the changed version"}
	case inOther:
		if err := writeFile(abs, theirs, mode); err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		cf = &vcs.Conflict{Path: p, Reason: "deleted here, changed there: kept the changed version"}
	default:
		return nil, fmt.Errorf("merge: %s is unresolved but in neither version", p)
	}
	if _, err := r.own.run(ctx, "", []string{"hg", "resolve", "-m", "--", "path:" + p}); err != nil {
		return nil, fmt.Errorf("merge: mark %s resolved: %w", p, err)
	}
	return cf, nil
}

func writeFile(abs string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return err
	}
	return os.WriteFile(abs, data, mode)
}

func short(node string) string {
	if len(node) > 12 {
		return node[:12]
	}
	return node
}
