package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/autosync-dev/autosync/syncer/peer"
)

// announceTimeout bounds sending one announcement; announcements are hints,
// a slow server must not hold anything up.
const announceTimeout = 15 * time.Second

// peerCheck is how often the manager looks at the transports' connection
// state, to switch folders between the short and the long poll interval.
const peerCheck = 10 * time.Second

// eventBuffer is how many events a slow subscriber may fall behind before
// further events are dropped for it (and counted).
const eventBuffer = 256

// Manager runs several folders in one process, routes peer announcements to
// them, and gives the tray and the control socket one view of all of them.
type Manager struct {
	log        *slog.Logger
	folders    []*Folder
	transports []peer.Transport
	changed    chan struct{}

	mu      sync.Mutex
	broken  []Snapshot // folders that could not be started (AddBroken)
	subs    map[chan Event]*subscriber
	peerUp  bool
	started bool
	wg      sync.WaitGroup
	runCtx  context.Context
}

type subscriber struct{ dropped int }

// NewManager returns an empty Manager.
func NewManager(logger *slog.Logger) *Manager {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{log: logger, changed: make(chan struct{}, 1), subs: map[chan Event]*subscriber{}}
}

// Add adds a folder. Its Publish, Emit and Announce hooks are set by the
// manager. A folder added while the manager runs starts at once, and
// replaces a broken entry for the same path (see AddBroken).
func (m *Manager) Add(opts FolderOptions) *Folder {
	opts.Publish = func() { signal(m.changed) }
	opts.Emit = m.emit
	opts.Announce = m.announce
	f := NewFolder(opts)
	m.mu.Lock()
	m.folders = append(m.folders, f)
	m.broken = slices.DeleteFunc(m.broken, func(s Snapshot) bool { return s.Path == f.Path() })
	ctx := m.runCtx
	m.mu.Unlock()
	if ctx != nil {
		m.wg.Go(func() { f.Run(ctx) })
	}
	signal(m.changed)
	return f
}

// AddBroken lists a configured folder that could not be started (its path
// is missing, it is not a working copy, another instance holds it), so that
// status and the tray show it in state Error with err, instead of leaving it
// out. Add with the same path replaces the entry once the folder starts.
func (m *Manager) AddBroken(path string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.broken = slices.DeleteFunc(m.broken, func(s Snapshot) bool { return s.Path == path })
	m.broken = append(m.broken, Snapshot{
		Path: path, Name: filepath.Base(path), State: Error, Since: time.Now(),
		Detail: "could not be started", LastError: err.Error(), NeedsUser: true,
	})
	signal(m.changed)
}

// AddTransport adds a peer channel. Call it before Run.
func (m *Manager) AddTransport(t peer.Transport) { m.transports = append(m.transports, t) }

// PeerUp reports whether any peer channel is connected.
func (m *Manager) PeerUp() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.peerUp
}

// Run runs every folder and transport until ctx is done, then waits for
// them to stop. A folder never ends on its own; a transport that returns an
// error (a configuration that can never work) is logged and the folders go
// on polling.
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.started {
		m.mu.Unlock()
		return errors.New("manager already running")
	}
	m.started, m.runCtx = true, ctx
	m.mu.Unlock()

	for _, f := range m.Folders() {
		m.wg.Go(func() { f.Run(ctx) })
	}
	for _, t := range m.transports {
		m.wg.Go(func() {
			if err := t.Run(ctx, m); err != nil {
				m.log.Error("peer channel stopped; folders keep syncing by polling", "err", err)
				m.emit(Event{Kind: EventError, Err: fmt.Errorf("peer channel: %w", err)})
			}
		})
	}
	if len(m.transports) > 0 {
		m.wg.Go(func() { m.watchPeers(ctx) })
	}
	<-ctx.Done()
	m.wg.Wait()
	return nil
}

// watchPeers switches the folders' poll interval when the peer channel goes
// up or down.
func (m *Manager) watchPeers(ctx context.Context) {
	t := time.NewTicker(peerCheck)
	defer t.Stop()
	for {
		up := false
		for _, tr := range m.transports {
			if tr.Status().State == peer.Connected {
				up = true
			}
		}
		m.mu.Lock()
		changed := up != m.peerUp
		m.peerUp = up
		m.mu.Unlock()
		if changed {
			for _, f := range m.Folders() {
				f.Poke()
			}
			signal(m.changed)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Folders returns the running folders in the order they were added.
func (m *Manager) Folders() []*Folder {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.folders)
}

// Snapshots returns every folder's current snapshot, the folders that could
// not be started last.
func (m *Manager) Snapshots() []Snapshot {
	fs := m.Folders()
	s := make([]Snapshot, 0, len(fs))
	for _, f := range fs {
		s = append(s, f.Snapshot())
	}
	m.mu.Lock()
	s = append(s, m.broken...)
	m.mu.Unlock()
	return s
}

// PeerStatus returns the state of every peer channel.
func (m *Manager) PeerStatus() []peer.Status {
	s := make([]peer.Status, len(m.transports))
	for i, t := range m.transports {
		s[i] = t.Status()
	}
	return s
}

// Changed receives after any folder's snapshot changed. Several changes
// coalesce into one receive; a slow reader never blocks a folder.
func (m *Manager) Changed() <-chan struct{} { return m.changed }

// Subscribe returns a channel of events and a function that ends the
// subscription. A subscriber that falls more than eventBuffer events behind
// loses the newest ones (they are counted in the log), never blocking a
// folder.
func (m *Manager) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, eventBuffer)
	m.mu.Lock()
	m.subs[ch] = &subscriber{}
	m.mu.Unlock()
	return ch, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if _, ok := m.subs[ch]; ok {
			delete(m.subs, ch)
			close(ch)
		}
	}
}

func (m *Manager) emit(e Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for ch, s := range m.subs {
		select {
		case ch <- e:
		default:
			s.dropped++
			m.log.Debug("event dropped for a slow subscriber", "kind", e.Kind, "dropped", s.dropped)
		}
	}
}

// announce tells every peer channel that a folder pushed.
func (m *Manager) announce(remoteURL string) {
	m.mu.Lock()
	ctx := m.runCtx
	m.mu.Unlock()
	if ctx == nil || len(m.transports) == 0 {
		return
	}
	a := peer.Announcement{Remote: peer.StripCredentials(remoteURL), Time: time.Now()}
	for _, t := range m.transports {
		go func() {
			actx, cancel := context.WithTimeout(ctx, announceTimeout)
			defer cancel()
			if err := t.Announce(actx, a); err != nil {
				m.log.Debug("announcement not sent; the other machines will catch up by polling", "err", err)
			}
		}()
	}
}

// Announced implements peer.Handler: the folders whose remote matches the
// announced URL fetch and merge at once. When no folder matches (another
// machine may use a different URL for the same repository, e.g. ssh here
// and https there, and dvcs-autosync sent whatever its remoteurlcmd printed),
// every folder fetches: a fetch that finds nothing new costs little, while a
// missed pull leaves the user out of date.
func (m *Manager) Announced(a peer.Announcement) {
	want := peer.NormalizeURL(a.Remote)
	var hit []*Folder
	all := m.Folders()
	for _, f := range all {
		if want != "" && peer.NormalizeURL(f.RemoteURL()) == want {
			hit = append(hit, f)
		}
	}
	if len(hit) == 0 {
		m.log.Info("another machine pushed to a remote no folder uses by that URL; fetching all folders", "remote", a.Remote, "from", a.From)
		hit = all
	} else {
		m.log.Info("another machine pushed; fetching", "remote", a.Remote, "from", a.From)
	}
	for _, f := range hit {
		f.Announced()
	}
}

// Connected implements peer.Handler: after every (re)connect, every folder
// catches up, since announcements sent while we were away are lost.
func (m *Manager) Connected() {
	m.log.Info("peer channel connected; catching up")
	for _, f := range m.Folders() {
		f.Poke()
		f.Announced()
	}
}

// ErrNoFolder is returned when a folder named in a request is not synced by
// this process.
var ErrNoFolder = errors.New("no such folder")

// Find returns the folders matching name: "" matches all; otherwise a path
// (absolute or relative to the working directory), a path inside a folder,
// or a folder's base name.
func (m *Manager) Find(name string) ([]*Folder, error) {
	all := m.Folders()
	if name == "" {
		return all, nil
	}
	abs, _ := filepath.Abs(name)
	var byPath, byName []*Folder
	for _, f := range all {
		p := f.Path()
		if abs == p || strings.HasPrefix(abs, p+string(filepath.Separator)) {
			byPath = append(byPath, f)
		}
		if filepath.Base(p) == name {
			byName = append(byName, f)
		}
	}
	switch {
	case len(byPath) > 0:
		return byPath, nil
	case len(byName) > 0:
		return byName, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range m.broken {
		if abs == b.Path || b.Name == name {
			return nil, fmt.Errorf("%s could not be started: %s", b.Path, b.LastError)
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrNoFolder, name)
}

// ErrPaused is returned by SyncNow for a paused folder: it syncs nothing
// until resumed.
var ErrPaused = errors.New("paused")

// SyncNow runs a full cycle in the named folders ("" = all). Paused folders
// are left paused, and named in the error (which wraps ErrPaused).
func (m *Manager) SyncNow(name string) error {
	fs, err := m.Find(name)
	if err != nil {
		return err
	}
	var paused []string
	for _, f := range fs {
		if f.Snapshot().Paused {
			paused = append(paused, f.Path())
			continue
		}
		f.SyncNow()
	}
	if len(paused) > 0 {
		return fmt.Errorf("%s %w: run `autosync resume` to sync it again", strings.Join(paused, ", "), ErrPaused)
	}
	return nil
}

// Pause pauses the named folders ("" = all).
func (m *Manager) Pause(name string) error { return m.each(name, (*Folder).Pause) }

// Resume resumes the named folders ("" = all).
func (m *Manager) Resume(name string) error { return m.each(name, (*Folder).Resume) }

func (m *Manager) each(name string, fn func(*Folder)) error {
	fs, err := m.Find(name)
	if err != nil {
		return err
	}
	for _, f := range fs {
		fn(f)
	}
	return nil
}
