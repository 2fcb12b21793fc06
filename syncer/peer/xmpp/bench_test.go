//go:build unix

package xmpp

import (
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer/peer"
	"github.com/autosync-dev/autosync/syncer/peer/peertest"
	"github.com/autosync-dev/autosync/syncer/peer/xmpp/xmpptest"
)

// BenchmarkAnnounceToPeer measures one announcement from Announce on one
// instance to Handler.Announced on another, through a real prosody on
// loopback (two resources of one account, STARTTLS).
func BenchmarkAnnounceToPeer(b *testing.B) {
	srv := xmpptest.Start(b)
	jid := srv.AddUser(b, "bench", "pw")
	newTr := func(res string) *Transport {
		tr, err := New(Options{JID: jid, Password: "pw", Server: srv.Addr(), CAFile: srv.CAFile(), Resource: res})
		if err != nil {
			b.Fatal(err)
		}
		return tr
	}
	a, c := newTr("a"), newTr("c")
	ra, rc := peertest.Start(b, a), peertest.Start(b, c)
	ra.WaitConnected(b)
	rc.WaitConnected(b)
	var total time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if err := a.Announce(b.Context(), peer.Announcement{Remote: "ssh://host/r.git"}); err != nil {
			b.Fatal(err)
		}
		rc.WaitAnnouncement(b)
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/announcement")
}

// BenchmarkLogin measures a transport's start to Connected: TCP, STARTTLS,
// SCRAM, bind, presence echo.
func BenchmarkLogin(b *testing.B) {
	srv := xmpptest.Start(b)
	jid := srv.AddUser(b, "bench", "pw")
	for b.Loop() {
		tr, err := New(Options{JID: jid, Password: "pw", Server: srv.Addr(), CAFile: srv.CAFile(), Resource: "login"})
		if err != nil {
			b.Fatal(err)
		}
		r := peertest.Start(b, tr)
		r.WaitConnected(b)
		r.Stop(b)
	}
}
