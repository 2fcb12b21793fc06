package main

import (
	"context"
	"fmt"
	"time"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/peer/xmpp"
)

// notifyTimeout bounds sending one also_notify line.
const notifyTimeout = 10 * time.Second

// addXMPP starts the XMPP peer channel: after every push the other
// machines on the account hear about it and pull at once; with also_notify
// set, that account gets a readable line for each action.
func addXMPP(ctx context.Context, a *app) error {
	x := a.cfg.XMPP
	tr, err := xmpp.New(xmpp.Options{
		JID:             x.JID,
		Password:        x.Password,
		PasswordCommand: x.PasswordCommand,
		Server:          x.Server,
		TLS:             x.TLS,
		CAFile:          x.CAFile,
		Resource:        x.Resource,
		AllowedJIDs:     x.AllowedJIDs,
		AlsoNotify:      x.AlsoNotify,
		Logger:          a.log.With("peer", "xmpp"),
	})
	if err != nil {
		return fmt.Errorf("[xmpp] in %s: %w", a.cfg.Source, err)
	}
	a.mgr.AddTransport(tr)
	if x.AlsoNotify != "" {
		events, _ := a.mgr.Subscribe()
		go func() {
			for e := range events {
				line := eventLine(e)
				if line == "" {
					continue
				}
				nctx, cancel := context.WithTimeout(ctx, notifyTimeout)
				if err := tr.Notify(nctx, line); err != nil {
					a.log.Debug("also_notify line not sent", "err", err)
				}
				cancel()
			}
		}()
	}
	return nil
}

// eventLine is one event as a readable line, as dvcs-autosync's alsonotify
// sent them ("[title]: text").
func eventLine(e syncer.Event) string {
	switch e.Kind {
	case syncer.EventCommitted:
		if e.Commit != nil {
			return fmt.Sprintf("[Local change]: %s: %s", e.Folder, e.Commit.Subject)
		}
	case syncer.EventPushed:
		return fmt.Sprintf("[Pushed]: %s: %d commit%s", e.Folder, e.Commits, plural(e.Commits))
	case syncer.EventPulled:
		if e.Pull != nil {
			return fmt.Sprintf("[Pulled]: %s: %d commit%s, %d file%s changed", e.Folder, len(e.Pull.Commits), plural(len(e.Pull.Commits)), len(e.Pull.Files), plural(len(e.Pull.Files)))
		}
	case syncer.EventConflict:
		return fmt.Sprintf("[Conflict]: %s: both versions kept for %d file%s", e.Folder, len(e.Conflicts), plural(len(e.Conflicts)))
	case syncer.EventError, syncer.EventOffline, syncer.EventWarning:
		if e.Err != nil {
			return fmt.Sprintf("[%s]: %s: %v", e.Kind, e.Folder, e.Err)
		}
	case syncer.EventBackOnline:
		return fmt.Sprintf("[Back online]: %s", e.Folder)
	}
	return ""
}
