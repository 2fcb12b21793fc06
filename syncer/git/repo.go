package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/autosync-dev/autosync/syncer/vcs"
)

// Options configures a Repo. The zero value syncs the current branch with
// its upstream, with default timeouts and no extra ignore rules.
type Options struct {
	// Remote is the remote to sync with; "" means the upstream remote of
	// the current branch.
	Remote string
	// Branch is the branch that must be checked out; "" means whatever
	// branch is current. Check refuses to sync another branch.
	Branch string
	// Ignored reports whether an untracked path (slash-separated, relative
	// to the top of the working copy) must never be committed: editor and
	// OS temp files, the folder's ignore patterns. It is called for each
	// directory above an untracked file (isDir true) and for the file.
	// Tracked files are never filtered, as in git. nil ignores nothing.
	Ignored func(rel string, isDir bool) bool
	// MaxFileSize, when positive, leaves untracked and modified files
	// bigger than this out of commits; Stage reports them as vcs.Skipped.
	// Files stored with git-lfs are not limited.
	MaxFileSize int64
	// LocalOnly is for folders that only commit (dvcs-autosync's
	// syncmethod = none): Check and Status do not require an upstream.
	// Pull and Push still need one.
	LocalOnly bool
	// Timeout bounds each local git command (default 2m).
	Timeout time.Duration
	// NetworkTimeout bounds fetch, push and merges (which may download
	// git-lfs objects) (default 5m).
	NetworkTimeout time.Duration
	// Logger receives a DEBUG record per git command and WARN records for
	// repairs (stale lock removed, leftover merge aborted). nil discards.
	Logger *slog.Logger
}

// Default timeouts.
const (
	DefaultTimeout        = 2 * time.Minute
	DefaultNetworkTimeout = 5 * time.Minute
)

// Repo is a git working copy that autosync syncs. Its methods implement the
// engine's Repository interface. They may be called from several goroutines
// (the engine's folder goroutine and the watcher's CheckIgnore), but the
// engine calls the mutating ones (Check, Stage, Commit, Pull, Push) from one
// goroutine only, one at a time.
type Repo struct {
	dir    string // top of the working tree, absolute
	gitDir string // absolute
	// gitPaths caches git rev-parse --git-path for the names Check and
	// Pull look at on every cycle (they do not move while the repository
	// exists), to spare a process per name.
	gitPaths map[string]string
	opts     Options
	log      *slog.Logger
}

// statePaths are the git-dir files whose existence tells the repository's
// state.
var statePaths = []string{"index.lock", markerName, "MERGE_HEAD", "rebase-merge", "rebase-apply", "CHERRY_PICK_HEAD", "REVERT_HEAD", "BISECT_LOG"}

// Open returns the working copy at dir, which must be the top of a git
// working tree. A missing folder, a folder that is not a git working copy
// and a subfolder of one (autosync would commit files outside it) are
// refused with a *vcs.NeedsUserError that says what to do. Open does not
// check the repository's state: call Check for that.
func Open(ctx context.Context, dir string, opts Options) (*Repo, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.NetworkTimeout <= 0 {
		opts.NetworkTimeout = DefaultNetworkTimeout
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("folder %s: %w", dir, err)
	}
	if err := checkDir(abs); err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("git"); err != nil {
		return nil, vcs.NeedsUser("git is not installed (or not on PATH)", "install git, for example with your package manager (apt install git)", err)
	}
	r := &Repo{dir: abs, opts: opts, log: logger}
	out, err := r.out(ctx, "rev-parse", "--show-toplevel", "--absolute-git-dir")
	if err != nil {
		var ge *Error
		switch {
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			return nil, err
		case errors.As(err, &ge) && strings.Contains(ge.Stderr, "dubious ownership"):
			return nil, vcs.NeedsUser("git refuses to work in "+abs+" because another user owns it",
				"if you trust it: git config --global --add safe.directory "+abs, err)
		}
		return nil, notRepo(abs, err)
	}
	lines := strings.Split(out, "\n")
	if len(lines) != 2 || lines[0] == "" {
		return nil, notRepo(abs, fmt.Errorf("git rev-parse printed %q", out))
	}
	top, gitDir := lines[0], lines[1]
	if !samePath(abs, top) {
		return nil, vcs.NeedsUser(fmt.Sprintf("%s is inside the git working copy %s", abs, top),
			"autosync syncs whole working copies: use "+top+" as the folder's path", nil)
	}
	r.gitDir = gitDir
	args := []string{"rev-parse"}
	for _, n := range statePaths {
		args = append(args, "--git-path", n)
	}
	out, err = r.out(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("find git's files for %s: %w", abs, err)
	}
	paths := strings.Split(out, "\n")
	if len(paths) != len(statePaths) {
		return nil, fmt.Errorf("find git's files for %s: git rev-parse printed %q", abs, out)
	}
	r.gitPaths = map[string]string{}
	for i, n := range statePaths {
		p := paths[i]
		if !filepath.IsAbs(p) {
			p = filepath.Join(r.dir, p)
		}
		r.gitPaths[n] = p
	}
	return r, nil
}

func checkDir(abs string) error {
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return vcs.NeedsUser(fmt.Sprintf("folder %s does not exist", abs),
			"clone your repository there with git clone URL "+abs+", or fix the folder's path", err)
	case err != nil:
		return vcs.NeedsUser(fmt.Sprintf("folder %s cannot be read", abs), "check its permissions", err)
	case !fi.IsDir():
		return vcs.NeedsUser(fmt.Sprintf("%s is not a folder", abs), "point the folder's path at a git working copy", nil)
	}
	return nil
}

func notRepo(abs string, err error) error {
	return vcs.NeedsUser(fmt.Sprintf("%s is not a git working copy", abs),
		"clone your repository there with git clone URL "+abs+", or run git init and git remote add origin URL in it", err)
}

// samePath reports whether a and b name the same directory, following
// symbolic links (git reports the physical path).
func samePath(a, b string) bool {
	if a == b {
		return true
	}
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	if err1 != nil || err2 != nil {
		return false
	}
	if ra == rb {
		return true
	}
	fa, err1 := os.Stat(ra)
	fb, err2 := os.Stat(rb)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}

// Dir is the top of the working tree (absolute), the folder to watch.
func (r *Repo) Dir() string { return r.dir }

// GitPath returns the absolute path of name inside the git directory as
// git resolves it (git rev-parse --git-path): worktrees and GIT_DIR
// layouts put files elsewhere than .git/name.
func (r *Repo) GitPath(ctx context.Context, name string) (string, error) {
	p, err := r.out(ctx, "rev-parse", "--git-path", name)
	if err != nil {
		return "", fmt.Errorf("find %s in the git directory: %w", name, err)
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.dir, p)
	}
	return p, nil
}

// CheckIgnore reports, for each path (slash-separated, relative to the top;
// directories without a trailing slash), whether git's ignore rules exclude
// it: every .gitignore, info/exclude and core.excludesFile, exactly as git
// applies them. Tracked paths are never ignored. It runs one git process for
// the whole batch; the watcher uses it to skip ignored directories.
func (r *Repo) CheckIgnore(ctx context.Context, rels []string) ([]bool, error) {
	res := make([]bool, len(rels))
	if len(rels) == 0 {
		return res, nil
	}
	var in bytes.Buffer
	for _, p := range rels {
		in.WriteString(p)
		in.WriteByte(0)
	}
	// --verbose --non-matching prints one record per input path, in order:
	// source, line, pattern, path. A negated pattern ("!x") that matched
	// means "not ignored". --no-index answers from the patterns alone:
	// without it git looks every path up in the index, about a millisecond
	// each in a repository of 100k files (12 s for 10k directories, see
	// docs/benchmarks.md). The index matters only for directories that
	// the patterns ignore but that hold tracked files (added with --force);
	// those are asked about below.
	out, err := r.run(ctx, cmd{
		args:    []string{"--no-optional-locks", "check-ignore", "--no-index", "--stdin", "-z", "--verbose", "--non-matching"},
		stdin:   &in,
		okCodes: []int{1},
	})
	if err != nil {
		return nil, fmt.Errorf("check git's ignore rules: %w", err)
	}
	f := splitNul(out)
	if len(f) != 4*len(rels) {
		return nil, fmt.Errorf("check git's ignore rules: %d paths in, %d fields out", len(rels), len(f))
	}
	var ignored []int
	for i := range rels {
		pattern := f[4*i+2]
		res[i] = pattern != "" && !strings.HasPrefix(pattern, "!")
		if res[i] {
			ignored = append(ignored, i)
		}
	}
	if len(ignored) == 0 {
		return res, nil
	}
	// Git tracks what it tracks whatever the patterns say: an ignored
	// directory with tracked files in it must still be watched.
	args := []string{"--no-optional-locks", "--literal-pathspecs", "ls-files", "-z", "--"}
	for _, i := range ignored {
		args = append(args, rels[i])
	}
	tracked, err := r.run(ctx, cmd{args: args})
	if err != nil {
		return nil, fmt.Errorf("list tracked files in ignored directories: %w", err)
	}
	for _, file := range splitNul(tracked) {
		for _, i := range ignored {
			if file == rels[i] || strings.HasPrefix(file, rels[i]+"/") {
				res[i] = false
			}
		}
	}
	return res, nil
}

// splitNul splits NUL-terminated records.
func splitNul(b []byte) []string {
	s := string(b)
	s = strings.TrimSuffix(s, "\x00")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}

// upstream is what a branch syncs with.
type upstream struct {
	branch   string // current branch, short name
	remote   string // remote name
	merge    string // branch on the remote, short name
	tracking string // remote-tracking ref, e.g. refs/remotes/origin/main
}

func (u upstream) short() string { return u.remote + "/" + u.merge }

// resolve finds the current branch and what it syncs with, or says what
// the user must do when there is none.
func (r *Repo) resolve(ctx context.Context) (upstream, error) {
	return r.resolveFor(ctx, true)
}

// resolveFor is resolve; without needUpstream a branch without upstream
// gives an upstream with only branch set, and no error.
func (r *Repo) resolveFor(ctx context.Context, needUpstream bool) (upstream, error) {
	var u upstream
	ref, err := r.out(ctx, "symbolic-ref", "--quiet", "HEAD")
	if err != nil || !strings.HasPrefix(ref, "refs/heads/") {
		var ge *Error
		if err != nil && !(errors.As(err, &ge) && ge.ExitCode == 1) {
			return u, fmt.Errorf("find the current branch: %w", err)
		}
		b := r.opts.Branch
		if b == "" {
			b = "BRANCH"
		}
		return u, vcs.NeedsUser("the working copy is not on a branch (detached HEAD)",
			"check out the branch to sync: git switch "+b, nil)
	}
	u.branch = strings.TrimPrefix(ref, "refs/heads/")
	if r.opts.Branch != "" && u.branch != r.opts.Branch {
		return u, vcs.NeedsUser(fmt.Sprintf("the working copy is on branch %s, but the folder is configured to sync %s", u.branch, r.opts.Branch),
			"check out "+r.opts.Branch+" with git switch "+r.opts.Branch+", or change the folder's branch setting", nil)
	}
	// From the config, not for-each-ref: an unborn branch (a clone of an
	// empty remote) has an upstream but no ref yet.
	cfg, err := r.configList(ctx)
	if err != nil {
		return u, fmt.Errorf("find the upstream of %s: %w", u.branch, err)
	}
	cfgRemote, cfgMerge := cfg["branch."+u.branch+".remote"], cfg["branch."+u.branch+".merge"]
	if cfgMerge == "" {
		cfgRemote = ""
	}
	switch {
	case r.opts.Remote == "" && cfgRemote == "" && !needUpstream:
		return u, nil
	case r.opts.Remote == "" && cfgRemote == "":
		return u, vcs.NeedsUser("branch "+u.branch+" has no upstream",
			"set one: git push -u origin "+u.branch+", or git branch --set-upstream-to origin/"+u.branch, nil)
	case r.opts.Remote == "" || r.opts.Remote == cfgRemote:
		u.remote, u.merge = cfgRemote, strings.TrimPrefix(cfgMerge, "refs/heads/")
	default:
		u.remote, u.merge = r.opts.Remote, u.branch
	}
	if u.remote == "." {
		return u, vcs.NeedsUser("branch "+u.branch+" tracks a local branch, not a remote",
			"set a remote upstream: git branch --set-upstream-to origin/"+u.branch, nil)
	}
	if u.merge == "" || strings.HasPrefix(u.merge, "refs/") {
		return u, vcs.NeedsUser("the upstream of branch "+u.branch+" is not a branch ("+cfgMerge+")",
			"set a branch as upstream: git branch --set-upstream-to origin/"+u.branch, nil)
	}
	u.tracking = "refs/remotes/" + u.remote + "/" + u.merge
	// Without this, git would take a missing remote's name for a path and
	// the folder would look offline forever.
	if cfg["remote."+u.remote+".url"] == "" {
		return u, vcs.NeedsUser("there is no remote named "+u.remote, "add it: git remote add "+u.remote+" URL", nil)
	}
	return u, nil
}

// config returns the value of a config key, "" when it is not set.
func (r *Repo) config(ctx context.Context, key string) (string, error) {
	out, err := r.run(ctx, cmd{args: []string{"config", "--get", "--", key}, okCodes: []int{1}})
	return strings.TrimRight(string(out), "\n"), err
}

// configList reads the whole effective configuration in one git call.
// Multi-valued keys keep their last value.
func (r *Repo) configList(ctx context.Context) (map[string]string, error) {
	out, err := r.run(ctx, cmd{args: []string{"config", "-z", "--list"}})
	if err != nil {
		return nil, err
	}
	cfg := map[string]string{}
	for _, rec := range splitNul(out) {
		k, v, _ := strings.Cut(rec, "\n")
		cfg[k] = v
	}
	return cfg, nil
}

// remoteURL returns the configured URL of the remote, as written in the
// config (dvcs-autosync announced it that way, so its instances recognise it).
func (r *Repo) remoteURL(ctx context.Context, remote string) (string, error) {
	url, err := r.config(ctx, "remote."+remote+".url")
	if err != nil || url == "" {
		return "", vcs.NeedsUser("there is no remote named "+remote,
			"add it: git remote add "+remote+" URL", err)
	}
	return url, nil
}

// RemoteURL is the URL of the upstream remote, as configured
// (remote.NAME.url, without insteadOf rewriting), for announcements.
func (r *Repo) RemoteURL(ctx context.Context) (string, error) {
	u, err := r.resolve(ctx)
	if err != nil {
		return "", err
	}
	return r.remoteURL(ctx, u.remote)
}

// gitPathExists reports whether the git-dir path name exists, and its path.
func (r *Repo) gitPathExists(ctx context.Context, name string) (bool, string, error) {
	p, ok := r.gitPaths[name]
	if !ok {
		var err error
		if p, err = r.GitPath(ctx, name); err != nil {
			return false, "", err
		}
	}
	_, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, p, nil
	}
	return err == nil, p, err
}

// inProgress reports an operation the user started and must finish, as a
// *vcs.NeedsUserError, or nil. autosync's own merges are not handled here.
func (r *Repo) inProgress(ctx context.Context) error {
	if err := r.operationInProgress(ctx); err != nil {
		return err
	}
	out, err := r.run(ctx, cmd{args: []string{"--no-optional-locks", "ls-files", "-z", "--unmerged"}})
	if err != nil {
		return fmt.Errorf("look for unresolved conflicts: %w", err)
	}
	if len(out) > 0 {
		return vcs.NeedsUser("some files have unresolved conflicts",
			"resolve them and git add them (git status lists them), or undo with git checkout -m -- FILE", nil)
	}
	return nil
}

// operationInProgress is the part of inProgress that needs no git process:
// the files git keeps while a merge, rebase, cherry-pick, revert or bisect
// waits for the user.
func (r *Repo) operationInProgress(ctx context.Context) error {
	checks := []struct{ name, problem, hint string }{
		{"rebase-merge", "a rebase is in progress", "finish it with git rebase --continue, or undo it with git rebase --abort"},
		{"rebase-apply", "a rebase or git am is in progress", "finish it with git rebase --continue (or git am --continue), or undo it with git rebase --abort (or git am --abort)"},
		{"MERGE_HEAD", "a merge is in progress", "finish the merge with git commit, or undo it with git merge --abort"},
		{"CHERRY_PICK_HEAD", "a cherry-pick is in progress", "finish it with git cherry-pick --continue, or undo it with git cherry-pick --abort"},
		{"REVERT_HEAD", "a revert is in progress", "finish it with git revert --continue, or undo it with git revert --abort"},
		{"BISECT_LOG", "a bisect is in progress", "end it with git bisect reset"},
	}
	for _, c := range checks {
		ok, _, err := r.gitPathExists(ctx, c.name)
		if err != nil {
			return err
		}
		if ok {
			return vcs.NeedsUser(c.problem, c.hint+" (in "+r.dir+")", nil)
		}
	}
	return nil
}

// Check verifies that the repository may be synced now, and repairs what a
// crash of autosync or git left behind: a merge autosync started is
// aborted, and a stale index.lock is removed when no git process runs in the
// repository (on Linux by looking at running processes; elsewhere when the
// lock is older than ten minutes). A lock held by a running git gives
// vcs.ErrLocked. What autosync must not touch (a merge, rebase, cherry-pick,
// revert or bisect the user started, a detached HEAD, another branch than
// configured, no upstream, no such remote, no author identity) gives a
// *vcs.NeedsUserError whose hint says what to do.
func (r *Repo) Check(ctx context.Context) error {
	if err := checkDir(r.dir); err != nil {
		return err
	}
	if _, err := os.Stat(r.gitDir); err != nil {
		return notRepo(r.dir, err)
	}
	if err := r.recoverLock(ctx); err != nil {
		return err
	}
	if err := r.recoverMerge(ctx); err != nil {
		return err
	}
	if err := r.inProgress(ctx); err != nil {
		return err
	}
	if _, err := r.resolveFor(ctx, !r.opts.LocalOnly); err != nil {
		return err
	}
	if _, err := r.out(ctx, "var", "GIT_COMMITTER_IDENT"); err != nil {
		return userError(r.dir, err)
	}
	if _, err := r.out(ctx, "var", "GIT_AUTHOR_IDENT"); err != nil {
		return userError(r.dir, err)
	}
	return nil
}

// recoverLock removes index.lock when no git process can be holding it.
func (r *Repo) recoverLock(ctx context.Context) error {
	ok, lock, err := r.gitPathExists(ctx, "index.lock")
	if err != nil || !ok {
		return err
	}
	fi, err := os.Lstat(lock)
	if err != nil {
		return nil // gone meanwhile
	}
	dirs := []string{r.dir, r.gitDir}
	for i, d := range dirs {
		if rd, err := filepath.EvalSymlinks(d); err == nil {
			dirs[i] = rd
		}
	}
	if gitRunningIn(dirs, fi.ModTime()) {
		return fmt.Errorf("%s exists and a git process is running in %s: %w", lock, r.dir, vcs.ErrLocked)
	}
	if err := os.Remove(lock); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the stale %s (no git process is running): %w", lock, err)
	}
	r.log.Warn("removed a stale index.lock left by a git process that no longer runs", "lock", lock, "age", time.Since(fi.ModTime()).Round(time.Second))
	return nil
}

// Status reports branch, upstream, head, ahead/behind as of the last
// fetch, and whether there are changes Stage would commit. It takes no
// optional locks, so it never competes with the user's git.
func (r *Repo) Status(ctx context.Context) (vcs.Status, error) {
	var st vcs.Status
	u, err := r.resolveFor(ctx, !r.opts.LocalOnly)
	if err != nil {
		return st, err
	}
	st.Branch = u.branch
	if u.remote != "" {
		st.Upstream = u.short()
	}
	head, err := r.revParse(ctx, "HEAD")
	if err != nil {
		return st, err
	}
	st.Head = head
	up := ""
	if u.tracking != "" {
		if up, err = r.revParse(ctx, u.tracking); err != nil {
			return st, err
		}
	}
	switch {
	case head == "" || u.remote == "":
	case up == "":
		n, err := r.out(ctx, "rev-list", "--count", head)
		if err != nil {
			return st, fmt.Errorf("count local commits: %w", err)
		}
		st.Ahead, _ = strconv.Atoi(n)
	default:
		n, err := r.out(ctx, "rev-list", "--left-right", "--count", head+"..."+up)
		if err != nil {
			return st, fmt.Errorf("compare with %s: %w", u.short(), err)
		}
		a, b, _ := strings.Cut(n, "\t")
		st.Ahead, _ = strconv.Atoi(a)
		st.Behind, _ = strconv.Atoi(b)
	}
	sc, err := r.scan(ctx, true)
	if err != nil {
		return st, err
	}
	st.Dirty = sc.dirty()
	return st, nil
}

// revParse returns the full hash of rev, or "" when it does not exist.
func (r *Repo) revParse(ctx context.Context, rev string) (string, error) {
	out, err := r.run(ctx, cmd{args: []string{"rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"}, okCodes: []int{1}})
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", rev, err)
	}
	return strings.TrimSpace(string(out)), nil
}
