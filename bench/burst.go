package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// settled waits until the engine is idle and the remote branch has stayed
// put for longer than both delays, so that a late second commit would have
// been seen, and returns the remote's head.
func settled(ctx context.Context, e *engine, rw *refWatch, o opts) (string, error) {
	quiet := o.commitDelay + o.pushDelay + time.Second
	for {
		if err := e.waitIdle(5 * time.Minute); err != nil {
			return "", err
		}
		head, err := rw.head()
		if err != nil {
			return "", err
		}
		rw.drain()
		_, _, err = rw.waitChange(ctx, head, quiet, nil)
		if errors.Is(err, errNoChange) {
			if e.idle() {
				return head, nil
			}
			continue
		}
		if err != nil {
			return "", err
		}
	}
}

// commitsBetween counts the commits in old..head of the bare repository.
func commitsBetween(bare, old, head string) (int, error) {
	out, err := gitOut(bare, "rev-list", "--count", old+".."+head)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(out)
}

// benchBurst saves one file 20 times, 100 ms apart, in place and as
// editors do (write a temporary file, rename it over the original), and
// counts the commits that reach the remote.
func benchBurst(ctx context.Context, w *world, o opts) error {
	remote, err := w.remote("burst")
	if err != nil {
		return err
	}
	dir, err := w.clone(remote, "burst")
	if err != nil {
		return err
	}
	e, err := startEngine(w, "burst", dir, o.commitDelay, o.pushDelay, nil)
	if err != nil {
		return err
	}
	defer e.stop()
	rw, err := watchRef(remote, "main")
	if err != nil {
		return err
	}
	defer rw.close()

	type result struct {
		style   string
		commits int
		after   time.Duration // last save -> remote updated, minus the delays
	}
	var results []result
	saveInPlace := func(i int) error {
		return os.WriteFile(filepath.Join(dir, "notes.md"), []byte(fmt.Sprintf("save %d\n", i)), 0o644)
	}
	saveByRename := func(i int) error {
		tmp := filepath.Join(dir, ".notes.md.tmp")
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("renamed save %d\n", i)), 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, filepath.Join(dir, "notes.md"))
	}
	for rep := range o.repeat {
		for _, style := range []struct {
			name string
			save func(int) error
		}{{"write in place", saveInPlace}, {"write temp file + rename", saveByRename}} {
			old, err := settled(ctx, e, rw, o)
			if err != nil {
				return err
			}
			rw.drain()
			var last time.Time
			for i := range 20 {
				if i > 0 {
					time.Sleep(100 * time.Millisecond)
				}
				if err := style.save(i); err != nil {
					return err
				}
				last = time.Now()
			}
			_, t1, err := rw.waitChange(ctx, old, o.commitDelay+o.pushDelay+time.Minute, nil)
			if err != nil {
				return err
			}
			head, err := settled(ctx, e, rw, o)
			if err != nil {
				return err
			}
			n, err := commitsBetween(remote, old, head)
			if err != nil {
				return err
			}
			results = append(results, result{style.name, n, t1.Sub(last) - o.commitDelay - o.pushDelay})
			progress("burst %d (%s): %d commits", rep, style.name, n)
		}
	}
	fmt.Printf("## 20 saves 100 ms apart (commit_delay %s, push_delay %s)\n\n", o.commitDelay, o.pushDelay)
	fmt.Println("| how the file is saved | commits that reached the remote | last save -> first push, minus both delays (ms) |\n|---|---|---|")
	for _, r := range results {
		fmt.Printf("| %s | %d | %s |\n", r.style, r.commits, ms(r.after))
	}
	fmt.Println()
	return nil
}

// makeFiles writes n small files under dir, 100 to a directory.
func makeFiles(dir string, n int) error {
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("d%03d", i/100), fmt.Sprintf("f%05d.txt", i))
		if i%100 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("file %d\n", i)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// dropResult is one drop of files into a synced folder.
type dropResult struct {
	how       string
	dropTook  time.Duration
	toPushed  time.Duration // end of drop -> all files on the remote
	commits   int
	gitCalls  int
	gitTook   time.Duration
	byHandAdd time.Duration
	byHandCmt time.Duration
	byHandPsh time.Duration
}

const (
	dropDir   = "one directory moved in"
	dropFiles = "files moved in one by one"
)

// benchDrop drops o.files files into a synced folder at once, in two ways
// (one directory renamed in; every file renamed in one by one, as a file
// manager moving a selection does), and reports the time until all of them
// are on the remote and the number of commits, beside one `git add -A &&
// git commit` (and `git push`) of the same files by hand.
func benchDrop(ctx context.Context, w *world, o opts) error {
	var results []dropResult
	for rep := range o.repeat {
		for _, how := range []string{dropDir, dropFiles} {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r, err := dropOnce(ctx, w, o, how)
			if err != nil {
				return err
			}
			results = append(results, r)
			progress("drop %d (%s): %d commits, all pushed %s after the drop", rep, how, r.commits, r.toPushed.Round(time.Millisecond))
		}
	}
	fmt.Printf("## %d files dropped at once (commit_delay %s, push_delay %s)\n\n", o.files, o.commitDelay, o.pushDelay)
	fmt.Println("Files of 8-12 bytes, 100 to a directory. \"drop took\" is the time the moves themselves took; \"-> all pushed\" runs from the end of the drop until the remote branch holds every file.")
	fmt.Println()
	fmt.Println("| how | drop took ms | -> all pushed ms | minus both delays ms | commits | engine's git processes | their run time ms | by hand: `git add -A` ms | `git commit` ms | `git push` ms |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range results {
		fmt.Printf("| %s | %s | %s | %s | %d | %d | %s | %s | %s | %s |\n", r.how, ms(r.dropTook), ms(r.toPushed),
			ms(r.toPushed-o.commitDelay-o.pushDelay), r.commits, r.gitCalls, ms(r.gitTook), ms(r.byHandAdd), ms(r.byHandCmt), ms(r.byHandPsh))
	}
	fmt.Println()
	return nil
}

// dropOnce runs one drop on a fresh remote and clone.
func dropOnce(ctx context.Context, w *world, o opts, how string) (dropResult, error) {
	r := dropResult{how: how}
	remote, err := w.remote("drop")
	if err != nil {
		return r, err
	}
	dir, err := w.clone(remote, "drop")
	if err != nil {
		return r, err
	}
	byHand, err := w.clone(remote, "drop-by-hand")
	if err != nil {
		return r, err
	}
	stage, err := w.dir("drop-staging")
	if err != nil {
		return r, err
	}
	// Prepare both copies before the engine starts, so that writing them
	// does not compete with it.
	if err := makeFiles(filepath.Join(stage, "drop"), o.files); err != nil {
		return r, err
	}
	if err := makeFiles(filepath.Join(byHand, "drop"), o.files); err != nil {
		return r, err
	}
	if how == dropFiles {
		if err := os.MkdirAll(filepath.Join(dir, "drop"), 0o755); err != nil {
			return r, err
		}
	}
	e, err := startEngine(w, "drop", dir, o.commitDelay, o.pushDelay, nil)
	if err != nil {
		return r, err
	}
	defer e.stop()
	rw, err := watchRef(remote, "main")
	if err != nil {
		return r, err
	}
	defer rw.close()
	old, err := rw.head()
	if err != nil {
		return r, err
	}
	rw.drain()

	t0 := time.Now()
	if how == dropDir {
		err = os.Rename(filepath.Join(stage, "drop"), filepath.Join(dir, "drop"))
	} else {
		err = moveFiles(filepath.Join(stage, "drop"), filepath.Join(dir, "drop"))
	}
	if err != nil {
		return r, err
	}
	dropped := time.Now()
	all := func(head string) bool {
		out, err := gitOut(remote, "ls-tree", "-r", "--name-only", head, "--", "drop")
		return err == nil && strings.Count(out, "\n")+1 >= o.files
	}
	_, t1, err := rw.waitChange(ctx, old, 10*time.Minute, all)
	if err != nil {
		return r, err
	}
	head, err := settled(ctx, e, rw, o)
	if err != nil {
		return r, err
	}
	if r.commits, err = commitsBetween(remote, old, head); err != nil {
		return r, err
	}
	for _, c := range e.rec.since(t0) {
		if c.at.After(t1) {
			break
		}
		r.gitCalls++
		r.gitTook += c.took
	}
	r.dropTook, r.toPushed = dropped.Sub(t0), t1.Sub(dropped)
	e.stop() // the by-hand run below must not compete with the engine

	if r.byHandAdd, err = timeGit(byHand, "add", "-A"); err != nil {
		return r, err
	}
	if r.byHandCmt, err = timeGit(byHand, "commit", "--quiet", "-m", "10k files"); err != nil {
		return r, err
	}
	// The remote already has the engine's commit of the same files: push
	// to another branch, so that the push is accepted and carries the
	// same objects.
	if r.byHandPsh, err = timeGit(byHand, "push", "--quiet", "origin", "HEAD:refs/heads/by-hand"); err != nil {
		return r, err
	}
	return r, nil
}

// moveFiles renames every file under from to the same place under to, one
// rename at a time.
func moveFiles(from, to string) error {
	dirs, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		files, err := os.ReadDir(filepath.Join(from, d.Name()))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(to, d.Name()), 0o755); err != nil {
			return err
		}
		for _, f := range files {
			if err := os.Rename(filepath.Join(from, d.Name(), f.Name()), filepath.Join(to, d.Name(), f.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
