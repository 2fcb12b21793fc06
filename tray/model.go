package tray

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/autosync-dev/autosync/syncer"
)

// Limits on list lengths in the menu; arbitrary, chosen so the menu fits on a
// laptop screen.
const (
	maxRecent    = 8
	maxConflicts = 10
	maxErrorLen  = 60 // characters of an error shown in a folder line
)

// Menu is everything the tray shows, computed from the folders' snapshots by
// Model. The adapter only draws it.
type Menu struct {
	// Icon is the assets icon name: idle, committing, pushing, pulling,
	// paused, offline, conflict or error.
	Icon string
	// Tooltip is the overall state and the last sync time.
	Tooltip string
	// Folders has one line per folder, in the order of the snapshots.
	Folders []Folder
	// PauseLabel is the label of the all-folders pause item: "Pause" or
	// "Resume" with one folder, "Pause all" or "Resume all" with several.
	// ResumeAll says which of the two a click means.
	PauseLabel string
	ResumeAll  bool
	// SyncLabel is "Sync now", or "Sync all now" with several folders.
	SyncLabel string
	// OpenFolder is the folder "Open folder" opens; empty with several
	// folders (each folder's submenu has its own).
	OpenFolder string
	// Recent holds the last commits of all folders, newest first. Empty
	// shows a disabled "No changes yet".
	Recent []RecentItem
	// Conflicts lists the conflict copies; the menu hides when empty.
	Conflicts []ConflictItem
	// Autostart is the state of the "Start at login" checkbox.
	Autostart bool
}

// Folder is one folder's line, and its submenu when there are several.
type Folder struct {
	Path  string
	Label string // "notes — synced 2 min ago"
	// PauseLabel is "Pause" or "Resume"; Paused says which a click means.
	PauseLabel string
	Paused     bool
}

// RecentItem is one recent commit; a click opens its folder.
type RecentItem struct {
	Label  string // "edit todo.txt — laptop, 5 min ago"
	Folder string
}

// ConflictItem is one conflict copy; a click opens Dir.
type ConflictItem struct {
	Label string
	Dir   string // absolute path of the folder holding the copy
}

// Model turns the folders' snapshots into what the tray shows. It is a pure
// function of its arguments (now makes relative times testable).
func Model(snaps []syncer.Snapshot, now time.Time, autostartOn bool) Menu {
	m := Menu{Autostart: autostartOn, SyncLabel: "Sync now"}
	many := len(snaps) > 1
	if many {
		m.SyncLabel = "Sync all now"
	}
	if len(snaps) == 1 {
		m.OpenFolder = snaps[0].Path
	}
	allPaused := len(snaps) > 0
	var lastSync time.Time
	for _, s := range snaps {
		f := Folder{Path: s.Path, Label: name(s) + " — " + folderStatus(s, now), PauseLabel: "Pause"}
		if paused(s) {
			f.PauseLabel, f.Paused = "Resume", true
		} else {
			allPaused = false
		}
		m.Folders = append(m.Folders, f)
		if s.LastSync.After(lastSync) {
			lastSync = s.LastSync
		}
	}
	m.ResumeAll = allPaused
	switch {
	case allPaused && many:
		m.PauseLabel = "Resume all"
	case allPaused:
		m.PauseLabel = "Resume"
	case many:
		m.PauseLabel = "Pause all"
	default:
		m.PauseLabel = "Pause"
	}
	m.Icon, m.Tooltip = overall(snaps, now, lastSync)
	m.Recent = recent(snaps, now, many)
	m.Conflicts = conflicts(snaps, many)
	return m
}

func name(s syncer.Snapshot) string {
	if s.Name != "" {
		return s.Name
	}
	return filepath.Base(s.Path)
}

func paused(s syncer.Snapshot) bool { return s.Paused || s.State == syncer.Paused }

// folderStatus is the part of a folder's line after its name.
func folderStatus(s syncer.Snapshot, now time.Time) string {
	switch s.State {
	case syncer.Pending:
		return "changes waiting"
	case syncer.Committing:
		return "committing…"
	case syncer.Pulling:
		return "pulling…"
	case syncer.Pushing:
		return "pushing…"
	case syncer.Paused:
		return "paused"
	case syncer.Offline:
		if d := s.NextRetry.Sub(now); !s.NextRetry.IsZero() && d > 0 {
			return "offline, retrying in " + shortDuration(d)
		}
		return "offline, retrying"
	case syncer.Conflict:
		n := len(s.Conflicts)
		if n == 1 {
			return "1 conflict to look at"
		}
		return fmt.Sprintf("%d conflicts to look at", n)
	case syncer.Error:
		return "error: " + shortError(s.LastError)
	}
	if s.Paused {
		return "paused"
	}
	if s.LastSync.IsZero() {
		return "not synced yet"
	}
	return "synced " + ago(s.LastSync, now)
}

// severity orders states for the one tray icon: what needs the user first,
// then what is temporarily wrong, then activity, then rest.
var severity = map[syncer.State]int{
	syncer.Error: 8, syncer.Conflict: 7, syncer.Offline: 6,
	syncer.Pulling: 5, syncer.Pushing: 4, syncer.Committing: 3, syncer.Pending: 2,
	syncer.Idle: 1, syncer.Paused: 0,
}

// overall picks the icon and writes the tooltip for all folders together.
func overall(snaps []syncer.Snapshot, now, lastSync time.Time) (icon, tooltip string) {
	last := "never synced"
	if !lastSync.IsZero() {
		last = "last sync " + ago(lastSync, now)
	}
	if len(snaps) == 0 {
		return "idle", "autosync — no folders"
	}
	worst := -1
	for i, s := range snaps {
		st := s.State
		if s.Paused && st == syncer.Idle {
			st = syncer.Paused
		}
		if severity[st] > severityOf(snaps, worst) {
			worst = i
		}
	}
	s := snaps[worst]
	st := s.State
	if s.Paused && st == syncer.Idle {
		st = syncer.Paused
	}
	where := ""
	if len(snaps) > 1 {
		where = " (" + name(s) + ")"
	}
	var what string
	switch st {
	case syncer.Idle:
		what = "up to date"
		icon = "idle"
	case syncer.Paused:
		what = "paused"
		icon = "paused"
		where = ""
	case syncer.Pending:
		what, icon = "changes waiting"+where, "committing"
	case syncer.Committing, syncer.Pulling, syncer.Pushing:
		what, icon = st.String()+"…"+where, st.String()
	case syncer.Offline:
		what, icon = folderStatus(s, now)+where, "offline"
	case syncer.Conflict:
		what, icon = folderStatus(s, now)+where, "conflict"
	case syncer.Error:
		what, icon = "error"+where+": "+shortError(s.LastError), "error"
	default:
		what, icon = st.String(), "error"
	}
	return icon, "autosync — " + what + "; " + last
}

func severityOf(snaps []syncer.Snapshot, i int) int {
	if i < 0 {
		return -1
	}
	st := snaps[i].State
	if snaps[i].Paused && st == syncer.Idle {
		st = syncer.Paused
	}
	return severity[st]
}

func recent(snaps []syncer.Snapshot, now time.Time, many bool) []RecentItem {
	type entry struct {
		t    time.Time
		item RecentItem
	}
	var es []entry
	for _, s := range snaps {
		for _, c := range s.Recent {
			who := cmp.Or(c.Device, c.Author)
			label := truncate(firstLine(c.Subject), 50)
			if many {
				label = name(s) + ": " + label
			}
			label += " — "
			if who != "" {
				label += who + ", "
			}
			label += ago(c.Time, now)
			es = append(es, entry{c.Time, RecentItem{label, s.Path}})
		}
	}
	slices.SortStableFunc(es, func(a, b entry) int { return b.t.Compare(a.t) })
	var out []RecentItem
	for i, e := range es {
		if i == maxRecent {
			break
		}
		out = append(out, e.item)
	}
	return out
}

func conflicts(snaps []syncer.Snapshot, many bool) []ConflictItem {
	var out []ConflictItem
	total := 0
	for _, s := range snaps {
		for _, c := range s.Conflicts {
			total++
			if len(out) == maxConflicts {
				continue
			}
			rel := cmp.Or(c.Copy, c.Path)
			label := filepath.Base(rel)
			if many {
				label = name(s) + ": " + label
			}
			out = append(out, ConflictItem{Label: label, Dir: filepath.Join(s.Path, filepath.Dir(filepath.FromSlash(rel)))})
		}
	}
	if total > len(out) {
		// The last slot says how many are not listed; a click opens the
		// first folder with conflicts, where they all are.
		out[len(out)-1] = ConflictItem{Label: fmt.Sprintf("… and %d more", total-len(out)+1), Dir: out[len(out)-1].Dir}
	}
	return out
}

// ago is a relative time as a person says it.
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	case d < 48*time.Hour:
		return "yesterday"
	case t.Year() == now.Year():
		return "on " + t.Format("2 Jan")
	default:
		return "on " + t.Format("2 Jan 2006")
	}
}

// shortDuration rounds a wait to what is worth reading: seconds under two
// minutes, then minutes.
func shortDuration(d time.Duration) string {
	if d < 2*time.Minute {
		return fmt.Sprintf("%ds", int((d+time.Second-1)/time.Second))
	}
	return fmt.Sprintf("%d min", int((d+time.Minute-1)/time.Minute))
}

func shortError(s string) string {
	if s == "" {
		return "see the log"
	}
	return truncate(firstLine(s), maxErrorLen)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
