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

func TestMain(m *testing.M) { gittest.Main(m) }

// open opens dir and fails the test on error.
func open(t testing.TB, dir string, opts git.Options) *git.Repo {
	t.Helper()
	r, err := git.Open(t.Context(), dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return r
}

// commit stages and commits everything, returning what was staged.
func commit(t testing.TB, r *git.Repo, msg string) []vcs.Change {
	t.Helper()
	ch, sk, err := r.Stage(t.Context())
	if err != nil {
		t.Fatalf("Stage: %v", err)
	}
	if len(sk) > 0 {
		t.Fatalf("Stage skipped %v", sk)
	}
	if len(ch) == 0 {
		t.Fatalf("Stage: nothing to commit")
	}
	if _, err := r.Commit(t.Context(), msg); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return ch
}

// syncOnce does what the engine does in one cycle: commit if dirty, pull,
// push.
func syncOnce(t testing.TB, r *git.Repo, device string, now time.Time) vcs.PullResult {
	t.Helper()
	ctx := t.Context()
	if err := r.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	ch, _, err := r.Stage(ctx)
	if err != nil {
		t.Fatalf("Stage: %v", err)
	}
	if len(ch) > 0 {
		if _, err := r.Commit(ctx, "autosync on "+device+": sync"); err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
	res, err := r.Pull(ctx, device, now)
	if err != nil {
		t.Fatalf("Pull: %v", err)
	}
	if err := r.Push(ctx); err != nil {
		t.Fatalf("Push: %v", err)
	}
	return res
}

// assertClean fails unless the working copy has nothing to commit and no
// merge in progress.
func assertClean(t testing.TB, dir string) {
	t.Helper()
	if out := gittest.Git(t, dir, "status", "--porcelain=v1", "--untracked-files=all"); out != "" {
		t.Errorf("git status in %s is not clean:\n%s", dir, out)
	}
	if _, err := gittest.Run(dir, "rev-parse", "--verify", "--quiet", "MERGE_HEAD"); err == nil {
		t.Errorf("%s is mid-merge", dir)
	}
	marker := gittest.Git(t, dir, "rev-parse", "--git-path", "autosync-merge")
	if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
		t.Errorf("%s still has the autosync merge marker", dir)
	}
}

// assertNoMarkers fails if any file in the working tree has conflict markers.
func assertNoMarkers(t testing.TB, dir string) {
	t.Helper()
	for _, f := range gittest.Files(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue
		}
		if strings.Contains(string(b), "<<<<<<<") || strings.Contains(string(b), ">>>>>>>") {
			t.Errorf("%s has conflict markers:\n%s", f, b)
		}
	}
}

func needsUser(t testing.TB, err error, hint string) {
	t.Helper()
	var n *vcs.NeedsUserError
	if !errors.As(err, &n) {
		t.Fatalf("got %v (%T), want a NeedsUserError", err, err)
	}
	if !strings.Contains(n.Error(), hint) {
		t.Fatalf("error %q does not contain %q", n.Error(), hint)
	}
}

func changeSet(ch []vcs.Change) []string {
	var s []string
	for _, c := range ch {
		x := c.Kind.String() + " " + c.Path
		if c.From != "" {
			x = c.Kind.String() + " " + c.From + " -> " + c.Path
		}
		s = append(s, x)
	}
	slices.Sort(s)
	return s
}

func ctxT(t testing.TB) context.Context { return t.Context() }

func errorsAs(err error, target any) bool { return errors.As(err, target) }
