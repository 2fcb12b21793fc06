package git_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer/git"
	"github.com/autosync-dev/autosync/syncer/gittest"
	"github.com/autosync-dev/autosync/syncer/vcs"
)

// when is the time conflict copies are named after, in local time.
var when = time.Date(2026, 3, 14, 15, 9, 26, 0, time.Local)

const stamp = "2026-03-14 150926"

// twoClones returns a remote and two clones that each have one
// autosync-style commit history.
func twoClones(t *testing.T) (remote, a, b string, ra, rb *git.Repo) {
	t.Helper()
	remote = gittest.NewRemote(t)
	a = gittest.Clone(t, remote, "a")
	b = gittest.Clone(t, remote, "b")
	return remote, a, b, open(t, a, git.Options{}), open(t, b, git.Options{})
}

func TestPullFastForward(t *testing.T) {
	t.Parallel()
	_, a, b, ra, rb := twoClones(t)
	gittest.WriteFile(t, a, "notes/today.md", "hello\n")
	commit(t, ra, "autosync on laptop: add notes/today.md")
	if err := ra.Push(t.Context()); err != nil {
		t.Fatal(err)
	}
	st, err := rb.Status(t.Context())
	if err != nil || st.Behind != 0 {
		t.Fatalf("Status before fetch = %+v, %v", st, err)
	}
	res, err := rb.Pull(t.Context(), "desktop", when)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Updated || !res.FastForward || res.Merge != nil || len(res.Conflicts) != 0 {
		t.Errorf("Pull = %+v", res)
	}
	if len(res.Commits) != 1 || res.Commits[0].Device != "laptop" || !slices.Equal(res.Commits[0].Files, []string{"notes/today.md"}) {
		t.Errorf("Commits = %+v", res.Commits)
	}
	if !slices.Equal(res.Files, []string{"notes/today.md"}) {
		t.Errorf("Files = %q", res.Files)
	}
	if got := gittest.ReadFile(t, b, "notes/today.md"); got != "hello\n" {
		t.Errorf("content %q", got)
	}
	// Nothing new: not updated.
	res, err = rb.Pull(t.Context(), "desktop", when)
	if err != nil || res.Updated {
		t.Errorf("second Pull = %+v, %v", res, err)
	}
	st, err = rb.Status(t.Context())
	if err != nil || st.Branch != "main" || st.Upstream != "origin/main" || st.Ahead != 0 || st.Behind != 0 || st.Dirty ||
		st.Head != gittest.Git(t, a, "rev-parse", "HEAD") {
		t.Errorf("Status = %+v, %v", st, err)
	}
}

func TestStatusAheadBehind(t *testing.T) {
	t.Parallel()
	_, a, b, ra, rb := twoClones(t)
	gittest.WriteFile(t, a, "a1", "1\n")
	commit(t, ra, "a1")
	gittest.WriteFile(t, a, "a2", "2\n")
	commit(t, ra, "a2")
	if err := ra.Push(t.Context()); err != nil {
		t.Fatal(err)
	}
	gittest.WriteFile(t, b, "b1", "1\n")
	commit(t, rb, "b1")
	if err := rb.Fetch(t.Context()); err != nil {
		t.Fatal(err)
	}
	gittest.WriteFile(t, b, "dirty", "x\n")
	st, err := rb.Status(t.Context())
	if err != nil || st.Ahead != 1 || st.Behind != 2 || !st.Dirty {
		t.Errorf("Status = %+v, %v; want ahead 1, behind 2, dirty", st, err)
	}
	url, err := rb.RemoteURL(t.Context())
	if err != nil || url != gittest.Git(t, b, "config", "remote.origin.url") {
		t.Errorf("RemoteURL = %q, %v", url, err)
	}
}

func TestPullMergesDifferentFilesCleanly(t *testing.T) {
	t.Parallel()
	_, a, b, ra, rb := twoClones(t)
	gittest.WriteFile(t, a, "shared.txt", "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n")
	syncOnce(t, ra, "laptop", when)
	syncOnce(t, rb, "desktop", when)

	gittest.WriteFile(t, a, "from-a.txt", "a\n")
	gittest.WriteFile(t, a, "shared.txt", "line 1 edited on a\nline 2\nline 3\nline 4\nline 5\nline 6\n")
	syncOnce(t, ra, "laptop", when)
	gittest.WriteFile(t, b, "from-b.txt", "b\n")
	gittest.WriteFile(t, b, "shared.txt", "line 1\nline 2\nline 3\nline 4\nline 5\nline 6 edited on b\n")
	res := syncOnce(t, rb, "desktop", when)
	if !res.Updated || res.FastForward || res.Merge == nil || len(res.Conflicts) != 0 {
		t.Fatalf("Pull = %+v", res)
	}
	if res.Merge.Subject != "autosync on desktop: merge from origin/main" || res.Merge.Device != "desktop" {
		t.Errorf("merge commit %+v", res.Merge)
	}
	if !slices.Contains(res.Files, "from-a.txt") || !slices.Contains(res.Files, "shared.txt") || slices.Contains(res.Files, "from-b.txt") {
		t.Errorf("Files = %q", res.Files)
	}
	syncOnce(t, ra, "laptop", when)
	if gittest.Tree(t, a) != gittest.Tree(t, b) {
		t.Errorf("trees differ:\n%s\n---\n%s", gittest.Tree(t, a), gittest.Tree(t, b))
	}
	if got := gittest.ReadFile(t, a, "shared.txt"); got != "line 1 edited on a\nline 2\nline 3\nline 4\nline 5\nline 6 edited on b\n" {
		t.Errorf("git's merge of shared.txt: %q", got)
	}
	for _, d := range []string{a, b} {
		assertClean(t, d)
		if len(gittest.Files(t, d)) != 4 { // README.md, shared.txt, from-a.txt, from-b.txt: no copies
			t.Errorf("%s has %q", d, gittest.Files(t, d))
		}
	}
}

func TestPullSameFileConflictKeepsBothVersions(t *testing.T) {
	t.Parallel()
	_, a, b, ra, rb := twoClones(t)
	gittest.WriteFile(t, a, "docs/plan.md", "original\n")
	gittest.WriteFile(t, a, ".bashrc", "original\n")
	gittest.WriteFile(t, a, "photo.jpg", "\x00\x01binary original")
	gittest.WriteFile(t, a, "Makefile", "all:\n")
	syncOnce(t, ra, "laptop", when)
	syncOnce(t, rb, "desktop", when)

	gittest.WriteFile(t, a, "docs/plan.md", "remote version\n")
	gittest.WriteFile(t, a, ".bashrc", "remote bashrc\n")
	gittest.WriteFile(t, a, "photo.jpg", "\x00\x02binary remote")
	gittest.WriteFile(t, a, "Makefile", "all: remote\n")
	syncOnce(t, ra, "laptop", when)

	gittest.WriteFile(t, b, "docs/plan.md", "local version\n")
	gittest.WriteFile(t, b, ".bashrc", "local bashrc\n")
	gittest.WriteFile(t, b, "photo.jpg", "\x00\x03binary local")
	gittest.WriteFile(t, b, "Makefile", "all: local\n")
	// A file already has the first copy name: the next number is used.
	gittest.WriteFile(t, b, "Makefile (conflict from my desktop "+stamp+")", "unrelated\n")
	res := syncOnce(t, rb, "my desktop", when)

	copies := map[string]string{
		"docs/plan.md": "docs/plan (conflict from my desktop " + stamp + ").md",
		".bashrc":      ".bashrc (conflict from my desktop " + stamp + ")",
		"photo.jpg":    "photo (conflict from my desktop " + stamp + ").jpg",
		"Makefile":     "Makefile (conflict from my desktop " + stamp + " 2)",
	}
	if len(res.Conflicts) != len(copies) || res.Merge == nil {
		t.Fatalf("Pull = %+v", res)
	}
	for _, c := range res.Conflicts {
		if copies[c.Path] != c.Copy {
			t.Errorf("conflict %+v; want copy %q", c, copies[c.Path])
		}
	}
	want := map[string][2]string{ // remote content under the name, local in the copy
		"docs/plan.md": {"remote version\n", "local version\n"},
		".bashrc":      {"remote bashrc\n", "local bashrc\n"},
		"photo.jpg":    {"\x00\x02binary remote", "\x00\x03binary local"},
		"Makefile":     {"all: remote\n", "all: local\n"},
	}
	syncOnce(t, ra, "laptop", when)
	for _, d := range []string{a, b} {
		for name, c := range want {
			if got := gittest.ReadFile(t, d, name); got != c[0] {
				t.Errorf("%s/%s = %q, want the remote version %q", d, name, got, c[0])
			}
			if got := gittest.ReadFile(t, d, copies[name]); got != c[1] {
				t.Errorf("%s/%s = %q, want the local version %q", d, copies[name], got, c[1])
			}
		}
		assertClean(t, d)
		assertNoMarkers(t, d)
	}
	if gittest.Tree(t, a) != gittest.Tree(t, b) {
		t.Errorf("trees differ")
	}
	// The merge commit lists what happened.
	if body := gittest.Git(t, b, "log", "-1", "--format=%B", res.Merge.Hash); !strings.Contains(body, copies["docs/plan.md"]) {
		t.Errorf("merge message:\n%s", body)
	}
	// Conflicts lists the copies with their original names, on both machines.
	for _, r := range []*git.Repo{ra, rb} {
		cs, err := r.Conflicts(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, c := range cs {
			got[c.Copy] = c.Path
		}
		for name, cp := range copies {
			if got[cp] != name {
				t.Errorf("Conflicts() = %+v; want %q -> %q", cs, cp, name)
			}
		}
		if got["Makefile (conflict from my desktop "+stamp+")"] != "Makefile" {
			t.Errorf("Conflicts() misses the pre-existing copy-like file: %+v", cs)
		}
	}
}

func TestPullConflictKeepsModesAndSymlinks(t *testing.T) {
	t.Parallel()
	_, a, b, ra, rb := twoClones(t)
	gittest.WriteFile(t, a, "run.sh", "#!/bin/sh\necho 1\n")
	os.Chmod(filepath.Join(a, "run.sh"), 0o755)
	os.Symlink("target-1", filepath.Join(a, "link"))
	syncOnce(t, ra, "laptop", when)
	syncOnce(t, rb, "desktop", when)

	gittest.WriteFile(t, a, "run.sh", "#!/bin/sh\necho remote\n")
	os.Remove(filepath.Join(a, "link"))
	os.Symlink("target-remote", filepath.Join(a, "link"))
	syncOnce(t, ra, "laptop", when)
	gittest.WriteFile(t, b, "run.sh", "#!/bin/sh\necho local\n")
	os.Remove(filepath.Join(b, "link"))
	os.Symlink("target-local", filepath.Join(b, "link"))
	res := syncOnce(t, rb, "desktop", when)
	if len(res.Conflicts) != 2 {
		t.Fatalf("conflicts %+v", res.Conflicts)
	}
	for _, name := range []string{"run.sh", "run (conflict from desktop " + stamp + ").sh"} {
		fi, err := os.Lstat(filepath.Join(b, name))
		if err != nil || fi.Mode().Perm()&0o100 == 0 {
			t.Errorf("%s: %v, %v; want executable", name, fi, err)
		}
	}
	for name, target := range map[string]string{"link": "target-remote", "link (conflict from desktop " + stamp + ")": "target-local"} {
		if got, err := os.Readlink(filepath.Join(b, name)); err != nil || got != target {
			t.Errorf("%s -> %q, %v; want %q", name, got, err, target)
		}
	}
	assertClean(t, b)
}

func TestPullModificationBeatsDeletion(t *testing.T) {
	t.Parallel()
	_, a, b, ra, rb := twoClones(t)
	gittest.WriteFile(t, a, "edited-here.txt", "v1\n")
	gittest.WriteFile(t, a, "edited-there.txt", "v1\n")
	syncOnce(t, ra, "laptop", when)
	syncOnce(t, rb, "desktop", when)

	// laptop deletes one file and edits the other; desktop does the reverse.
	os.Remove(filepath.Join(a, "edited-here.txt"))
	gittest.WriteFile(t, a, "edited-there.txt", "v2 from laptop\n")
	syncOnce(t, ra, "laptop", when)
	gittest.WriteFile(t, b, "edited-here.txt", "v2 from desktop\n")
	os.Remove(filepath.Join(b, "edited-there.txt"))
	res := syncOnce(t, rb, "desktop", when)
	if len(res.Conflicts) != 2 {
		t.Fatalf("conflicts %+v", res.Conflicts)
	}
	for _, c := range res.Conflicts {
		if c.Copy != "" {
			t.Errorf("modify/delete made a copy: %+v", c)
		}
	}
	syncOnce(t, ra, "laptop", when)
	for _, d := range []string{a, b} {
		if got := gittest.ReadFile(t, d, "edited-here.txt"); got != "v2 from desktop\n" {
			t.Errorf("%s edited-here.txt = %q", d, got)
		}
		if got := gittest.ReadFile(t, d, "edited-there.txt"); got != "v2 from laptop\n" {
			t.Errorf("%s edited-there.txt = %q", d, got)
		}
		assertClean(t, d)
	}
	if gittest.Tree(t, a) != gittest.Tree(t, b) {
		t.Errorf("trees differ")
	}
}

func TestPullWithDirtyTreeChangesNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		localCommit bool // a merge rather than a fast-forward
		untracked   bool // the remote adds a file that exists here untracked
	}{
		{"fast-forward over a modified file", false, false},
		{"merge over a modified file", true, false},
		{"fast-forward over an untracked file", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, a, b, ra, rb := twoClones(t)
			gittest.WriteFile(t, a, "f.txt", "v1\n")
			syncOnce(t, ra, "laptop", when)
			syncOnce(t, rb, "desktop", when)
			name := "f.txt"
			if tc.untracked {
				name = "new.txt"
			}
			gittest.WriteFile(t, a, name, "from laptop\n")
			syncOnce(t, ra, "laptop", when)
			if tc.localCommit {
				gittest.WriteFile(t, b, "other.txt", "x\n")
				commit(t, rb, "local")
			}
			gittest.WriteFile(t, b, name, "unsaved work\n")
			head := gittest.Git(t, b, "rev-parse", "HEAD")
			_, err := rb.Pull(t.Context(), "desktop", when)
			if !errors.Is(err, vcs.ErrDirtyTree) {
				t.Fatalf("Pull = %v, want ErrDirtyTree", err)
			}
			if got := gittest.ReadFile(t, b, name); got != "unsaved work\n" {
				t.Errorf("local change lost: %q", got)
			}
			if gittest.Git(t, b, "rev-parse", "HEAD") != head {
				t.Errorf("HEAD moved")
			}
			if _, err := gittest.Run(b, "rev-parse", "--verify", "--quiet", "MERGE_HEAD"); err == nil {
				t.Errorf("left mid-merge")
			}
			// The engine commits first; then it goes through.
			res := syncOnce(t, rb, "desktop", when)
			if !res.Updated || len(res.Conflicts) != 1 {
				t.Errorf("after committing: %+v", res)
			}
			assertClean(t, b)
		})
	}
}

func TestPushRejectedThenRecovered(t *testing.T) {
	t.Parallel()
	_, a, b, ra, rb := twoClones(t)
	gittest.WriteFile(t, a, "a.txt", "a\n")
	commit(t, ra, "a")
	if err := ra.Push(t.Context()); err != nil {
		t.Fatal(err)
	}
	gittest.WriteFile(t, b, "b.txt", "b\n")
	commit(t, rb, "b")
	err := rb.Push(t.Context())
	if !errors.Is(err, vcs.ErrRejected) || errors.Is(err, vcs.ErrOffline) {
		t.Fatalf("Push = %v, want ErrRejected", err)
	}
	if _, err := rb.Pull(t.Context(), "desktop", when); err != nil {
		t.Fatal(err)
	}
	if err := rb.Push(t.Context()); err != nil {
		t.Fatal(err)
	}
	st, err := rb.Status(t.Context())
	if err != nil || st.Ahead != 0 || st.Behind != 0 {
		t.Errorf("Status after push = %+v, %v", st, err)
	}
}

func TestUnreachableRemoteIsOfflineThenRecovers(t *testing.T) {
	t.Parallel()
	remote, a, b, ra, rb := twoClones(t)
	gittest.WriteFile(t, a, "a.txt", "a\n")
	syncOnce(t, ra, "laptop", when)
	away := remote + ".away"
	if err := os.Rename(remote, away); err != nil {
		t.Fatal(err)
	}
	gittest.WriteFile(t, b, "b.txt", "b\n")
	commit(t, rb, "b")
	if _, err := rb.Pull(t.Context(), "desktop", when); !errors.Is(err, vcs.ErrOffline) || vcs.IsNeedsUser(err) {
		t.Errorf("Pull = %v, want ErrOffline", err)
	}
	if err := rb.Push(t.Context()); !errors.Is(err, vcs.ErrOffline) {
		t.Errorf("Push = %v, want ErrOffline", err)
	}
	if err := rb.Check(t.Context()); err != nil {
		t.Errorf("Check while offline = %v; being offline is not a reason to stop", err)
	}
	if err := os.Rename(away, remote); err != nil {
		t.Fatal(err)
	}
	res := syncOnce(t, rb, "desktop", when)
	if !res.Updated || !slices.Contains(res.Files, "a.txt") {
		t.Errorf("catch-up pull %+v", res)
	}
	syncOnce(t, ra, "laptop", when)
	if gittest.Tree(t, a) != gittest.Tree(t, b) {
		t.Errorf("trees differ")
	}
}

func TestEmptyRemote(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	bare := filepath.Join(root, "empty.git")
	gittest.Git(t, root, "init", "-q", "--bare", "--initial-branch=main", bare)
	a := gittest.Clone(t, bare, "a")
	ra := open(t, a, git.Options{})
	c := gittest.Clone(t, bare, "c") // stays unborn until it pulls
	rc := open(t, c, git.Options{})
	d := gittest.Clone(t, bare, "d") // commits before it pulls: unrelated histories
	rd := open(t, d, git.Options{})
	if err := ra.Check(t.Context()); err != nil {
		t.Fatalf("Check on a clone of an empty remote: %v", err)
	}
	res, err := ra.Pull(t.Context(), "laptop", when)
	if err != nil || res.Updated {
		t.Fatalf("Pull = %+v, %v", res, err)
	}
	st, err := ra.Status(t.Context())
	if err != nil || st.Head != "" || st.Branch != "main" {
		t.Errorf("Status = %+v, %v", st, err)
	}
	if log, err := ra.Log(t.Context(), 10); err != nil || len(log) != 0 {
		t.Errorf("Log = %v, %v", log, err)
	}
	gittest.WriteFile(t, a, "first.txt", "1\n")
	syncOnce(t, ra, "laptop", when)
	if got := gittest.Git(t, bare, "log", "--format=%s", "main"); got != "autosync on laptop: sync" {
		t.Errorf("remote log %q", got)
	}
	b := gittest.Clone(t, bare, "b")
	if gittest.ReadFile(t, b, "first.txt") != "1\n" {
		t.Errorf("second clone lacks the file")
	}
	gittest.WriteFile(t, c, "untracked.txt", "c\n")
	res, err = rc.Pull(t.Context(), "c", when)
	if err != nil || !res.Updated || !res.FastForward || !slices.Equal(res.Files, []string{"first.txt"}) {
		t.Errorf("Pull into an unborn branch = %+v, %v", res, err)
	}
	if gittest.ReadFile(t, c, "first.txt") != "1\n" || gittest.ReadFile(t, c, "untracked.txt") != "c\n" {
		t.Errorf("unborn clone after pull: %q", gittest.Files(t, c))
	}
	gittest.WriteFile(t, d, "mine.txt", "d\n")
	commit(t, rd, "d's own first commit")
	_, err = rd.Pull(t.Context(), "d", when)
	needsUser(t, err, "--allow-unrelated-histories")
	assertClean(t, d)
}

func TestFailedMergeIsAborted(t *testing.T) {
	t.Parallel()
	_, a, b, ra, rb := twoClones(t)
	gittest.WriteFile(t, a, "f.txt", "v1\n")
	syncOnce(t, ra, "laptop", when)
	syncOnce(t, rb, "desktop", when)
	gittest.WriteFile(t, a, "f.txt", "remote\n")
	syncOnce(t, ra, "laptop", when)
	gittest.WriteFile(t, b, "f.txt", "local\n")
	commit(t, rb, "local")
	head := gittest.Git(t, b, "rev-parse", "HEAD")
	// A commit-msg hook that refuses the merge commit.
	hooks := filepath.Join(b, gittest.Git(t, b, "rev-parse", "--git-path", "hooks"))
	os.MkdirAll(hooks, 0o755)
	hook := filepath.Join(hooks, "commit-msg")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'no merges today' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := rb.Pull(t.Context(), "desktop", when)
	if err == nil || !strings.Contains(err.Error(), "no merges today") || !strings.Contains(err.Error(), "aborted") {
		t.Fatalf("Pull = %v", err)
	}
	assertClean(t, b)
	if gittest.Git(t, b, "rev-parse", "HEAD") != head || gittest.ReadFile(t, b, "f.txt") != "local\n" {
		t.Errorf("the failed merge changed the working copy")
	}
	if files := gittest.Files(t, b); len(files) != 2 {
		t.Errorf("leftover files: %q", files)
	}
	os.Remove(hook)
	if res, err := rb.Pull(t.Context(), "desktop", when); err != nil || len(res.Conflicts) != 1 {
		t.Errorf("Pull without the hook = %+v, %v", res, err)
	}
}

func TestCancelledMergeLeavesNoMergeBehind(t *testing.T) {
	t.Parallel()
	_, a, b, ra, rb := twoClones(t)
	gittest.WriteFile(t, a, "f.txt", "v1\n")
	syncOnce(t, ra, "laptop", when)
	syncOnce(t, rb, "desktop", when)
	gittest.WriteFile(t, a, "f.txt", "remote\n")
	syncOnce(t, ra, "laptop", when)
	gittest.WriteFile(t, b, "f.txt", "local\n")
	commit(t, rb, "local")
	head := gittest.Git(t, b, "rev-parse", "HEAD")

	// A slow commit-msg hook: autosync is told to stop while it runs.
	started := filepath.Join(t.TempDir(), "started")
	hooks := filepath.Join(b, gittest.Git(t, b, "rev-parse", "--git-path", "hooks"))
	os.MkdirAll(hooks, 0o755)
	hook := "#!/bin/sh\ntouch '" + started + "'\nexec sleep 60\n"
	if err := os.WriteFile(filepath.Join(hooks, "commit-msg"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := rb.Pull(ctx, "desktop", when)
		done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(started); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hook never started")
		}
		select {
		case err := <-done:
			t.Fatalf("Pull returned before the hook ran: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Pull = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Pull did not return after cancellation")
	}
	assertClean(t, b)
	if gittest.Git(t, b, "rev-parse", "HEAD") != head || gittest.ReadFile(t, b, "f.txt") != "local\n" {
		t.Errorf("the cancelled merge changed the working copy")
	}
	if files := gittest.Files(t, b); len(files) != 2 {
		t.Errorf("leftover files: %q", files)
	}
	if _, err := gittest.Run(b, "rev-parse", "--git-path", "index.lock"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(b, ".git", "index.lock")); err == nil {
		t.Errorf("index.lock left behind")
	}
}

func TestConfiguredRemoteOtherThanUpstream(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	a := gittest.Clone(t, remote, "a")
	root := t.TempDir()
	backup := filepath.Join(root, "backup.git")
	gittest.Git(t, root, "init", "-q", "--bare", "--initial-branch=main", backup)
	gittest.Git(t, a, "remote", "add", "backup", backup)
	r := open(t, a, git.Options{Remote: "backup"})
	if err := r.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := r.Push(t.Context()); err != nil { // creates main on backup
		t.Fatal(err)
	}
	gittest.WriteFile(t, a, "x.txt", "x\n")
	syncOnce(t, r, "laptop", when)
	if got, want := gittest.Git(t, backup, "rev-parse", "main"), gittest.Git(t, a, "rev-parse", "HEAD"); got != want {
		t.Errorf("backup main = %s, want %s", got, want)
	}
	if n := gittest.CommitCount(t, remote, "main"); n != 1 {
		t.Errorf("origin got commits: %d", n)
	}
	st, err := r.Status(t.Context())
	if err != nil || st.Upstream != "backup/main" || st.Ahead != 0 {
		t.Errorf("Status = %+v, %v", st, err)
	}
	url, err := r.RemoteURL(t.Context())
	if err != nil || url != backup {
		t.Errorf("RemoteURL = %q, %v", url, err)
	}
	empty := gittest.Clone(t, backup, "empty-push")
	if err := open(t, empty, git.Options{}).Push(t.Context()); err != nil {
		t.Errorf("Push with nothing: %v", err)
	}
}

func TestConflictCopyOfAnIgnoredNameIsCommitted(t *testing.T) {
	t.Parallel()
	_, a, b, ra, rb := twoClones(t)
	gittest.WriteFile(t, a, ".gitignore", "*.log\n")
	gittest.WriteFile(t, a, "app.log", "v1\n")
	gittest.Git(t, a, "add", "-f", "app.log")
	syncOnce(t, ra, "laptop", when)
	syncOnce(t, rb, "desktop", when)
	gittest.WriteFile(t, a, "app.log", "remote\n")
	syncOnce(t, ra, "laptop", when)
	gittest.WriteFile(t, b, "app.log", "local\n")
	res := syncOnce(t, rb, "desktop", when)
	cp := "app (conflict from desktop " + stamp + ").log"
	if len(res.Conflicts) != 1 || res.Conflicts[0].Copy != cp {
		t.Fatalf("conflicts %+v", res.Conflicts)
	}
	syncOnce(t, ra, "laptop", when)
	if got := gittest.ReadFile(t, a, cp); got != "local\n" {
		t.Errorf("the other machine has %q in the copy", got)
	}
	assertClean(t, b)
}

func TestPreMergeCommitHookIsRespected(t *testing.T) {
	t.Parallel()
	_, a, b, ra, rb := twoClones(t)
	gittest.WriteFile(t, a, "a.txt", "a\n")
	syncOnce(t, ra, "laptop", when)
	gittest.WriteFile(t, b, "b.txt", "b\n")
	commit(t, rb, "b")
	head := gittest.Git(t, b, "rev-parse", "HEAD")
	hooks := filepath.Join(b, gittest.Git(t, b, "rev-parse", "--git-path", "hooks"))
	os.MkdirAll(hooks, 0o755)
	if err := os.WriteFile(filepath.Join(hooks, "pre-merge-commit"), []byte("#!/bin/sh\necho 'merges need review' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := rb.Pull(t.Context(), "desktop", when)
	if err == nil || !strings.Contains(err.Error(), "merges need review") {
		t.Fatalf("Pull = %v", err)
	}
	assertClean(t, b)
	if gittest.Git(t, b, "rev-parse", "HEAD") != head {
		t.Errorf("HEAD moved")
	}
}

func TestFileAgainstFolderKeepsBoth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, fileOn string }{{"remote file, local folder", "a"}, {"local file, remote folder", "b"}} {
		t.Run(tc.name, func(t *testing.T) {
			_, a, b, ra, rb := twoClones(t)
			fileDir, folderDir := a, b
			if tc.fileOn == "b" {
				fileDir, folderDir = b, a
			}
			gittest.WriteFile(t, fileDir, "x", "a file\n")
			gittest.WriteFile(t, folderDir, "x/y", "a file in a folder\n")
			syncOnce(t, ra, "laptop", when)
			res := syncOnce(t, rb, "desktop", when)
			syncOnce(t, ra, "laptop", when)
			cp := "x (conflict from desktop " + stamp + ")"
			if len(res.Conflicts) != 1 || res.Conflicts[0].Copy != cp || res.Conflicts[0].Path != "x" {
				t.Errorf("conflicts %+v", res.Conflicts)
			}
			for _, d := range []string{a, b} {
				if got := gittest.ReadFile(t, d, cp); got != "a file\n" {
					t.Errorf("%s: %s = %q", d, cp, got)
				}
				if got := gittest.ReadFile(t, d, "x/y"); got != "a file in a folder\n" {
					t.Errorf("%s: x/y = %q", d, got)
				}
				assertClean(t, d)
				if n := len(gittest.Files(t, d)); n != 3 {
					t.Errorf("%s has %q", d, gittest.Files(t, d))
				}
			}
		})
	}
}

func TestBothRenamedDifferentlyKeepsBothNames(t *testing.T) {
	t.Parallel()
	_, a, b, ra, rb := twoClones(t)
	gittest.WriteFile(t, a, "my notes.md", "content\n")
	syncOnce(t, ra, "laptop", when)
	syncOnce(t, rb, "desktop", when)
	os.Rename(filepath.Join(a, "my notes.md"), filepath.Join(a, "notes from laptop.md"))
	syncOnce(t, ra, "laptop", when)
	os.Rename(filepath.Join(b, "my notes.md"), filepath.Join(b, "notes from desktop.md"))
	syncOnce(t, rb, "desktop", when)
	syncOnce(t, ra, "laptop", when)
	for _, d := range []string{a, b} {
		for _, f := range []string{"notes from laptop.md", "notes from desktop.md"} {
			if got := gittest.ReadFile(t, d, f); got != "content\n" {
				t.Errorf("%s/%s = %q", d, f, got)
			}
		}
		assertClean(t, d)
	}
	if gittest.Tree(t, a) != gittest.Tree(t, b) {
		t.Errorf("trees differ")
	}
}

func TestThreeMachinesConverge(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dirs := []string{gittest.Clone(t, remote, "a"), gittest.Clone(t, remote, "b"), gittest.Clone(t, remote, "c")}
	names := []string{"a", "b", "c"}
	repos := make([]*git.Repo, 3)
	for i, d := range dirs {
		repos[i] = open(t, d, git.Options{})
	}
	for i, d := range dirs {
		gittest.WriteFile(t, d, "shared.md", "written on "+names[i]+"\n")
		gittest.WriteFile(t, d, "own-"+names[i]+".md", names[i]+"\n")
	}
	// Each syncs in turn, twice round: every version reaches everyone.
	for round := 0; round < 2; round++ {
		for i := range dirs {
			syncOnce(t, repos[i], names[i], when.Add(time.Duration(round)*time.Hour))
		}
	}
	for _, d := range dirs {
		assertClean(t, d)
		assertNoMarkers(t, d)
		if gittest.Tree(t, d) != gittest.Tree(t, dirs[0]) {
			t.Errorf("%s differs from %s", d, dirs[0])
		}
	}
	// All three versions of shared.md are somewhere in the tree.
	var all strings.Builder
	for _, f := range gittest.Files(t, dirs[0]) {
		all.WriteString(gittest.ReadFile(t, dirs[0], f))
	}
	for _, n := range names {
		if !strings.Contains(all.String(), "written on "+n+"\n") || !strings.Contains(all.String(), n+"\n") {
			t.Errorf("the version from %s is lost; files: %q", n, gittest.Files(t, dirs[0]))
		}
	}
}

func TestHangingRemoteTimesOutAsOffline(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	// An ssh that never answers, like a server behind a dead link.
	ssh := filepath.Join(t.TempDir(), "ssh")
	if err := os.WriteFile(ssh, []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, dir, "config", "core.sshCommand", ssh)
	gittest.Git(t, dir, "remote", "set-url", "origin", "ssh://git.example.invalid/notes.git")
	r := open(t, dir, git.Options{NetworkTimeout: 500 * time.Millisecond})
	start := time.Now()
	_, err := r.Pull(t.Context(), "laptop", when)
	if !errors.Is(err, vcs.ErrOffline) {
		t.Errorf("Pull = %v, want ErrOffline", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("Pull took %v with a 500ms network timeout", took)
	}
}

func TestConflictResolutionAppliesSmudgeFilters(t *testing.T) {
	t.Parallel()
	_, a, b, ra, rb := twoClones(t)
	// A filter whose working-tree form differs from the stored one, as with
	// git-lfs: the working tree has a header line the repository has not.
	for _, d := range []string{a, b} {
		gittest.Git(t, d, "config", "filter.hdr.smudge", "sh -c 'echo SMUDGED; cat'")
		gittest.Git(t, d, "config", "filter.hdr.clean", "sed 1d")
		gittest.Git(t, d, "config", "filter.hdr.required", "true")
	}
	gittest.WriteFile(t, a, ".gitattributes", "*.dat filter=hdr\n")
	gittest.WriteFile(t, a, "x.dat", "SMUDGED\nv1\n")
	syncOnce(t, ra, "laptop", when)
	syncOnce(t, rb, "desktop", when)
	if got := gittest.ReadFile(t, b, "x.dat"); got != "SMUDGED\nv1\n" {
		t.Fatalf("filter not active: %q", got)
	}
	gittest.WriteFile(t, a, "x.dat", "SMUDGED\nremote\n")
	syncOnce(t, ra, "laptop", when)
	gittest.WriteFile(t, b, "x.dat", "SMUDGED\nlocal\n")
	res := syncOnce(t, rb, "desktop", when)
	if len(res.Conflicts) != 1 {
		t.Fatalf("conflicts %+v", res.Conflicts)
	}
	if got := gittest.ReadFile(t, b, "x.dat"); got != "SMUDGED\nremote\n" {
		t.Errorf("x.dat = %q", got)
	}
	if got := gittest.ReadFile(t, b, res.Conflicts[0].Copy); got != "SMUDGED\nlocal\n" {
		t.Errorf("copy = %q", got)
	}
	if got := gittest.Git(t, b, "show", "HEAD:x.dat"); got != "remote" {
		t.Errorf("stored x.dat = %q", got)
	}
	assertClean(t, b)
}
