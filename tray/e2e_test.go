//go:build linux

package tray

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/autosync-dev/autosync/syncer/gittest"
)

// buildAutosync builds the real binary once per test run (with the race
// detector, like the tests themselves).
var buildAutosync = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "autosync-tray-e2e-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "autosync")
	out, err := exec.Command("go", "build", "-race", "-o", bin, "github.com/autosync-dev/autosync/cmd/autosync").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/autosync: %v\n%s", err, out)
	}
	return bin, nil
})

// wired reports whether cmd/autosync starts the tray at all.
func wired(t *testing.T) bool {
	files, err := filepath.Glob("../cmd/autosync/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("cannot find cmd/autosync: %v", err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err == nil && bytes.Contains(b, []byte("tray.Run(")) {
			return true
		}
	}
	// Set when the wiring comes from elsewhere (go build -overlay in GOFLAGS).
	return os.Getenv("AUTOSYNC_TRAY_WIRED") == "1"
}

// tooltipLog records every ToolTip the item publishes (PropertiesChanged),
// so that short states between two polls are not missed.
type tooltipLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *tooltipLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.seen...)
}

func watchTooltips(t *testing.T, conn *dbus.Conn, owner string) *tooltipLog {
	t.Helper()
	if err := conn.AddMatchSignal(dbus.WithMatchSender(owner), dbus.WithMatchObjectPath("/StatusNotifierItem"),
		dbus.WithMatchInterface("org.freedesktop.DBus.Properties"), dbus.WithMatchMember("PropertiesChanged")); err != nil {
		t.Fatal(err)
	}
	ch := make(chan *dbus.Signal, 256)
	conn.Signal(ch)
	l := &tooltipLog{}
	go func() {
		for s := range ch {
			if len(s.Body) < 2 {
				continue
			}
			props, _ := s.Body[1].(map[string]dbus.Variant)
			v, ok := props["ToolTip"]
			if !ok {
				continue
			}
			var tt struct {
				Name  string
				Icons []struct {
					W, H int32
					B    []byte
				}
				Title, Desc string
			}
			if dbus.Store([]any{v.Value()}, &tt) == nil {
				l.mu.Lock()
				l.seen = append(l.seen, tt.Title)
				l.mu.Unlock()
			}
		}
	}()
	return l
}

// notifyLog records every Notify call on the bus (as a monitor, on a
// connection of its own): "summary\tbody" per call.
type notifyLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *notifyLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.seen...)
}

func watchNotify(t *testing.T) *notifyLog {
	t.Helper()
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Auth(nil); err != nil {
		t.Fatal(err)
	}
	if err := conn.Hello(); err != nil {
		t.Fatal(err)
	}
	rule := "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"
	if call := conn.BusObject().Call("org.freedesktop.DBus.Monitoring.BecomeMonitor", 0, []string{rule}, uint32(0)); call.Err != nil {
		t.Fatal(call.Err)
	}
	ch := make(chan *dbus.Message, 100)
	conn.Eavesdrop(ch)
	l := &notifyLog{}
	go func() {
		for m := range ch {
			if len(m.Body) >= 5 {
				summary, _ := m.Body[3].(string)
				body, _ := m.Body[4].(string)
				l.mu.Lock()
				l.seen = append(l.seen, summary+"\t"+body)
				l.mu.Unlock()
			}
		}
	}()
	return l
}

// notified waits for a Notify call whose "summary\tbody" contains all parts.
func notified(t *testing.T, l *notifyLog, parts ...string) {
	t.Helper()
	eventually(t, fmt.Sprintf("a notification with %q", parts), func() (bool, string) {
		seen := l.list()
		for _, n := range seen {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(n, p)
			}
			if all {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%q", seen)
	})
}

// inOrder reports whether each of wants occurs in seen, in this order.
func inOrder(seen []string, wants ...string) bool {
	i := 0
	for _, s := range seen {
		if i < len(wants) && strings.Contains(s, wants[i]) {
			i++
		}
	}
	return i == len(wants)
}

// TestTrayEndToEnd runs the real autosync with a tray on the headless
// desktop against a bare git remote: the tray follows a save, Pause stops
// commits, Resume commits, Quit exits 0.
func TestTrayEndToEnd(t *testing.T) {
	conn := needDesktop(t)
	gittest.Require(t)
	if !wired(t) {
		t.Skip("cmd/autosync does not call tray.Run yet (the desktop stub): nothing to test end to end")
	}
	bin, err := buildAutosync()
	if err != nil {
		t.Fatal(err)
	}
	remote := gittest.NewRemote(t)
	folder := gittest.Clone(t, remote, "notes")
	// Slow hooks (the user's own hooks run) hold committing and pushing
	// long enough for the tray to show them; without them both states can
	// pass between two reads of the coalesced snapshot, by design.
	for _, hook := range []string{"pre-commit", "pre-push"} {
		gittest.WriteFile(t, folder, ".git/hooks/"+hook, "#!/bin/sh\nsleep 0.7\n")
		if err := os.Chmod(filepath.Join(folder, ".git/hooks", hook), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("device_name = \"e2e\"\nlog_level = \"debug\"\n\n[[folder]]\npath = %q\ncommit_delay = \"400ms\"\npush_delay = \"50ms\"\npoll_interval = \"1h\"\n", folder)), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config", cfg)
	cmd.Env = append(os.Environ(), "AUTOSYNC_CONTROL_DIR="+filepath.Join(dir, "ctl"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"GORACE=halt_on_error=0 exitcode=0")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Signal(syscall.SIGTERM)
			<-exited
		}
		if t.Failed() {
			t.Logf("autosync's log:\n%s", logs.String())
		}
		checkRaces(t, logs.String())
	})

	name := fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", cmd.Process.Pid)
	eventually(t, "autosync's tray on the bus ("+name+")", func() (bool, string) { return hasOwner(conn, name), "" })
	p := &trayProc{t: t, conn: conn}
	if err := conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, name).Store(&p.owner); err != nil {
		t.Fatal(err)
	}
	p.item = conn.Object(p.owner, "/StatusNotifierItem")
	p.menu = conn.Object(p.owner, "/StatusNotifierItem/menu")
	tips := watchTooltips(t, conn, p.owner)
	notes := watchNotify(t)
	p.waitState("idle", "up to date")
	p.waitMenu("notes — synced just now")
	commits := gittest.CommitCount(t, remote, "main")

	// A save: idle -> committing -> pushing -> idle, and it reaches the remote.
	gittest.WriteFile(t, folder, "todo.txt", "buy milk\n")
	eventually(t, "the save on the remote", func() (bool, string) {
		n := gittest.CommitCount(t, remote, "main")
		return n == commits+1, fmt.Sprint(n, " commits")
	})
	p.waitState("idle", "up to date; last sync just now")
	eventually(t, "the tooltip to have followed the save", func() (bool, string) {
		seen := tips.list()
		return inOrder(seen, "committing…", "pushing…", "up to date"), fmt.Sprintf("%q", seen)
	})
	notified(t, notes, "notes: synced 1 change\tAdded todo.txt")
	eventually(t, "Recent changes to list the commit", func() (bool, string) {
		m, err := p.layout()
		r, _ := m.find("Recent changes")
		return err == nil && strings.Contains(r.String(), "todo.txt"), m.String()
	})

	// Pause: a save stays uncommitted; the item reads Resume.
	p.click("Pause")
	p.waitState("paused", "paused")
	p.waitMenu("Resume")
	gittest.WriteFile(t, folder, "todo.txt", "buy milk\nand bread\n")
	head := gittest.Git(t, folder, "rev-parse", "HEAD")
	// Five commit delays with nothing committed: a negative, so a bounded
	// wait that polls for the wrong outcome.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		if h := gittest.Git(t, folder, "rev-parse", "HEAD"); h != head {
			t.Fatalf("a commit (%s) was made while paused", h)
		}
		time.Sleep(50 * time.Millisecond) // polling a real process
	}

	// Meanwhile another machine changes the same file.
	other := gittest.Clone(t, remote, "other")
	gittest.WriteFile(t, other, "todo.txt", "buy oat milk\n")
	gittest.Git(t, other, "commit", "-q", "-am", "other machine: edit todo.txt")
	gittest.Git(t, other, "push", "-q")

	// Resume: the waiting save is committed, the other machine's version
	// pulled, both kept; the tray lists the conflict copy, a notification
	// names it, and our version reaches the remote.
	p.click("Resume")
	// The tray shows the conflict once the engine has resolved it; the
	// working tree is only looked at then (mid-merge it holds markers).
	p.waitState("conflict", "1 conflict to look at")
	var copyName string
	eventually(t, "a conflict copy of todo.txt", func() (bool, string) {
		m, _ := filepath.Glob(filepath.Join(folder, "todo (conflict from e2e *).txt"))
		if len(m) == 1 {
			copyName = filepath.Base(m[0])
		}
		return len(m) == 1, fmt.Sprint(gittest.Files(t, folder))
	})
	p.waitMenu("Conflicts", copyName)
	if got := gittest.ReadFile(t, folder, "todo.txt"); got != "buy oat milk\n" {
		t.Errorf("todo.txt = %q, want the other machine's version", got)
	}
	if got := gittest.ReadFile(t, folder, copyName); got != "buy milk\nand bread\n" {
		t.Errorf("the conflict copy = %q, want this machine's version", got)
	}
	notified(t, notes, "Conflict in notes", "todo.txt", copyName)
	eventually(t, "our version of todo.txt on the remote", func() (bool, string) {
		out, err := gittest.Run(remote, "ls-tree", "--name-only", "main")
		return err == nil && strings.Contains(out, copyName), out
	})
	// Handled: the user deletes the copy; the Conflicts menu goes away.
	if err := os.Remove(filepath.Join(folder, copyName)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the Conflicts submenu to go once the copy is gone", func() (bool, string) {
		m, err := p.layout()
		_, shown := m.find("Conflicts")
		return err == nil && !shown, m.String()
	})
	p.waitState("idle", "up to date")

	// Sync now: the tray asks, the engine runs a cycle (it fetches: a
	// commit another machine pushed arrives without waiting for the poll).
	gittest.Git(t, other, "pull", "-q")
	gittest.WriteFile(t, other, "from-other.txt", "hello\n")
	gittest.Git(t, other, "add", "from-other.txt")
	gittest.Git(t, other, "commit", "-q", "-m", "from the other machine")
	gittest.Git(t, other, "push", "-q")
	p.click("Sync now")
	eventually(t, "the other machine's file pulled after Sync now", func() (bool, string) {
		_, err := os.Stat(filepath.Join(folder, "from-other.txt"))
		return err == nil, fmt.Sprint(err)
	})
	notified(t, notes, "notes: changes from", "from-other.txt")

	// Quit: exit code 0, off the bus.
	p.click("Quit")
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("autosync after Quit: %v", err)
		}
		exited <- nil // for the cleanup
	case <-time.After(20 * time.Second):
		t.Fatal("autosync did not exit within 20 s of Quit")
	}
	eventually(t, "the tray to leave the bus", func() (bool, string) { return !hasOwner(conn, p.owner), "" })
}

// startAutosync runs the real binary with config text in the desktop
// session and returns the process and its combined output.
func startAutosync(t *testing.T, config string) (*exec.Cmd, chan error, *bytes.Buffer) {
	t.Helper()
	bin, err := buildAutosync()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	cmd := exec.Command(bin, "--config", cfg)
	cmd.Env = append(os.Environ(), "AUTOSYNC_CONTROL_DIR="+filepath.Join(dir, "ctl"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"GORACE=halt_on_error=0 exitcode=0")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case err := <-exited:
			exited <- err
		default:
			cmd.Process.Signal(syscall.SIGTERM)
		}
		<-exited
		if t.Failed() {
			t.Logf("autosync's log:\n%s", logs.String())
		}
		checkRaces(t, logs.String())
	})
	return cmd, exited, logs
}

// TestCommitPromptEndToEnd: with ask_commit_message the real binary shows
// the dialog; the typed text becomes the commit message; a file saved while
// the dialog is open goes into the next commit; Escape on that one commits
// with the generated message.
func TestCommitPromptEndToEnd(t *testing.T) {
	needDesktop(t)
	gittest.Require(t)
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Fatal("xdotool is needed (the harness installs it)")
	}
	if !wired(t) {
		t.Skip("cmd/autosync does not call tray.Run yet (the desktop stub): nothing to test end to end")
	}
	remote := gittest.NewRemote(t)
	// "journal": the dialogs package tests, maybe running at the same time
	// on the same screen, use dialogs titled for "notes".
	folder := gittest.Clone(t, remote, "journal")
	startAutosync(t, fmt.Sprintf("device_name = \"e2e\"\n\n[[folder]]\npath = %q\ncommit_delay = \"300ms\"\npush_delay = \"50ms\"\npoll_interval = \"1h\"\nask_commit_message = true\nask_timeout = \"20s\"\n", folder))
	title := "^autosync: commit message for journal$"
	xdo := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "xdotool", args...).Output()
		if err != nil {
			t.Fatalf("xdotool %q: %v", args, err)
		}
		w, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return w
	}
	gittest.WriteFile(t, folder, "a.txt", "first\n")
	w := xdo("search", "--sync", "--name", title)
	gittest.WriteFile(t, folder, "b.txt", "saved while the dialog is open\n")
	xdo("windowfocus", "--sync", w)
	xdo("key", "--clearmodifiers", "ctrl+a")
	xdo("type", "--delay", "15", "--", "Typed by the user")
	xdo("key", "--clearmodifiers", "Return")
	eventually(t, "the commit with the typed message on the remote", func() (bool, string) {
		out, _ := gittest.Run(remote, "log", "--format=%s", "main")
		return strings.Contains(out, "Typed by the user"), out
	})
	if files, _ := gittest.Run(remote, "show", "--name-only", "--format=", "main"); strings.TrimSpace(files) != "a.txt" {
		t.Errorf("the typed commit holds %q, want only a.txt (b.txt came later)", files)
	}
	// b.txt asks again: Escape commits it with the generated message.
	w = xdo("search", "--sync", "--name", title)
	xdo("windowfocus", "--sync", w)
	xdo("key", "--clearmodifiers", "Escape")
	eventually(t, "b.txt committed with the generated message", func() (bool, string) {
		out, _ := gittest.Run(remote, "log", "-1", "--format=%s", "--name-only", "main")
		return strings.Contains(out, "b.txt") && strings.Contains(out, "autosync on e2e"), out
	})
}
