package peer_test

import (
	"testing"

	"github.com/autosync-dev/autosync/syncer/peer"
	"github.com/autosync-dev/autosync/syncer/peer/peertest"
)

func TestLoopbackConformance(t *testing.T) {
	peertest.Run(t, func(t *testing.T) (a, b peer.Transport) {
		h := peer.NewHub()
		return h.Transport("a"), h.Transport("b")
	})
}

func TestLoopbackThreeInstancesAllHearAPush(t *testing.T) {
	h := peer.NewHub()
	a, b, c := h.Transport("a"), h.Transport("b"), h.Transport("c")
	ra, rb, rc := peertest.Start(t, a), peertest.Start(t, b), peertest.Start(t, c)
	for _, r := range []*peertest.Running{ra, rb, rc} {
		r.WaitConnected(t)
	}
	if err := b.Announce(t.Context(), peer.Announcement{Remote: "ssh://host/r.git"}); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*peertest.Running{"a": ra, "c": rc} {
		if got := r.WaitAnnouncement(t); got.Remote != "ssh://host/r.git" || got.From != "b" {
			t.Errorf("%s heard %+v, want ssh://host/r.git from b", name, got)
		}
	}
}

func TestLoopbackRunTwiceFails(t *testing.T) {
	tr := peer.NewHub().Transport("a")
	r := peertest.Start(t, tr)
	r.WaitConnected(t)
	if err := tr.Run(t.Context(), &peertest.Recorder{}); err == nil {
		t.Fatal("a second concurrent Run returned nil, want an error")
	}
}
