package legacy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/autosync-dev/autosync/syncer/vcs"
)

// Options configure a Repo.
type Options struct {
	// Device names this machine in merge commits and conflict copies.
	Device string
	// LocalOnly (syncmethod = none) makes Pull and Push do nothing.
	LocalOnly bool
	// Logger gets the output of every command at DEBUG and failed per-path
	// commands at WARN. nil discards.
	Logger *slog.Logger
	// Timeout bounds each command (default 10 minutes: a push of big
	// files on a slow line can take that long; the number is a guess).
	Timeout time.Duration
}

// tool is the version-control tool the templates drive, known by the
// first word of pullcmd.
type tool int

const (
	toolOther tool = iota
	toolHg
	toolGit
)

func (t tool) String() string {
	switch t {
	case toolHg:
		return "Mercurial"
	case toolGit:
		return "git"
	}
	return "the configured tool"
}

// detectTool looks at the program pullcmd runs: hg (or hg.exe) is
// Mercurial, git (git.cmd, git.exe) is git, anything else is driven only
// through the templates.
func detectTool(commands map[string]string) tool {
	cmds := Split(commands[keyPull])
	if len(cmds) == 0 {
		return toolOther
	}
	prog := strings.ToLower(filepath.Base(cmds[0][0]))
	prog = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(prog, ".exe"), ".cmd"), ".bat")
	switch prog {
	case "hg":
		return toolHg
	case "git":
		return toolGit
	}
	return toolOther
}

// Repo is a working copy synced through dvcs-autosync's [dvcs] command
// templates. It implements the engine's Repository and Hinter interfaces.
// Like every back end, only the folder's goroutine calls it.
type Repo struct {
	dir      string // the configured path, cwd of every template
	root     string // top of the working copy (dir for other tools)
	commands map[string]string
	tool     tool
	opts     Options
	log      *slog.Logger
	run      *runner // templates, in dir
	own      *runner // autosync's own hg/git calls, in root, with stable output

	mu       sync.Mutex
	hinted   map[string]bool
	all      bool
	unpushed int // commits since the last successful push (other tools)
}

// Open checks that dir exists and, for Mercurial and git templates, that
// it is inside a working copy of that tool, and returns a Repo that runs
// commands (the ten [dvcs] templates, keyed as in the INI file) in it.
// Every key must be present; an empty value is a no-op (except statuscmd,
// which must say something).
func Open(ctx context.Context, dir string, commands map[string]string, opts Options) (*Repo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("folder %s: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("folder %s does not exist or cannot be read: %w; create it or fix path in the config", abs, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder: fix path in the config", abs)
	}
	for _, k := range []string{keyStatus, keyAdd, keyRm, keyModify, keyMove, keyStartup, keyCommit, keyPush, keyPull, keyRemoteURL} {
		if _, ok := commands[k]; !ok {
			return nil, fmt.Errorf("[dvcs] %s is missing: add it to the config", k)
		}
	}
	if strings.TrimSpace(commands[keyStatus]) == "" {
		return nil, fmt.Errorf("[dvcs] statuscmd is empty: autosync needs it to tell whether there is anything to commit (exit 0 means nothing)")
	}
	if strings.TrimSpace(commands[keyCommit]) == "" {
		return nil, fmt.Errorf("[dvcs] commitcmd is empty: autosync could never commit; set it (for Mercurial: hg commit -m %%s)")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Device == "" {
		opts.Device = "unknown device"
	}
	// Keep messages in English so that failures can be classified, but
	// leave the character set alone: hg reads commit messages and file
	// names in the locale's encoding.
	env := []string{"LANGUAGE=C", "LC_MESSAGES=C", "GIT_TERMINAL_PROMPT=0"}
	r := &Repo{
		dir:      abs,
		root:     abs,
		commands: commands,
		tool:     detectTool(commands),
		opts:     opts,
		log:      opts.Logger.With("folder", abs),
		run:      &runner{dir: abs, timeout: opts.Timeout, env: env},
		hinted:   map[string]bool{},
		all:      true,
	}
	switch r.tool {
	case toolHg:
		res, err := r.run.run(ctx, "", []string{"hg", "root"}, "HGPLAIN=1")
		if err != nil {
			return nil, fmt.Errorf("%s is not inside a Mercurial working copy (the [dvcs] templates run hg): %w; clone your repository there with hg clone", abs, err)
		}
		r.root = strings.TrimSpace(res.stdout)
		r.own = &runner{dir: r.root, timeout: opts.Timeout, env: append(env, "HGPLAIN=1")}
	case toolGit:
		res, err := r.run.run(ctx, "", []string{"git", "rev-parse", "--show-toplevel"})
		if err != nil {
			return nil, fmt.Errorf("%s is not inside a git working copy (the [dvcs] templates run git): %w; clone your repository there with git clone", abs, err)
		}
		r.root = filepath.FromSlash(strings.TrimSpace(res.stdout))
		r.own = &runner{dir: r.root, timeout: opts.Timeout, env: env}
	default:
		r.own = r.run
	}
	return r, nil
}

// Dir is the folder the templates run in.
func (r *Repo) Dir() string { return r.dir }

// LockPath is where the engine's one-instance lock belongs: inside .hg or
// the git directory, and for other tools in the user's cache directory
// (named after a hash of the folder), never inside the synced tree, where
// a startupcmd like "add everything" would commit it.
func (r *Repo) LockPath() string {
	switch r.tool {
	case toolHg:
		return filepath.Join(r.root, ".hg", "autosync.lock")
	case toolGit:
		if res, err := r.own.run(context.Background(), "", []string{"git", "rev-parse", "--path-format=absolute", "--git-path", "autosync.lock"}); err == nil {
			return strings.TrimSpace(res.stdout)
		}
		return filepath.Join(r.root, ".git", "autosync.lock")
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sum := sha256.Sum256([]byte(r.dir))
	dir := filepath.Join(base, "autosync", "locks")
	os.MkdirAll(dir, 0o700)
	return filepath.Join(dir, hex.EncodeToString(sum[:8])+".lock")
}

// Hint records the paths the watcher saw change (relative to Dir,
// slash-separated); all means "look at everything". Hints add up until a
// Stage succeeds.
func (r *Repo) Hint(paths []string, all bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = r.all || all
	for _, p := range paths {
		r.hinted[p] = true
	}
}

// takeHints returns the hints and clears them; put gives them back when
// Stage fails.
func (r *Repo) takeHints() ([]string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	paths := make([]string, 0, len(r.hinted))
	for p := range r.hinted {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	all := r.all
	clear(r.hinted)
	r.all = false
	return paths, all
}

func (r *Repo) putHints(paths []string, all bool) { r.Hint(paths, all) }

// inMeta reports whether rel is inside a tool's own directory, which the
// templates must never be run on.
func inMeta(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		if part == ".hg" || part == ".git" {
			return true
		}
	}
	return false
}

// Stage runs the templates for what changed: startupcmd when everything
// must be looked at; else addcmd then modifycmd for each hinted path that
// exists, and for each that is gone rmcmd (unknown tools) or startupcmd
// (hg and git, where it records deletions without the risk of deleting a
// re-created file). If a per-path command fails (git add of an ignored
// file), startupcmd runs as well, so that the tree is brought in line
// anyway. Then statuscmd decides: exit 0 means nothing to commit and Stage
// returns no changes.
func (r *Repo) Stage(ctx context.Context) (changes []vcs.Change, _ []vcs.Skipped, err error) {
	paths, all := r.takeHints()
	defer func() {
		if err != nil {
			r.putHints(paths, all)
		}
	}()
	var hinted []string
	for _, p := range paths {
		if p != "" && p != "." && !inMeta(p) {
			hinted = append(hinted, p)
		}
	}
	// No hints at all means a scan (the engine found no watcher news but
	// looks anyway): nothing says where to look, so look everywhere.
	rescan := all || len(hinted) == 0
	ran := map[string]bool{}
	for _, p := range hinted {
		if rescan {
			break
		}
		abs := filepath.Join(r.dir, filepath.FromSlash(p))
		var cmdErr error
		if _, err := os.Lstat(abs); err == nil {
			if cmdErr = r.runOnce(ctx, ran, keyAdd, abs); cmdErr == nil {
				cmdErr = r.runOnce(ctx, ran, keyModify, abs)
			}
		} else if r.tool != toolOther {
			// A gone path: for hg and git, startupcmd (addremove, add -A)
			// records the deletion without touching the working tree,
			// whereas rmcmd (hg remove, git rm) would delete a file the
			// user re-created a moment ago. Only unknown tools get rmcmd.
			rescan = true
			continue
		} else {
			cmdErr = r.runOnce(ctx, ran, keyRm, abs)
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if cmdErr != nil {
			// Not a warning: startupcmd below brings the tree in line;
			// if it fails too, Stage fails and the user is told.
			r.log.Info("a per-file command failed; looking at the whole folder instead (startupcmd)", "path", p, "err", cmdErr)
			rescan = true
		}
	}
	if rescan {
		if _, err := r.runTemplate(ctx, keyStartup); err != nil {
			return nil, nil, fmt.Errorf("stage: %w", err)
		}
	}
	clean, err := r.run.runShell(ctx, keyStatus, r.commands[keyStatus])
	if err != nil {
		return nil, nil, fmt.Errorf("stage: %w", err)
	}
	if clean {
		return nil, nil, nil
	}
	changes, err = r.staged(ctx)
	if err != nil {
		r.log.Debug("listing what will be committed failed", "err", err)
	}
	if len(changes) > 0 {
		return changes, nil, nil
	}
	// The tool cannot say (or would not): name what the watcher saw.
	if all || len(hinted) == 0 {
		return []vcs.Change{{Kind: vcs.Modified, Path: "all files"}}, nil, nil
	}
	for _, p := range hinted {
		kind := vcs.Modified
		if _, err := os.Lstat(filepath.Join(r.dir, filepath.FromSlash(p))); err != nil {
			kind = vcs.Deleted
		}
		changes = append(changes, vcs.Change{Kind: kind, Path: p})
	}
	return changes, nil, nil
}

// runOnce runs a template for one path unless the very same commands
// already ran in this Stage: a template without %s ("hg add") does the
// same for every path, so once is enough.
func (r *Repo) runOnce(ctx context.Context, ran map[string]bool, key, abs string) error {
	cmds, err := Expand(r.commands[key], abs)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	var sig strings.Builder
	for _, argv := range cmds {
		sig.WriteString(strings.Join(argv, "\x00") + "\n")
	}
	if ran[sig.String()] {
		return nil
	}
	ran[sig.String()] = true
	_, err = r.runTemplate(ctx, key, abs)
	return err
}

// runTemplate runs one template in the folder, logging its output.
func (r *Repo) runTemplate(ctx context.Context, key string, args ...string) (result, error) {
	res, err := r.run.runTemplate(ctx, key, r.commands[key], args...)
	if out := strings.TrimSpace(res.stdout + res.stderr); out != "" {
		r.log.Debug("command output", "cmd", key, "output", tail(out, 4000))
	}
	return res, err
}

// staged lists what the next commit will contain, for the commit message,
// when the tool can say: hg status, git diff --cached.
func (r *Repo) staged(ctx context.Context) ([]vcs.Change, error) {
	var changes []vcs.Change
	switch r.tool {
	case toolHg:
		res, err := r.own.run(ctx, "", []string{"hg", "status", "-mar", "--", "path:."})
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(res.stdout, "\n") {
			if len(line) < 3 {
				continue
			}
			kind, ok := map[byte]vcs.ChangeKind{'M': vcs.Modified, 'A': vcs.Added, 'R': vcs.Deleted}[line[0]]
			if ok {
				changes = append(changes, vcs.Change{Kind: kind, Path: filepath.ToSlash(line[2:])})
			}
		}
	case toolGit:
		res, err := r.own.run(ctx, "", []string{"git", "diff", "--cached", "--name-status", "-z", "--no-renames"})
		if err != nil {
			return nil, err
		}
		f := strings.Split(res.stdout, "\x00")
		for i := 0; i+1 < len(f); i += 2 {
			kind := vcs.Modified
			switch f[i] {
			case "A":
				kind = vcs.Added
			case "D":
				kind = vcs.Deleted
			}
			changes = append(changes, vcs.Change{Kind: kind, Path: f[i+1]})
		}
	}
	return changes, nil
}

// nothingToCommit reports the tools' "nothing to commit" failures.
func nothingToCommit(out string) bool {
	out = strings.ToLower(out)
	return strings.Contains(out, "nothing changed") || strings.Contains(out, "nothing to commit") || strings.Contains(out, "nothing added to commit")
}

// Commit runs commitcmd with message as its %s.
func (r *Repo) Commit(ctx context.Context, message string) (vcs.Commit, error) {
	res, err := r.runTemplate(ctx, keyCommit, message)
	if err != nil {
		var ce *CommandError
		if errors.As(err, &ce) && nothingToCommit(ce.Output+res.stdout) {
			return vcs.Commit{}, fmt.Errorf("commit: statuscmd says there are changes, but commitcmd found nothing to commit: %w; check that statuscmd exits 0 when %s has nothing to commit (files it lists but commitcmd leaves out, like untracked or ignored ones, keep it failing)", err, r.tool)
		}
		return vcs.Commit{}, fmt.Errorf("commit: %w", err)
	}
	r.mu.Lock()
	r.unpushed++
	r.mu.Unlock()
	subject, _, _ := strings.Cut(message, "\n")
	c := vcs.Commit{Subject: subject, Author: r.opts.Device, Device: vcs.DeviceFromSubject(subject), Time: time.Now()}
	if head, err := r.head(ctx); err == nil {
		c.Hash = head
	}
	return c, nil
}

// head is the id of the current revision, "" for tools autosync does not
// know or an empty repository.
func (r *Repo) head(ctx context.Context) (string, error) {
	switch r.tool {
	case toolHg:
		res, err := r.own.run(ctx, "", []string{"hg", "log", "-r", ".", "-T", "{node}"})
		if err != nil {
			return "", err
		}
		h := strings.TrimSpace(res.stdout)
		if strings.Trim(h, "0") == "" {
			return "", nil // the null revision: nothing committed yet
		}
		return h, nil
	case toolGit:
		res, err := r.own.run(ctx, "", []string{"git", "rev-parse", "--verify", "-q", "HEAD"})
		if err != nil {
			return "", nil // unborn branch
		}
		return strings.TrimSpace(res.stdout), nil
	}
	return "", nil
}

// Check refuses a working copy in the middle of an operation the user
// started; a merge autosync itself left (it died while merging) is
// aborted.
func (r *Repo) Check(ctx context.Context) error {
	fi, err := os.Stat(r.dir)
	if err != nil || !fi.IsDir() {
		return vcs.NeedsUser("the folder "+r.dir+" is gone", "put it back (or mount the drive it is on), or change path in the config", err)
	}
	switch r.tool {
	case toolHg:
		return r.checkHg(ctx)
	case toolGit:
		return r.checkGit(ctx)
	}
	return nil
}

func (r *Repo) checkGit(ctx context.Context) error {
	busy := []struct{ name, problem, hint string }{
		{"MERGE_HEAD", "a git merge is in progress", "finish it (git commit) or abandon it (git merge --abort)"},
		{"rebase-merge", "a git rebase is in progress", "finish it (git rebase --continue) or abandon it (git rebase --abort)"},
		{"rebase-apply", "a git rebase or am is in progress", "finish it (git rebase --continue) or abandon it (git rebase --abort)"},
		{"CHERRY_PICK_HEAD", "a git cherry-pick is in progress", "finish it (git cherry-pick --continue) or abandon it (git cherry-pick --abort)"},
		{"REVERT_HEAD", "a git revert is in progress", "finish it (git revert --continue) or abandon it (git revert --abort)"},
	}
	for _, b := range busy {
		res, err := r.own.run(ctx, "", []string{"git", "rev-parse", "--path-format=absolute", "--git-path", b.name})
		if err != nil {
			return fmt.Errorf("check: %w", err)
		}
		if _, err := os.Stat(strings.TrimSpace(res.stdout)); err == nil {
			return vcs.NeedsUser(b.problem+" in "+r.root, b.hint+"; autosync waits until then", nil)
		}
	}
	return nil
}

// hgMarker says that the merge in progress is autosync's own.
func (r *Repo) hgMarker() string { return filepath.Join(r.root, ".hg", "autosync-merge") }

func (r *Repo) checkHg(ctx context.Context) error {
	res, err := r.own.run(ctx, "", []string{"hg", "log", "-r", "p2()", "-T", "{node}"})
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	midMerge := strings.TrimSpace(res.stdout) != ""
	if _, err := os.Stat(filepath.Join(r.root, ".hg", "merge", "state2")); err == nil {
		midMerge = true
	}
	if _, err := os.Stat(r.hgMarker()); err == nil {
		if midMerge {
			r.log.Warn("aborting the merge autosync left unfinished")
			if _, err := r.own.run(ctx, "", []string{"hg", "merge", "--abort"}); err != nil {
				return fmt.Errorf("abort the unfinished merge autosync left: %w", err)
			}
		}
		os.Remove(r.hgMarker())
		midMerge = false
	}
	if midMerge {
		return vcs.NeedsUser("a Mercurial merge is in progress in "+r.root,
			"finish it (hg resolve, then hg commit) or abandon it (hg merge --abort); autosync waits until then", nil)
	}
	busy := []struct{ file, problem, hint string }{
		{"updatestate", "an interrupted hg update", "finish it with hg update"},
		{"rebasestate", "a rebase is in progress", "finish it (hg rebase --continue) or abandon it (hg rebase --abort)"},
		{"histedit-state", "a histedit is in progress", "finish it (hg histedit --continue) or abandon it (hg histedit --abort)"},
		{"graftstate", "a graft is in progress", "finish it (hg graft --continue) or abandon it (hg graft --abort)"},
		{"shelvedstate", "an unshelve is in progress", "finish it (hg unshelve --continue) or abandon it (hg unshelve --abort)"},
	}
	for _, b := range busy {
		if _, err := os.Stat(filepath.Join(r.root, ".hg", b.file)); err == nil {
			return vcs.NeedsUser(b.problem+" in "+r.root, b.hint+"; autosync waits until then", nil)
		}
	}
	return nil
}

// dirty reports uncommitted changes to tracked files (hg, git), which a
// pull's update could merge into with conflict markers.
func (r *Repo) dirty(ctx context.Context) (bool, error) {
	var argv []string
	switch r.tool {
	case toolHg:
		argv = []string{"hg", "status", "-mard"}
	case toolGit:
		argv = []string{"git", "status", "--porcelain", "--untracked-files=no"}
	default:
		return false, nil
	}
	res, err := r.own.run(ctx, "", argv)
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(res.stdout) != "", nil
}

// Pull runs pullcmd. Before, uncommitted changes to tracked files give
// ErrDirtyTree (the engine commits them and pulls again), so that the
// tool's update never merges into unsaved work. After, for Mercurial, two
// heads on the branch are merged keeping both versions of every file both
// sides changed; for git, a merge the pull left half done is aborted and
// reported. The next Stage looks at the whole folder (startupcmd), as the
// old "conservative" pull lock did.
func (r *Repo) Pull(ctx context.Context, device string, now time.Time) (vcs.PullResult, error) {
	if r.opts.LocalOnly {
		return vcs.PullResult{}, nil
	}
	if d, err := r.dirty(ctx); err != nil {
		return vcs.PullResult{}, fmt.Errorf("pull: %w", err)
	} else if d {
		return vcs.PullResult{}, fmt.Errorf("pull: %w", vcs.ErrDirtyTree)
	}
	before, err := r.head(ctx)
	if err != nil {
		return vcs.PullResult{}, fmt.Errorf("pull: %w", err)
	}
	_, perr := r.runTemplate(ctx, keyPull)
	r.Hint(nil, true)
	if perr != nil {
		if r.tool == toolGit {
			if err := r.abortGitMerge(ctx, perr); err != nil {
				return vcs.PullResult{}, err
			}
		}
		if r.tool == toolHg {
			// hg pull -u: the pull may have worked and only the update
			// failed; heads are merged below either way.
			if err := r.checkHg(ctx); err != nil {
				return vcs.PullResult{}, err
			}
		}
		return vcs.PullResult{}, classify("pull", perr, false)
	}
	var res vcs.PullResult
	if r.tool == toolHg {
		merged, conflicts, err := r.mergeHeads(ctx, device, now)
		if err != nil {
			return vcs.PullResult{}, err
		}
		res.Merge, res.Conflicts = merged, conflicts
	}
	after, err := r.head(ctx)
	if err != nil {
		return vcs.PullResult{}, fmt.Errorf("pull: %w", err)
	}
	if after == before {
		return res, nil
	}
	res.Updated = true
	res.FastForward = res.Merge == nil
	res.Commits, res.Files = r.incoming(ctx, before, after)
	return res, nil
}

// abortGitMerge handles a git pull that stopped mid-merge: it is aborted
// (never leave the repository mid-merge) and reported as needing the user,
// since these templates cannot keep both versions as the git engine does.
func (r *Repo) abortGitMerge(ctx context.Context, perr error) error {
	res, err := r.own.run(ctx, "", []string{"git", "rev-parse", "--path-format=absolute", "--git-path", "MERGE_HEAD"})
	if err != nil {
		return nil
	}
	if _, err := os.Stat(strings.TrimSpace(res.stdout)); err != nil {
		return nil
	}
	if _, err := r.own.run(ctx, "", []string{"git", "merge", "--abort"}); err != nil {
		return fmt.Errorf("pull left a conflicted merge and aborting it failed: %w (pull: %w)", err, perr)
	}
	return vcs.NeedsUser("the pull conflicts with local commits: both machines changed the same files",
		"merge by hand (git pull, resolve, git commit), or use git's default [dvcs] templates so that autosync's own git engine runs and keeps both versions", perr)
}

// incoming lists the commits and files between before and after.
func (r *Repo) incoming(ctx context.Context, before, after string) ([]vcs.Commit, []string) {
	switch r.tool {
	case toolHg:
		rev := "reverse(only(" + after + "))"
		if before != "" {
			rev = "reverse(only(" + after + ", " + before + "))"
		}
		commits, _ := r.hgLog(ctx, rev, 30)
		var files []string
		if before != "" {
			if res, err := r.own.run(ctx, "", []string{"hg", "status", "-n", "--rev", before, "--rev", after}); err == nil {
				files = lines(res.stdout)
			}
		}
		return commits, files
	case toolGit:
		rng := after
		if before != "" {
			rng = before + ".." + after
		}
		commits, _ := r.gitLog(ctx, 30, rng)
		var files []string
		if before != "" {
			if res, err := r.own.run(ctx, "", []string{"git", "diff", "--name-only", "-z", before, after}); err == nil {
				files = strings.FieldsFunc(res.stdout, func(r rune) bool { return r == 0 })
			}
		}
		return commits, files
	}
	return nil, nil
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			out = append(out, filepath.ToSlash(l))
		}
	}
	return out
}

// Push runs pushcmd. A refusal because the remote has new commits is
// ErrRejected (the engine pulls and pushes again); Mercurial's "no changes
// found" is success.
func (r *Repo) Push(ctx context.Context) error {
	if r.opts.LocalOnly {
		return nil
	}
	res, err := r.runTemplate(ctx, keyPush)
	if err != nil {
		var ce *CommandError
		if r.tool == toolHg && errors.As(err, &ce) && ce.ExitCode == 1 && strings.Contains(res.stdout+res.stderr, "no changes found") {
			err = nil
		} else {
			return classify("push", err, true)
		}
	}
	r.mu.Lock()
	r.unpushed = 0
	r.mu.Unlock()
	return nil
}

// Status reports the current revision and, without touching the network,
// how far ahead the working copy is: Mercurial's draft changesets (pushing
// to a publishing repository, the default, makes them public), git's
// commits beyond the upstream as of the last fetch, and for other tools
// the commits made since the last successful push.
func (r *Repo) Status(ctx context.Context) (vcs.Status, error) {
	var st vcs.Status
	switch r.tool {
	case toolHg:
		// One call: the working copy's parent (marked @) and the draft
		// changesets in its ancestry.
		res, err := r.own.run(ctx, "", []string{"hg", "log", "-r", ". or (draft() and ::.)",
			"-T", `{node}\x1f{branch}\x1f{phase}\x1f{ifcontains(rev, revset("."), "@")}\n`})
		if err != nil {
			return st, fmt.Errorf("status: %w", err)
		}
		for _, line := range lines(res.stdout) {
			f := strings.Split(line, "\x1f")
			if len(f) != 4 {
				continue
			}
			if f[3] == "@" {
				if strings.Trim(f[0], "0") != "" {
					st.Head = f[0]
				}
				st.Branch = f[1]
			}
			if f[2] == "draft" && !r.opts.LocalOnly {
				st.Ahead++
			}
		}
		st.Upstream = "default"
	case toolGit:
		head, err := r.head(ctx)
		if err != nil {
			return st, fmt.Errorf("status: %w", err)
		}
		st.Head = head
		if res, err := r.own.run(ctx, "", []string{"git", "symbolic-ref", "-q", "--short", "HEAD"}); err == nil {
			st.Branch = strings.TrimSpace(res.stdout)
		}
		if r.opts.LocalOnly || head == "" {
			return st, nil
		}
		res, err := r.own.run(ctx, "", []string{"git", "rev-list", "--left-right", "--count", "HEAD...@{upstream}"})
		if err != nil {
			// No upstream yet (a new repository): everything is ahead.
			st.Ahead = r.unpushedCount()
			return st, nil
		}
		f := strings.Fields(res.stdout)
		if len(f) == 2 {
			st.Ahead, _ = strconv.Atoi(f[0])
			st.Behind, _ = strconv.Atoi(f[1])
		}
	default:
		if !r.opts.LocalOnly {
			st.Ahead = r.unpushedCount()
		}
	}
	return st, nil
}

func (r *Repo) unpushedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unpushed
}

// Log returns the last n commits, newest first (none for other tools).
func (r *Repo) Log(ctx context.Context, n int) ([]vcs.Commit, error) {
	switch r.tool {
	case toolHg:
		return r.hgLog(ctx, "reverse(::.)", n)
	case toolGit:
		if h, _ := r.head(ctx); h == "" {
			return nil, nil
		}
		return r.gitLog(ctx, n, "HEAD")
	}
	return nil, nil
}

func (r *Repo) hgLog(ctx context.Context, revset string, n int) ([]vcs.Commit, error) {
	res, err := r.own.run(ctx, "", []string{"hg", "log", "-r", revset, "-l", strconv.Itoa(n),
		"-T", `{node}\x1f{author|person}\x1f{date|hgdate}\x1f{desc|firstline}\x1f{join(files,"\x1e")}\x00`})
	if err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	var out []vcs.Commit
	for _, rec := range strings.Split(res.stdout, "\x00") {
		f := strings.Split(rec, "\x1f")
		if len(f) != 5 {
			continue
		}
		c := vcs.Commit{Hash: f[0], Author: f[1], Subject: f[3], Device: vcs.DeviceFromSubject(f[3])}
		if secs, err := strconv.ParseInt(strings.Fields(f[2] + " 0")[0], 10, 64); err == nil {
			c.Time = time.Unix(secs, 0)
		}
		if f[4] != "" {
			c.Files = strings.Split(f[4], "\x1e")
		}
		out = append(out, c)
	}
	return out, nil
}

func (r *Repo) gitLog(ctx context.Context, n int, rev string) ([]vcs.Commit, error) {
	res, err := r.own.run(ctx, "", []string{"git", "--no-optional-locks", "log", "-n", strconv.Itoa(n), "-z", "--format=%H%x1f%an%x1f%at%x1f%s", rev, "--"})
	if err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	var out []vcs.Commit
	for _, rec := range strings.Split(res.stdout, "\x00") {
		f := strings.Split(rec, "\x1f")
		if len(f) != 4 {
			continue
		}
		c := vcs.Commit{Hash: f[0], Author: f[1], Subject: f[3], Device: vcs.DeviceFromSubject(f[3])}
		if secs, err := strconv.ParseInt(f[2], 10, 64); err == nil {
			c.Time = time.Unix(secs, 0)
		}
		out = append(out, c)
	}
	return out, nil
}

// Conflicts lists the conflict copies in the folder (files named
// "name (conflict from DEVICE YYYY-MM-DD HHMMSS).ext"), skipping the tools'
// own directories.
func (r *Repo) Conflicts(ctx context.Context) ([]vcs.Conflict, error) {
	var res []vcs.Conflict
	err := filepath.WalkDir(r.dir, func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return nil // a folder we cannot read holds no copy we can show
		}
		if d.IsDir() {
			if n := d.Name(); n == ".hg" || n == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.Contains(d.Name(), "(conflict from ") {
			return nil
		}
		rel, err := filepath.Rel(r.dir, p)
		if err != nil {
			return nil
		}
		rel = filepath.ToSlash(rel)
		orig, device, when, ok := vcs.ParseConflictName(rel)
		if !ok {
			return nil
		}
		res = append(res, vcs.Conflict{Path: orig, Copy: rel,
			Reason: "kept beside it: the version from " + device + " of " + when.Format("2006-01-02 15:04:05")})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list conflict copies: %w", err)
	}
	return res, nil
}

// RemoteURL runs remoteurlcmd and returns its output, trimmed.
func (r *Repo) RemoteURL(ctx context.Context) (string, error) {
	res, err := r.runTemplate(ctx, keyRemoteURL)
	if err != nil {
		return "", fmt.Errorf("remote URL: %w", err)
	}
	return strings.TrimSpace(res.stdout), nil
}
