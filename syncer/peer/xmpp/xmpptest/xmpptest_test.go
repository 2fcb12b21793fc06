package xmpptest_test

import (
	"testing"

	"github.com/autosync-dev/autosync/syncer/peer/xmpp/xmpptest"
)

func TestServerRoutesBetweenResourcesAndSurvivesRestart(t *testing.T) {
	srv := xmpptest.Start(t)
	jid := srv.AddUser(t, "alice", "secret")
	a := srv.Connect(t, jid, "secret", "a")
	b := srv.Connect(t, jid, "secret", "b")
	a.Send(t, jid, "chat", "hello")
	if m := b.NextFrom(t, a.JID()); m.Text != "hello" {
		t.Fatalf("b got %q", m.Text)
	}
	srv.Kill(t)
	srv.Restart(t)
	c := srv.Connect(t, jid, "secret", "c")
	c.Sync(t)
}
