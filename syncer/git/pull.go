package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/autosync-dev/autosync/syncer/vcs"
)

// maxPullCommits caps PullResult.Commits: enough for a notification.
const maxPullCommits = 20

// markerName is the file (in the git directory) that says a merge in
// progress is autosync's own. It holds the hash being merged, then the
// conflict copies written so far, NUL-separated, so that a crash can be
// undone completely.
const markerName = "autosync-merge"

// Fetch fetches the upstream branch into its remote-tracking ref.
// An unreachable remote gives vcs.ErrOffline; a remote that does not have
// the branch yet is not an error.
func (r *Repo) Fetch(ctx context.Context) error {
	u, err := r.resolve(ctx)
	if err != nil {
		return err
	}
	return r.fetch(ctx, u)
}

func (r *Repo) fetch(ctx context.Context, u upstream) error {
	_, err := r.run(ctx, cmd{
		args:    []string{"fetch", "--quiet", "--no-write-fetch-head", "--", u.remote, "+refs/heads/" + u.merge + ":" + u.tracking},
		network: true,
	})
	if IsKind(err, KindNoRemoteRef) {
		r.log.Debug("the remote does not have the branch yet", "upstream", u.short())
		return nil
	}
	if err != nil {
		return fmt.Errorf("fetch %s from %s: %w", u.merge, u.remote, err)
	}
	return nil
}

// Push pushes HEAD to the upstream branch, never forcing. A remote with
// commits we do not have gives vcs.ErrRejected; an unreachable one
// vcs.ErrOffline.
func (r *Repo) Push(ctx context.Context) error {
	u, err := r.resolve(ctx)
	if err != nil {
		return err
	}
	if head, err := r.revParse(ctx, "HEAD"); err != nil || head == "" {
		return err // an empty repository has nothing to push
	}
	_, err = r.run(ctx, cmd{
		args:    []string{"push", "--quiet", "--", u.remote, "HEAD:refs/heads/" + u.merge},
		network: true,
	})
	if err != nil {
		return fmt.Errorf("push to %s: %w", u.short(), err)
	}
	// Pushing to a remote whose fetch refspec does not cover the branch
	// leaves the tracking ref behind; Status would then report "ahead".
	if head, err := r.revParse(ctx, "HEAD"); err == nil && head != "" {
		if _, err := r.out(ctx, "update-ref", "-m", "autosync: pushed", u.tracking, head); err != nil {
			r.log.Debug("could not update the remote-tracking ref after a push", "err", err)
		}
	}
	return nil
}

// Pull fetches the upstream and integrates it: a fast-forward when HEAD
// has nothing the upstream lacks, else a merge commit
// "autosync on DEVICE: merge from REMOTE/BRANCH". git merges text files
// changed in different places by itself; a file both sides changed (where
// git cannot merge) keeps the remote version under its name and the local
// version beside it as a conflict copy, and a modification beats a
// deletion. Uncommitted changes in files the pull would touch give
// vcs.ErrDirtyTree with nothing changed. On any failure the merge is
// aborted: the repository is never left mid-merge, and conflict markers
// are never committed.
func (r *Repo) Pull(ctx context.Context, device string, now time.Time) (vcs.PullResult, error) {
	var res vcs.PullResult
	if err := r.inProgress(ctx); err != nil {
		return res, err
	}
	u, err := r.resolve(ctx)
	if err != nil {
		return res, err
	}
	if err := r.fetch(ctx, u); err != nil {
		return res, err
	}
	up, err := r.revParse(ctx, u.tracking)
	if err != nil || up == "" {
		return res, err // nothing upstream yet
	}
	head, err := r.revParse(ctx, "HEAD")
	if err != nil {
		return res, err
	}
	if head != "" {
		if head == up {
			return res, nil
		}
		if ok, err := r.isAncestor(ctx, up, head); err != nil || ok {
			return res, err
		}
	}
	ff := head == ""
	if !ff {
		if ff, err = r.isAncestor(ctx, head, up); err != nil {
			return res, err
		}
	}
	if !ff {
		// Two histories with no common commit: most likely the folder
		// points at the wrong remote. Merging would mix two projects.
		if _, err := r.run(ctx, cmd{args: []string{"merge-base", head, up}}); err != nil {
			var ge *Error
			if errors.As(err, &ge) && ge.ExitCode == 1 {
				return res, vcs.NeedsUser("this folder's history and "+u.short()+"'s have no commit in common",
					"if "+u.remote+" is the right remote, join them once by hand: git -C "+r.dir+" pull --allow-unrelated-histories "+u.remote+" "+u.merge+"; otherwise fix the folder's remote", nil)
			}
			return res, fmt.Errorf("find the common history with %s: %w", u.short(), err)
		}
	}
	if ff {
		gctx, cancel := afterGrace(ctx, mergeGrace)
		_, err = r.run(gctx, cmd{args: []string{"merge", "--quiet", "--ff-only", "--no-autostash", "--no-stat", up}, network: true})
		cancel()
		if err != nil {
			return res, fmt.Errorf("fast-forward to %s: %w", u.short(), err)
		}
		res.FastForward = true
	} else {
		merge, conflicts, err := r.merge(ctx, u, up, device, now)
		if err != nil {
			return res, err
		}
		res.Merge, res.Conflicts = &merge, conflicts
	}
	res.Updated = true
	revs := []string{up}
	if head != "" {
		revs = append(revs, "^"+head)
	}
	if res.Commits, err = r.logCommits(ctx, maxPullCommits, revs...); err != nil {
		return res, fmt.Errorf("list what the pull brought: %w", err)
	}
	if head != "" {
		out, err := r.run(ctx, cmd{args: []string{"diff", "--name-only", "-z", "--no-renames", head, "HEAD", "--"}})
		if err != nil {
			return res, fmt.Errorf("list what the pull changed: %w", err)
		}
		res.Files = splitNul(out)
	} else {
		out, err := r.run(ctx, cmd{args: []string{"ls-tree", "-r", "-z", "--name-only", "HEAD"}})
		if err != nil {
			return res, fmt.Errorf("list what the pull changed: %w", err)
		}
		res.Files = splitNul(out)
	}
	return res, nil
}

func (r *Repo) isAncestor(ctx context.Context, a, b string) (bool, error) {
	_, err := r.run(ctx, cmd{args: []string{"merge-base", "--is-ancestor", a, b}})
	if err == nil {
		return true, nil
	}
	var ge *Error
	if errors.As(err, &ge) && ge.ExitCode == 1 && ge.Stderr == "" {
		return false, nil
	}
	return false, fmt.Errorf("compare %s and %s: %w", a, b, err)
}

// mergeGrace is how long a git merge may go on after autosync was told to
// stop. git updates the working tree before it records the merge: killed
// in between, it would leave files changed with no merge to abort. Thirty
// seconds is arbitrary: far more than a merge needs, short enough for a
// hook that hangs.
const mergeGrace = 30 * time.Second

// afterGrace returns a context that ends grace after ctx does (and never
// before), for commands that must not be interrupted halfway.
func afterGrace(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	g, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	return g, func() { stop(); cancel() }
}

// merge merges up (the upstream's hash) into HEAD and commits, resolving
// conflicts by keeping both versions. Whatever fails, the merge is aborted.
func (r *Repo) merge(ctx context.Context, u upstream, up, device string, now time.Time) (c vcs.Commit, conflicts []vcs.Conflict, err error) {
	marker, err := r.GitPath(ctx, markerName)
	if err != nil {
		return c, nil, err
	}
	if err := os.WriteFile(marker, []byte(up+"\n"), 0o644); err != nil {
		return c, nil, fmt.Errorf("record that autosync is merging: %w", err)
	}
	subject := "autosync on " + device + ": merge from " + u.short()
	gctx, cancel := afterGrace(ctx, mergeGrace)
	_, mergeErr := r.run(gctx, cmd{
		args: []string{"merge", "--quiet", "--no-ff", "--no-edit", "--no-autostash", "--no-stat",
			"--no-squash", "--no-rerere-autoupdate", "-m", subject, up},
		network: true,
	})
	cancel()
	inMerge, _, err := r.gitPathExists(ctx, "MERGE_HEAD")
	if err != nil {
		r.abortMerge(ctx, marker)
		return c, nil, err
	}
	if !inMerge {
		os.Remove(marker)
		if mergeErr != nil {
			// git refused before changing anything (dirty tree, hooks...)
			// or failed; either way no merge is in progress.
			return c, nil, fmt.Errorf("merge %s: %w", u.short(), mergeErr)
		}
		c, err = r.log1(ctx, "HEAD")
		return c, nil, err
	}
	if mergeErr != nil {
		// A merge stopped by something else than conflicts (a
		// pre-merge-commit hook said no): respect that.
		if entries, err := r.unmerged(ctx); err != nil || len(entries) == 0 {
			r.abortMerge(ctx, marker)
			if err == nil {
				err = mergeErr
			}
			return c, nil, fmt.Errorf("merge %s (aborted, nothing changed): %w", u.short(), err)
		}
	}
	// Conflicts: resolve and commit.
	conflicts, err = r.resolveConflicts(ctx, marker, up, device, now)
	if err == nil {
		err = r.verifyMerge(ctx)
	}
	if err == nil {
		msg := subject + "\n"
		if len(conflicts) > 0 {
			msg += "\nConflicts resolved without losing a version:\n"
			for _, cf := range conflicts {
				if cf.Copy != "" {
					msg += "  " + cf.Path + " (this device's version: " + cf.Copy + ")\n"
				} else {
					msg += "  " + cf.Path + " (" + cf.Reason + ")\n"
				}
			}
		}
		_, err = r.run(ctx, cmd{args: []string{"commit", "--quiet", "--cleanup=whitespace", "-F", "-"}, stdin: strings.NewReader(msg), network: true})
		if err != nil {
			err = fmt.Errorf("commit the merge: %w", err)
		}
	}
	if err != nil {
		r.abortMerge(ctx, marker)
		return c, nil, fmt.Errorf("merge %s (aborted, nothing changed): %w", u.short(), err)
	}
	os.Remove(marker)
	c, err = r.log1(ctx, "HEAD")
	return c, conflicts, err
}

// unmergedEntry is one path's stages in a conflicted index.
type unmergedEntry struct {
	path  string
	modes [4]string // by stage 1..3; "" when absent
	blobs [4]string
}

func (r *Repo) unmerged(ctx context.Context) ([]*unmergedEntry, error) {
	out, err := r.run(ctx, cmd{args: []string{"ls-files", "-z", "--unmerged"}})
	if err != nil {
		return nil, fmt.Errorf("list conflicts: %w", err)
	}
	byPath := map[string]*unmergedEntry{}
	var list []*unmergedEntry
	for _, rec := range splitNul(out) {
		// "mode hash stage\tpath"
		meta, p, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || len(f[2]) != 1 || f[2][0] < '1' || f[2][0] > '3' {
			return nil, fmt.Errorf("list conflicts: cannot parse %q", rec)
		}
		e := byPath[p]
		if e == nil {
			e = &unmergedEntry{path: p}
			byPath[p] = e
			list = append(list, e)
		}
		st := f[2][0] - '0'
		e.modes[st], e.blobs[st] = f[0], f[1]
	}
	return list, nil
}

// resolveConflicts resolves every unmerged path: both sides present ->
// remote version under the name, local beside it as a conflict copy; one
// side present -> that side (a modification beats a deletion); neither ->
// removed. The results are staged.
func (r *Repo) resolveConflicts(ctx context.Context, marker, up, device string, now time.Time) ([]vcs.Conflict, error) {
	entries, err := r.unmerged(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].path < entries[j].path })
	var conflicts []vcs.Conflict
	var toAdd []string
	taken := map[string]bool{}
	for _, e := range entries {
		ours, theirs := e.modes[2] != "", e.modes[3] != ""
		// A file on one side where the other has a folder: git moved the
		// file to NAME~HEAD or NAME~<commit>. Give it a conflict-copy name
		// instead, which the user recognises.
		if orig, ok := movedAside(e.path, up); ok && ours != theirs {
			stage := 2
			if theirs {
				stage = 3
			}
			cp := r.freeCopyName(orig, device, now, taken)
			taken[cp] = true
			if err := appendMarker(marker, cp); err != nil {
				return nil, err
			}
			if err := r.writeBlob(ctx, cp, e.modes[stage], e.blobs[stage], false); err != nil {
				return nil, err
			}
			// git's file at the odd name has the same content: remove it
			// so that git add records it as gone.
			if err := os.Remove(filepath.Join(r.dir, filepath.FromSlash(e.path))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("replace %s: %w", e.path, err)
			}
			toAdd = append(toAdd, e.path, cp)
			conflicts = append(conflicts, vcs.Conflict{Path: orig, Copy: cp, Reason: "a file on one side, a folder on the other: the file was saved beside the folder"})
			continue
		}
		switch {
		case ours && theirs:
			cp := r.freeCopyName(e.path, device, now, taken)
			taken[cp] = true
			if err := appendMarker(marker, cp); err != nil {
				return nil, err
			}
			if err := r.writeBlob(ctx, cp, e.modes[2], e.blobs[2], false); err != nil {
				return nil, err
			}
			if err := r.writeBlob(ctx, e.path, e.modes[3], e.blobs[3], true); err != nil {
				return nil, err
			}
			toAdd = append(toAdd, e.path, cp)
			conflicts = append(conflicts, vcs.Conflict{Path: e.path, Copy: cp, Reason: "changed on both sides"})
		case ours:
			if err := r.writeBlob(ctx, e.path, e.modes[2], e.blobs[2], true); err != nil {
				return nil, err
			}
			toAdd = append(toAdd, e.path)
			conflicts = append(conflicts, vcs.Conflict{Path: e.path, Reason: "changed here, deleted on the other side: the changed version is kept"})
		case theirs:
			if err := r.writeBlob(ctx, e.path, e.modes[3], e.blobs[3], true); err != nil {
				return nil, err
			}
			toAdd = append(toAdd, e.path)
			conflicts = append(conflicts, vcs.Conflict{Path: e.path, Reason: "deleted here, changed on the other side: the changed version is kept"})
		default:
			// Both sides deleted or moved it away; git add -A records the
			// removal if git left nothing in the working tree.
			toAdd = append(toAdd, e.path)
		}
	}
	if err := r.add(ctx, toAdd, true); err != nil {
		return nil, fmt.Errorf("stage resolved conflicts: %w", err)
	}
	return conflicts, nil
}

// movedAside recognises the names git gives a file it had to move out of
// the way of a folder: NAME~HEAD (ours) or NAME~<merged commit> (theirs).
func movedAside(p, up string) (string, bool) {
	for _, suffix := range []string{"~HEAD", "~" + up} {
		if orig, ok := strings.CutSuffix(p, suffix); ok && orig != "" && !strings.HasSuffix(orig, "/") {
			return orig, true
		}
	}
	return "", false
}

// freeCopyName picks the first conflict-copy name for rel that nothing
// uses yet.
func (r *Repo) freeCopyName(rel, device string, now time.Time, taken map[string]bool) string {
	for n := 1; ; n++ {
		cp := vcs.ConflictName(rel, device, now, n)
		if !taken[cp] && !r.exists(cp) {
			return cp
		}
	}
}

func appendMarker(marker, copyPath string) error {
	f, err := os.OpenFile(marker, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("record the conflict copy %s: %w", copyPath, err)
	}
	_, err = f.WriteString(copyPath + "\x00")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("record the conflict copy %s: %w", copyPath, err)
	}
	return nil
}

// writeBlob writes blob to rel in the working tree with the file mode of a
// git index entry: a regular file (with the user's smudge filters, such as
// git-lfs, applied), an executable, or a symbolic link. Whatever was at rel
// (git's marked-up merge, a symbolic link) is replaced, never written
// through. Without replace, an existing file is an error: a conflict copy
// never overwrites anything.
func (r *Repo) writeBlob(ctx context.Context, rel, mode, blob string, replace bool) error {
	dst := filepath.Join(r.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if fi, err := os.Lstat(dst); err == nil && replace {
		if fi.IsDir() {
			return fmt.Errorf("write %s: a directory is in the way", rel)
		}
		if err := os.Remove(dst); err != nil {
			return fmt.Errorf("write %s: %w", rel, err)
		}
	}
	switch mode {
	case "120000":
		target, err := r.run(ctx, cmd{args: []string{"cat-file", "blob", blob}})
		if err != nil {
			return fmt.Errorf("read %s: %w", rel, err)
		}
		if err := os.Symlink(string(target), dst); err != nil {
			return fmt.Errorf("write %s: %w", rel, err)
		}
		return nil
	case "100644", "100755":
	default:
		return fmt.Errorf("write %s: cannot resolve a conflict on an entry of mode %s (a submodule?)", rel, mode)
	}
	perm := os.FileMode(0o666)
	if mode == "100755" {
		perm = 0o777
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm) // umask applies, as for git
	if err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	_, err = r.run(ctx, cmd{args: []string{"cat-file", "--filters", "--path=" + rel, blob}, stdout: f, network: true})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	return nil
}

// verifyMerge refuses a merge that still has unmerged paths or whose
// staged files contain conflict markers that neither side had.
func (r *Repo) verifyMerge(ctx context.Context) error {
	out, err := r.run(ctx, cmd{args: []string{"diff", "--name-only", "-z", "--diff-filter=U"}})
	if err != nil {
		return fmt.Errorf("verify the merge: %w", err)
	}
	if u := splitNul(out); len(u) > 0 {
		return fmt.Errorf("verify the merge: still unresolved: %s", strings.Join(u, ", "))
	}
	// git diff --check flags added lines that look like conflict markers.
	// Lines flagged against both parents came from neither: the merge made
	// them.
	ours, err := r.markerFiles(ctx, "HEAD")
	if err != nil {
		return err
	}
	if len(ours) == 0 {
		return nil
	}
	theirs, err := r.markerFiles(ctx, "MERGE_HEAD")
	if err != nil {
		return err
	}
	var bad []string
	for p := range ours {
		if theirs[p] {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("verify the merge: refusing to commit conflict markers in %s", strings.Join(bad, ", "))
	}
	return nil
}

// markerFiles returns the files (as git diff --check names them) whose
// staged version adds conflict-marker lines compared with rev.
func (r *Repo) markerFiles(ctx context.Context, rev string) (map[string]bool, error) {
	// --check exits 2 when it finds a problem (any whitespace error too).
	out, err := r.run(ctx, cmd{args: []string{"-c", "core.whitespace=-trailing-space,-space-before-tab,-indent-with-non-tab,-tab-in-indent,-cr-at-eol,-blank-at-eof",
		"diff", "--cached", "--check", "--no-ext-diff", "--no-color", rev, "--"}, okCodes: []int{2}})
	if err != nil {
		return nil, fmt.Errorf("look for conflict markers: %w", err)
	}
	res := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		i := strings.Index(line, ": leftover conflict marker")
		if i < 0 {
			continue
		}
		loc := line[:i]
		if j := strings.LastIndex(loc, ":"); j >= 0 {
			res[loc[:j]] = true
		}
	}
	return res, nil
}

// abortMerge undoes a merge autosync started, even when ctx is cancelled
// (autosync is shutting down: the repository must not stay mid-merge), and
// removes the conflict copies it wrote. If that fails, the marker stays so
// that the next Check tries again.
func (r *Repo) abortMerge(ctx context.Context, marker string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.Timeout)
	defer cancel()
	if err := r.abortOwnMerge(actx, marker); err != nil {
		r.log.Error("could not undo an unfinished merge; autosync will try again", "err", err)
	}
}

func (r *Repo) abortOwnMerge(ctx context.Context, marker string) error {
	data, err := os.ReadFile(marker)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	inMerge, _, err := r.gitPathExists(ctx, "MERGE_HEAD")
	if err != nil {
		return err
	}
	if inMerge {
		if _, err := r.out(ctx, "merge", "--abort"); err != nil {
			return fmt.Errorf("git merge --abort: %w", err)
		}
	}
	// The copies hold this side's version, which is in HEAD: remove them
	// if the abort left them behind untracked.
	_, copies, _ := bytes.Cut(data, []byte("\n"))
	for _, cp := range splitNul(copies) {
		if cp == "" || !r.exists(cp) {
			continue
		}
		tracked, err := r.out(ctx, "ls-files", "-z", "--", ":(literal)"+cp)
		if err == nil && tracked == "" {
			os.Remove(filepath.Join(r.dir, filepath.FromSlash(cp)))
		}
	}
	if err := os.Remove(marker); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// recoverMerge aborts a merge that autosync's marker says is its own (a
// crash in the middle of one), and forgets a marker left after the merge
// finished.
func (r *Repo) recoverMerge(ctx context.Context) error {
	ok, marker, err := r.gitPathExists(ctx, markerName)
	if err != nil || !ok {
		return err
	}
	data, err := os.ReadFile(marker)
	if err != nil {
		return fmt.Errorf("read %s: %w", marker, err)
	}
	want, _, _ := strings.Cut(string(data), "\n")
	mergeHead, err := r.revParse(ctx, "MERGE_HEAD")
	if err != nil {
		return err
	}
	if mergeHead != "" && mergeHead != strings.TrimSpace(want) {
		// Someone else's merge: leave it to the user (inProgress says so).
		os.Remove(marker)
		return nil
	}
	r.log.Warn("undoing a merge autosync left unfinished (it was stopped in the middle)", "dir", r.dir)
	if err := r.abortOwnMerge(ctx, marker); err != nil {
		return fmt.Errorf("undo the merge autosync left unfinished: %w; finish it with git commit, or undo it with git merge --abort", err)
	}
	return nil
}
