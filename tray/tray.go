package tray

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"fyne.io/systray"

	"github.com/autosync-dev/autosync/assets"
	"github.com/autosync-dev/autosync/syncer"
)

// Source is where the tray reads the folders' state.
type Source interface {
	// Snapshots returns the current snapshot of every folder, in a stable
	// order. It must not block for long; the tray calls it on its own
	// goroutine after each Changed.
	Snapshots() []syncer.Snapshot
	// Changed receives after any snapshot changed. Sends are coalesced and
	// never block the engine (1-buffered, non-blocking send). A closed
	// channel is allowed and means no more changes.
	Changed() <-chan struct{}
}

// Controller is what the tray's menu asks the engine to do. Every method
// only enqueues and returns at once; folder "" means all folders.
type Controller interface {
	SyncNow(folder string)
	Pause(folder string)
	Resume(folder string)
	// Quit asks the whole program to shut down. The tray also ends Run.
	Quit()
}

// Autostarter is the "Start at login" switch (autostart.Switch).
type Autostarter interface {
	Enable() error
	Disable() error
	Enabled() (bool, error)
}

// Options configure Run. Source and Controller are required.
type Options struct {
	Source     Source
	Controller Controller
	// Autostart backs the "Start at login" checkbox; nil hides it.
	Autostart Autostarter
	// Logger gets click and error reports; nil discards them.
	Logger *slog.Logger
	// AppName is the tray item's title and id. Default "autosync".
	AppName string
	// Open opens a folder in the file manager. Default: xdg-open on
	// Linux, open on macOS, explorer on Windows.
	Open func(path string) error
	// Now is the clock for relative times. Default time.Now.
	Now func() time.Time
	// Refresh is how often relative times ("2 min ago") are redrawn when
	// nothing else changes. Default 30s.
	Refresh time.Duration
}

// Quit ends Run from any goroutine (for example when the program shuts down
// for another reason than the Quit item). Calling it more than once, or
// before Run, is harmless.
func Quit() { systray.Quit() }

// Run shows the tray and returns after Quit (the menu item or the function).
// It must be called on the main goroutine (macOS requires it; systray locks
// the main OS thread in its init), and only once per process: the systray
// library keeps global state.
func Run(opts Options) {
	if opts.AppName == "" {
		opts.AppName = "autosync"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Open == nil {
		opts.Open = openFolder
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Refresh <= 0 {
		opts.Refresh = 30 * time.Second
	}
	u := &ui{opts: opts, log: opts.Logger, actions: make(chan action, 64), done: make(chan struct{})}
	u.autostartOn = u.readAutostart()
	m := Model(opts.Source.Snapshots(), opts.Now(), u.autostartOn)
	// fyne.io/systray race (upstream issue #35): icon, title and tooltip set
	// inside onReady can be lost, because onReady runs before the D-Bus
	// properties are exported and the export reads the values stored at that
	// moment. Values set before Run are always exported.
	systray.SetIcon(assets.Icon(m.Icon, iconFormat))
	systray.SetTitle(opts.AppName)
	systray.SetTooltip(m.Tooltip)
	u.drawn.Icon, u.drawn.Tooltip = m.Icon, m.Tooltip

	defer func() {
		// systray panics in its shutdown when the session bus went away
		// under it; the program must still shut down cleanly.
		if r := recover(); r != nil {
			u.log.Error("tray: the tray library failed while shutting down", "panic", fmt.Sprint(r))
		}
	}()
	systray.Run(u.onReady, u.onExit)
}

type actionKind int

const (
	actSyncAll actionKind = iota
	actPauseAll
	actOpen
	actFolderSync
	actFolderPause
	actFolderOpen
	actConflict
	actRecent
	actAutostart
	actQuit
)

type action struct {
	kind actionKind
	slot int
}

// folderItems are one folder's line and, with several folders, its submenu.
type folderItems struct {
	line              *systray.MenuItem
	sync, pause, open *systray.MenuItem // nil with a single folder
}

// ui is the drawn menu. After onReady has built it, only the loop goroutine
// touches it; click goroutines only send actions.
type ui struct {
	opts    Options
	log     *slog.Logger
	actions chan action
	done    chan struct{}
	wg      sync.WaitGroup

	folders                     []folderItems
	syncAll, pauseAll, openItem *systray.MenuItem
	recentParent, recentNone    *systray.MenuItem
	recent                      []*systray.MenuItem
	conflictParent              *systray.MenuItem
	conflicts                   []*systray.MenuItem
	autostart, quit             *systray.MenuItem

	drawn       Menu // what the items show now
	autostartOn bool
}

func (u *ui) onReady() {
	// Set again: harmless when the values before Run made it, a second
	// chance when they did not.
	systray.SetIcon(assets.Icon(u.drawn.Icon, iconFormat))
	systray.SetTooltip(u.drawn.Tooltip)
	m := Model(u.opts.Source.Snapshots(), u.opts.Now(), u.autostartOn)
	u.build(len(m.Folders), m.OpenFolder != "")
	u.draw(m)
	u.wg.Add(1)
	go u.loop()
}

func (u *ui) onExit() {
	close(u.done)
	u.wg.Wait()
}

func (u *ui) loop() {
	defer u.wg.Done()
	tick := time.NewTimer(u.refreshIn())
	defer tick.Stop()
	changed := u.opts.Source.Changed()
	for {
		select {
		case <-u.done:
			return
		case _, ok := <-changed:
			if !ok {
				changed = nil
				continue
			}
			u.redraw()
		case <-tick.C:
			u.autostartOn = u.readAutostart() // the CLI may have changed it
			u.redraw()
			tick.Reset(u.refreshIn())
		case a := <-u.actions:
			u.handle(a)
		}
	}
}

// offlineRefresh is how often an "offline, retrying in 30s" countdown is
// redrawn; arbitrary: fresh enough to read, rare enough for the bus.
const offlineRefresh = 5 * time.Second

// refreshIn is when relative times need redrawing next: every Refresh, or
// sooner while a folder counts down to its next retry.
func (u *ui) refreshIn() time.Duration {
	d := u.opts.Refresh
	now := u.opts.Now()
	for _, s := range u.opts.Source.Snapshots() {
		if s.State == syncer.Offline && s.NextRetry.After(now) {
			d = min(d, offlineRefresh, s.NextRetry.Sub(now)+time.Second/10)
		}
	}
	return d
}

func (u *ui) redraw() {
	m := Model(u.opts.Source.Snapshots(), u.opts.Now(), u.autostartOn)
	if len(m.Folders) != len(u.drawn.Folders) || (m.OpenFolder != "") != (u.drawn.OpenFolder != "") {
		// The folder list changed shape: rebuild (rare: config reload).
		systray.ResetMenu()
		u.build(len(m.Folders), m.OpenFolder != "")
	}
	u.draw(m)
}

func (u *ui) readAutostart() bool {
	if u.opts.Autostart == nil {
		return false
	}
	on, err := u.opts.Autostart.Enabled()
	if err != nil {
		u.log.Warn("tray: cannot tell whether autosync starts at login", "err", err)
	}
	return on
}

// forward turns an item's clicks into actions. systray drops a click when
// nobody is receiving (ClickedCh is unbuffered, the send non-blocking), so
// this loop does nothing else; the actions channel is buffered.
func (u *ui) forward(item *systray.MenuItem, kind actionKind, slot int) {
	go func() {
		for range item.ClickedCh { // closed when the item is removed
			select {
			case u.actions <- action{kind, slot}:
			case <-u.done:
				return
			}
		}
	}()
}

func (u *ui) build(nFolders int, single bool) {
	u.folders = make([]folderItems, nFolders)
	for i := range u.folders {
		f := &u.folders[i]
		f.line = systray.AddMenuItem("", "")
		if nFolders == 1 {
			f.line.Disable() // a status line; the actions are below
			continue
		}
		f.sync = f.line.AddSubMenuItem("Sync now", "Commit, pull and push this folder now")
		f.pause = f.line.AddSubMenuItem("Pause", "")
		f.open = f.line.AddSubMenuItem("Open folder", "")
		u.forward(f.sync, actFolderSync, i)
		u.forward(f.pause, actFolderPause, i)
		u.forward(f.open, actFolderOpen, i)
	}
	if nFolders > 0 {
		systray.AddSeparator()
	}
	u.syncAll = systray.AddMenuItem("Sync now", "Commit, pull and push now")
	u.pauseAll = systray.AddMenuItem("Pause", "")
	u.forward(u.syncAll, actSyncAll, 0)
	u.forward(u.pauseAll, actPauseAll, 0)
	u.openItem = nil
	if single {
		u.openItem = systray.AddMenuItem("Open folder", "")
		u.forward(u.openItem, actOpen, 0)
	}
	u.recentParent = systray.AddMenuItem("Recent changes", "")
	u.recentNone = u.recentParent.AddSubMenuItem("No changes yet", "")
	u.recentNone.Disable()
	u.recent = make([]*systray.MenuItem, maxRecent)
	for i := range u.recent {
		u.recent[i] = u.recentParent.AddSubMenuItem("", "")
		u.recent[i].Hide()
		u.forward(u.recent[i], actRecent, i)
	}
	u.conflictParent = systray.AddMenuItem("Conflicts", "Both versions were kept; click one to open its folder")
	u.conflicts = make([]*systray.MenuItem, maxConflicts)
	for i := range u.conflicts {
		u.conflicts[i] = u.conflictParent.AddSubMenuItem("", "")
		u.conflicts[i].Hide()
		u.forward(u.conflicts[i], actConflict, i)
	}
	u.conflictParent.Hide()
	systray.AddSeparator()
	u.autostart = nil
	if u.opts.Autostart != nil {
		u.autostart = systray.AddMenuItemCheckbox("Start at login", "", false)
		u.forward(u.autostart, actAutostart, 0)
	}
	u.quit = systray.AddMenuItem("Quit", "Stop syncing and quit autosync")
	u.forward(u.quit, actQuit, 0)
	u.drawn = Menu{Icon: u.drawn.Icon, Tooltip: u.drawn.Tooltip, Folders: make([]Folder, nFolders), OpenFolder: u.drawn.OpenFolder}
	// Labels start empty so that draw sets every one of them.
	u.drawn.PauseLabel, u.drawn.SyncLabel = "Pause", "Sync now"
	u.drawn.Recent = nil
	u.drawn.Conflicts = nil
}

// draw changes only what differs from what is shown: every change is a D-Bus
// signal and makes the panel re-read the menu.
func (u *ui) draw(m Menu) {
	if m.Icon != u.drawn.Icon {
		systray.SetIcon(assets.Icon(m.Icon, iconFormat))
	}
	if m.Tooltip != u.drawn.Tooltip {
		systray.SetTooltip(m.Tooltip)
	}
	for i, f := range m.Folders {
		old := u.drawn.Folders[i]
		it := u.folders[i]
		if f.Label != old.Label {
			it.line.SetTitle(f.Label)
		}
		if it.pause != nil && f.PauseLabel != old.PauseLabel {
			it.pause.SetTitle(f.PauseLabel)
		}
	}
	if m.SyncLabel != u.drawn.SyncLabel {
		u.syncAll.SetTitle(m.SyncLabel)
	}
	if m.PauseLabel != u.drawn.PauseLabel {
		u.pauseAll.SetTitle(m.PauseLabel)
	}
	for i, it := range u.recent {
		switch {
		case i >= len(m.Recent):
			if i < len(u.drawn.Recent) {
				it.Hide()
			}
		case i >= len(u.drawn.Recent):
			it.SetTitle(m.Recent[i].Label)
			it.Show()
		case m.Recent[i].Label != u.drawn.Recent[i].Label:
			it.SetTitle(m.Recent[i].Label)
		}
	}
	if (len(m.Recent) == 0) != (len(u.drawn.Recent) == 0) {
		if len(m.Recent) == 0 {
			u.recentNone.Show()
		} else {
			u.recentNone.Hide()
		}
	}
	for i, it := range u.conflicts {
		switch {
		case i >= len(m.Conflicts):
			if i < len(u.drawn.Conflicts) {
				it.Hide()
			}
		case i >= len(u.drawn.Conflicts):
			it.SetTitle(m.Conflicts[i].Label)
			it.Show()
		case m.Conflicts[i].Label != u.drawn.Conflicts[i].Label:
			it.SetTitle(m.Conflicts[i].Label)
		}
	}
	switch {
	case len(m.Conflicts) > 0 && len(u.drawn.Conflicts) == 0:
		u.conflictParent.Show()
	case len(m.Conflicts) == 0 && len(u.drawn.Conflicts) > 0:
		u.conflictParent.Hide()
	}
	if u.autostart != nil && m.Autostart != u.autostart.Checked() {
		if m.Autostart {
			u.autostart.Check()
		} else {
			u.autostart.Uncheck()
		}
	}
	u.drawn = m
}

func (u *ui) handle(a action) {
	c, m := u.opts.Controller, u.drawn
	switch a.kind {
	case actSyncAll:
		u.log.Info("tray: sync now (all folders)")
		c.SyncNow("")
	case actPauseAll:
		if m.ResumeAll {
			u.log.Info("tray: resume (all folders)")
			c.Resume("")
		} else {
			u.log.Info("tray: pause (all folders)")
			c.Pause("")
		}
	case actOpen:
		u.open(m.OpenFolder)
	case actFolderSync, actFolderPause, actFolderOpen:
		if a.slot >= len(m.Folders) {
			return
		}
		f := m.Folders[a.slot]
		switch {
		case a.kind == actFolderSync:
			u.log.Info("tray: sync now", "folder", f.Path)
			c.SyncNow(f.Path)
		case a.kind == actFolderOpen:
			u.open(f.Path)
		case f.Paused:
			u.log.Info("tray: resume", "folder", f.Path)
			c.Resume(f.Path)
		default:
			u.log.Info("tray: pause", "folder", f.Path)
			c.Pause(f.Path)
		}
	case actConflict:
		if a.slot < len(m.Conflicts) {
			u.open(m.Conflicts[a.slot].Dir)
		}
	case actRecent:
		if a.slot < len(m.Recent) {
			u.open(m.Recent[a.slot].Folder)
		}
	case actAutostart:
		u.toggleAutostart()
	case actQuit:
		u.log.Info("tray: quit")
		c.Quit()
		systray.Quit()
	}
}

func (u *ui) open(path string) {
	if path == "" {
		return
	}
	if err := u.opts.Open(path); err != nil {
		u.log.Error("tray: cannot open the folder; open it in your file manager", "path", path, "err", err)
	}
}

func (u *ui) toggleAutostart() {
	if u.opts.Autostart == nil {
		return
	}
	var err error
	if u.readAutostart() {
		err = u.opts.Autostart.Disable()
	} else {
		err = u.opts.Autostart.Enable()
	}
	if err != nil {
		u.log.Error("tray: cannot change start at login", "err", err)
	}
	// The checkbox shows what is true now, whatever happened.
	u.autostartOn = u.readAutostart()
	u.log.Info("tray: start at login", "enabled", u.autostartOn)
	u.redraw()
}
