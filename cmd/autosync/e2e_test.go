package main

// End-to-end tests: the real binary, run as two processes (two "machines")
// against one bare remote, driven with status, pause, resume and sync.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/control"
	"github.com/autosync-dev/autosync/syncer/gittest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "autosync-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "autosync")
	out, err := exec.Command("go", "build", "-race", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building autosync: %v\n%s", err, out)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	gittest.Main(m)
}

// proc is one running autosync, with its own control directory (as if on
// its own machine).
type proc struct {
	t       *testing.T
	name    string
	ctlDir  string
	cmd     *exec.Cmd
	log     *syncBuffer
	exited  chan struct{}
	waitErr error
}

func (p *proc) env() []string {
	return append(os.Environ(), "AUTOSYNC_CONTROL_DIR="+p.ctlDir, "DISPLAY=", "WAYLAND_DISPLAY=")
}

// startProc runs `autosync --config CFG` for one folder with fast delays.
func startProc(t *testing.T, name, folder string, poll string) *proc {
	t.Helper()
	return startConfig(t, name, folderConfig(name, folder, poll))
}

// folderConfig is a configuration for one folder with fast delays.
func folderConfig(name, folder, poll string) string {
	return fmt.Sprintf(`device_name = %q
log_level = "debug"

[[folder]]
path = %q
commit_delay = "300ms"
push_delay = "50ms"
poll_interval = %q
`, name, folder, poll)
}

// startConfig runs `autosync --config CFG` with the given configuration
// and waits until its first folder is idle.
func startConfig(t *testing.T, name, content string) *proc {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, name: name, ctlDir: filepath.Join(dir, "ctl"), log: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(binary, "--config", cfg, "--no-tray")
	p.cmd.Env = p.env()
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		<-p.exited
		if t.Failed() {
			t.Logf("%s's log:\n%s", name, p.log)
		}
	})
	gittest.Eventually(t, 20*time.Second, name+" answering status", func() bool {
		st, ok := p.status()
		return ok && len(st) == 1 && st[0].Folders[0].State == syncer.Idle
	})
	return p
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// ctl runs a client command against this process and returns its output
// and exit code.
func (p *proc) ctl(args ...string) (string, int) {
	cmd := exec.Command(binary, args...)
	cmd.Env = p.env()
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatal(err)
	}
	return string(out), code
}

func (p *proc) status() ([]control.Status, bool) {
	out, code := p.ctl("status", "--json")
	if code != 0 {
		return nil, false
	}
	var st []control.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		p.t.Fatalf("status --json printed %q: %v", out, err)
	}
	return st, true
}

func (p *proc) folder() syncer.Snapshot {
	st, ok := p.status()
	if !ok || len(st) != 1 || len(st[0].Folders) != 1 {
		p.t.Fatalf("status: %+v", st)
	}
	return st[0].Folders[0]
}

func fileIs(dir, rel, want string) func() bool {
	return func() bool {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		return err == nil && string(b) == want
	}
}

func TestTwoProcessesStayInSync(t *testing.T) {
	remote := gittest.NewRemote(t)
	dirA, dirB := gittest.Clone(t, remote, "a"), gittest.Clone(t, remote, "b")
	a := startProc(t, "laptop", dirA, "500ms")
	b := startProc(t, "desktop", dirB, "0s") // b pulls only when told to

	// A save on a reaches the remote; b gets it on `autosync sync`.
	gittest.WriteFile(t, dirA, "notes.md", "from the laptop\n")
	gittest.Eventually(t, 15*time.Second, "laptop's commit on the remote", func() bool {
		out, _ := gittest.Run(remote, "log", "-1", "--format=%s", "main")
		return strings.HasPrefix(out, "autosync on laptop: add notes.md")
	})
	if out, code := b.ctl("sync"); code != 0 || !strings.Contains(out, "syncing") {
		t.Fatalf("sync: %q, exit %d", out, code)
	}
	gittest.Eventually(t, 15*time.Second, "notes.md on the desktop", fileIs(dirB, "notes.md", "from the laptop\n"))

	// Pause stops commits on b; the status says paused.
	if out, code := b.ctl("pause", dirB); code != 0 || !strings.Contains(out, "paused") {
		t.Fatalf("pause: %q, exit %d", out, code)
	}
	gittest.Eventually(t, 5*time.Second, "desktop paused", func() bool { return b.folder().State == syncer.Paused })
	before := gittest.CommitCount(t, dirB, "HEAD")
	gittest.WriteFile(t, dirB, "todo.md", "written while paused\n")
	human, _ := b.ctl("status")
	if !strings.Contains(human, "paused") {
		t.Fatalf("status does not say paused:\n%s", human)
	}
	// Several commit delays pass; nothing may be committed.
	deadline := time.Now().Add(1500 * time.Millisecond)
	gittest.Eventually(t, 5*time.Second, "time to pass", func() bool { return time.Now().After(deadline) })
	if gittest.CommitCount(t, dirB, "HEAD") != before {
		t.Fatal("committed while paused")
	}
	// Resume: the change is committed and pushed; a (polling) gets it.
	if out, code := b.ctl("resume"); code != 0 || !strings.Contains(out, "resumed") {
		t.Fatalf("resume: %q, exit %d", out, code)
	}
	gittest.Eventually(t, 15*time.Second, "todo.md on the laptop", fileIs(dirA, "todo.md", "written while paused\n"))

	// Both settle on the same commit.
	gittest.Eventually(t, 15*time.Second, "both at the remote's head", func() bool {
		want, _ := gittest.Run(remote, "rev-parse", "main")
		ha, _ := gittest.Run(dirA, "rev-parse", "HEAD")
		hb, _ := gittest.Run(dirB, "rev-parse", "HEAD")
		return ha == want && hb == want
	})
	if n := strings.Count(gittest.Git(t, remote, "log", "--format=%s", "main"), "autosync on"); n != 2 {
		t.Fatalf("%d autosync commits on the remote, want 2 (one per save, none from pulls)", n)
	}

	// SIGTERM: exit 0, socket and lock released.
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("did not stop within 15s of SIGTERM")
	}
	if a.waitErr != nil {
		t.Fatalf("exit after SIGTERM: %v, want 0", a.waitErr)
	}
	if socks, _ := filepath.Glob(filepath.Join(a.ctlDir, "*.sock")); len(socks) != 0 {
		t.Fatalf("control socket left behind: %v", socks)
	}
	if out, code := a.ctl("status"); code != exitNotRunning || !strings.Contains(out, "not running") {
		t.Fatalf("status with nothing running: %q, exit %d; want exit %d and a message", out, code, exitNotRunning)
	}
}

func TestSecondInstanceNamesTheFirst(t *testing.T) {
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	first := startProc(t, "laptop", dir, "0s")
	cmd := exec.Command(binary, "--no-tray", dir)
	cmd.Env = first.env()
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("a second instance for the same folder started")
	}
	want := fmt.Sprintf("PID %d", first.cmd.Process.Pid)
	if !strings.Contains(string(out), want) {
		t.Fatalf("second instance said %q; want it to name %s", out, want)
	}
}

func TestCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	badCfg := filepath.Join(dir, "bad.toml")
	os.WriteFile(badCfg, []byte("[[folder]]\npath = \"/tmp\"\ncommit_delay = \"soon\"\n"), 0o600)
	plain := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"--help"}, exitOK, "autosync status"},
		{"status help", []string{"status", "--help"}, exitOK, "--json"},
		{"version", []string{"version"}, exitOK, "autosync "},
		{"missing folder", []string{filepath.Join(dir, "nope")}, exitUsage, "does not exist"},
		{"not a working copy", []string{"--no-tray", plain}, exitFailure, "git clone"},
		{"bad config value", []string{"--config", badCfg}, exitUsage, "bad.toml:3: folder[0].commit_delay"},
		{"two folders", []string{"a", "b"}, exitUsage, "one FOLDER"},
		{"unknown flag", []string{"--frobnicate"}, exitUsage, "frobnicate"},
		{"sync with nothing running", []string{"sync"}, exitNotRunning, "not running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binary, tt.args...)
			cmd.Env = append(os.Environ(), "AUTOSYNC_CONTROL_DIR="+filepath.Join(dir, "ctl"), "XDG_CONFIG_HOME="+dir, "HOME="+dir)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tt.code || !strings.Contains(string(out), tt.want) {
				t.Fatalf("exit %d, output %q; want exit %d and %q", code, out, tt.code, tt.want)
			}
			if strings.Contains(string(out), "panic") || strings.Contains(string(out), "goroutine ") {
				t.Fatalf("a panic reached the user: %s", out)
			}
		})
	}
}
