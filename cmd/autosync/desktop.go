package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/autosync-dev/autosync/dialogs"
	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/config"
	"github.com/autosync-dev/autosync/tray"
	"github.com/autosync-dev/autosync/tray/autostart"
)

// desktop is the tray icon, the notifications and the commit-message
// prompt. The tray and the notifications need a desktop session and no
// --no-tray; the prompt needs a display only (it falls back to the
// generated message without one).
type desktop struct {
	cfg      *config.Config
	log      *slog.Logger
	tray     bool // show the tray icon
	notify   bool // send desktop notifications
	prompt   *dialogs.Prompter
	notifier *dialogs.Notifier
}

func newDesktop(cfg *config.Config, rf runFlags, logger *slog.Logger) *desktop {
	d := &desktop{cfg: cfg, log: logger}
	asks := map[string]time.Duration{}
	for _, f := range cfg.Folders {
		if f.AskCommitMessage {
			asks[f.Path] = f.AskTimeout.D()
		}
	}
	if len(asks) > 0 {
		d.prompt = dialogs.NewPrompter(dialogs.PrompterOptions{
			TimeoutFor: func(folder string) time.Duration { return asks[folder] },
			Logger:     logger,
		})
	}
	if rf.noTray {
		logger.Info("--no-tray: running without the tray icon and desktop notifications")
		return d
	}
	ok, why := tray.Available()
	if !ok {
		logger.Info("no desktop session: running without the tray icon and desktop notifications", "why", why)
		return d
	}
	d.tray = true
	level := dialogs.Level(cfg.Notifications.Level)
	if level != dialogs.LevelNone {
		d.notify = true
		d.notifier = dialogs.NewNotifier(dialogs.NotifierOptions{Level: level, Logger: logger})
	}
	return d
}

// prompter returns the commit-message prompter, or nil when no folder asks.
func (d *desktop) prompter() syncer.Prompter {
	if d.prompt == nil {
		return nil
	}
	return d.prompt
}

// start starts the notifications: they follow the engine's events.
func (d *desktop) start(ctx context.Context, m *syncer.Manager, logger *slog.Logger) {
	if !d.notify {
		return
	}
	events, _ := m.Subscribe()
	go d.notifier.Run(ctx, events)
}

// run runs the tray on the calling (main) goroutine until Quit or ctx ends.
func (d *desktop) run(ctx context.Context, a *app, quit context.CancelFunc) {
	if !d.tray {
		return
	}
	stop := context.AfterFunc(ctx, tray.Quit)
	defer stop()
	var args []string
	if a.cfg.Source != "" {
		args = []string{"--config", absPath(a.cfg.Source)}
	} else if len(a.cfg.Folders) == 1 {
		args = []string{a.cfg.Folders[0].Path}
	}
	tray.Run(tray.Options{
		Source:     a.mgr,
		Controller: trayControl{a: a, quit: quit},
		Autostart:  autostart.Switch{Args: args},
		Logger:     d.log,
	})
	quit()
}

// trayControl turns menu clicks into engine requests.
type trayControl struct {
	a    *app
	quit context.CancelFunc
}

func (c trayControl) report(what, folder string, err error) {
	if err != nil {
		c.a.log.Warn("tray: "+what+" failed", "folder", folder, "err", err)
	}
}

func (c trayControl) SyncNow(folder string) { c.report("sync now", folder, c.a.mgr.SyncNow(folder)) }
func (c trayControl) Pause(folder string)   { c.report("pause", folder, c.a.mgr.Pause(folder)) }
func (c trayControl) Resume(folder string)  { c.report("resume", folder, c.a.mgr.Resume(folder)) }
func (c trayControl) Quit()                 { c.a.log.Info("quit from the tray"); c.quit() }

var _ tray.Controller = trayControl{}
