//go:build unix

package xmpptest_test

import (
	"fmt"
	"runtime"
	"strings"
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

// fakeTB records how Start gives up; Skip and Fatal end the goroutine as
// the real ones do.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skip(args ...any) {
	f.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestMissingProsodySkipsOrFailsUnderCI(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no prosody there
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		f := &fakeTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			xmpptest.Start(f)
		}()
		<-done
		switch {
		case ci == "" && (f.skipped == "" || f.failed != ""):
			t.Errorf("CI unset: skipped %q, failed %q; want a skip", f.skipped, f.failed)
		case ci == "true" && (f.failed == "" || f.skipped != ""):
			t.Errorf("CI=true: skipped %q, failed %q; want a failure", f.skipped, f.failed)
		}
		if msg := f.skipped + f.failed; !strings.Contains(msg, "apt-get install") {
			t.Errorf("message %q does not say how to install prosody", msg)
		}
	}
}
