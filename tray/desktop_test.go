//go:build linux

package tray

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/autosync-dev/autosync/assets"
	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/vcs"
)

// needDesktop skips without a desktop session (run the tests under
// .ci/desktop-harness.sh run -- go test ./tray/...), and fails under CI=true.
func needDesktop(t *testing.T) *dbus.Conn {
	t.Helper()
	why := ""
	switch {
	case os.Getenv("DISPLAY") == "":
		why = "no DISPLAY"
	case os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "":
		why = "no DBUS_SESSION_BUS_ADDRESS"
	}
	var conn *dbus.Conn
	if why == "" {
		var err error
		conn, err = dbus.SessionBusPrivate()
		if err == nil {
			err = conn.Auth(nil)
		}
		if err == nil {
			err = conn.Hello()
		}
		if err != nil {
			why = "session bus: " + err.Error()
		} else if !hasOwner(conn, "org.kde.StatusNotifierWatcher") {
			why = "no StatusNotifierWatcher (xfce4-panel) on the bus"
		}
	}
	if why != "" {
		if conn != nil {
			conn.Close()
		}
		msg := "needs a desktop session (" + why + "): run under .ci/desktop-harness.sh run -- go test ./tray/..."
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func hasOwner(conn *dbus.Conn, name string) bool {
	var has bool
	err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has)
	return err == nil && has
}

// eventually polls cond every 20 ms until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	last := ""
	for {
		ok, state := cond()
		if ok {
			return
		}
		if state != "" {
			last = state
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last seen: %s", what, last)
		}
		time.Sleep(20 * time.Millisecond) // polling a real process, not timing
	}
}

// trayProc is the helper process running tray.Run, seen from the bus.
type trayProc struct {
	t      *testing.T
	conn   *dbus.Conn
	cmd    *exec.Cmd
	stdin  *json.Encoder
	lines  chan string
	item   dbus.BusObject
	menu   dbus.BusObject
	owner  string
	cfg    string // XDG_CONFIG_HOME of the helper
	stderr *prefixWriter
}

func startTray(t *testing.T, conn *dbus.Conn, snaps []syncer.Snapshot) *trayProc {
	t.Helper()
	p := &trayProc{t: t, conn: conn, lines: make(chan string, 100), cfg: t.TempDir()}
	p.cmd = exec.Command(os.Args[0], "-test.run=^$")
	// A race detector report in the helper must not end it (exit code 66)
	// before checkRaces sorts ours from the library's; see there.
	p.cmd.Env = append(os.Environ(), helperEnv+"=1", "XDG_CONFIG_HOME="+p.cfg, "GORACE=halt_on_error=0 exitcode=0")
	p.stderr = &prefixWriter{t: t}
	p.cmd.Stderr = p.stderr
	in, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
		checkRaces(t, p.stderr.String())
	})
	p.stdin = json.NewEncoder(in)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	p.set(snaps)
	name := fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", p.cmd.Process.Pid)
	eventually(t, "the tray's bus name "+name, func() (bool, string) { return hasOwner(conn, name), "" })
	if err := conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, name).Store(&p.owner); err != nil {
		t.Fatal(err)
	}
	p.item = conn.Object(p.owner, "/StatusNotifierItem")
	p.menu = conn.Object(p.owner, "/StatusNotifierItem/menu")
	return p
}

// prefixWriter keeps the helper's stderr and logs it when the test fails.
type prefixWriter struct {
	t   *testing.T
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *prefixWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(b)
}

func (w *prefixWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// checkRaces fails the test for every race detector report in the helper
// whose accesses happen in autosync's code. fyne.io/systray v1.12.2 with
// godbus v5.1.0 has one race of its own: SetIcon stores the new pixmap into
// the property's existing slice in place (dbus.Store) while the bus worker may
// still be encoding that slice for an earlier Get reply. It is only logged.
func checkRaces(t *testing.T, stderr string) {
	t.Helper()
	reports := strings.Split(stderr, "WARNING: DATA RACE")
	if t.Failed() || testing.Verbose() {
		t.Logf("process stderr:\n%s", reports[0])
	}
	upstream := 0
	for _, r := range reports[1:] {
		r, _, _ = strings.Cut(r, "==================")
		ours := false
		for _, access := range []string{"Write at", "Read at", "Previous write at", "Previous read at"} {
			_, stack, ok := strings.Cut(r, access)
			if !ok {
				continue
			}
			for _, line := range strings.Split(stack, "\n")[1:] {
				f := strings.TrimSpace(line)
				if f == "" || strings.HasPrefix(f, "/") || strings.HasPrefix(f, "reflect.") || strings.HasPrefix(f, "runtime.") || strings.HasPrefix(f, "sync.") {
					continue
				}
				ours = ours || strings.HasPrefix(f, "github.com/autosync-dev/")
				break
			}
		}
		if ours {
			t.Errorf("data race in autosync's tray code:%s", r)
		} else {
			upstream++
		}
	}
	if upstream > 0 {
		t.Logf("%d race report(s) inside fyne.io/systray + godbus (known upstream issue, not autosync's code)", upstream)
	}
}

func (p *trayProc) set(snaps []syncer.Snapshot) {
	p.t.Helper()
	if err := p.stdin.Encode(snaps); err != nil {
		p.t.Fatal(err)
	}
}

// expectLine waits for the helper to print want (a Controller call).
func (p *trayProc) expectLine(want string) {
	p.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("helper exited before printing %q", want)
			}
			if l == want {
				return
			}
			p.t.Logf("helper: %s", l)
		case <-timeout:
			p.t.Fatalf("timed out waiting for the helper to print %q", want)
		}
	}
}

func (p *trayProc) prop(name string) (dbus.Variant, error) {
	return p.item.GetProperty("org.kde.StatusNotifierItem." + name)
}

func (p *trayProc) tooltip() string {
	v, err := p.prop("ToolTip")
	if err != nil {
		return "error: " + err.Error()
	}
	var tt struct {
		Name  string
		Icons []struct {
			W, H int32
			B    []byte
		}
		Title, Desc string
	}
	if err := dbus.Store([]any{v.Value()}, &tt); err != nil {
		return "error: " + err.Error()
	}
	return tt.Title
}

// iconState names the assets icon the item shows ("" if none matches),
// comparing the ARGB pixmap with the embedded PNGs.
func (p *trayProc) iconState() string {
	v, err := p.prop("IconPixmap")
	if err != nil {
		return ""
	}
	var px []struct {
		W, H int32
		B    []byte
	}
	if err := dbus.Store([]any{v.Value()}, &px); err != nil || len(px) == 0 || len(px[0].B) == 0 {
		return ""
	}
	for _, name := range assets.Names {
		img, err := png.Decode(bytes.NewReader(assets.Icon(name, assets.PNG)))
		if err == nil && bytes.Equal(argb(img), px[0].B) {
			return name
		}
	}
	return "unknown"
}

func argb(img image.Image) []byte {
	b := img.Bounds()
	out := make([]byte, 0, b.Dx()*b.Dy()*4)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			out = append(out, byte(a), byte(r), byte(g), byte(bl))
		}
	}
	return out
}

// node is one dbusmenu entry.
type node struct {
	ID       int32
	Label    string
	Visible  bool
	Enabled  bool
	Toggle   int32
	Children []node
}

func (n node) String() string {
	var b strings.Builder
	var walk func(n node, depth int)
	walk = func(n node, depth int) {
		for _, c := range n.Children {
			if !c.Visible {
				continue
			}
			fmt.Fprintf(&b, "%s%q", strings.Repeat("  ", depth), c.Label)
			if !c.Enabled {
				b.WriteString(" (disabled)")
			}
			b.WriteString("\n")
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

func toNode(id int32, props map[string]dbus.Variant, children []dbus.Variant) node {
	n := node{ID: id, Visible: true, Enabled: true}
	if v, ok := props["label"]; ok {
		n.Label, _ = v.Value().(string)
	}
	if v, ok := props["visible"]; ok {
		n.Visible, _ = v.Value().(bool)
	}
	if v, ok := props["enabled"]; ok {
		n.Enabled, _ = v.Value().(bool)
	}
	if v, ok := props["toggle-state"]; ok {
		n.Toggle, _ = v.Value().(int32)
	}
	for _, c := range children {
		f, ok := c.Value().([]any)
		if !ok || len(f) != 3 {
			continue
		}
		cid, _ := f[0].(int32)
		cp, _ := f[1].(map[string]dbus.Variant)
		cc, _ := f[2].([]dbus.Variant)
		n.Children = append(n.Children, toNode(cid, cp, cc))
	}
	return n
}

func (p *trayProc) layout() (node, error) {
	var rev uint32
	var root struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	err := p.menu.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{}).Store(&rev, &root)
	if err != nil {
		return node{}, err
	}
	return toNode(root.ID, root.Props, root.Children), nil
}

// find returns the visible entry with label at path (labels from the top).
func (n node) find(path ...string) (node, bool) {
	for _, c := range n.Children {
		if c.Visible && c.Label == path[0] {
			if len(path) == 1 {
				return c, true
			}
			return c.find(path[1:]...)
		}
	}
	return node{}, false
}

// waitMenu waits until the menu has an entry at path, and returns the menu.
func (p *trayProc) waitMenu(path ...string) node {
	p.t.Helper()
	var m node
	eventually(p.t, fmt.Sprintf("menu entry %q", path), func() (bool, string) {
		var err error
		m, err = p.layout()
		if err != nil {
			return false, err.Error()
		}
		_, ok := m.find(path...)
		return ok, "\n" + m.String()
	})
	return m
}

func (p *trayProc) click(path ...string) {
	p.t.Helper()
	m := p.waitMenu(path...)
	e, _ := m.find(path...)
	// No reply expected: after Quit the tray may leave the bus before it
	// answers, and panels do not wait for one either.
	call := p.menu.Go("com.canonical.dbusmenu.Event", dbus.FlagNoReplyExpected, nil, e.ID, "clicked", dbus.MakeVariant(int32(0)), uint32(time.Now().Unix()))
	if call.Err != nil {
		p.t.Fatalf("click %q: %v", path, call.Err)
	}
}

func (p *trayProc) waitState(icon, tooltipPart string) {
	p.t.Helper()
	eventually(p.t, fmt.Sprintf("icon %s and a tooltip with %q", icon, tooltipPart), func() (bool, string) {
		st, tt := p.iconState(), p.tooltip()
		return st == icon && strings.Contains(tt, tooltipPart), fmt.Sprintf("icon %q tooltip %q", st, tt)
	})
}

func testSnap(path string, st syncer.State) syncer.Snapshot {
	return syncer.Snapshot{Path: path, Name: filepath.Base(path), State: st, LastSync: time.Now().Add(-2 * time.Minute)}
}

func TestTrayOnDesktop(t *testing.T) {
	conn := needDesktop(t)
	notes := "/home/user/notes"
	p := startTray(t, conn, []syncer.Snapshot{testSnap(notes, syncer.Idle)})

	// Registered with the panel's watcher, with a real icon from the start
	// (the onReady race would give an empty pixmap).
	eventually(t, "registration with the StatusNotifierWatcher", func() (bool, string) {
		v, err := conn.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher").
			GetProperty("org.kde.StatusNotifierWatcher.RegisteredStatusNotifierItems")
		if err != nil {
			return false, err.Error()
		}
		items, _ := v.Value().([]string)
		return slices.Contains(items, p.owner+"/StatusNotifierItem"), fmt.Sprint(items)
	})
	p.waitState("idle", "autosync — up to date; last sync 2 min ago")
	if v, err := p.prop("Title"); err != nil || v.Value() != "autosync" {
		t.Errorf("Title = %v, %v; want autosync", v, err)
	}

	// The menu: the folder line and every item.
	m := p.waitMenu("notes — synced 2 min ago")
	for _, want := range []string{"Sync now", "Pause", "Open folder", "Recent changes", "Start at login", "Quit"} {
		if _, ok := m.find(want); !ok {
			t.Errorf("menu has no %q:\n%s", want, m)
		}
	}
	if _, ok := m.find("Conflicts"); ok {
		t.Errorf("Conflicts shown with no conflicts:\n%s", m)
	}
	if e, _ := m.find("notes — synced 2 min ago"); e.Enabled {
		t.Error("the folder status line should be disabled (information only)")
	}
	p.waitMenu("Recent changes", "No changes yet")

	// The state follows the engine: committing, pushing, back to idle.
	for _, st := range []syncer.State{syncer.Committing, syncer.Pushing} {
		p.set([]syncer.Snapshot{testSnap(notes, st)})
		p.waitState(st.String(), st.String()+"…")
		p.waitMenu("notes — " + st.String() + "…")
	}
	idle := testSnap(notes, syncer.Idle)
	idle.LastSync = time.Now()
	idle.Recent = []vcs.Commit{{Subject: "edit todo.txt", Device: "laptop", Time: time.Now().Add(-5 * time.Minute)}}
	p.set([]syncer.Snapshot{idle})
	p.waitState("idle", "up to date; last sync just now")
	p.click("Recent changes", "edit todo.txt — laptop, 5 min ago")
	p.expectLine("open " + notes)

	// Pause: the engine is asked, and the item then reads Resume.
	p.click("Pause")
	p.expectLine("call Pause ")
	p.waitState("paused", "paused")
	p.waitMenu("Resume")
	p.waitMenu("notes — paused")
	p.click("Resume")
	p.expectLine("call Resume ")
	p.waitMenu("Pause")
	p.waitState("idle", "up to date")

	p.click("Sync now")
	p.expectLine("call SyncNow ")
	p.click("Open folder")
	p.expectLine("open " + notes)

	// Conflicts appear, and a click opens the folder holding the copy.
	c := idle
	c.State = syncer.Conflict
	c.Conflicts = []vcs.Conflict{{Path: "docs/plan.md", Copy: "docs/plan (conflict from laptop 2026-11-21 101500).md"}}
	p.set([]syncer.Snapshot{c})
	p.waitState("conflict", "1 conflict to look at")
	p.click("Conflicts", "plan (conflict from laptop 2026-11-21 101500).md")
	p.expectLine("open " + notes + "/docs")
	p.set([]syncer.Snapshot{idle})
	eventually(t, "the Conflicts submenu to hide", func() (bool, string) {
		m, err := p.layout()
		_, shown := m.find("Conflicts")
		return err == nil && !shown, m.String()
	})

	// Offline and error.
	off := idle
	off.State, off.NextRetry = syncer.Offline, time.Now().Add(30*time.Second)
	p.set([]syncer.Snapshot{off})
	p.waitState("offline", "offline, retrying in")
	bad := idle
	bad.State, bad.LastError = syncer.Error, "a rebase is in progress: finish it with git rebase --continue or --abort"
	p.set([]syncer.Snapshot{bad})
	p.waitState("error", "error: a rebase is in progress")
	p.waitMenu("notes — error: a rebase is in progress: finish it with git rebase --contin…")
	p.set([]syncer.Snapshot{idle})

	// Start at login: the checkbox writes the real XDG entry and shows the truth.
	entry := filepath.Join(p.cfg, "autostart", "autosync.desktop")
	p.click("Start at login")
	eventually(t, "the autostart entry and a checked box", func() (bool, string) {
		_, err := os.Stat(entry)
		m, _ := p.layout()
		e, _ := m.find("Start at login")
		return err == nil && e.Toggle == 1, fmt.Sprintf("stat: %v, toggle-state %d", err, e.Toggle)
	})
	p.click("Start at login")
	eventually(t, "the autostart entry gone and an unchecked box", func() (bool, string) {
		_, err := os.Stat(entry)
		m, _ := p.layout()
		e, _ := m.find("Start at login")
		return os.IsNotExist(err) && e.Toggle == 0, fmt.Sprintf("stat: %v, toggle-state %d", err, e.Toggle)
	})

	// Quit: the engine is told, the process exits 0 and leaves the bus.
	p.click("Quit")
	p.expectLine("call Quit")
	p.expectLine("exited")
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("tray process after Quit: %v", err)
	}
	// The bus notices the closed connection a moment after the exit.
	eventually(t, "the tray to leave the bus", func() (bool, string) { return !hasOwner(conn, p.owner), "" })
}

func TestTrayTwoFolders(t *testing.T) {
	conn := needDesktop(t)
	a, b := "/home/user/notes", "/home/user/photos"
	pb := testSnap(b, syncer.Pulling)
	p := startTray(t, conn, []syncer.Snapshot{testSnap(a, syncer.Idle), pb})
	p.waitState("pulling", "pulling… (photos)")
	m := p.waitMenu("photos — pulling…", "Pause")
	for _, want := range [][]string{{"notes — synced 2 min ago", "Sync now"}, {"notes — synced 2 min ago", "Open folder"}, {"Sync all now"}, {"Pause all"}} {
		if _, ok := m.find(want...); !ok {
			t.Errorf("menu has no %q:\n%s", want, m)
		}
	}
	if _, ok := m.find("Open folder"); ok {
		t.Errorf("a top-level Open folder with two folders (which one?):\n%s", m)
	}
	p.click("photos — pulling…", "Pause")
	p.expectLine("call Pause " + b)
	p.waitMenu("photos — paused", "Resume")
	p.waitMenu("Pause all") // notes still runs
	p.click("notes — synced 2 min ago", "Sync now")
	p.expectLine("call SyncNow " + a)
	p.click("Pause all")
	p.expectLine("call Pause ")
	p.waitMenu("Resume all")
	p.click("Resume all")
	p.expectLine("call Resume ")
	p.waitMenu("Pause all")
	p.click("Quit")
	p.expectLine("exited")
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("tray process after Quit: %v", err)
	}
}

// lit reports whether the screen pixel at (x, y) is not the black of the
// bare X root window: something (a menu) is drawn there.
func lit(x, y int) bool {
	out, err := exec.Command("import", "-window", "root", "png:-").Output()
	if err != nil {
		return false
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		return false
	}
	r, g, b, _ := img.At(x, y).RGBA()
	return r+g+b > 0x3000
}

// pointAndWait clicks (or, with button "", hovers) at x, y and waits up to a
// second for the screen at wantX, wantY to show something.
func pointAndWait(t *testing.T, button string, x, y, wantX, wantY int) bool {
	t.Helper()
	args := []string{"mousemove", "--sync", fmt.Sprint(x), fmt.Sprint(y + 25), "mousemove", "--sync", fmt.Sprint(x), fmt.Sprint(y)}
	if button != "" {
		args = append(args, "click", button)
	}
	if out, err := exec.Command("xdotool", args...).CombinedOutput(); err != nil {
		t.Fatalf("xdotool %q: %v %s", args, err, out)
	}
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		if lit(wantX, wantY) {
			return true
		}
		time.Sleep(20 * time.Millisecond) // polling a real process
	}
	return false
}

// TestTrayMenuScreenshot opens the real panel's menu for the docs: it runs
// when AUTOSYNC_SCREENSHOTS names a directory (the harness's screenshot run).
func TestTrayMenuScreenshot(t *testing.T) {
	dir := os.Getenv("AUTOSYNC_SCREENSHOTS")
	if dir == "" {
		t.Skip("AUTOSYNC_SCREENSHOTS not set")
	}
	conn := needDesktop(t)
	for _, tool := range []string{"xdotool", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed for screenshots", tool)
		}
	}
	now := time.Now()
	notes := testSnap("/home/ann/notes", syncer.Idle)
	notes.LastSync = now.Add(-20 * time.Second)
	notes.Recent = []vcs.Commit{
		{Subject: "edit todo.txt", Device: "laptop", Time: now.Add(-5 * time.Minute)},
		{Subject: "add plan.md", Device: "desk", Time: now.Add(-70 * time.Minute)},
		{Subject: "edit shopping.md", Device: "phone", Time: now.Add(-26 * time.Hour)},
	}
	photos := testSnap("/home/ann/photos", syncer.Pushing)
	photos.Conflicts = []vcs.Conflict{{Path: "trip/list.md", Copy: "trip/list (conflict from laptop 2026-11-21 101500).md"}}
	p := startTray(t, conn, []syncer.Snapshot{notes, photos})
	p.waitState("pushing", "pushing…")
	// The harness's panel has the tray first: the icon is at (0..32, 0..32);
	// the menu opens below it, entries 25 px high; "Recent changes" is the
	// fifth, and its submenu opens to the right of the 245 px wide menu.
	// The panel draws the icon, and fills submenus, a moment after the item
	// registers: start over (Escape closes the menu) until both show.
	shown := false
	for try := 0; try < 10 && !shown; try++ {
		shown = pointAndWait(t, "1", 16, 16, 100, 60) && pointAndWait(t, "", 80, 149, 400, 152)
		if !shown {
			exec.Command("xdotool", "key", "Escape", "Escape").Run()
		}
	}
	if !shown {
		t.Fatal("could not open the tray menu and its Recent changes submenu")
	}
	if out, err := exec.Command("import", "-window", "root", filepath.Join(dir, "tray-menu.png")).CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v %s", err, out)
	}
	exec.Command("xdotool", "key", "Escape", "Escape").Run()
	p.click("Quit")
	p.expectLine("exited")
	p.cmd.Wait()
}

// A config reload can change the number of folders: the menu is rebuilt and
// its items still work.
func TestTrayFolderListChanges(t *testing.T) {
	conn := needDesktop(t)
	a, b := "/home/user/notes", "/home/user/photos"
	p := startTray(t, conn, []syncer.Snapshot{testSnap(a, syncer.Idle)})
	p.waitMenu("notes — synced 2 min ago")
	p.waitMenu("Open folder")
	p.set([]syncer.Snapshot{testSnap(a, syncer.Idle), testSnap(b, syncer.Idle)})
	p.waitMenu("photos — synced 2 min ago", "Pause")
	m := p.waitMenu("Pause all")
	if _, ok := m.find("Open folder"); ok {
		t.Errorf("the single-folder Open folder survived the rebuild:\n%s", m)
	}
	if n := strings.Count(m.String(), "\"Quit\""); n != 1 {
		t.Errorf("%d Quit items after the rebuild:\n%s", n, m)
	}
	p.click("photos — synced 2 min ago", "Pause")
	p.expectLine("call Pause " + b)
	p.waitMenu("photos — paused", "Resume")
	p.set([]syncer.Snapshot{testSnap(a, syncer.Idle)})
	p.waitMenu("Open folder")
	p.click("Pause")
	p.expectLine("call Pause ")
	p.click("Quit")
	p.expectLine("exited")
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("tray process after Quit: %v", err)
	}
}
