package xmpp

import (
	"context"
	"testing"
)

func TestResolveAnIPDomainWithoutDNS(t *testing.T) {
	for _, tc := range []struct{ jid, tls, want string }{
		{"me@127.0.0.1", TLSStartTLS, "127.0.0.1:5222"},
		{"me@[::1]", TLSDirect, "[::1]:5223"},
	} {
		tr, err := New(Options{JID: tc.jid, Password: "x", TLS: tc.tls})
		if err != nil {
			t.Fatal(err)
		}
		// A cancelled context: a DNS lookup would fail, so the answer can
		// only come from the address itself.
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if got := tr.resolve(ctx); got != tc.want {
			t.Errorf("%s: resolve = %q, want %q", tc.jid, got, tc.want)
		}
	}
}
