package git_test

import (
	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/git"
)

// The engine's interface, checked at compile time.
var _ syncer.Repository = (*git.Repo)(nil)
