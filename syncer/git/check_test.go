package git_test

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/autosync-dev/autosync/syncer/git"
	"github.com/autosync-dev/autosync/syncer/gittest"
	"github.com/autosync-dev/autosync/syncer/vcs"
)

func TestOpenRefusals(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := git.Open(t.Context(), missing, git.Options{})
	needsUser(t, err, "does not exist")
	needsUser(t, err, "git clone URL "+missing)

	plain := t.TempDir()
	_, err = git.Open(t.Context(), plain, git.Options{})
	needsUser(t, err, "is not a git working copy")
	needsUser(t, err, "git init and git remote add origin URL")

	remote := gittest.NewRemote(t)
	_, err = git.Open(t.Context(), remote, git.Options{}) // a bare repository has no working tree
	needsUser(t, err, "is not a git working copy")

	dir := gittest.Clone(t, remote, "a")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	_, err = git.Open(t.Context(), filepath.Join(dir, "sub"), git.Options{})
	needsUser(t, err, "use "+dir)

	// A symbolic link to the top is the top.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	r := open(t, link, git.Options{})
	if err := r.Check(t.Context()); err != nil {
		t.Errorf("Check via a symlink: %v", err)
	}
	p, err := r.GitPath(t.Context(), "index.lock")
	if err != nil || p != filepath.Join(link, ".git", "index.lock") {
		t.Errorf("GitPath = %q, %v", p, err)
	}
}

func TestCheckRefusesWhatTheUserMustFinish(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		hint  string
		opts  *git.Options // default: Branch main
	}{
		{"merge by the user", func(t *testing.T, dir string) { conflictingMerge(t, dir) }, "git merge --abort", nil},
		{"rebase", func(t *testing.T, dir string) {
			conflictingHistory(t, dir)
			gittest.Run(dir, "rebase", "origin/main") // stops on the conflict
		}, "git rebase --abort", nil},
		{"cherry-pick", func(t *testing.T, dir string) {
			conflictingHistory(t, dir)
			gittest.Run(dir, "cherry-pick", "origin/main")
		}, "git cherry-pick --abort", nil},
		{"stash pop conflict", func(t *testing.T, dir string) {
			gittest.WriteFile(t, dir, "README.md", "stashed\n")
			gittest.Git(t, dir, "stash")
			gittest.WriteFile(t, dir, "README.md", "committed\n")
			gittest.Git(t, dir, "commit", "-qam", "x")
			gittest.Run(dir, "stash", "pop")
		}, "unresolved conflicts", nil},
		{"bisect", func(t *testing.T, dir string) { gittest.Git(t, dir, "bisect", "start") }, "git bisect reset", nil},
		{"detached HEAD", func(t *testing.T, dir string) { gittest.Git(t, dir, "checkout", "-q", "--detach") }, "git switch main", nil},
		{"no upstream", func(t *testing.T, dir string) { gittest.Git(t, dir, "switch", "-q", "-c", "topic") },
			"git push -u origin topic, or git branch --set-upstream-to origin/topic", &git.Options{}},
		{"other branch than configured", func(t *testing.T, dir string) {
			gittest.Git(t, dir, "switch", "-q", "-c", "topic", "--track", "origin/main")
		}, "git switch main", nil},
		{"no such remote", func(t *testing.T, dir string) { gittest.Git(t, dir, "remote", "rename", "origin", "upstream") },
			"git remote add origin URL", &git.Options{Remote: "origin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			remote := gittest.NewRemote(t)
			dir := gittest.Clone(t, remote, "a")
			opts := git.Options{Branch: "main"}
			if tc.opts != nil {
				opts = *tc.opts
			}
			r := open(t, dir, opts)
			if err := r.Check(t.Context()); err != nil {
				t.Fatalf("Check before: %v", err)
			}
			tc.setup(t, dir)
			before := gittest.Git(t, dir, "status", "--porcelain=v2", "--branch")
			err := r.Check(t.Context())
			needsUser(t, err, tc.hint)
			if after := gittest.Git(t, dir, "status", "--porcelain=v2", "--branch"); after != before {
				t.Errorf("Check changed the repository:\n%s\n---\n%s", before, after)
			}
			if _, err := r.Pull(t.Context(), "d", when); !vcs.IsNeedsUser(err) {
				t.Errorf("Pull = %v, want a refusal", err)
			}
		})
	}
}

// conflictingHistory makes origin/main and main change README.md differently.
func conflictingHistory(t *testing.T, dir string) {
	t.Helper()
	other := gittest.Clone(t, gittest.Git(t, dir, "config", "remote.origin.url"), "other")
	gittest.WriteFile(t, other, "README.md", "theirs\n")
	gittest.Git(t, other, "commit", "-qam", "theirs")
	gittest.Git(t, other, "push", "-q", "origin", "main")
	gittest.WriteFile(t, dir, "README.md", "ours\n")
	gittest.Git(t, dir, "commit", "-qam", "ours")
	gittest.Git(t, dir, "fetch", "-q")
}

// conflictingMerge leaves dir in the middle of a merge with a conflict.
func conflictingMerge(t *testing.T, dir string) {
	t.Helper()
	conflictingHistory(t, dir)
	if _, err := gittest.Run(dir, "merge", "origin/main"); err == nil {
		t.Fatal("merge did not conflict")
	}
}

func TestCheckAbortsAutosyncsOwnLeftoverMerge(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	r := open(t, dir, git.Options{})
	conflictingMerge(t, dir)
	// What a crash in the middle of resolving leaves: the marker naming the
	// merged commit and a conflict copy written.
	cp := "README (conflict from a 2026-01-01 000000).md"
	gittest.WriteFile(t, dir, cp, "ours\n")
	marker := filepath.Join(dir, gittest.Git(t, dir, "rev-parse", "--git-path", "autosync-merge"))
	mergeHead := gittest.Git(t, dir, "rev-parse", "MERGE_HEAD")
	if err := os.WriteFile(marker, []byte(mergeHead+"\n"+cp+"\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	assertClean(t, dir)
	if got := gittest.ReadFile(t, dir, "README.md"); got != "ours\n" {
		t.Errorf("README.md = %q after the abort", got)
	}
	// And the sync then goes through.
	res := syncOnce(t, r, "a", when)
	if len(res.Conflicts) != 1 {
		t.Errorf("Pull after recovery: %+v", res)
	}
	assertClean(t, dir)
}

func TestStaleIndexLock(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	r := open(t, dir, git.Options{})
	lock, err := r.GitPath(t.Context(), "index.lock")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lock, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.WriteFile(t, dir, "a.txt", "a\n")
	if _, _, err := r.Stage(t.Context()); !errors.Is(err, vcs.ErrLocked) {
		t.Errorf("Stage with index.lock = %v, want ErrLocked", err)
	}

	// A git process running in the repository: the lock is kept.
	running := exec.Command("git", "hash-object", "--stdin")
	running.Dir = filepath.Join(dir, ".git")
	stdin, err := running.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	running.Stdout = io.Discard
	if err := running.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { running.Process.Kill(); running.Wait() })
	if err := r.Check(t.Context()); !errors.Is(err, vcs.ErrLocked) {
		t.Errorf("Check with git running = %v, want ErrLocked", err)
	}
	if _, err := os.Stat(lock); err != nil {
		t.Errorf("the lock of a running git was removed: %v", err)
	}
	stdin.Close()
	if err := running.Wait(); err != nil {
		t.Fatal(err)
	}

	// No git running: the stale lock goes, and work continues.
	if err := r.Check(t.Context()); err != nil {
		t.Fatalf("Check with a stale lock = %v", err)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("stale lock still there: %v", err)
	}
	commit(t, r, "after the lock")
}

func TestCheckWhenTheFolderDisappears(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	r := open(t, dir, git.Options{})
	if err := os.RemoveAll(filepath.Join(dir, ".git")); err != nil {
		t.Fatal(err)
	}
	needsUser(t, r.Check(t.Context()), "is not a git working copy")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	needsUser(t, r.Check(t.Context()), "does not exist")
}

func TestInheritedGitDirDoesNotRedirect(t *testing.T) {
	remote := gittest.NewRemote(t)
	a := gittest.Clone(t, remote, "a")
	b := gittest.Clone(t, remote, "b")
	// As if autosync had been started from a shell inside repository b.
	t.Setenv("GIT_DIR", filepath.Join(b, ".git"))
	t.Setenv("GIT_WORK_TREE", b)
	r := open(t, a, git.Options{})
	gittest.WriteFile(t, a, "only-in-a.txt", "a\n")
	commit(t, r, "a")
	os.Unsetenv("GIT_DIR")
	os.Unsetenv("GIT_WORK_TREE")
	if n := gittest.CommitCount(t, b, "HEAD"); n != 1 {
		t.Errorf("repository b got the commit")
	}
	if out := gittest.Git(t, a, "ls-files", "only-in-a.txt"); out != "only-in-a.txt" {
		t.Errorf("a did not get the commit")
	}
}

func TestLocalOnlyNeedsNoUpstream(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gittest.Git(t, dir, "init", "-q", "--initial-branch=main")
	r := open(t, dir, git.Options{LocalOnly: true})
	if err := r.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	gittest.WriteFile(t, dir, "a.txt", "a\n")
	commit(t, r, "autosync on laptop: add a.txt")
	st, err := r.Status(t.Context())
	if err != nil || st.Branch != "main" || st.Upstream != "" || st.Ahead != 0 || st.Dirty || st.Head == "" {
		t.Errorf("Status = %+v, %v", st, err)
	}
	if _, err := r.Pull(t.Context(), "laptop", when); !vcs.IsNeedsUser(err) {
		t.Errorf("Pull without upstream = %v", err)
	}
	// Without LocalOnly the same repository is refused.
	needsUser(t, open(t, dir, git.Options{}).Check(t.Context()), "has no upstream")
}

func TestStageAndCommitRefuseDuringTheUsersMerge(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	r := open(t, dir, git.Options{})
	other := gittest.Clone(t, remote, "b")
	gittest.WriteFile(t, other, "theirs.txt", "x\n")
	gittest.Git(t, other, "add", ".")
	gittest.Git(t, other, "commit", "-qm", "theirs")
	gittest.Git(t, other, "push", "-q", "origin", "main")
	gittest.WriteFile(t, dir, "ours.txt", "y\n")
	gittest.Git(t, dir, "add", ".")
	gittest.Git(t, dir, "commit", "-qm", "ours")
	gittest.Git(t, dir, "fetch", "-q")
	// A clean merge the user wants to look at before committing.
	gittest.Git(t, dir, "merge", "--no-commit", "origin/main")
	gittest.WriteFile(t, dir, "new.txt", "z\n")
	_, _, err := r.Stage(t.Context())
	needsUser(t, err, "git merge --abort")
	_, err = r.Commit(t.Context(), "x")
	needsUser(t, err, "git merge --abort")
	if _, err := gittest.Run(dir, "rev-parse", "--verify", "-q", "MERGE_HEAD"); err != nil {
		t.Errorf("the user's merge was concluded")
	}
}

func TestCheckForgetsMarkerOfAFinishedMerge(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	r := open(t, dir, git.Options{})
	// A crash after the merge commit, before the marker was removed: the
	// conflict copy is committed and must stay; an untracked leftover copy
	// (its content is in HEAD) goes.
	committed := "notes (conflict from a 2026-01-01 000000).md"
	leftover := "other (conflict from a 2026-01-01 000000).md"
	gittest.WriteFile(t, dir, committed, "kept\n")
	gittest.Git(t, dir, "add", ".")
	gittest.Git(t, dir, "commit", "-qm", "merge")
	gittest.WriteFile(t, dir, leftover, "x\n")
	marker := filepath.Join(dir, gittest.Git(t, dir, "rev-parse", "--git-path", "autosync-merge"))
	if err := os.WriteFile(marker, []byte(gittest.Git(t, dir, "rev-parse", "HEAD")+"\n"+committed+"\x00"+leftover+"\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("marker still there: %v", err)
	}
	if gittest.ReadFile(t, dir, committed) != "kept\n" {
		t.Errorf("committed copy touched")
	}
	if _, err := os.Stat(filepath.Join(dir, leftover)); !os.IsNotExist(err) {
		t.Errorf("untracked leftover copy still there")
	}
}
