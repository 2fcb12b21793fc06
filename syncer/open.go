package syncer

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/autosync-dev/autosync/syncer/config"
	"github.com/autosync-dev/autosync/syncer/git"
	"github.com/autosync-dev/autosync/syncer/ignore"
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
}

// Opened is a folder whose working copy has been checked and locked, with
// its watcher running; pass Options to Manager.Add. Close releases the lock
// once the folder stopped.
type Opened struct {
	Options FolderOptions
	Repo    *git.Repo
	lock    *InstanceLock
}

// Close releases the folder's instance lock.
func (o *Opened) Close() error { return o.lock.Release() }

// Open prepares one configured folder with the native git back end: it
// opens the working copy (an error says what to do if it is missing or not
// a git working copy), takes the one-instance lock (an error names the PID
// that holds it), and starts the watcher, which runs until ctx is done.
// Repository states that need the user (mid-merge, detached HEAD, ...) are
// not errors here: the folder shows them in state Error once it runs.
func Open(ctx context.Context, fc config.Folder, s Setup) (*Opened, error) {
	logger := s.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	patterns := append(append([]string{}, ignore.Defaults...), fc.Ignore...)
	matcher, err := ignore.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("%s: ignore patterns: %w", fc.Path, err)
	}
	repo, err := git.Open(ctx, fc.Path, git.Options{
		Remote:      fc.Remote,
		Branch:      fc.Branch,
		Ignored:     matcher.Match,
		MaxFileSize: int64(fc.MaxFileSize),
		LocalOnly:   fc.LocalOnly,
		Logger:      logger.With("folder", fc.Path),
	})
	if err != nil {
		return nil, err
	}
	lockPath, err := repo.GitPath(ctx, "autosync.lock")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fc.Path, err)
	}
	lock, err := Lock(lockPath, repo.Dir())
	if err != nil {
		return nil, err
	}
	w, err := watch.New(watch.Options{
		Root:       repo.Dir(),
		Skip:       matcher.Match,
		GitIgnored: repo.CheckIgnore,
		Logger:     logger.With("folder", repo.Dir()),
	})
	if err != nil {
		lock.Release()
		return nil, fmt.Errorf("%s: %w", fc.Path, err)
	}
	go func() {
		if err := w.Run(ctx); err != nil {
			logger.Error("watching stopped; changes are found by periodic scans", "folder", repo.Dir(), "err", err)
		}
	}()

	opts := FolderOptions{
		Path:        repo.Dir(),
		Device:      s.Device,
		Repo:        repo,
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
	return &Opened{Options: opts, Repo: repo, lock: lock}, nil
}
