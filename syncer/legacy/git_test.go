//go:build !windows

package legacy_test

// Templates that are not git's defaults (so the native engine does not
// take over) and templates of a tool autosync does not know, both driving
// real git.

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/gittest"
	"github.com/autosync-dev/autosync/syncer/ignore"
	"github.com/autosync-dev/autosync/syncer/legacy"
	"github.com/autosync-dev/autosync/syncer/vcs"
	"github.com/autosync-dev/autosync/syncer/watch"
)

// customGit are git templates a careful user might write: rm never
// touches the working tree, status by porcelain output.
var customGit = map[string]string{
	"statuscmd":    `test -z "$(git status --porcelain)"`,
	"addcmd":       "git add -- %s",
	"rmcmd":        "git rm -r -q --cached --ignore-unmatch -- %s",
	"modifycmd":    "git add -- %s",
	"movecmd":      "git add -A",
	"startupcmd":   "git add -A",
	"commitcmd":    "git commit -q -m %s",
	"pushcmd":      "git push -q",
	"pullcmd":      "git pull -q --no-rebase",
	"remoteurlcmd": "git config --get remote.origin.url",
}

// startGit runs a real engine on a git clone driven by commands.
func startGit(t *testing.T, n *net, name, dir string, commands map[string]string) *machine {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewTextHandler(testLog{t, name}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	repo, err := legacy.Open(ctx, dir, commands, legacy.Options{Device: name, Logger: logger, Timeout: time.Minute})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	lock, err := syncer.Lock(repo.LockPath(), dir)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	matcher, _ := ignore.New(slices.Clone(ignore.Defaults))
	w, err := watch.New(watch.Options{Root: dir, Skip: matcher.Match, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	m := &machine{t: t, name: name, dir: dir, repo: repo, cancel: cancel, done: make(chan struct{})}
	m.folder = syncer.NewFolder(syncer.FolderOptions{
		Path: dir, Device: name, Repo: repo, Batches: w.Batches(),
		CommitDelay: 300 * time.Millisecond, MaxDelay: 5 * time.Second, PushDelay: 50 * time.Millisecond,
		Announce: func(string) { n.announce(m) },
		Logger:   logger,
	})
	done := make(chan struct{}, 2)
	go func() { w.Run(ctx); done <- struct{}{} }()
	go func() { m.folder.Run(ctx); done <- struct{}{} }()
	go func() { <-done; <-done; lock.Release(); close(m.done) }()
	t.Cleanup(func() { cancel(); <-m.done })
	n.mu.Lock()
	n.machines = append(n.machines, m)
	n.mu.Unlock()
	m.waitIdle()
	return m
}

func TestCustomGitTemplatesSyncAndRefuseConflicts(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	n := &net{}
	a := startGit(t, n, "laptop", gittest.Clone(t, remote, "a"), customGit)
	b := startGit(t, n, "desktop", gittest.Clone(t, remote, "b"), customGit)

	a.write("notes/one two.md", "hello\n")
	gittest.Eventually(t, 30*time.Second, "add reaching the desktop", func() bool { return b.read("notes/one two.md") == "hello\n" })
	os.Remove(filepath.Join(b.dir, "notes", "one two.md"))
	gittest.Eventually(t, 30*time.Second, "delete reaching the laptop", func() bool {
		_, err := os.Stat(filepath.Join(a.dir, "notes", "one two.md"))
		return os.IsNotExist(err)
	})
	a.waitIdle()
	b.waitIdle()
	subjects := gittest.Git(t, remote, "log", "--format=%s", "main")
	for _, want := range []string{"autosync on laptop: add one two.md", "autosync on desktop: delete one two.md"} {
		if !strings.Contains(subjects, want) {
			t.Errorf("remote log lacks %q:\n%s", want, subjects)
		}
	}

	// Both change one file: these templates cannot keep both versions, so
	// the merge is abandoned and the user is asked, never left half done.
	a.write("shared.md", "base\n")
	gittest.Eventually(t, 30*time.Second, "shared.md on the desktop", func() bool { return b.read("shared.md") == "base\n" })
	a.waitIdle()
	b.waitIdle()
	a.folder.Pause()
	b.folder.Pause()
	gittest.Eventually(t, 5*time.Second, "both paused", func() bool { return a.state() == syncer.Paused && b.state() == syncer.Paused })
	a.write("shared.md", "laptop's words\n")
	b.write("shared.md", "desktop's words\n")
	a.folder.Resume()
	gittest.Eventually(t, 30*time.Second, "laptop pushed", func() bool {
		out, err := gittest.Run(remote, "log", "-1", "--format=%s", "main")
		return err == nil && strings.HasPrefix(out, "autosync on laptop: edit shared.md")
	})
	b.folder.Resume()
	gittest.Eventually(t, 30*time.Second, "desktop needs the user", func() bool {
		s := b.folder.Snapshot()
		return s.State == syncer.Error && s.NeedsUser && strings.Contains(s.LastError, "both machines changed the same files")
	})
	if _, err := gittest.Run(b.dir, "rev-parse", "-q", "--verify", "MERGE_HEAD"); err == nil {
		t.Fatal("the desktop was left mid-merge")
	}
	if got := b.read("shared.md"); got != "desktop's words\n" {
		t.Fatalf("the desktop's version is gone: %q", got)
	}
	if strings.Contains(gittest.Git(t, remote, "log", "-p", "main"), "<<<<<<<") {
		t.Fatal("conflict markers reached the remote")
	}
}

func TestUnknownToolIsDrivenByTheTemplatesAlone(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	// "env git ..." runs git, but autosync sees an unknown tool ("env"),
	// so everything it knows comes from the templates.
	cmds := map[string]string{}
	for k, v := range customGit {
		cmds[k] = v
		if k != "statuscmd" {
			cmds[k] = "env " + strings.ReplaceAll(v, "\n", "\nenv ")
		}
	}
	cmds["modifycmd"] = "" // a no-op, as in the Mercurial example
	repo, err := legacy.Open(t.Context(), dir, cmds, legacy.Options{Device: "laptop", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if lp := repo.LockPath(); strings.HasPrefix(lp, dir) {
		t.Errorf("lock %s inside the synced folder, where startupcmd would commit it", lp)
	}
	ctx := t.Context()
	// A new Repo looks at everything first; the tree is clean.
	if changes, _, err := repo.Stage(ctx); err != nil || len(changes) != 0 {
		t.Fatalf("first Stage of a clean tree = %v, %v", changes, err)
	}

	gittest.WriteFile(t, dir, "README", "changed\n")
	gittest.WriteFile(t, dir, "new file.txt", "new\n")
	repo.Hint([]string{"README", "new file.txt", "gone.txt"}, false)
	changes, _, err := repo.Stage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []vcs.Change{{Kind: vcs.Modified, Path: "README"}, {Kind: vcs.Deleted, Path: "gone.txt"}, {Kind: vcs.Modified, Path: "new file.txt"}}
	if !slices.Equal(changes, want) {
		t.Fatalf("Stage = %+v, want the hinted paths %+v", changes, want)
	}
	if _, err := repo.Commit(ctx, syncer.CommitMessage("laptop", changes)); err != nil {
		t.Fatal(err)
	}
	if st, err := repo.Status(ctx); err != nil || st.Ahead != 1 {
		t.Fatalf("Status = %+v, %v; want 1 ahead (a commit not pushed yet)", st, err)
	}
	if changes, _, err := repo.Stage(ctx); err != nil || len(changes) != 0 {
		t.Fatalf("Stage of a clean tree = %v, %v; want nothing", changes, err)
	}
	if err := repo.Push(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := repo.Status(ctx); st.Ahead != 0 {
		t.Fatalf("still ahead after a push: %+v", st)
	}
	if got := gittest.Git(t, remote, "log", "-1", "--format=%s", "main"); !strings.HasPrefix(got, "autosync on laptop: ") {
		t.Fatalf("remote head %q is not our commit", got)
	}
	if url, err := repo.RemoteURL(ctx); err != nil || url != remote {
		t.Fatalf("RemoteURL = %q, %v; want %q", url, err, remote)
	}
	// Everything at once: one pseudo change.
	gittest.WriteFile(t, dir, "later.txt", "x\n")
	repo.Hint(nil, true)
	changes, _, err = repo.Stage(ctx)
	if err != nil || len(changes) != 1 || changes[0].Path != "all files" {
		t.Fatalf("Stage(all) = %+v, %v; want one change \"all files\"", changes, err)
	}
	// statuscmd says dirty but commitcmd finds nothing: an error that says
	// which template to fix.
	cmds2 := map[string]string{}
	for k, v := range cmds {
		cmds2[k] = v
	}
	cmds2["statuscmd"] = "false"
	r2, err := legacy.Open(ctx, dir, cmds2, legacy.Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Commit(ctx, "nothing"); err == nil || !strings.Contains(err.Error(), "statuscmd") {
		t.Fatalf("commit with nothing to commit: %v; want an error naming statuscmd", err)
	}
}

func TestOpenRefusesWhatCannotWork(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		dir  string
		edit func(map[string]string)
		want string
	}{
		{"missing folder", filepath.Join(dir, "nope"), nil, "does not exist"},
		{"not a git working copy", dir, nil, "git clone"},
		{"empty statuscmd", dir, func(c map[string]string) { c["statuscmd"] = "" }, "statuscmd is empty"},
		{"missing template", dir, func(c map[string]string) { delete(c, "pushcmd") }, "pushcmd is missing"},
	}
	for _, tt := range tests {
		cmds := map[string]string{}
		for k, v := range customGit {
			cmds[k] = v
		}
		if tt.edit != nil {
			tt.edit(cmds)
		}
		_, err := legacy.Open(t.Context(), tt.dir, cmds, legacy.Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want an error saying %q", tt.name, err, tt.want)
		}
	}
}
