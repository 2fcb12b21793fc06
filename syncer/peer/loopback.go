package peer

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Hub is an in-memory meeting point for Loopback transports: every
// transport of a hub hears the announcements of the others, never its own.
// It stands in for the XMPP account in tests and lets several folders of
// one process be wired the same way as several machines. The zero value is
// not usable; call NewHub.
type Hub struct {
	mu      sync.Mutex
	members map[*loopback]struct{} // the transports whose Run is active
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{members: make(map[*loopback]struct{})}
}

// Transport returns a new transport on the hub; name is its From in the
// announcements the others receive and its Status detail.
func (h *Hub) Transport(name string) Transport {
	return &loopback{hub: h, name: name, wake: make(chan struct{}, 1)}
}

// loopback is a Transport on a Hub. Announce appends to the receivers'
// queues and never blocks; each receiver's Run goroutine drains its own
// queue, so its handler is called from one goroutine, one call at a time.
type loopback struct {
	hub  *Hub
	name string
	wake chan struct{} // 1-buffered: "the queue is not empty"

	mu       sync.Mutex
	running  bool
	queue    []Announcement
	lastSent *Announcement
	lastRecv *Announcement
}

var _ Transport = (*loopback)(nil)

// Run implements Transport. It returns an error only if Run is already
// active for this transport.
func (l *loopback) Run(ctx context.Context, h Handler) error {
	l.mu.Lock()
	if l.running {
		l.mu.Unlock()
		return fmt.Errorf("loopback %s: Run called twice", l.name)
	}
	l.running = true
	l.queue = nil
	l.mu.Unlock()

	l.hub.mu.Lock()
	l.hub.members[l] = struct{}{}
	l.hub.mu.Unlock()
	defer func() {
		l.hub.mu.Lock()
		delete(l.hub.members, l)
		l.hub.mu.Unlock()
		l.mu.Lock()
		l.running = false
		l.queue = nil
		l.mu.Unlock()
	}()

	h.Connected()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.wake:
		}
		l.mu.Lock()
		batch := l.queue
		l.queue = nil
		l.mu.Unlock()
		for _, a := range batch {
			if ctx.Err() != nil {
				return nil
			}
			h.Announced(a)
		}
	}
}

// Announce implements Transport: the announcement, without credentials in
// its URL, goes to every other running transport of the hub.
func (l *loopback) Announce(ctx context.Context, a Announcement) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	running := l.running
	l.mu.Unlock()
	if !running {
		return fmt.Errorf("loopback %s: %w", l.name, ErrNotConnected)
	}
	now := time.Now()
	sent := Announcement{Remote: StripCredentials(a.Remote), From: l.name, Time: now}

	l.hub.mu.Lock()
	for m := range l.hub.members {
		if m != l {
			m.deliver(sent)
		}
	}
	l.hub.mu.Unlock()

	l.mu.Lock()
	l.lastSent = &sent
	l.mu.Unlock()
	return nil
}

// deliver queues a for m's Run goroutine without blocking the sender.
func (l *loopback) deliver(a Announcement) {
	l.mu.Lock()
	l.queue = append(l.queue, a)
	recv := a
	l.lastRecv = &recv
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Status implements Transport.
func (l *loopback) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := Status{Name: "loopback", State: Disconnected, Detail: l.name}
	if l.running {
		st.State = Connected
	}
	if l.lastSent != nil {
		a := *l.lastSent
		st.LastSent = &a
	}
	if l.lastRecv != nil {
		a := *l.lastRecv
		st.LastReceived = &a
	}
	return st
}
