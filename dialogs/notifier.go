package dialogs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gen2brain/beeep"

	"github.com/autosync-dev/autosync/assets"
	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/vcs"
)

// Level is how chatty notifications are ([notifications] level).
type Level string

// The levels. Each shows the kinds of the level below it, plus its own:
//
//	none:    nothing.
//	errors:  error, conflict, offline (once per outage) and back online,
//	         skipped (a file too big to sync), warning: what needs a look or
//	         means something is not being synced.
//	changes: errors, plus pulled: other machines' changes arriving here.
//	all:     changes, plus committed and pushed: this machine's own saves.
const (
	LevelAll     Level = "all"
	LevelChanges Level = "changes"
	LevelErrors  Level = "errors"
	LevelNone    Level = "none"
)

// Shows reports whether level l notifies about events of kind k. An unknown
// level counts as all.
func (l Level) Shows(k syncer.EventKind) bool {
	switch l {
	case LevelNone:
		return false
	case LevelErrors:
		return k != syncer.EventCommitted && k != syncer.EventPushed && k != syncer.EventPulled
	case LevelChanges:
		return k != syncer.EventCommitted && k != syncer.EventPushed
	}
	return true
}

// Defaults of NotifierOptions. Arbitrary but tried: 2 s joins a commit with
// its push (push_delay 1s), 10 s bounds the wait under a steady stream, and
// 5 s between bubbles keeps a busy folder from flooding the screen.
const (
	DefaultQuiet       = 2 * time.Second
	DefaultMaxWait     = 10 * time.Second
	DefaultMinInterval = 5 * time.Second
)

// NotifierOptions configure a Notifier. The zero value works.
type NotifierOptions struct {
	// Level filters by event kind. Default all.
	Level Level
	// AppName is the application name the notification daemon shows.
	// Default "autosync".
	AppName string
	// Logger gets send failures; nil discards them.
	Logger *slog.Logger
	// Quiet: a batch is sent once no event came for this long.
	Quiet time.Duration
	// MaxWait: a batch is sent at the latest this long after its first event.
	MaxWait time.Duration
	// MinInterval is the least time between two notifications.
	MinInterval time.Duration
	// Send shows one notification. Default: beeep (D-Bus, then notify-send,
	// then kdialog on Linux; toast on Windows; Notification Center on
	// macOS). urgent is true only for errors that need the user.
	Send func(n Notification) error
}

// Notification is what one desktop notification says.
type Notification struct {
	Title  string
	Body   string
	Icon   string // assets icon name: app, conflict, error, offline, ...
	Urgent bool
}

// Notifier shows notifications for engine events. Create it with
// NewNotifier and call Run once.
type Notifier struct {
	o   NotifierOptions
	log *slog.Logger
	// offline remembers which folders we told are offline: an outage is
	// announced once, and "back online" only after an "offline".
	offline map[string]bool
	// failing is set after a failed send: the next failures are logged at
	// debug level only, until a send works again (no daemon = no log spam).
	failing bool
}

// NewNotifier makes a Notifier. With the default Send it sets beeep's
// process-wide application name to opts.AppName.
func NewNotifier(opts NotifierOptions) *Notifier {
	opts.AppName = cmp.Or(opts.AppName, "autosync")
	opts.Level = cmp.Or(opts.Level, LevelAll)
	opts.Quiet = cmp.Or(opts.Quiet, DefaultQuiet)
	opts.MaxWait = cmp.Or(opts.MaxWait, DefaultMaxWait)
	opts.MinInterval = cmp.Or(opts.MinInterval, DefaultMinInterval)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Send == nil {
		beeep.AppName = opts.AppName
		opts.Send = beeepSend
	}
	return &Notifier{o: opts, log: log, offline: map[string]bool{}}
}

// beeepSend shows n with beeep, with the state's icon as PNG (sent as image
// data, so no icon file needs installing).
func beeepSend(n Notification) error {
	icon := assets.PNGSize(n.Icon, 64)
	if n.Urgent {
		return beeep.Alert(n.Title, n.Body, icon)
	}
	return beeep.Notify(n.Title, n.Body, icon)
}

// Run shows notifications for events until ctx is done or events is closed
// (then what is still batched is sent). It reads events promptly; only a
// slow notification daemon can hold it up, never the engine, which sends
// events without blocking.
func (n *Notifier) Run(ctx context.Context, events <-chan syncer.Event) {
	var (
		batch    []syncer.Event
		first    time.Time // first event of the batch
		last     time.Time // latest event of the batch
		lastSent time.Time
		timer    = time.NewTimer(time.Hour)
	)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				n.flush(batch)
				return
			}
			if !n.o.Level.Shows(ev.Kind) {
				continue
			}
			last = time.Now()
			if len(batch) == 0 {
				first = last
			}
			batch = append(batch, ev)
			timer.Reset(n.due(first, last, lastSent))
		case <-timer.C:
			if d := n.due(first, last, lastSent); d > 0 {
				timer.Reset(d)
				continue
			}
			n.flush(batch)
			batch = nil
			lastSent = time.Now()
		}
	}
}

// due is how long from now to wait before sending the batch that began at
// first and last grew at last: a quiet period after the last event, capped by
// MaxWait after the first, and never sooner than MinInterval after the
// previous notification.
func (n *Notifier) due(first, last, lastSent time.Time) time.Duration {
	now := time.Now()
	at := last.Add(n.o.Quiet)
	if limit := first.Add(n.o.MaxWait); at.After(limit) {
		at = limit
	}
	if next := lastSent.Add(n.o.MinInterval); !lastSent.IsZero() && at.Before(next) {
		at = next
	}
	return at.Sub(now)
}

func (n *Notifier) flush(batch []syncer.Event) {
	note, ok := n.compose(batch)
	if !ok {
		return
	}
	err := n.o.Send(note)
	switch {
	case err == nil:
		n.failing = false
	case n.failing:
		n.log.Debug("notification not shown", "title", note.Title, "err", err)
	default:
		n.failing = true
		n.log.Warn("notification not shown; is a notification daemon running? (further failures are logged at debug level)", "title", note.Title, "err", err)
	}
}

// priority orders kinds for the title of a mixed batch: what needs the user
// first.
var priority = map[syncer.EventKind]int{
	syncer.EventError: 9, syncer.EventConflict: 8, syncer.EventSkipped: 7, syncer.EventOffline: 6,
	syncer.EventWarning: 5, syncer.EventBackOnline: 4, syncer.EventPulled: 3, syncer.EventCommitted: 2, syncer.EventPushed: 1,
}

// compose turns a batch into one notification; ok is false when nothing is
// left to say (repeated "offline", an outage that ended within the batch).
func (n *Notifier) compose(batch []syncer.Event) (Notification, bool) {
	var lines []line
	// A commit and its push in one batch read as one action.
	pushedWith := map[string]bool{}
	for _, ev := range batch {
		if ev.Kind == syncer.EventCommitted {
			for _, e := range batch {
				if e.Kind == syncer.EventPushed && e.Folder == ev.Folder {
					pushedWith[ev.Folder] = true
				}
			}
		}
	}
	commits := map[string][]syncer.Event{}
	for _, ev := range batch {
		name := cmp.Or(ev.Name, path.Base(ev.Folder))
		switch ev.Kind {
		case syncer.EventOffline:
			if n.offline[ev.Folder] {
				continue
			}
			n.offline[ev.Folder] = true
			lines = append(lines, line{priority[ev.Kind], name + " is offline",
				"Cannot reach the remote (" + errText(ev.Err) + "). Changes are kept and sent once it is back; retrying in the background.", "offline", false})
		case syncer.EventBackOnline:
			if !n.offline[ev.Folder] {
				continue
			}
			n.offline[ev.Folder] = false
			// An outage that began and ended within this batch is noise.
			if i := slices.IndexFunc(lines, func(l line) bool { return l.title == name+" is offline" }); i >= 0 {
				lines = slices.Delete(lines, i, i+1)
				continue
			}
			lines = append(lines, line{priority[ev.Kind], name + " is back online", "Syncing again.", "idle", false})
		case syncer.EventCommitted:
			commits[ev.Folder] = append(commits[ev.Folder], ev)
		case syncer.EventPushed:
			if pushedWith[ev.Folder] {
				continue
			}
			what := plural(ev.Commits, "commit", "commits")
			lines = append(lines, line{priority[ev.Kind], name + ": pushed " + what, "Sent " + what + " to the remote.", "pushing", false})
		case syncer.EventPulled:
			lines = append(lines, pulledLine(name, ev.Pull))
		case syncer.EventConflict:
			var names []string
			for _, c := range ev.Conflicts {
				s := c.Path
				if c.Copy != "" {
					s += " (this machine's version: " + path.Base(c.Copy) + ")"
				}
				names = append(names, s)
			}
			lines = append(lines, line{priority[ev.Kind], "Conflict in " + name,
				"Both versions were kept: " + listN(names, 5) + ". Compare them and delete the copy you do not need.", "conflict", false})
		case syncer.EventError:
			lines = append(lines, line{priority[ev.Kind], "autosync needs you: " + name, errText(ev.Err), "error", true})
		case syncer.EventSkipped:
			var names []string
			for _, s := range ev.Skipped {
				names = append(names, s.Path+" ("+cmp.Or(s.Reason, "skipped")+")")
			}
			lines = append(lines, line{priority[ev.Kind], name + ": " + plural(len(ev.Skipped), "file", "files") + " not synced",
				listN(names, 5) + ". They stay on this machine only.", "conflict", false})
		case syncer.EventWarning:
			lines = append(lines, line{priority[ev.Kind], "autosync: " + name, errText(ev.Err), "conflict", false})
		}
	}
	for _, folder := range slices.Sorted(maps.Keys(commits)) {
		evs := commits[folder]
		name := cmp.Or(evs[0].Name, path.Base(folder))
		var files []string
		for _, ev := range evs {
			for _, c := range ev.Changes {
				files = appendNew(files, changeText(c))
			}
		}
		verb, icon := "committed", "committing"
		if pushedWith[folder] {
			verb, icon = "synced", "pushing"
		}
		lines = append(lines, line{priority[syncer.EventCommitted],
			name + ": " + verb + " " + plural(len(files), "change", "changes"), capitalize(listN(files, 5)), icon, false})
	}
	if len(lines) == 0 {
		return Notification{}, false
	}
	slices.SortStableFunc(lines, func(a, b line) int { return b.prio - a.prio })
	top := lines[0]
	note := Notification{Title: top.title, Body: top.body, Icon: top.icon, Urgent: top.urgent}
	if len(lines) > 1 {
		// Several things happened: the most important one is said in
		// full (a conflict still names its files), the others in a line.
		body := []string{top.body}
		for i, l := range lines[1:] {
			if i == 5 {
				body = append(body, fmt.Sprintf("… and %d more", len(lines)-1-i))
				break
			}
			body = append(body, "Also: "+l.title)
		}
		note.Title = fmt.Sprintf("%s (+%d more)", top.title, len(lines)-1)
		note.Body = strings.Join(body, "\n")
	}
	return note, true
}

// line is what one event (or a commit with its push) says.
type line struct {
	prio        int
	title, body string
	icon        string
	urgent      bool
}

// pulledLine says who changed what.
func pulledLine(name string, p *vcs.PullResult) (l line) {
	l.prio, l.icon = priority[syncer.EventPulled], "pulling"
	if p == nil {
		l.title, l.body = name+": changes from another machine", "Pulled."
		return l
	}
	var who, files []string
	for _, c := range p.Commits {
		w := c.Author
		if c.Device != "" {
			w = c.Device
			if c.Author != "" {
				w = c.Author + " on " + c.Device
			}
		}
		if w != "" {
			who = appendNew(who, w)
		}
		for _, f := range c.Files {
			files = appendNew(files, f)
		}
	}
	for _, f := range p.Files {
		files = appendNew(files, f)
	}
	l.title = name + ": changes from " + cmp.Or(listN(who, 2), "another machine")
	if len(files) == 0 {
		l.body = "Pulled " + plural(len(p.Commits), "commit", "commits") + "."
	} else {
		l.body = "Updated " + listN(files, 5) + "."
	}
	return l
}

func changeText(c vcs.Change) string {
	switch c.Kind {
	case vcs.Added:
		return "added " + c.Path
	case vcs.Deleted:
		return "deleted " + c.Path
	case vcs.Renamed:
		return "renamed " + c.From + " to " + c.Path
	}
	return "edited " + c.Path
}

func errText(err error) string {
	if err == nil {
		return "see the log for details"
	}
	var nu *vcs.NeedsUserError
	if errors.As(err, &nu) {
		return nu.Error()
	}
	return err.Error()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// listN joins up to n items and says how many more there are.
func listN(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
