package git_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer/git"
	"github.com/autosync-dev/autosync/syncer/gittest"
)

// writeMany writes n small files in n/100 directories, named after round.
func writeMany(b *testing.B, dir string, round, n int) {
	b.Helper()
	for i := 0; i < n; i++ {
		d := filepath.Join(dir, fmt.Sprintf("r%d", round), fmt.Sprintf("d%03d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("file %d.txt", i)), []byte(fmt.Sprintf("content %d %d\n", round, i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStageCommit10k: 10k new files dropped into the folder, staged
// and committed by autosync (status, Ignored filter, one git add, the
// staged list, commit). Compare with BenchmarkGitAddCommit10k.
func BenchmarkStageCommit10k(b *testing.B) {
	remote := gittest.NewRemote(b)
	dir := gittest.Clone(b, remote, "a")
	r, err := git.Open(b.Context(), dir, git.Options{
		Ignored:     func(rel string, _ bool) bool { return filepath.Ext(rel) == ".tmp" },
		MaxFileSize: 100 << 20,
	})
	if err != nil {
		b.Fatal(err)
	}
	round := 0
	for b.Loop() {
		b.StopTimer()
		round++
		writeMany(b, dir, round, 10000)
		b.StartTimer()
		ch, _, err := r.Stage(b.Context())
		if err != nil || len(ch) != 10000 {
			b.Fatalf("Stage: %d changes, %v", len(ch), err)
		}
		if _, err := r.Commit(b.Context(), "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGitAddCommit10k is the bare git pipeline for the same work:
// git add -A && git commit.
func BenchmarkGitAddCommit10k(b *testing.B) {
	remote := gittest.NewRemote(b)
	dir := gittest.Clone(b, remote, "a")
	round := 0
	for b.Loop() {
		b.StopTimer()
		round++
		writeMany(b, dir, round, 10000)
		b.StartTimer()
		gittest.Git(b, dir, "add", "-A")
		gittest.Git(b, dir, "commit", "-qm", "bench")
	}
}

// BenchmarkStatusClean10k: Status on a clean working copy of 10k files,
// what the engine pays per cycle when nothing changed.
func BenchmarkStatusClean10k(b *testing.B) {
	remote := gittest.NewRemote(b)
	dir := gittest.Clone(b, remote, "a")
	writeMany(b, dir, 0, 10000)
	gittest.Git(b, dir, "add", "-A")
	gittest.Git(b, dir, "commit", "-qm", "setup")
	r, err := git.Open(b.Context(), dir, git.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := r.Status(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPullConflict: a pull that merges one conflicting file, from
// fetch to the merge commit.
func BenchmarkPullConflict(b *testing.B) {
	remote := gittest.NewRemote(b)
	a := gittest.Clone(b, remote, "a")
	c := gittest.Clone(b, remote, "c")
	ra, err := git.Open(b.Context(), a, git.Options{})
	if err != nil {
		b.Fatal(err)
	}
	rc, err := git.Open(b.Context(), c, git.Options{})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		gittest.WriteFile(b, a, "f.txt", fmt.Sprintf("a %d\n", i))
		commit(b, ra, "a")
		if _, err := ra.Pull(b.Context(), "a", when); err != nil {
			b.Fatal(err)
		}
		if err := ra.Push(b.Context()); err != nil {
			b.Fatal(err)
		}
		gittest.WriteFile(b, c, "f.txt", fmt.Sprintf("c %d\n", i))
		commit(b, rc, "c")
		b.StartTimer()
		if _, err := rc.Pull(b.Context(), "c", when.Add(time.Duration(i)*time.Second)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := rc.Push(b.Context()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
