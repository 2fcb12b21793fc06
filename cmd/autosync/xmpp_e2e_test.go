//go:build unix

package main

// End-to-end tests of the XMPP peer channel: real autosync processes, a
// real prosody on loopback, one account shared by every "machine", and
// polling turned off, so that only XMPP can make a machine pull.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer/gittest"
	"github.com/autosync-dev/autosync/syncer/peer/xmpp/xmpptest"
)

// xmppConfig is folderConfig plus an [xmpp] table for jid on srv, with
// polling off (also the safety net), so a pull can only come from XMPP.
func xmppConfig(name, folder, jid string, srv *xmpptest.Server) string {
	return folderConfig(name, folder, "0s") + fmt.Sprintf(`
[xmpp]
jid = %q
password = "secret"
server = %q
ca_file = %q
poll_interval = "0s"
`, jid, srv.Addr(), srv.CAFile())
}

// connected waits until the process reports its XMPP channel connected.
func (p *proc) connected() {
	p.t.Helper()
	gittest.Eventually(p.t, 20*time.Second, p.name+"'s XMPP connection", func() bool {
		st, ok := p.status()
		return ok && len(st[0].Peers) == 1 && st[0].Peers[0].State == "connected"
	})
}

func TestXMPPSaveOnOneMachineAppearsOnTheOthers(t *testing.T) {
	srv := xmpptest.Start(t)
	jid := srv.AddUser(t, "ann", "secret")
	remote := gittest.NewRemote(t)
	var ms []*proc
	var dirs []string
	for _, name := range []string{"laptop", "desktop", "tablet"} {
		dir := gittest.Clone(t, remote, name)
		p := startConfig(t, name, xmppConfig(name, dir, jid, srv))
		p.connected()
		ms, dirs = append(ms, p), append(dirs, dir)
	}

	start := time.Now()
	gittest.WriteFile(t, dirs[0], "notes.md", "written on the laptop\n")
	for i := 1; i < 3; i++ {
		gittest.Eventually(t, 15*time.Second, "notes.md on "+ms[i].name, fileIs(dirs[i], "notes.md", "written on the laptop\n"))
	}
	t.Logf("save on the laptop -> file on the two others: %v (commit_delay 300ms + push_delay 50ms included)", time.Since(start).Round(time.Millisecond))

	// And back: a save on the tablet reaches the laptop and the desktop.
	gittest.WriteFile(t, dirs[2], "reply.md", "from the tablet\n")
	for i := 0; i < 2; i++ {
		gittest.Eventually(t, 15*time.Second, "reply.md on "+ms[i].name, fileIs(dirs[i], "reply.md", "from the tablet\n"))
	}

	// The status shows what was sent and received.
	st, _ := ms[1].status()
	peer := st[0].Peers[0]
	if peer.LastReceived == nil || !strings.Contains(peer.LastReceived.From, "AutosyncJabberBot on tablet") {
		t.Fatalf("desktop's status does not show the tablet's announcement: %+v", peer)
	}
	human, _ := ms[2].ctl("status")
	if !strings.Contains(human, "xmpp: connected") || !strings.Contains(human, "last sent") {
		t.Fatalf("status does not show the XMPP channel:\n%s", human)
	}
}

func TestXMPPStrangersCannotTriggerAnything(t *testing.T) {
	srv := xmpptest.Start(t)
	jid := srv.AddUser(t, "ann", "secret")
	stranger := srv.AddUser(t, "mallory", "secret")
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "laptop")
	p := startConfig(t, "laptop", xmppConfig("laptop", dir, jid, srv))
	p.connected()

	// Something new on the remote that the laptop could pull.
	other := gittest.Clone(t, remote, "other")
	gittest.WriteFile(t, other, "x.md", "x\n")
	gittest.Git(t, other, "add", ".")
	gittest.Git(t, other, "commit", "-qm", "x")
	gittest.Git(t, other, "push", "-q")

	c := srv.Connect(t, stranger, "secret", "evil")
	full := jid + "/AutosyncJabberBot on laptop"
	c.Send(t, full, "chat", "pushed "+remote)
	c.Send(t, jid, "chat", "pushed "+remote)
	c.Sync(t)
	// The laptop must not pull; give it ample time to do so wrongly.
	deadline := time.Now().Add(2 * time.Second)
	gittest.Eventually(t, 5*time.Second, "time to pass", func() bool { return time.Now().After(deadline) })
	if _, err := gittest.Run(dir, "cat-file", "-e", "HEAD:x.md"); err == nil {
		t.Fatal("a stranger's message made the laptop pull")
	}
	if strings.Contains(p.log.String(), "another machine pushed") {
		t.Fatalf("the stranger's message was acted on:\n%s", p.log)
	}
	// The same message from another resource of the own account works.
	own := srv.Connect(t, jid, "secret", "AutosyncJabberBot on oldhost")
	own.Send(t, jid, "chat", "pushed "+remote+"\n")
	gittest.Eventually(t, 10*time.Second, "pull after the own account's announcement", func() bool {
		_, err := gittest.Run(dir, "cat-file", "-e", "HEAD:x.md")
		return err == nil
	})
}

func TestXMPPServerRestartCatchesUp(t *testing.T) {
	srv := xmpptest.Start(t)
	jid := srv.AddUser(t, "ann", "secret")
	remote := gittest.NewRemote(t)
	dirA, dirB := gittest.Clone(t, remote, "laptop"), gittest.Clone(t, remote, "desktop")
	a := startConfig(t, "laptop", xmppConfig("laptop", dirA, jid, srv))
	b := startConfig(t, "desktop", xmppConfig("desktop", dirB, jid, srv))
	a.connected()
	b.connected()

	srv.Kill(t)
	// Saved while the server is down: pushed to git, but the announcement
	// is lost.
	gittest.WriteFile(t, dirA, "during-outage.md", "saved while XMPP was down\n")
	gittest.Eventually(t, 15*time.Second, "the save pushed", func() bool {
		out, _ := gittest.Run(remote, "log", "-1", "--format=%s", "main")
		return strings.Contains(out, "during-outage.md")
	})
	srv.Restart(t)
	// After reconnecting, every instance catches up with a fetch.
	gittest.Eventually(t, 60*time.Second, "catch-up on the desktop", fileIs(dirB, "during-outage.md", "saved while XMPP was down\n"))
	a.connected()
	b.connected()
	// And announcements work again.
	gittest.WriteFile(t, dirB, "after.md", "after the restart\n")
	gittest.Eventually(t, 15*time.Second, "after.md on the laptop", fileIs(dirA, "after.md", "after the restart\n"))
}

func TestXMPPWrongPasswordKeepsSyncingByPolling(t *testing.T) {
	srv := xmpptest.Start(t)
	jid := srv.AddUser(t, "ann", "secret")
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "laptop")
	cfg := strings.Replace(xmppConfig("laptop", dir, jid, srv), `password = "secret"`, `password = "wrong"`, 1)
	cfg = strings.Replace(cfg, `poll_interval = "0s"`, `poll_interval = "500ms"`, 1) // the folder's poll
	p := startConfig(t, "laptop", cfg)
	gittest.Eventually(t, 20*time.Second, "the login failure shown", func() bool {
		st, ok := p.status()
		return ok && len(st[0].Peers) == 1 && st[0].Peers[0].State == "failed" && strings.Contains(st[0].Peers[0].Detail, "password")
	})
	other := gittest.Clone(t, remote, "other")
	gittest.WriteFile(t, other, "y.md", "y\n")
	gittest.Git(t, other, "add", ".")
	gittest.Git(t, other, "commit", "-qm", "y")
	gittest.Git(t, other, "push", "-q")
	gittest.Eventually(t, 15*time.Second, "the pull by polling", fileIs(dir, "y.md", "y\n"))
}
