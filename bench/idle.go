package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/config"
	"github.com/autosync-dev/autosync/syncer/control"
	"github.com/autosync-dev/autosync/syncer/git"
	"github.com/autosync-dev/autosync/syncer/ignore"
	"github.com/autosync-dev/autosync/syncer/watch"
)

// benchIdle builds a synced folder of o.idleFiles files in o.idleDirs leaf
// directories, measures how long the watcher takes to set up its watches
// (in this process), then runs the real autosync binary on it and reports
// its RSS, CPU time and wakeups while nothing changes.
func benchIdle(ctx context.Context, w *world, o opts) error {
	remote, err := w.remote("idle")
	if err != nil {
		return err
	}
	dir, err := w.clone(remote, "idle")
	if err != nil {
		return err
	}
	progress("writing %d files in %d directories", o.idleFiles, o.idleDirs)
	start := time.Now()
	if err := makeTree(ctx, dir, o.idleFiles, o.idleDirs); err != nil {
		return err
	}
	writeTook := time.Since(start)
	addTook, err := timeGit(dir, "add", "-A")
	if err != nil {
		return err
	}
	commitTook, err := timeGit(dir, "commit", "--quiet", "-m", "100k files")
	if err != nil {
		return err
	}
	pushTook, err := timeGit(dir, "push", "--quiet")
	if err != nil {
		return err
	}
	var statusTook []time.Duration
	for range 3 {
		d, err := timeGit(dir, "--no-optional-locks", "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=all")
		if err != nil {
			return err
		}
		statusTook = append(statusTook, d)
	}
	fmt.Printf("## Idle: %d files in %d directories\n\n", o.idleFiles, o.idleDirs)
	fmt.Printf("Preparing the folder: writing the files %s ms; by hand `git add -A` %s ms, `git commit` %s ms, `git push` %s ms; `git status --untracked-files=all` on the clean tree (what every engine cycle starts with): median of 3 %s ms.\n\n",
		ms(writeTook), ms(addTook), ms(commitTook), ms(pushTook), ms(summarize(statusTook).med))

	// Watch setup in this process: the watcher exactly as syncer.Open
	// builds it, timed from Run to Ready.
	var setup []time.Duration
	watches := 0
	for range o.repeat {
		d, n, err := watchSetup(ctx, dir)
		if err != nil {
			return err
		}
		setup = append(setup, d)
		watches = n
	}
	fmt.Println("Watch setup in process (watch.New + Run until Ready, with git's ignore check as syncer.Open wires it):")
	fmt.Println()
	fmt.Println(summaryHeader)
	fmt.Println(summarize(setup).row(fmt.Sprintf("set up %d watches", watches)))
	fmt.Println()

	bin := o.binary
	if bin == "" {
		bin = filepath.Join(w.root, "autosync")
		progress("building %s", bin)
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/autosync")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build the autosync binary (run the benchmark from the repository root, or pass --binary): %w", err)
		}
	}
	fmt.Printf("The real binary, `autosync --config FILE --no-tray --log-level debug`, observed for %s once it is idle:\n\n", o.idleFor)
	fmt.Println("| poll_interval | start -> watches set up ms | start -> idle ms | watched dirs | RSS idle MiB | RSS after MiB | peak RSS (VmHWM) MiB | threads | voluntary switches /min | involuntary /min | perf sched_switch /min | CPU ms /min | git runs in window |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	var saves []string
	for _, poll := range strings.Split(o.poll, ",") {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r, err := idleRun(ctx, w, bin, remote, dir, strings.TrimSpace(poll), o.idleFor)
		if err != nil {
			return err
		}
		per := func(n int64) string { return fmt.Sprintf("%.1f", float64(n)*float64(time.Minute)/float64(o.idleFor)) }
		perf := "n/a"
		if r.perfSwitches >= 0 {
			perf = per(r.perfSwitches)
		}
		fmt.Printf("| %s | %s | %s | %s | %.1f | %.1f | %.1f | %d | %s | %s | %s | %s | %d |\n", poll, ms(r.watchAt), ms(r.idleAt), r.dirs,
			float64(r.s0.rssKB)/1024, float64(r.s1.rssKB)/1024, float64(r.s1.hwmKB)/1024, r.s1.threads,
			per(r.s1.vol-r.s0.vol), per(r.s1.nonvol-r.s0.nonvol), perf, per((r.s1.cpuTicks-r.s0.cpuTicks)*10), r.gitRuns)
		g := summarize(r.gitPerSave)
		saves = append(saves, summarize(r.saves).row(fmt.Sprintf("poll_interval %s: save -> remote updated, minus 3 s of delays (git processes per save: median %d)", poll, int(g.med))))
	}
	fmt.Println()
	fmt.Printf("Then, with the same process, %d saves of one file in this folder (default commit_delay 2s, push_delay 1s):\n\n", bigSaves)
	fmt.Println(summaryHeader)
	for _, r := range saves {
		fmt.Println(r)
	}
	fmt.Println()
	return nil
}

// makeTree writes files small files spread evenly over dirs leaf
// directories, two levels deep (100 top directories).
func makeTree(ctx context.Context, root string, files, dirs int) error {
	top := 100
	per := files / dirs
	for d := range dirs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		leaf := filepath.Join(root, fmt.Sprintf("t%02d", d%top), fmt.Sprintf("s%04d", d/top))
		if err := os.MkdirAll(leaf, 0o755); err != nil {
			return err
		}
		for f := range per {
			if err := os.WriteFile(filepath.Join(leaf, fmt.Sprintf("f%d.txt", f)), []byte(fmt.Sprintf("%d/%d\n", d, f)), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// watchSetup times one watcher from Run to Ready and returns the number of
// watches it set up.
func watchSetup(ctx context.Context, dir string) (time.Duration, int, error) {
	matcher, err := ignore.New(ignore.Defaults)
	if err != nil {
		return 0, 0, err
	}
	repo, err := git.Open(ctx, dir, git.Options{Ignored: matcher.Match})
	if err != nil {
		return 0, 0, err
	}
	wa, err := watch.New(watch.Options{Root: repo.Dir(), Skip: matcher.Match, GitIgnored: repo.CheckIgnore})
	if err != nil {
		return 0, 0, err
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- wa.Run(wctx) }()
	select {
	case <-wa.Ready():
	case err := <-done:
		cancel()
		return 0, 0, fmt.Errorf("watcher stopped before it was ready: %v", err)
	}
	took := time.Since(start)
	n := wa.Watches()
	cancel()
	if err := <-done; err != nil {
		return 0, 0, err
	}
	return took, n, nil
}

// idleResult is one observed run of the binary.
type idleResult struct {
	watchAt, idleAt time.Duration // from start
	dirs            string
	s0, s1          procSample
	perfSwitches    int64 // -1 without perf
	gitRuns         int
	saves           []time.Duration // save -> pushed on this folder, minus the default delays
	gitPerSave      []time.Duration // git processes per save, as durations for summarize
}

// bigSaves is how many saves are timed on the big folder after the idle
// window; arbitrary, each costs a few seconds.
const bigSaves = 5

// logLine is a line the binary logged, with when it was read.
type logLine struct {
	at   time.Time
	text string
}

var dirsRe = regexp.MustCompile(`directories=(\d+)`)

// idleRun starts the binary on dir, waits until it is idle, and observes
// it for idleFor.
func idleRun(ctx context.Context, w *world, bin, remote, dir, poll string, idleFor time.Duration) (idleResult, error) {
	res := idleResult{perfSwitches: -1}
	cfg := filepath.Join(w.root, "idle-"+strings.ReplaceAll(poll, ".", "_")+".toml")
	toml := fmt.Sprintf("device_name = \"bench\"\n\n[[folder]]\npath = %q\npoll_interval = %q\n", dir, poll)
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		return res, err
	}
	logPath := filepath.Join(w.root, "idle-"+strings.ReplaceAll(poll, ".", "_")+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return res, err
	}
	defer logFile.Close()

	cmd := exec.Command(bin, "--config", cfg, "--no-tray", "--log-level", "debug")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return res, err
	}
	var mu sync.Mutex
	var lines []logLine
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	exited := make(chan error, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			at := time.Now()
			fmt.Fprintln(logFile, sc.Text())
			mu.Lock()
			lines = append(lines, logLine{at, sc.Text()})
			mu.Unlock()
		}
	}()
	go func() {
		<-readDone
		exited <- cmd.Wait()
	}()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	defer stop()
	pid := cmd.Process.Pid
	progress("autosync (poll_interval %s) started as PID %d; log in %s", poll, pid, logPath)

	find := func(substr string) (logLine, bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, l := range lines {
			if strings.Contains(l.text, substr) {
				return l, true
			}
		}
		return logLine{}, false
	}
	// The watcher's "watching" line and Idle over the control socket
	// (asked every 200 ms, never during the observed window) are timed
	// independently: which comes first depends on the engine.
	var watching logLine
	var idleSeen, lastAsk time.Time
	if err := waitFor(5*time.Minute, "the watcher's \"watching\" log line and Idle", func() bool {
		if watching.at.IsZero() {
			watching, _ = find("msg=watching")
		}
		if idleSeen.IsZero() && time.Since(lastAsk) >= 200*time.Millisecond {
			lastAsk = time.Now()
			if isIdle(ctx, pid) {
				idleSeen = time.Now()
			}
		}
		return !watching.at.IsZero() && !idleSeen.IsZero()
	}); err != nil {
		return res, fmt.Errorf("%w (log in %s)", err, logPath)
	}
	res.watchAt = watching.at.Sub(start)
	if m := dirsRe.FindStringSubmatch(watching.text); m != nil {
		res.dirs = m[1]
	}
	res.idleAt = idleSeen.Sub(start)
	// Let the start-up garbage settle before observing.
	time.Sleep(2 * time.Second)

	windowStart := time.Now()
	if res.s0, err = sample(pid); err != nil {
		return res, err
	}
	perfOut := make(chan int64, 1)
	if perfPath, err := exec.LookPath("perf"); err == nil {
		go func() { perfOut <- perfSwitches(ctx, perfPath, pid, idleFor) }()
	} else {
		perfOut <- -1
	}
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(idleFor):
	}
	if res.s1, err = sample(pid); err != nil {
		return res, err
	}
	res.perfSwitches = <-perfOut
	mu.Lock()
	for _, l := range lines {
		if l.at.After(windowStart) && strings.Contains(l.text, "msg=git ") {
			res.gitRuns++
		}
	}
	mu.Unlock()
	progress("idle window done: RSS %d kB, %d voluntary switches", res.s1.rssKB, res.s1.vol-res.s0.vol)

	// What a save costs on a folder this big: every cycle reads the
	// status of every file.
	rw, err := watchRef(remote, "main")
	if err != nil {
		return res, err
	}
	defer rw.close()
	delays := config.DefaultCommitDelay + config.DefaultPushDelay
	for i := range bigSaves {
		old, err := rw.head()
		if err != nil {
			return res, err
		}
		rw.drain()
		t0 := time.Now()
		if err := os.WriteFile(filepath.Join(dir, "t00", "s0000", "f0.txt"), []byte(fmt.Sprintf("save %d in %s\n", i, poll)), 0o644); err != nil {
			return res, err
		}
		_, t1, err := rw.waitChange(ctx, old, delays+2*time.Minute, nil)
		if err != nil {
			return res, err
		}
		res.saves = append(res.saves, t1.Sub(t0)-delays)
		mu.Lock()
		n := 0
		for _, l := range lines {
			if !l.at.Before(t0) && !l.at.After(t1) && strings.Contains(l.text, "msg=git ") {
				n++
			}
		}
		mu.Unlock()
		res.gitPerSave = append(res.gitPerSave, time.Duration(n))
		if err := waitIdle(ctx, pid); err != nil {
			return res, err
		}
	}
	return res, nil
}

// waitIdle waits until the instance with pid says, over its control
// socket, that its folder is idle with nothing pending or ahead. It asks
// every 200 ms: never call it inside an observed idle window.
func waitIdle(ctx context.Context, pid int) error {
	return waitFor(5*time.Minute, "autosync idle", func() bool {
		time.Sleep(200 * time.Millisecond)
		return isIdle(ctx, pid)
	})
}

// isIdle asks the instance with pid once whether its folder is idle with
// nothing pending or ahead.
func isIdle(ctx context.Context, pid int) bool {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	inst, err := control.Send(sctx, control.DefaultDir(), control.Request{Cmd: control.CmdStatus})
	if err != nil {
		return false
	}
	for _, in := range inst {
		if in.Response.Status == nil || in.Response.Status.PID != pid {
			continue
		}
		for _, f := range in.Response.Status.Folders {
			if f.State == syncer.Idle && f.Ahead == 0 && len(f.Pending) == 0 {
				return true
			}
		}
	}
	return false
}

// perfSwitches counts sched:sched_switch events of pid's threads (each is
// one of its threads leaving a CPU) for d, or -1 when perf cannot.
func perfSwitches(ctx context.Context, perf string, pid int, d time.Duration) int64 {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, perf, "stat", "-x", ",", "-e", "sched:sched_switch", "-p", strconv.Itoa(pid), "--", "sleep", strconv.FormatFloat(d.Seconds(), 'f', 3, 64))
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		progress("perf stat failed: %v: %s", err, strings.TrimSpace(out.String()))
		return -1
	}
	for _, line := range strings.Split(out.String(), "\n") {
		f := strings.Split(line, ",")
		if len(f) > 2 && strings.Contains(line, "sched:sched_switch") {
			if f[0] == "<not counted>" {
				// The threads never ran while perf watched them.
				return 0
			}
			if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				return n
			}
		}
	}
	progress("perf stat: no count in %q", out.String())
	return -1
}

// procSample is what /proc says about a process at one moment.
type procSample struct {
	rssKB, hwmKB int64
	threads      int
	vol, nonvol  int64 // context switches, summed over the live threads
	cpuTicks     int64 // utime+stime of the whole process, in clock ticks (1/100 s)
}

func sample(pid int) (procSample, error) {
	var s procSample
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.Fields(v + " 0")[0], 10, 64)
		switch k {
		case "VmRSS":
			s.rssKB = n
		case "VmHWM":
			s.hwmKB = n
		case "Threads":
			s.threads = int(n)
		}
	}
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil {
		return s, err
	}
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue // the thread ended meanwhile
		}
		for _, line := range strings.Split(string(data), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			switch k {
			case "voluntary_ctxt_switches":
				s.vol += n
			case "nonvoluntary_ctxt_switches":
				s.nonvol += n
			}
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the command name (which may hold spaces): state is
	// field 3, utime 14, stime 15.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 {
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			s.cpuTicks = u + st
		}
	}
	return s, nil
}
