package tray

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/vcs"
)

var now = time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC)

func snap(name string, st syncer.State, mod ...func(*syncer.Snapshot)) syncer.Snapshot {
	s := syncer.Snapshot{Path: "/home/u/" + name, Name: name, State: st, LastSync: now.Add(-2 * time.Minute)}
	for _, m := range mod {
		m(&s)
	}
	return s
}

func TestModelFolderLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    syncer.Snapshot
		want string
	}{
		{"idle", snap("notes", syncer.Idle), "notes — synced 2 min ago"},
		{"idle just now", snap("notes", syncer.Idle, func(s *syncer.Snapshot) { s.LastSync = now.Add(-10 * time.Second) }), "notes — synced just now"},
		{"idle hours", snap("notes", syncer.Idle, func(s *syncer.Snapshot) { s.LastSync = now.Add(-3*time.Hour - time.Minute) }), "notes — synced 3 h ago"},
		{"idle yesterday", snap("notes", syncer.Idle, func(s *syncer.Snapshot) { s.LastSync = now.Add(-30 * time.Hour) }), "notes — synced yesterday"},
		{"idle long ago", snap("notes", syncer.Idle, func(s *syncer.Snapshot) { s.LastSync = now.AddDate(0, -2, 0) }), "notes — synced on 21 Sep"},
		{"never", snap("notes", syncer.Idle, func(s *syncer.Snapshot) { s.LastSync = time.Time{} }), "notes — not synced yet"},
		{"pending", snap("notes", syncer.Pending), "notes — changes waiting"},
		{"committing", snap("notes", syncer.Committing), "notes — committing…"},
		{"pushing", snap("notes", syncer.Pushing), "notes — pushing…"},
		{"pulling", snap("notes", syncer.Pulling), "notes — pulling…"},
		{"paused", snap("notes", syncer.Paused, func(s *syncer.Snapshot) { s.Paused = true }), "notes — paused"},
		{"offline", snap("notes", syncer.Offline, func(s *syncer.Snapshot) { s.NextRetry = now.Add(29500 * time.Millisecond) }), "notes — offline, retrying in 30s"},
		{"offline minutes", snap("notes", syncer.Offline, func(s *syncer.Snapshot) { s.NextRetry = now.Add(4*time.Minute + time.Second) }), "notes — offline, retrying in 5 min"},
		{"offline no time", snap("notes", syncer.Offline), "notes — offline, retrying"},
		{"conflict", snap("notes", syncer.Conflict, func(s *syncer.Snapshot) { s.Conflicts = make([]vcs.Conflict, 2) }), "notes — 2 conflicts to look at"},
		{"error", snap("notes", syncer.Error, func(s *syncer.Snapshot) {
			s.LastError = "a rebase is in progress: finish it with git rebase --continue or --abort\nmore"
		}), "notes — error: a rebase is in progress: finish it with git rebase --contin…"},
		{"error empty", snap("notes", syncer.Error), "notes — error: see the log"},
		{"no name", syncer.Snapshot{Path: "/srv/docs", LastSync: now.Add(-5 * time.Minute)}, "docs — synced 5 min ago"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Model([]syncer.Snapshot{tc.s}, now, false)
			if len(m.Folders) != 1 || m.Folders[0].Label != tc.want {
				t.Errorf("folder line = %+v, want %q", m.Folders, tc.want)
			}
		})
	}
}

func TestModelIconAndTooltip(t *testing.T) {
	paused := func(s *syncer.Snapshot) { s.Paused = true }
	for _, tc := range []struct {
		name    string
		snaps   []syncer.Snapshot
		icon    string
		tooltip string
	}{
		{"idle", []syncer.Snapshot{snap("notes", syncer.Idle)}, "idle", "autosync — up to date; last sync 2 min ago"},
		{"never", []syncer.Snapshot{snap("notes", syncer.Idle, func(s *syncer.Snapshot) { s.LastSync = time.Time{} })}, "idle", "autosync — up to date; never synced"},
		{"pending shows as committing", []syncer.Snapshot{snap("notes", syncer.Pending)}, "committing", "autosync — changes waiting; last sync 2 min ago"},
		{"committing", []syncer.Snapshot{snap("notes", syncer.Committing)}, "committing", "autosync — committing…; last sync 2 min ago"},
		{"pushing", []syncer.Snapshot{snap("notes", syncer.Pushing)}, "pushing", "autosync — pushing…; last sync 2 min ago"},
		{"pulling", []syncer.Snapshot{snap("notes", syncer.Pulling)}, "pulling", "autosync — pulling…; last sync 2 min ago"},
		{"paused", []syncer.Snapshot{snap("notes", syncer.Paused, paused)}, "paused", "autosync — paused; last sync 2 min ago"},
		{"paused flag while idle", []syncer.Snapshot{snap("notes", syncer.Idle, paused)}, "paused", "autosync — paused; last sync 2 min ago"},
		{"offline", []syncer.Snapshot{snap("notes", syncer.Offline)}, "offline", "autosync — offline, retrying; last sync 2 min ago"},
		{"error", []syncer.Snapshot{snap("notes", syncer.Error, func(s *syncer.Snapshot) { s.LastError = "no upstream" })}, "error", "autosync — error: no upstream; last sync 2 min ago"},
		{"error beats pushing", []syncer.Snapshot{snap("a", syncer.Pushing), snap("b", syncer.Error, func(s *syncer.Snapshot) { s.LastError = "x" })}, "error", "autosync — error (b): x; last sync 2 min ago"},
		{"conflict beats offline", []syncer.Snapshot{snap("a", syncer.Offline), snap("b", syncer.Conflict, func(s *syncer.Snapshot) { s.Conflicts = make([]vcs.Conflict, 1) })}, "conflict", "autosync — 1 conflict to look at (b); last sync 2 min ago"},
		{"activity beats idle", []syncer.Snapshot{snap("a", syncer.Idle), snap("b", syncer.Pulling)}, "pulling", "autosync — pulling… (b); last sync 2 min ago"},
		{"one paused, one idle: idle", []syncer.Snapshot{snap("a", syncer.Paused, paused), snap("b", syncer.Idle)}, "idle", "autosync — up to date; last sync 2 min ago"},
		{"latest sync of all", []syncer.Snapshot{snap("a", syncer.Idle), snap("b", syncer.Idle, func(s *syncer.Snapshot) { s.LastSync = now.Add(-20 * time.Second) })}, "idle", "autosync — up to date; last sync just now"},
		{"no folders", nil, "idle", "autosync — no folders"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Model(tc.snaps, now, false)
			if m.Icon != tc.icon || m.Tooltip != tc.tooltip {
				t.Errorf("icon, tooltip = %q, %q; want %q, %q", m.Icon, m.Tooltip, tc.icon, tc.tooltip)
			}
		})
	}
}

func TestModelPauseLabels(t *testing.T) {
	p := func(s *syncer.Snapshot) { s.Paused, s.State = true, syncer.Paused }
	for _, tc := range []struct {
		name      string
		snaps     []syncer.Snapshot
		label     string
		resumeAll bool
		sync      string
		open      string
	}{
		{"one running", []syncer.Snapshot{snap("notes", syncer.Idle)}, "Pause", false, "Sync now", "/home/u/notes"},
		{"one paused", []syncer.Snapshot{snap("notes", syncer.Paused, p)}, "Resume", true, "Sync now", "/home/u/notes"},
		{"two running", []syncer.Snapshot{snap("a", syncer.Idle), snap("b", syncer.Idle)}, "Pause all", false, "Sync all now", ""},
		{"one of two paused", []syncer.Snapshot{snap("a", syncer.Paused, p), snap("b", syncer.Idle)}, "Pause all", false, "Sync all now", ""},
		{"two paused", []syncer.Snapshot{snap("a", syncer.Paused, p), snap("b", syncer.Paused, p)}, "Resume all", true, "Sync all now", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Model(tc.snaps, now, true)
			if m.PauseLabel != tc.label || m.ResumeAll != tc.resumeAll || m.SyncLabel != tc.sync || m.OpenFolder != tc.open || !m.Autostart {
				t.Errorf("got %q resume=%v %q open=%q autostart=%v; want %q %v %q %q true",
					m.PauseLabel, m.ResumeAll, m.SyncLabel, m.OpenFolder, m.Autostart, tc.label, tc.resumeAll, tc.sync, tc.open)
			}
			for i, f := range m.Folders {
				wantPaused := tc.snaps[i].Paused
				if f.Paused != wantPaused || (f.PauseLabel == "Resume") != wantPaused {
					t.Errorf("folder %s: %q paused=%v, want paused=%v", f.Path, f.PauseLabel, f.Paused, wantPaused)
				}
			}
		})
	}
}

func TestModelRecent(t *testing.T) {
	a := snap("notes", syncer.Idle, func(s *syncer.Snapshot) {
		s.Recent = []vcs.Commit{
			{Subject: "edit todo.txt", Device: "laptop", Author: "Ann", Time: now.Add(-5 * time.Minute)},
			{Subject: "add plan.md\n\nbody", Author: "Ann", Time: now.Add(-3 * time.Hour)},
		}
	})
	b := snap("photos", syncer.Idle, func(s *syncer.Snapshot) {
		s.Recent = []vcs.Commit{{Subject: "add " + strings.Repeat("x", 80) + ".jpg", Device: "desk", Time: now.Add(-time.Minute)}}
	})
	got := Model([]syncer.Snapshot{a}, now, false).Recent
	want := []RecentItem{{"edit todo.txt — laptop, 5 min ago", "/home/u/notes"}, {"add plan.md — Ann, 3 h ago", "/home/u/notes"}}
	if !slices.Equal(got, want) {
		t.Errorf("one folder: %+v, want %+v", got, want)
	}
	got = Model([]syncer.Snapshot{a, b}, now, false).Recent
	want = []RecentItem{
		{"photos: add " + strings.Repeat("x", 45) + "… — desk, 1 min ago", "/home/u/photos"},
		{"notes: edit todo.txt — laptop, 5 min ago", "/home/u/notes"},
		{"notes: add plan.md — Ann, 3 h ago", "/home/u/notes"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("two folders, newest first:\n got %+v\nwant %+v", got, want)
	}
	var many []vcs.Commit
	for i := range 20 {
		many = append(many, vcs.Commit{Subject: "c", Time: now.Add(-time.Duration(i) * time.Minute)})
	}
	if n := len(Model([]syncer.Snapshot{snap("n", syncer.Idle, func(s *syncer.Snapshot) { s.Recent = many })}, now, false).Recent); n != maxRecent {
		t.Errorf("%d recent entries, want at most %d", n, maxRecent)
	}
}

func TestModelConflicts(t *testing.T) {
	s := snap("notes", syncer.Conflict, func(s *syncer.Snapshot) {
		s.Conflicts = []vcs.Conflict{
			{Path: "docs/plan.md", Copy: "docs/plan (conflict from laptop 2026-11-21 101500).md"},
			{Path: "todo.txt"}, // a modification beat a deletion: no copy
		}
	})
	got := Model([]syncer.Snapshot{s}, now, false).Conflicts
	want := []ConflictItem{
		{Label: "plan (conflict from laptop 2026-11-21 101500).md", Dir: "/home/u/notes/docs"},
		{Label: "todo.txt", Dir: "/home/u/notes"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("conflicts %+v, want %+v", got, want)
	}
	if got := Model([]syncer.Snapshot{snap("notes", syncer.Idle)}, now, false).Conflicts; len(got) != 0 {
		t.Errorf("no conflicts: %+v, want none (the submenu hides)", got)
	}
	s.Conflicts = make([]vcs.Conflict, 14)
	for i := range s.Conflicts {
		s.Conflicts[i] = vcs.Conflict{Path: "f", Copy: "f (conflict)"}
	}
	got = Model([]syncer.Snapshot{s, snap("b", syncer.Idle)}, now, false).Conflicts
	if len(got) != maxConflicts || got[0].Label != "notes: f (conflict)" || got[maxConflicts-1].Label != "… and 5 more" {
		t.Errorf("14 conflicts: %+v", got)
	}
}

// BenchmarkModel: the tray recomputes the model on every snapshot change;
// ten folders with full recent/conflict lists is a generous case.
func BenchmarkModel(b *testing.B) {
	var snaps []syncer.Snapshot
	for i := range 10 {
		s := snap(fmt.Sprintf("folder%d", i), syncer.State(i%9))
		for j := range 10 {
			s.Recent = append(s.Recent, vcs.Commit{Subject: "edit file.txt", Device: "laptop", Time: now.Add(-time.Duration(j) * time.Minute)})
			s.Conflicts = append(s.Conflicts, vcs.Conflict{Path: "a.txt", Copy: "a (conflict).txt"})
		}
		snaps = append(snaps, s)
	}
	b.ReportAllocs()
	for b.Loop() {
		Model(snaps, now, true)
	}
}

func TestRefreshIn(t *testing.T) {
	for _, tc := range []struct {
		name  string
		snaps []syncer.Snapshot
		want  time.Duration
	}{
		{"idle", []syncer.Snapshot{snap("a", syncer.Idle)}, 30 * time.Second},
		{"offline, retry far", []syncer.Snapshot{snap("a", syncer.Offline, func(s *syncer.Snapshot) { s.NextRetry = now.Add(time.Minute) })}, offlineRefresh},
		{"offline, retry soon", []syncer.Snapshot{snap("a", syncer.Idle), snap("b", syncer.Offline, func(s *syncer.Snapshot) { s.NextRetry = now.Add(2 * time.Second) })}, 2100 * time.Millisecond},
		{"offline, retry passed", []syncer.Snapshot{snap("a", syncer.Offline, func(s *syncer.Snapshot) { s.NextRetry = now.Add(-time.Second) })}, 30 * time.Second},
	} {
		u := &ui{opts: Options{Source: staticSource(tc.snaps), Now: func() time.Time { return now }, Refresh: 30 * time.Second}}
		if got := u.refreshIn(); got != tc.want {
			t.Errorf("%s: refreshIn() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

type staticSource []syncer.Snapshot

func (s staticSource) Snapshots() []syncer.Snapshot { return s }
func (staticSource) Changed() <-chan struct{}       { return nil }
