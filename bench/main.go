// Command bench measures autosync on real git repositories: how long a
// save takes to reach the remote beyond the configured delays (beside the
// bare git pipeline measured in the same run), how many commits a burst of
// saves and a drop of 10k files give, and what an idle instance watching
// 100k files costs. Results go to docs/benchmarks.md.
//
// It is not part of `go test ./...`: run it by hand from the repository
// root,
//
//	go run ./bench all            # everything, about 10 minutes
//	go run ./bench latency        # save -> pushed, save -> on the other clone
//	go run ./bench burst          # 20 saves 100 ms apart
//	go run ./bench drop           # 10k files dropped at once
//	go run ./bench idle           # 100k files in 10k directories, idle
//	go run ./bench xmpp           # save on A -> file on B over a real prosody, and by polling alone (not in all: about 12 minutes)
//
// Every repository lives in a fresh temporary directory, with git's
// configuration isolated from the machine's (gittest.Isolate); the remotes
// are bare repositories on the local disk. Results are printed as Markdown
// tables on standard output, progress on standard error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// opts are the command-line settings shared by the benchmarks.
type opts struct {
	rounds      int
	commitDelay time.Duration
	pushDelay   time.Duration
	files       int
	idleFiles   int
	idleDirs    int
	idleFor     time.Duration
	poll        string
	binary      string
	keep        bool
	repeat      int
	pollRounds  int
}

// unixBenches are the benchmarks that exist only on Unix (their files
// register themselves here), so that the others still build elsewhere.
var unixBenches = map[string]func(context.Context, *world, opts) error{}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./bench [flags] latency|burst|drop|idle|xmpp|all ...")
		fs.PrintDefaults()
	}
	var o opts
	fs.IntVar(&o.rounds, "rounds", 20, "latency, xmpp: number of saves measured")
	fs.DurationVar(&o.commitDelay, "commit-delay", 2*time.Second, "latency, burst, drop, xmpp: the folder's commit_delay (default: autosync's default)")
	fs.DurationVar(&o.pushDelay, "push-delay", time.Second, "latency, burst, drop, xmpp: the folder's push_delay (default: autosync's default)")
	fs.IntVar(&o.files, "files", 10000, "drop: number of files dropped at once")
	fs.IntVar(&o.pollRounds, "poll-rounds", 5, "xmpp: saves measured with polling alone at its default interval (each takes about 2 minutes)")
	fs.IntVar(&o.repeat, "repeat", 3, "burst, drop, idle watch setup: repetitions")
	fs.IntVar(&o.idleFiles, "idle-files", 100000, "idle: files in the watched folder")
	fs.IntVar(&o.idleDirs, "idle-dirs", 10000, "idle: leaf directories holding them")
	fs.DurationVar(&o.idleFor, "idle-for", time.Minute, "idle: how long the idle process is observed")
	fs.StringVar(&o.poll, "idle-poll", "0s,2m", "idle: poll_interval values to run the idle measurement with, comma-separated")
	fs.StringVar(&o.binary, "binary", "", "idle: the autosync binary (default: go build ./cmd/autosync into the temp dir)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (and the engines' debug logs) for inspection")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	which := fs.Args()
	if len(which) == 0 {
		fs.Usage()
		return 2
	}
	if len(which) == 1 && which[0] == "all" {
		which = []string{"latency", "burst", "drop", "idle"}
	}
	benches := map[string]func(context.Context, *world, opts) error{
		"latency": benchLatency,
		"burst":   benchBurst,
		"drop":    benchDrop,
		"idle":    benchIdle,
	}
	for name, f := range unixBenches {
		benches[name] = f
	}
	for _, name := range which {
		if benches[name] == nil {
			fmt.Fprintf(os.Stderr, "bench: unknown benchmark %q (latency, burst, drop, idle, xmpp or all)\n", name)
			return 2
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w, err := newWorld(o.keep)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	defer w.close()

	fmt.Printf("# autosync benchmarks, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Println(machine())
	code := 0
	for _, name := range which {
		progress("== %s", name)
		before := loadAvg()
		err := benches[name](ctx, w, o)
		fmt.Printf("Load average (1, 5, 15 min) before this benchmark: %s; after: %s.\n\n", before, loadAvg())
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench %s: %v\n", name, err)
			code = 1
		}
		if ctx.Err() != nil {
			break
		}
	}
	return code
}

// machine describes where the numbers were measured.
func machine() string {
	var b strings.Builder
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	gitVersion, _ := gitOut("", "--version")
	watches, _ := os.ReadFile("/proc/sys/fs/inotify/max_user_watches")
	fmt.Fprintf(&b, "- CPU: %s, %d logical CPUs\n", cpu, runtime.NumCPU())
	fmt.Fprintf(&b, "- kernel: Linux %s, %s/%s\n", strings.TrimSpace(string(kernel)), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "- %s, %s\n", gitVersion, runtime.Version())
	fmt.Fprintf(&b, "- fs.inotify.max_user_watches = %s\n", strings.TrimSpace(string(watches)))
	fmt.Fprintf(&b, "- temp dir: %s (%s)\n", os.TempDir(), fsType(os.TempDir()))
	return b.String()
}

// loadAvg returns the 1, 5 and 15 minute load averages: other work on the
// machine shows in every timing.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// progress reports what the benchmark is doing, on standard error.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
