package syncer

import (
	"fmt"
	"time"

	"github.com/autosync-dev/autosync/syncer/vcs"
)

// State is what a folder is doing.
type State int

// The states of a folder. The zero value is Idle.
const (
	// Idle: in sync as far as we know.
	Idle State = iota
	// Pending: changes seen, waiting for the quiet period.
	Pending
	// Committing: staging and committing local changes.
	Committing
	// Pulling: fetching and integrating what other machines pushed.
	Pulling
	// Pushing: sending local commits.
	Pushing
	// Paused by the user: nothing is committed, pulled or pushed.
	Paused
	// Offline: the remote cannot be reached; retrying with backoff.
	Offline
	// Conflict: in sync, but conflict copies are waiting for a look.
	Conflict
	// Error: something only the user can fix; see Snapshot.LastError.
	Error
)

var stateNames = [...]string{"idle", "pending", "committing", "pulling", "pushing", "paused", "offline", "conflict", "error"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// MarshalText writes the state's name (for JSON status output).
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state's name.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n == string(b) {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("unknown state %q", b)
}

// Snapshot is a copy of one folder's state at one moment. It is a value:
// subscribers may keep it; the engine never changes a snapshot it published.
type Snapshot struct {
	Path   string `json:"path"`
	Name   string `json:"name"` // base name of Path, for menus
	Remote string `json:"remote,omitempty"`
	Branch string `json:"branch,omitempty"`

	State State     `json:"state"`
	Since time.Time `json:"since"` // when State was entered
	// Detail says in plain words what is going on ("pushing 2 commits",
	// "retrying in 30s").
	Detail string `json:"detail,omitempty"`

	LastSync  time.Time `json:"last_sync,omitzero"` // last time local and remote were known equal
	LastError string    `json:"last_error,omitempty"`
	// NeedsUser is true when LastError is something only the user can fix.
	NeedsUser bool `json:"needs_user,omitempty"`
	// NextRetry is when a failed step is tried again (zero: not waiting).
	NextRetry time.Time `json:"next_retry,omitzero"`

	Paused bool `json:"paused"`
	// LocalOnly folders commit but never pull or push.
	LocalOnly bool     `json:"local_only,omitempty"`
	Pending   []string `json:"pending,omitempty"` // paths seen changing, waiting to be committed

	Ahead  int `json:"ahead"`
	Behind int `json:"behind"`

	Recent    []vcs.Commit   `json:"recent,omitempty"`    // newest first
	Conflicts []vcs.Conflict `json:"conflicts,omitempty"` // conflict copies still on disk
	Skipped   []vcs.Skipped  `json:"skipped,omitempty"`   // files left uncommitted (too big)
}

// EventKind says what an Event reports.
type EventKind int

// Event kinds, one per action a user may want to be told about.
const (
	EventCommitted EventKind = iota
	EventPushed
	EventPulled
	EventConflict
	EventError
	EventOffline
	EventBackOnline
	EventSkipped // files left out of a commit (too big)
	EventWarning // degraded but working (e.g. watch limit reached, polling instead)
)

var eventNames = [...]string{"committed", "pushed", "pulled", "conflict", "error", "offline", "back-online", "skipped", "warning"}

func (k EventKind) String() string {
	if k >= 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event reports one action of one folder, for notifications and logs.
type Event struct {
	Kind   EventKind
	Folder string // path
	Name   string // base name
	Time   time.Time

	Commit    *vcs.Commit     // EventCommitted
	Changes   []vcs.Change    // EventCommitted
	Commits   int             // EventPushed: how many commits went out
	Pull      *vcs.PullResult // EventPulled, EventConflict
	Conflicts []vcs.Conflict  // EventConflict
	Skipped   []vcs.Skipped   // EventSkipped
	Err       error           // EventError, EventOffline, EventWarning
}
