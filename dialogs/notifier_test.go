package dialogs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/vcs"
)

func TestLevels(t *testing.T) {
	kinds := []syncer.EventKind{syncer.EventCommitted, syncer.EventPushed, syncer.EventPulled, syncer.EventConflict,
		syncer.EventError, syncer.EventOffline, syncer.EventBackOnline, syncer.EventSkipped, syncer.EventWarning}
	for _, tc := range []struct {
		level Level
		want  string // the kinds shown
	}{
		{LevelAll, "committed pushed pulled conflict error offline back-online skipped warning"},
		{"", "committed pushed pulled conflict error offline back-online skipped warning"},
		{LevelChanges, "pulled conflict error offline back-online skipped warning"},
		{LevelErrors, "conflict error offline back-online skipped warning"},
		{LevelNone, ""},
	} {
		var got []string
		for _, k := range kinds {
			if tc.level.Shows(k) {
				got = append(got, k.String())
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("level %q shows %q, want %q", tc.level, got, tc.want)
		}
	}
}

// run feeds events to a Notifier with fake time and returns what it sent,
// with the fake time each was sent at (relative to the start).
type sent struct {
	at time.Duration
	n  Notification
}

type harness struct {
	t      *testing.T
	events chan syncer.Event
	mu     sync.Mutex
	out    []sent
	start  time.Time
}

func newHarness(t *testing.T, level Level) (*harness, func()) {
	h := &harness{t: t, events: make(chan syncer.Event, 100), start: time.Now()}
	n := NewNotifier(NotifierOptions{Level: level, Send: func(n Notification) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.out = append(h.out, sent{time.Since(h.start), n})
		return nil
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx, h.events); close(done) }()
	return h, func() { cancel(); <-done }
}

func (h *harness) sent() []sent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sent(nil), h.out...)
}

func commitEv(folder string, paths ...string) syncer.Event {
	ev := syncer.Event{Kind: syncer.EventCommitted, Folder: "/home/u/" + folder, Name: folder}
	for _, p := range paths {
		ev.Changes = append(ev.Changes, vcs.Change{Kind: vcs.Modified, Path: p})
	}
	return ev
}

func TestNotificationTexts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		events []syncer.Event
		want   Notification
	}{
		{"commit", []syncer.Event{{Kind: syncer.EventCommitted, Folder: "/h/notes", Name: "notes", Changes: []vcs.Change{
			{Kind: vcs.Modified, Path: "todo.txt"}, {Kind: vcs.Added, Path: "plan.md"}, {Kind: vcs.Deleted, Path: "old.txt"}, {Kind: vcs.Renamed, From: "a.md", Path: "b.md"}}}},
			Notification{Title: "notes: committed 4 changes", Body: "Edited todo.txt, added plan.md, deleted old.txt, renamed a.md to b.md", Icon: "committing"}},
		{"push", []syncer.Event{{Kind: syncer.EventPushed, Folder: "/h/notes", Name: "notes", Commits: 2}},
			Notification{Title: "notes: pushed 2 commits", Body: "Sent 2 commits to the remote.", Icon: "pushing"}},
		{"commit and its push", []syncer.Event{commitEv("notes", "todo.txt"), {Kind: syncer.EventPushed, Folder: "/home/u/notes", Name: "notes", Commits: 1}},
			Notification{Title: "notes: synced 1 change", Body: "Edited todo.txt", Icon: "pushing"}},
		{"pull", []syncer.Event{{Kind: syncer.EventPulled, Folder: "/h/notes", Name: "notes", Pull: &vcs.PullResult{Updated: true,
			Commits: []vcs.Commit{{Author: "Ann", Device: "laptop", Files: []string{"todo.txt"}}, {Author: "Ann", Device: "laptop", Files: []string{"plan.md", "todo.txt"}}}}}},
			Notification{Title: "notes: changes from Ann on laptop", Body: "Updated todo.txt, plan.md.", Icon: "pulling"}},
		{"pull, many files", []syncer.Event{{Kind: syncer.EventPulled, Folder: "/h/notes", Name: "notes", Pull: &vcs.PullResult{
			Commits: []vcs.Commit{{Device: "desk"}}, Files: []string{"1", "2", "3", "4", "5", "6", "7"}}}},
			Notification{Title: "notes: changes from desk", Body: "Updated 1, 2, 3, 4, 5 and 2 more.", Icon: "pulling"}},
		{"conflict", []syncer.Event{{Kind: syncer.EventConflict, Folder: "/h/notes", Name: "notes", Conflicts: []vcs.Conflict{
			{Path: "docs/plan.md", Copy: "docs/plan (conflict from laptop 2026-11-21 101500).md"}, {Path: "todo.txt"}}}},
			Notification{Title: "Conflict in notes", Body: "Both versions were kept: docs/plan.md (this machine's version: plan (conflict from laptop 2026-11-21 101500).md), todo.txt. Compare them and delete the copy you do not need.", Icon: "conflict"}},
		{"error is urgent", []syncer.Event{{Kind: syncer.EventError, Folder: "/h/notes", Name: "notes", Err: vcs.NeedsUser("a rebase is in progress", "finish it with git rebase --continue or --abort", nil)}},
			Notification{Title: "autosync needs you: notes", Body: "a rebase is in progress: finish it with git rebase --continue or --abort", Icon: "error", Urgent: true}},
		{"skipped", []syncer.Event{{Kind: syncer.EventSkipped, Folder: "/h/notes", Name: "notes", Skipped: []vcs.Skipped{{Path: "big.iso", Size: 2e9, Reason: "bigger than max_file_size 100 MB"}}}},
			Notification{Title: "notes: 1 file not synced", Body: "big.iso (bigger than max_file_size 100 MB). They stay on this machine only.", Icon: "conflict"}},
		{"offline", []syncer.Event{{Kind: syncer.EventOffline, Folder: "/h/notes", Name: "notes", Err: errors.New("could not resolve host")}},
			Notification{Title: "notes is offline", Body: "Cannot reach the remote (could not resolve host). Changes are kept and sent once it is back; retrying in the background.", Icon: "offline"}},
		{"mixed: the most important is the title", []syncer.Event{commitEv("notes", "a"), {Kind: syncer.EventConflict, Folder: "/h/notes", Name: "notes", Conflicts: []vcs.Conflict{{Path: "x"}}}, commitEv("photos", "b")},
			Notification{Title: "Conflict in notes (+2 more)", Body: "Both versions were kept: x. Compare them and delete the copy you do not need.\nAlso: notes: committed 1 change\nAlso: photos: committed 1 change", Icon: "conflict"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := NewNotifier(NotifierOptions{Send: func(Notification) error { return nil }})
			got, ok := n.compose(tc.events)
			if !ok || got != tc.want {
				t.Errorf("got %+v (%v)\nwant %+v", got, ok, tc.want)
			}
		})
	}
}

// A burst of saves becomes one notification, sent once the folder has been
// quiet for 2 s.
func TestBurstBecomesOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, stop := newHarness(t, LevelAll)
		defer stop()
		for i := range 10 {
			h.events <- commitEv("notes", fmt.Sprintf("f%d.txt", i))
			time.Sleep(100 * time.Millisecond) // fake time
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		got := h.sent()
		if len(got) != 1 {
			t.Fatalf("%d notifications, want 1: %+v", len(got), got)
		}
		if got[0].n.Title != "notes: committed 10 changes" || got[0].at != 2900*time.Millisecond {
			t.Errorf("got %q at %v; want \"notes: committed 10 changes\" at 2.9s (2 s after the last event)", got[0].n.Title, got[0].at)
		}
		if !strings.HasSuffix(got[0].n.Body, "and 5 more") {
			t.Errorf("body %q should list 5 files and say how many more", got[0].n.Body)
		}
	})
}

// A steady stream still gets a notification after MaxWait, and two bubbles
// are at least MinInterval apart.
func TestStreamIsCappedAndRateLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, stop := newHarness(t, LevelAll)
		defer stop()
		for i := range 150 { // one save every 100 ms for 15 s
			h.events <- commitEv("notes", fmt.Sprintf("f%d", i))
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		got := h.sent()
		if len(got) < 2 || got[0].at != 10*time.Second {
			t.Fatalf("want the first notification at 10 s (MaxWait) and more after; got %+v", got)
		}
		for i := 1; i < len(got); i++ {
			if d := got[i].at - got[i-1].at; d < DefaultMinInterval {
				t.Errorf("notifications %d and %d only %v apart", i-1, i, d)
			}
		}
	})
}

func TestOfflineOncePerOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, stop := newHarness(t, LevelErrors)
		defer stop()
		off := syncer.Event{Kind: syncer.EventOffline, Folder: "/h/notes", Name: "notes", Err: errors.New("connection refused")}
		back := syncer.Event{Kind: syncer.EventBackOnline, Folder: "/h/notes", Name: "notes"}
		h.events <- off
		for range 5 { // retries
			time.Sleep(30 * time.Second)
			h.events <- off
		}
		h.events <- back
		time.Sleep(10 * time.Second)
		// A blip: offline and back within one batch says nothing.
		h.events <- off
		time.Sleep(time.Second)
		h.events <- back
		// A stray back-online (never told offline) says nothing.
		time.Sleep(10 * time.Second)
		h.events <- back
		h.events <- commitEv("notes", "x") // below the level
		time.Sleep(10 * time.Second)
		synctest.Wait()
		var titles []string
		for _, s := range h.sent() {
			titles = append(titles, s.n.Title)
			if s.n.Urgent {
				t.Errorf("%q is urgent; only errors may be", s.n.Title)
			}
		}
		if want := "notes is offline|notes is back online"; strings.Join(titles, "|") != want {
			t.Errorf("sent %q, want %q", titles, want)
		}
	})
}

func TestLevelNoneSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, stop := newHarness(t, LevelNone)
		defer stop()
		h.events <- syncer.Event{Kind: syncer.EventError, Folder: "/h/n", Err: errors.New("x")}
		h.events <- commitEv("n", "a")
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := h.sent(); len(got) != 0 {
			t.Errorf("level none sent %+v", got)
		}
	})
}

// Closing the events channel sends what is batched, at once.
func TestCloseFlushes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, stop := newHarness(t, LevelAll)
		h.events <- commitEv("notes", "a")
		close(h.events)
		synctest.Wait()
		if got := h.sent(); len(got) != 1 || got[0].at != 0 {
			t.Errorf("after close: %+v, want one notification at once", got)
		}
		stop()
	})
}

// Without a notification daemon every send fails: the log says so once, not
// once per notification.
func TestSendFailureLoggedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs strings.Builder
		fail := true
		n := NewNotifier(NotifierOptions{
			Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
			Send: func(Notification) error {
				if fail {
					return errors.New("The name org.freedesktop.Notifications was not provided by any .service files")
				}
				return nil
			},
		})
		events := make(chan syncer.Event)
		go n.Run(t.Context(), events)
		send := func() {
			events <- commitEv("notes", "a")
			time.Sleep(time.Minute)
			synctest.Wait() // the notifier is idle again: no race on fail and logs
		}
		send()
		send()
		send()
		if c := strings.Count(logs.String(), "level=WARN"); c != 1 {
			t.Errorf("%d warnings for three failed sends, want 1:\n%s", c, logs.String())
		}
		fail = false
		send()
		fail = true
		send()
		if c := strings.Count(logs.String(), "level=WARN"); c != 2 {
			t.Errorf("after a success, a new failure should warn again:\n%s", logs.String())
		}
		close(events)
		synctest.Wait()
	})
}
