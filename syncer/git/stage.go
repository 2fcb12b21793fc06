package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/autosync-dev/autosync/syncer/vcs"
)

// scanResult is what git status says should be staged.
type scanResult struct {
	paths   []string // to give to git add -A (deletions included)
	staged  int      // changes already staged that need no git add
	skipped []vcs.Skipped
}

// dirty reports whether a commit would record something.
func (s scanResult) dirty() bool { return len(s.paths) > 0 || s.staged > 0 }

// scan reads git status and decides what to stage: every change git sees,
// minus untracked paths the folder's Ignored rules exclude, minus files
// over MaxFileSize (reported as skipped), minus nested repositories
// (reported). Submodules are left alone: their commits are the user's.
func (r *Repo) scan(ctx context.Context, readOnly bool) (scanResult, error) {
	var res scanResult
	args := []string{"status", "--porcelain=v2", "-z", "--untracked-files=all", "--ignore-submodules=all"}
	if readOnly {
		args = append([]string{"--no-optional-locks"}, args...)
	}
	out, err := r.run(ctx, cmd{args: args})
	if err != nil {
		return res, fmt.Errorf("read the working copy's status: %w", err)
	}
	dirIgnored := map[string]bool{}
	ignored := func(rel string) bool {
		if r.opts.Ignored == nil {
			return false
		}
		// A path is excluded when any directory above it is, as in git.
		for i := 0; i < len(rel); i++ {
			if rel[i] != '/' {
				continue
			}
			d := rel[:i]
			ig, ok := dirIgnored[d]
			if !ok {
				ig = r.opts.Ignored(d, true)
				dirIgnored[d] = ig
			}
			if ig {
				return true
			}
		}
		return r.opts.Ignored(strings.TrimSuffix(rel, "/"), strings.HasSuffix(rel, "/"))
	}
	var sizeCheck []string // paths whose content would be staged
	recs := splitNul(out)
	for i := 0; i < len(recs); i++ {
		rec := recs[i]
		if len(rec) < 2 {
			continue
		}
		switch rec[0] {
		case '1': // ordinary change: "1 XY sub mH mI mW hH hI path"
			f := strings.SplitN(rec, " ", 9)
			if len(f) != 9 {
				return res, fmt.Errorf("read the working copy's status: cannot parse %q", rec)
			}
			r.scanTracked(&res, &sizeCheck, f[1], f[8])
		case '2': // rename or copy in the index: "2 XY sub mH mI mW hH hI Xscore path" NUL origPath
			f := strings.SplitN(rec, " ", 10)
			if len(f) != 10 || i+1 >= len(recs) {
				return res, fmt.Errorf("read the working copy's status: cannot parse %q", rec)
			}
			i++ // origPath: its removal is staged already
			r.scanTracked(&res, &sizeCheck, f[1], f[9])
		case 'u':
			return res, vcs.NeedsUser("some files have unresolved conflicts",
				"resolve them and git add them (git status lists them), or undo with git checkout -m -- FILE", nil)
		case '?':
			p := rec[2:]
			if ignored(p) {
				continue
			}
			if strings.HasSuffix(p, "/") {
				// git shows a nested repository as one untracked directory;
				// adding it would record a broken submodule.
				res.skipped = append(res.skipped, vcs.Skipped{Path: strings.TrimSuffix(p, "/"),
					Reason: "it is a separate git repository inside the folder; autosync does not sync it: add it to .gitignore, or make it a submodule"})
				continue
			}
			res.paths = append(res.paths, p)
			sizeCheck = append(sizeCheck, p)
		}
	}
	if r.opts.MaxFileSize > 0 && len(sizeCheck) > 0 {
		big, err := r.tooBig(ctx, sizeCheck)
		if err != nil {
			return res, err
		}
		if len(big) > 0 {
			keep := res.paths[:0]
			for _, p := range res.paths {
				if s, ok := big[p]; ok {
					res.skipped = append(res.skipped, s)
					continue
				}
				keep = append(keep, p)
			}
			res.paths = keep
		}
	}
	return res, nil
}

// scanTracked records a tracked path with status xy. A path whose working
// tree matches the index (y '.') needs no git add: its change, if any, is
// staged already (and a staged deletion or rename source would not even
// match a pathspec).
func (r *Repo) scanTracked(res *scanResult, sizeCheck *[]string, xy, p string) {
	if len(xy) != 2 {
		return
	}
	switch xy[1] {
	case '.':
		if xy[0] != '.' {
			res.staged++
		}
		return
	case 'M', 'T', 'A':
		*sizeCheck = append(*sizeCheck, p)
	}
	res.paths = append(res.paths, p)
}

// tooBig returns the files among paths bigger than MaxFileSize that git-lfs
// does not store.
func (r *Repo) tooBig(ctx context.Context, paths []string) (map[string]vcs.Skipped, error) {
	var big []string
	sizes := map[string]int64{}
	for _, p := range paths {
		fi, err := os.Lstat(filepath.Join(r.dir, filepath.FromSlash(p)))
		if err != nil || !fi.Mode().IsRegular() || fi.Size() <= r.opts.MaxFileSize {
			continue
		}
		big = append(big, p)
		sizes[p] = fi.Size()
	}
	if len(big) == 0 {
		return nil, nil
	}
	lfs, err := r.lfsTracked(ctx, big)
	if err != nil {
		return nil, err
	}
	res := map[string]vcs.Skipped{}
	for _, p := range big {
		if lfs[p] {
			continue
		}
		res[p] = vcs.Skipped{Path: p, Size: sizes[p], Reason: fmt.Sprintf(
			"it is bigger than max_file_size (%s > %s): store it with git-lfs (git lfs track), add it to .gitignore, or raise max_file_size",
			humanSize(sizes[p]), humanSize(r.opts.MaxFileSize))}
	}
	return res, nil
}

// lfsTracked reports which paths have the git-lfs filter attribute.
func (r *Repo) lfsTracked(ctx context.Context, paths []string) (map[string]bool, error) {
	var in bytes.Buffer
	for _, p := range paths {
		in.WriteString(p)
		in.WriteByte(0)
	}
	out, err := r.run(ctx, cmd{args: []string{"check-attr", "-z", "--stdin", "filter"}, stdin: &in})
	if err != nil {
		return nil, fmt.Errorf("read git attributes: %w", err)
	}
	res := map[string]bool{}
	f := splitNul(out)
	for i := 0; i+2 < len(f); i += 3 { // path, attribute, value
		if f[i+2] == "lfs" {
			res[f[i]] = true
		}
	}
	return res, nil
}

func humanSize(n int64) string {
	// Decimal units, as max_file_size is written ("100MB").
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// add stages paths (additions, modifications and deletions alike) in one
// git add call. Paths are literal: a file named "*.md" is that file only.
// force adds paths that git's ignore rules exclude (a conflict copy of a
// tracked file must be committed even if its name matches a pattern).
func (r *Repo) add(ctx context.Context, paths []string, force bool) error {
	if len(paths) == 0 {
		// git add -A with no pathspec would stage everything.
		return nil
	}
	var in bytes.Buffer
	for _, p := range paths {
		in.WriteString(p)
		in.WriteByte(0)
	}
	args := []string{"--literal-pathspecs", "add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul"}
	if force {
		args = append(args, "--force")
	}
	_, err := r.run(ctx, cmd{args: args, stdin: &in})
	return err
}

// Stage stages every change that should be committed, in one git add, and
// reports what is staged (from the index, so renames and moves show as
// vcs.Renamed) and what it left out: files over MaxFileSize and nested
// repositories are reported as vcs.Skipped; untracked paths excluded by
// Options.Ignored and by git's own ignore rules are not reported. Files
// that vanish between git status and git add are simply not staged.
func (r *Repo) Stage(ctx context.Context) ([]vcs.Change, []vcs.Skipped, error) {
	// The user may have started something since Check; committing now would
	// take part in it (conclude their merge, add to their rebase).
	if err := r.operationInProgress(ctx); err != nil {
		return nil, nil, err
	}
	var sc scanResult
	var err error
	// A file can vanish between status and add (editors' temp files do),
	// which makes git add fail as a whole; reading the status again is the
	// fix. Three attempts is arbitrary.
	for attempt := 0; ; attempt++ {
		sc, err = r.scan(ctx, false)
		if err != nil {
			return nil, nil, err
		}
		err = r.add(ctx, sc.paths, false)
		if err == nil {
			break
		}
		if !IsKind(err, KindMissingPath) || attempt == 2 {
			return nil, sc.skipped, fmt.Errorf("stage changes: %w", err)
		}
		r.log.Debug("a file vanished while staging; reading the status again", "err", err)
	}
	changes, err := r.staged(ctx)
	if err != nil {
		return nil, sc.skipped, err
	}
	return changes, sc.skipped, nil
}

// staged lists what the index changes against HEAD.
func (r *Repo) staged(ctx context.Context) ([]vcs.Change, error) {
	out, err := r.run(ctx, cmd{args: []string{"diff", "--cached", "--name-status", "-z", "-M", "--no-ext-diff", "--ignore-submodules=none"}})
	if err != nil {
		return nil, fmt.Errorf("list staged changes: %w", err)
	}
	return parseNameStatus(splitNul(out))
}

// parseNameStatus parses git diff --name-status -z output.
func parseNameStatus(f []string) ([]vcs.Change, error) {
	var res []vcs.Change
	for i := 0; i < len(f); i++ {
		st := f[i]
		if st == "" || i+1 >= len(f) {
			return nil, fmt.Errorf("list staged changes: cannot parse %q", strings.Join(f, "\\0"))
		}
		switch st[0] {
		case 'R':
			if i+2 >= len(f) {
				return nil, fmt.Errorf("list staged changes: truncated rename")
			}
			res = append(res, vcs.Change{Kind: vcs.Renamed, From: f[i+1], Path: f[i+2]})
			i += 2
		case 'C': // copies are only reported with -C; an added file
			if i+2 >= len(f) {
				return nil, fmt.Errorf("list staged changes: truncated copy")
			}
			res = append(res, vcs.Change{Kind: vcs.Added, Path: f[i+2]})
			i += 2
		case 'A':
			res = append(res, vcs.Change{Kind: vcs.Added, Path: f[i+1]})
			i++
		case 'D':
			res = append(res, vcs.Change{Kind: vcs.Deleted, Path: f[i+1]})
			i++
		default: // M, T (type change), U, X
			res = append(res, vcs.Change{Kind: vcs.Modified, Path: f[i+1]})
			i++
		}
	}
	return res, nil
}

// Commit commits what is staged, with message, running the user's hooks.
// Changes made after Stage stay in the working tree for the next commit.
// A missing author identity, or a merge or rebase the user started
// meanwhile, gives a *vcs.NeedsUserError.
func (r *Repo) Commit(ctx context.Context, message string) (vcs.Commit, error) {
	if strings.TrimSpace(message) == "" {
		return vcs.Commit{}, errors.New("commit: empty commit message")
	}
	if err := r.operationInProgress(ctx); err != nil {
		return vcs.Commit{}, err
	}
	_, err := r.run(ctx, cmd{
		// whitespace cleanup keeps lines starting with '#' (paths can).
		args:  []string{"commit", "--quiet", "--cleanup=whitespace", "-F", "-"},
		stdin: strings.NewReader(message),
		// Hooks may do anything, including network access.
		network: true,
	})
	if err != nil {
		return vcs.Commit{}, fmt.Errorf("commit: %w", err)
	}
	cs, err := r.log1(ctx, "HEAD")
	if err != nil {
		return vcs.Commit{}, fmt.Errorf("read the new commit: %w", err)
	}
	return cs, nil
}

// exists reports whether rel exists in the working tree (without following
// a final symbolic link).
func (r *Repo) exists(rel string) bool {
	_, err := os.Lstat(filepath.Join(r.dir, filepath.FromSlash(rel)))
	return !errors.Is(err, fs.ErrNotExist)
}
