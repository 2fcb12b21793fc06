package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/config"
	"github.com/autosync-dev/autosync/syncer/control"
	"github.com/autosync-dev/autosync/syncer/legacy"
)

// runFlags are the flags of the run mode.
type runFlags struct {
	config   string
	noTray   bool
	logLevel string
	device   string
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	var rf runFlags
	fs := newFlagSet("autosync", "autosync [flags] [FOLDER | CONFIG]", stderr)
	fs.Usage = func() {
		usage(stderr)
		fs.PrintDefaults()
	}
	fs.StringVar(&rf.config, "config", "", "configuration file: TOML, or a dvcs-autosync INI file (default $XDG_CONFIG_HOME/autosync/config.toml, then ~/.autosync)")
	fs.BoolVar(&rf.noTray, "no-tray", false, "run without the tray icon and desktop notifications, logging only")
	fs.StringVar(&rf.logLevel, "log-level", "", "debug, info, warn or error (default: the configuration's log_level, else info)")
	fs.StringVar(&rf.device, "device", "", "name of this machine in commit messages and conflict copies (default: the configuration's device_name, else the host name)")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "autosync: one FOLDER or CONFIG at a time (got %d); put several folders in a config file\n", len(pos))
		return exitUsage
	}
	arg := ""
	if len(pos) == 1 {
		arg = pos[0]
	}
	cfg, err := loadConfig(rf.config, arg)
	if err != nil {
		fmt.Fprintln(stderr, "autosync:", err)
		if isUsage(err) || isConfigError(err) {
			return exitUsage
		}
		return exitFailure
	}
	if rf.device != "" {
		if err := cfg.SetDeviceName(rf.device); err != nil {
			fmt.Fprintln(stderr, "autosync: --device:", err)
			return exitUsage
		}
	}
	if len(cfg.Folders) == 0 {
		fmt.Fprintf(stderr, "autosync: %s names no folder to sync: add a [[folder]] with a path\n", cfg.Source)
		return exitUsage
	}
	if rf.logLevel != "" {
		cfg.LogLevel = rf.logLevel
	}
	logger, err := newLogger(stderr, cfg.LogLevel)
	if err != nil {
		fmt.Fprintln(stderr, "autosync:", err)
		return exitUsage
	}
	// Libraries that log with the standard log package (fyne.io/systray)
	// end up in the same log, with the same format.
	slog.SetDefault(logger)
	for _, w := range cfg.Warnings() {
		logger.Warn(w)
	}
	return daemon(cfg, rf, logger)
}

func isConfigError(err error) bool {
	var ce *config.Error
	return errors.As(err, &ce)
}

// loadConfig finds and reads the configuration. flagConfig is --config;
// arg is the positional argument: a folder (synced with defaults) or a
// configuration file (TOML or dvcs-autosync INI). A file named on the
// command line always wins over ~/.autosync (dvcs-autosync had it the other
// way round).
func loadConfig(flagConfig, arg string) (*config.Config, error) {
	if flagConfig != "" && arg != "" {
		fi, err := os.Stat(arg)
		if err == nil && !fi.IsDir() {
			return nil, usageError("both --config %s and the file %s name a configuration; give one", flagConfig, arg)
		}
	}
	if arg != "" {
		fi, err := os.Stat(arg)
		switch {
		case err != nil && flagConfig == "":
			return nil, usageError("%s does not exist: name a folder that is a git working copy (clone your repository there first), or a configuration file", arg)
		case err == nil && fi.IsDir():
			if flagConfig != "" {
				cfg, err := readConfig(flagConfig)
				if err != nil {
					return nil, err
				}
				return onlyFolder(cfg, arg)
			}
			cfg := config.FromFolder(arg)
			return cfg, nil
		case err == nil:
			return readConfig(arg)
		default:
			return nil, usageError("%s does not exist", arg)
		}
	}
	if flagConfig != "" {
		return readConfig(flagConfig)
	}
	def, derr := config.DefaultPath()
	if derr == nil {
		if _, err := os.Stat(def); err == nil {
			return readConfig(def)
		}
	}
	if legacy, err := config.LegacyDefaultPath(); err == nil {
		if _, err := os.Stat(legacy); err == nil {
			return readConfig(legacy)
		}
	}
	return nil, usageError("nothing to sync: run `autosync FOLDER` for a git working copy, or write a configuration file at %s (see the README)", def)
}

// readConfig reads a TOML or a dvcs-autosync INI file.
func readConfig(path string) (*config.Config, error) {
	if config.IsLegacy(path) {
		return config.LoadLegacy(path)
	}
	cfg, err := config.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usageError("configuration file %s does not exist", path)
	}
	return cfg, err
}

// onlyFolder narrows cfg to the folder at dir, keeping that folder's
// settings; a folder the file does not name gets the defaults.
func onlyFolder(cfg *config.Config, dir string) (*config.Config, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	for _, f := range cfg.Folders {
		if f.Path == abs {
			cfg.Folders = []config.Folder{f}
			return cfg, nil
		}
	}
	one := config.FromFolder(abs)
	cfg.Folders = one.Folders
	return cfg, nil
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	switch strings.ToLower(level) {
	case "", "info":
		l = slog.LevelInfo
	case "debug":
		l = slog.LevelDebug
	case "warn", "warning":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		return nil, usageError("log level %q: use debug, info, warn or error", level)
	}
	h := slog.NewTextHandler(w, &slog.HandlerOptions{Level: l, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.String(slog.TimeKey, a.Value.Time().Format("2006-01-02 15:04:05"))
		}
		return a
	}})
	return slog.New(h), nil
}

// app is one running process: the manager and what it is wired to.
type app struct {
	cfg     *config.Config
	mgr     *syncer.Manager
	log     *slog.Logger
	started time.Time

	mu     sync.Mutex
	opened []*syncer.Opened
}

// retryInterval is how often a folder that could not be started is tried
// again.
const retryInterval = 30 * time.Second

func (a *app) keep(o *syncer.Opened) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.opened = append(a.opened, o)
}

// closeAll releases the folders' instance locks (after they stopped).
func (a *app) closeAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, o := range a.opened {
		o.Close()
	}
}

// retryOpen tries to start a folder that could not be started, until it
// starts or ctx ends.
func (a *app) retryOpen(ctx context.Context, fc config.Folder, setup syncer.Setup) {
	t := time.NewTicker(retryInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		o, err := syncer.Open(ctx, fc, setup)
		if err != nil {
			a.mgr.AddBroken(fc.Path, err)
			continue
		}
		a.log.Info("folder can be synced now", "folder", fc.Path)
		a.keep(o)
		a.mgr.Add(o.Options)
		return
	}
}

// daemon runs until SIGINT, SIGTERM or Quit and returns the exit code.
func daemon(cfg *config.Config, rf runFlags, logger *slog.Logger) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, quit := context.WithCancel(ctx)
	defer quit()

	// A dvcs-autosync configuration comes with its pidfile: one instance
	// per configuration, as before. It is removed however we stop.
	if cfg.Legacy != nil && cfg.Legacy.PIDFile != "" {
		pf, err := legacy.WritePIDFile(cfg.Legacy.PIDFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "autosync:", err)
			return exitFailure
		}
		if n := pf.Replaced(); n != "" {
			logger.Info(n)
		}
		defer pf.Remove()
	}

	a := &app{cfg: cfg, mgr: syncer.NewManager(logger), log: logger, started: time.Now()}
	desk := newDesktop(cfg, rf, logger)
	setup := syncer.Setup{Device: cfg.DeviceName, Logger: logger, Prompter: desk.prompter(), PeerUp: a.mgr.PeerUp, Legacy: cfg.Legacy}

	type failure struct {
		fc  config.Folder
		err error
	}
	var failed []failure
	for _, fc := range cfg.Folders {
		o, err := syncer.Open(ctx, fc, setup)
		if err != nil {
			failed = append(failed, failure{fc, err})
			continue
		}
		a.keep(o)
		a.mgr.Add(o.Options)
	}
	defer a.closeAll()
	if len(failed) == len(cfg.Folders) {
		for _, f := range failed {
			fmt.Fprintln(os.Stderr, "autosync:", f.err)
		}
		return exitFailure
	}
	// The others go on; a folder that could not start is shown in state
	// Error (status, tray) and tried again, so that plugging in the disk
	// it lives on, or stopping the other instance, is enough.
	for _, f := range failed {
		logger.Error("cannot sync this folder; the others go on, and it is tried again every 30s", "folder", f.fc.Path, "err", f.err)
		a.mgr.AddBroken(f.fc.Path, f.err)
		go a.retryOpen(ctx, f.fc, setup)
	}
	if err := a.addTransports(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "autosync:", err)
		return exitUsage
	}

	var wg sync.WaitGroup
	srv, err := control.Listen(control.DefaultDir(), a, logger)
	if err != nil {
		logger.Warn("no control socket: `autosync status` will not see this instance", "err", err)
	} else {
		wg.Go(func() {
			if err := srv.Serve(ctx); err != nil {
				logger.Warn("control socket stopped", "err", err)
			}
		})
	}
	for _, o := range a.opened {
		logger.Info("syncing", "folder", o.Options.Path, "device", cfg.DeviceName)
	}
	wg.Go(func() { a.mgr.Run(ctx) })
	desk.start(ctx, a.mgr, logger)
	// The tray, when there is one, must own the main goroutine; it returns
	// after Quit (which cancels ctx) or when ctx is cancelled by a signal.
	desk.run(ctx, a, quit)
	<-ctx.Done()
	// From now on a second Ctrl-C or SIGTERM ends the process at once (the
	// default action); git's locks left behind are recovered at the next
	// start.
	stop()
	logger.Info("stopping: finishing the current step (press Ctrl-C again to stop at once)")
	wg.Wait()
	logger.Info("stopped")
	return exitOK
}

// Status implements control.Handler.
func (a *app) Status() control.Status {
	return control.Status{
		PID:     os.Getpid(),
		Version: versionString(),
		Started: a.started,
		Config:  a.cfg.Source,
		Folders: a.mgr.Snapshots(),
		Peers:   control.PeerView(a.mgr.PeerStatus()),
	}
}

// SyncNow implements control.Handler.
func (a *app) SyncNow(folder string) error { return a.mgr.SyncNow(folder) }

// Pause implements control.Handler.
func (a *app) Pause(folder string) error { return a.mgr.Pause(folder) }

// Resume implements control.Handler.
func (a *app) Resume(folder string) error { return a.mgr.Resume(folder) }

// addTransports starts the peer channels the configuration asks for.
func (a *app) addTransports(ctx context.Context) error {
	if a.cfg.XMPP == nil {
		return nil
	}
	return addXMPP(ctx, a)
}

var _ control.Handler = (*app)(nil)

// absPath makes p absolute, keeping it as it is if that fails.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
