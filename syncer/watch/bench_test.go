package watch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The benchmarks watch a tree of 100k files in 10k directories (10 top
// directories, 10 below each, 100 below those, 10 files in each of the
// 10,000 leaves). It is built once per test binary (slow: a minute on a
// slow disk) and removed by TestMain.
//
//	go test -run '^$' -bench BenchmarkWatchSetup -benchtime 5x ./syncer/watch
//	AUTOSYNC_IDLE=60s go test -run '^$' -bench BenchmarkIdle -benchtime 1x ./syncer/watch
//
// BenchmarkWatchSetup reports the time to set up all watches per op (New,
// Run until Ready, shut down), with the number of watches and the Go heap
// in use while watching.
//
// BenchmarkIdle measures idle wakeups: it counts the context switches of
// every thread of the test process (/proc/self/task/*/status, Linux only)
// over AUTOSYNC_IDLE (default 10s), first with nothing running as a
// baseline (the Go runtime's own background work), then while watching
// the tree with nothing changing. "wakeups/min" minus "baseline-wakeups/min"
// is what the watcher costs when nothing happens: it has no timers, so it
// should be about zero. It also reports the resident set size while
// watching. The same can be observed on a running autosync with
// `pidstat -w -t -p PID 60` or `grep ctxt /proc/PID/task/*/status`.
var (
	benchOnce sync.Once
	benchRoot string
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchRoot != "" {
		os.RemoveAll(benchRoot)
	}
	os.Exit(code)
}

func benchTree(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		benchRoot, benchErr = os.MkdirTemp("", "autosync-watch-bench-")
		if benchErr != nil {
			return
		}
		for i := range 10 {
			for j := range 10 {
				for k := range 100 {
					dir := filepath.Join(benchRoot, fmt.Sprintf("d%d", i), fmt.Sprintf("e%d", j), fmt.Sprintf("f%02d", k))
					if benchErr = os.MkdirAll(dir, 0o755); benchErr != nil {
						return
					}
					for f := range 10 {
						if benchErr = os.WriteFile(filepath.Join(dir, fmt.Sprintf("file%d.txt", f)), []byte("x"), 0o644); benchErr != nil {
							return
						}
					}
				}
			}
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchRoot
}

// runUntilReady starts a watcher on root and waits for its watches; stop
// shuts it down.
func runUntilReady(b *testing.B, root string) (w *Watcher, stop func()) {
	b.Helper()
	w, err := New(Options{Root: root})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case <-w.Ready():
	case <-time.After(5 * time.Minute):
		b.Fatal("watcher not ready after 5 minutes")
	}
	return w, func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}
}

func BenchmarkWatchSetup(b *testing.B) {
	root := benchTree(b)
	b.ReportAllocs()
	var watches int
	var heap uint64
	for b.Loop() {
		w, stop := runUntilReady(b, root)
		b.StopTimer()
		watches = w.Watches()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = ms.HeapInuse
		// A degraded start (watch limit) would make the number meaningless.
		select {
		case batch := <-w.Batches():
			if batch.Degraded != nil {
				b.Fatal(batch.Degraded)
			}
		default:
		}
		stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(watches), "watches")
	b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
}

func BenchmarkIdle(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("counts context switches from /proc (Linux only)")
	}
	period := 10 * time.Second
	if s := os.Getenv("AUTOSYNC_IDLE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatalf("AUTOSYNC_IDLE=%q: %v", s, err)
		}
		period = d
	}
	root := benchTree(b)
	for b.Loop() {
		runtime.GC()
		base := switchesOver(b, period)
		w, stop := runUntilReady(b, root)
		runtime.GC()
		watching := switchesOver(b, period)
		rss := statusField(b, "/proc/self/status", "VmRSS")
		watches := w.Watches()
		stop()
		perMin := func(n int) float64 { return float64(n) / period.Minutes() }
		b.ReportMetric(perMin(base), "baseline-wakeups/min")
		b.ReportMetric(perMin(watching), "wakeups/min")
		b.ReportMetric(float64(rss)/1024, "RSS-MiB")
		b.ReportMetric(float64(watches), "watches")
	}
}

// switchesOver counts the context switches of all threads of the process
// during d. A thread that exits in between is not counted; the Go runtime
// keeps its threads.
func switchesOver(b *testing.B, d time.Duration) int {
	before := contextSwitches(b)
	<-time.After(d) // the measurement itself: the process must be idle
	return contextSwitches(b) - before
}

func contextSwitches(b *testing.B) int {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for _, t := range tasks {
		p := filepath.Join("/proc/self/task", t.Name(), "status")
		total += statusField(b, p, "voluntary_ctxt_switches") + statusField(b, p, "nonvoluntary_ctxt_switches")
	}
	return total
}

// statusField reads a number from a /proc status file ("VmRSS:  1234 kB"
// gives 1234); 0 when the file or field is missing.
func statusField(b *testing.B, path, field string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || name != field {
			continue
		}
		n, err := strconv.Atoi(strings.Fields(value)[0])
		if err != nil {
			b.Fatalf("%s %s: %v", path, field, err)
		}
		return n
	}
	return 0
}
