package main

import (
	"context"
	"log/slog"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/config"
)

// desktop is the tray, the notifications and the commit prompt, when there
// is a desktop session and --no-tray was not given.
type desktop struct {
	cfg *config.Config
	rf  runFlags
	log *slog.Logger
}

func newDesktop(cfg *config.Config, rf runFlags, logger *slog.Logger) *desktop {
	return &desktop{cfg: cfg, rf: rf, log: logger}
}

// prompter returns the commit-message prompter, or nil.
func (d *desktop) prompter() syncer.Prompter { return nil }

// start starts the notifications.
func (d *desktop) start(ctx context.Context, m *syncer.Manager, logger *slog.Logger) {}

// run runs the tray on the calling (main) goroutine until ctx is done.
func (d *desktop) run(ctx context.Context, a *app, quit context.CancelFunc) {}
