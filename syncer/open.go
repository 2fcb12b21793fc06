package syncer

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/autosync-dev/autosync/syncer/config"
	"github.com/autosync-dev/autosync/syncer/git"
	"github.com/autosync-dev/autosync/syncer/ignore"
	"github.com/autosync-dev/autosync/syncer/legacy"
	"github.com/autosync-dev/autosync/syncer/watch"
)

// Setup is what every folder of one process shares.
type Setup struct {
	Device   string
	Logger   *slog.Logger
	Prompter Prompter // used for folders with ask_commit_message
	// PeerUp reports whether a peer channel is connected (the poll interval
	// depends on it); nil means never.
	PeerUp func() bool
	// Legacy is the dvcs-autosync part of a legacy configuration, or nil.
	// When its [dvcs] commands are not git's defaults, the folder is driven
	// through them (package legacy) instead of the native git engine.
	Legacy *config.Legacy
}

// Opened is a folder whose working copy has been checked and locked, with
// its watcher running; pass Options to Manager.Add. Close releases the lock
// once the folder stopped.
type Opened struct {
	Options FolderOptions
	lock    *InstanceLock
}

// Close releases the folder's instance lock.
func (o *Opened) Close() error { return o.lock.Release() }

// backend is what Open needs from a working copy beyond the engine's
// Repository: where it lives and where its instance lock goes.
type backend struct {
	repo     Repository
	dir      string
	lockPath string
	// gitIgnored checks directories against git's ignore rules for the
	// watcher; nil when the tool is not git.
	gitIgnored func(context.Context, []string) ([]bool, error)
}

// Open prepares one configured folder: it opens the working copy (an error
// says what to do if it is missing or not a working copy), takes the
// one-instance lock (an error names the PID that holds it), and starts the
// watcher, which runs until ctx is done. Repository states that need the
// user (mid-merge, detached HEAD, ...) are not errors here: the folder
// shows them in state Error once it runs.
func Open(ctx context.Context, fc config.Folder, s Setup) (*Opened, error) {
	logger := s.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	useTemplates := s.Legacy != nil && !s.Legacy.GitDefaults()
	patterns := append(append([]string{}, ignore.Defaults...), fc.Ignore...)
	if useTemplates {
		// Other tools' metadata is never to be committed nor watched.
		patterns = append(patterns, "/.hg/", "/.svn/", "/.bzr/", "/_darcs/")
	}
	matcher, err := ignore.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("%s: ignore patterns: %w", fc.Path, err)
	}
	var b backend
	if useTemplates {
		b, err = openLegacy(ctx, fc, s, logger)
	} else {
		b, err = openGit(ctx, fc, matcher, logger)
	}
	if err != nil {
		return nil, err
	}
	lock, err := Lock(b.lockPath, b.dir)
	if err != nil {
		return nil, err
	}
	w, err := watch.New(watch.Options{
		Root:       b.dir,
		Skip:       matcher.Match,
		GitIgnored: b.gitIgnored,
		Logger:     logger.With("folder", b.dir),
	})
	if err != nil {
		lock.Release()
		return nil, fmt.Errorf("%s: %w", fc.Path, err)
	}
	go func() {
		if err := w.Run(ctx); err != nil {
			logger.Error("watching stopped; changes are found by periodic scans", "folder", b.dir, "err", err)
		}
	}()

	opts := FolderOptions{
		Path:        b.dir,
		Device:      s.Device,
		Repo:        b.repo,
		Batches:     w.Batches(),
		WatchReady:  w.Ready(),
		CommitDelay: fc.CommitDelay.D(),
		MaxDelay:    fc.MaxDelay.D(),
		PushDelay:   fc.PushDelay.D(),
		Paused:      fc.Paused,
		LocalOnly:   fc.LocalOnly,
		AskTimeout:  fc.AskTimeout.D(),
		Logger:      logger,
	}
	if !fc.LocalOnly {
		peerUp := s.PeerUp
		opts.Poll = func() time.Duration { return fc.Poll(peerUp != nil && peerUp()) }
	}
	if fc.AskCommitMessage {
		opts.Prompter = s.Prompter
	}
	return &Opened{Options: opts, lock: lock}, nil
}

// openGit opens a folder with the native git engine.
func openGit(ctx context.Context, fc config.Folder, matcher *ignore.Matcher, logger *slog.Logger) (backend, error) {
	repo, err := git.Open(ctx, fc.Path, git.Options{
		Remote:      fc.Remote,
		Branch:      fc.Branch,
		Ignored:     matcher.Match,
		MaxFileSize: int64(fc.MaxFileSize),
		LocalOnly:   fc.LocalOnly,
		Logger:      logger.With("folder", fc.Path),
	})
	if err != nil {
		return backend{}, err
	}
	lockPath, err := repo.GitPath(ctx, "autosync.lock")
	if err != nil {
		return backend{}, fmt.Errorf("%s: %w", fc.Path, err)
	}
	return backend{repo: repo, dir: repo.Dir(), lockPath: lockPath, gitIgnored: repo.CheckIgnore}, nil
}

// openLegacy opens a folder driven by dvcs-autosync's [dvcs] templates.
func openLegacy(ctx context.Context, fc config.Folder, s Setup, logger *slog.Logger) (backend, error) {
	repo, err := legacy.Open(ctx, fc.Path, s.Legacy.Commands, legacy.Options{
		Device:    s.Device,
		LocalOnly: fc.LocalOnly,
		Logger:    logger.With("folder", fc.Path),
	})
	if err != nil {
		return backend{}, err
	}
	return backend{repo: repo, dir: repo.Dir(), lockPath: repo.LockPath()}, nil
}
