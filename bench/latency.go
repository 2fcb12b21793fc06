package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/peer"
)

// benchLatency measures save -> pushed on one clone with the engine
// running, and save -> merged on a second clone whose engine hears the
// first one's announcement over the in-memory loopback (standing in for
// XMPP), both minus the configured delays. Beside each round, on another
// remote and two more clones, it times the bare git pipeline doing the same
// by hand: add+commit, push, fetch+merge.
func benchLatency(ctx context.Context, w *world, o opts) error {
	remote, err := w.remote("latency")
	if err != nil {
		return err
	}
	dirA, err := w.clone(remote, "a")
	if err != nil {
		return err
	}
	dirB, err := w.clone(remote, "b")
	if err != nil {
		return err
	}
	hub := peer.NewHub()
	a, err := startEngine(w, "a", dirA, o.commitDelay, o.pushDelay, hub)
	if err != nil {
		return err
	}
	defer a.stop()
	b, err := startEngine(w, "b", dirB, o.commitDelay, o.pushDelay, hub)
	if err != nil {
		return err
	}
	defer b.stop()
	rw, err := watchRef(remote, "main")
	if err != nil {
		return err
	}
	defer rw.close()

	dirC, dirD, err := w.pipeline()
	if err != nil {
		return err
	}

	delays := o.commitDelay + o.pushDelay
	var (
		toCommit, commitToRef, toRef, toB  []time.Duration
		addCommit, push, fetchMerge        []time.Duration
		pipePush, pipeAll, gitTime, gitNum []time.Duration
		sample                             []gitCall
	)
	content := ""
	for i := range o.rounds {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		content += fmt.Sprintf("line %d\n", i)

		// The engine.
		old, err := rw.head()
		if err != nil {
			return err
		}
		rw.drain()
		t0 := time.Now()
		if err := os.WriteFile(filepath.Join(dirA, "notes.md"), []byte(content), 0o644); err != nil {
			return err
		}
		head, t1, err := rw.waitChange(ctx, old, delays+30*time.Second, nil)
		if err != nil {
			return fmt.Errorf("round %d: %w", i, err)
		}
		committed, err := a.waitEvent(syncer.EventCommitted, t0, 10*time.Second)
		if err != nil {
			return err
		}
		pushed, err := a.waitEvent(syncer.EventPushed, t0, 10*time.Second)
		if err != nil {
			return err
		}
		pulled, err := b.waitEvent(syncer.EventPulled, t0, 30*time.Second)
		if err != nil {
			return err
		}
		if err := waitFor(30*time.Second, "b at the remote's head", func() bool {
			h, err := gitOut(dirB, "rev-parse", "HEAD")
			return err == nil && h == head && a.idle() && b.idle()
		}); err != nil {
			return err
		}
		if n := len(a.eventsSince(syncer.EventCommitted, t0)); n != 1 {
			progress("round %d: %d commits for one save", i, n)
		}
		toCommit = append(toCommit, committed.Time.Sub(t0)-o.commitDelay)
		commitToRef = append(commitToRef, t1.Sub(committed.Time)-o.pushDelay)
		toRef = append(toRef, t1.Sub(t0)-delays)
		toB = append(toB, pulled.Time.Sub(t0)-delays)
		var n int
		var took time.Duration
		var calls []gitCall
		for _, c := range a.rec.since(t0) {
			if c.at.After(pushed.Time) {
				break
			}
			n++
			took += c.took
			calls = append(calls, c)
		}
		gitNum = append(gitNum, time.Duration(n))
		gitTime = append(gitTime, took)
		if i == 1 {
			sample = calls
		}

		// The bare pipeline, by hand, on the same machine in the same run.
		if err := os.WriteFile(filepath.Join(dirC, "notes.md"), []byte(content), 0o644); err != nil {
			return err
		}
		ac, err := timeGit(dirC, "add", "-A")
		if err != nil {
			return err
		}
		cm, err := timeGit(dirC, "commit", "--quiet", "-m", fmt.Sprintf("round %d", i))
		if err != nil {
			return err
		}
		ps, err := timeGit(dirC, "push", "--quiet")
		if err != nil {
			return err
		}
		fe, err := timeGit(dirD, "fetch", "--quiet")
		if err != nil {
			return err
		}
		me, err := timeGit(dirD, "merge", "--ff-only", "--quiet")
		if err != nil {
			return err
		}
		addCommit = append(addCommit, ac+cm)
		push = append(push, ps)
		fetchMerge = append(fetchMerge, fe+me)
		pipePush = append(pipePush, ac+cm+ps)
		pipeAll = append(pipeAll, ac+cm+ps+fe+me)
		progress("round %d: save->pushed %s beyond the delays, git add+commit+push by hand %s",
			i, (t1.Sub(t0) - delays).Round(time.Millisecond), (ac + cm + ps).Round(time.Millisecond))

		// Let both watchers deliver the echoes of this round before the
		// next one starts, so that rounds do not overlap.
		time.Sleep(300 * time.Millisecond)
	}

	fmt.Printf("## Save -> pushed (commit_delay %s, push_delay %s, %d saves)\n\n", o.commitDelay, o.pushDelay, o.rounds)
	fmt.Println("Engine rows are the time beyond the configured delays.")
	fmt.Println()
	fmt.Println(summaryHeader)
	fmt.Println(summarize(toCommit).row("engine: save -> commit made, minus commit_delay"))
	fmt.Println(summarize(commitToRef).row("engine: commit made -> remote branch updated, minus push_delay"))
	fmt.Println(summarize(toRef).row("**engine: save -> remote branch updated, minus both delays**"))
	fmt.Println(summarize(toB).row("engine: save -> merged on the second clone (loopback announce), minus both delays"))
	fmt.Println(summarize(addCommit).row("by hand: `git add -A && git commit`"))
	fmt.Println(summarize(push).row("by hand: `git push`"))
	fmt.Println(summarize(pipePush).row("**by hand: add + commit + push**"))
	fmt.Println(summarize(fetchMerge).row("by hand, second clone: `git fetch && git merge --ff-only`"))
	fmt.Println(summarize(pipeAll).row("by hand: add + commit + push + fetch + merge"))
	fmt.Println()
	ns := summarize(gitNum)
	fmt.Printf("git processes the engine ran per save (save -> pushed): median %d, max %d; their summed run time: median %s ms, max %s ms.\n\n",
		int(ns.med), int(ns.max), ms(summarize(gitTime).med), ms(summarize(gitTime).max))
	if len(sample) > 0 {
		fmt.Println("The git processes of one save (round 2), in order:")
		fmt.Println()
		fmt.Println("| git | ms |\n|---|---|")
		for _, c := range sample {
			fmt.Printf("| `%s` | %s |\n", strings.ReplaceAll(c.args, "|", "\\|"), ms(c.took))
		}
		fmt.Println()
	}
	return nil
}
