package tray

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/tray/autostart"
)

const helperEnv = "AUTOSYNC_TRAY_HELPER"

// fakeEngine stands in for the engine in the helper process: the parent test
// sets its snapshots (JSON lines on stdin); it reports every Controller call
// on stdout ("call Pause /path") and applies pause/resume to its snapshots
// the way the engine would. The tray under test is the real one.
type fakeEngine struct {
	mu      sync.Mutex
	snaps   []syncer.Snapshot
	changed chan struct{}
	out     *os.File
	outMu   sync.Mutex
}

func (f *fakeEngine) Snapshots() []syncer.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]syncer.Snapshot(nil), f.snaps...)
}

func (f *fakeEngine) Changed() <-chan struct{} { return f.changed }

func (f *fakeEngine) set(snaps []syncer.Snapshot) {
	f.mu.Lock()
	f.snaps = snaps
	f.mu.Unlock()
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

func (f *fakeEngine) say(format string, args ...any) {
	f.outMu.Lock()
	defer f.outMu.Unlock()
	fmt.Fprintf(f.out, format+"\n", args...)
}

func (f *fakeEngine) SyncNow(folder string) { f.say("call SyncNow %s", folder) }
func (f *fakeEngine) Quit()                 { f.say("call Quit") }
func (f *fakeEngine) Pause(folder string)   { f.say("call Pause %s", folder); f.setPaused(folder, true) }
func (f *fakeEngine) Resume(folder string) {
	f.say("call Resume %s", folder)
	f.setPaused(folder, false)
}

func (f *fakeEngine) setPaused(folder string, p bool) {
	snaps := f.Snapshots()
	for i := range snaps {
		if folder == "" || snaps[i].Path == folder {
			snaps[i].Paused = p
			snaps[i].State = syncer.Idle
			if p {
				snaps[i].State = syncer.Paused
			}
		}
	}
	f.set(snaps)
}

func helperMain() int {
	f := &fakeEngine{changed: make(chan struct{}, 1), out: os.Stdout}
	var first []syncer.Snapshot
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(nil, 1<<20)
	if in.Scan() {
		if err := json.Unmarshal(in.Bytes(), &first); err != nil {
			fmt.Fprintln(os.Stderr, "helper: bad snapshots:", err)
			return 2
		}
	}
	f.snaps = first
	go func() {
		for in.Scan() {
			var snaps []syncer.Snapshot
			if err := json.Unmarshal(in.Bytes(), &snaps); err != nil {
				fmt.Fprintln(os.Stderr, "helper: bad snapshots:", err)
				continue
			}
			f.set(snaps)
		}
	}()
	Run(Options{
		Source:     f,
		Controller: f,
		Autostart:  autostart.Switch{},
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Open:       func(p string) error { f.say("open %s", p); return nil },
	})
	f.say("exited")
	return 0
}
