// Package vcs holds the vocabulary shared by the engine (package syncer) and
// the version-control back ends (syncer/git, and the legacy command-template
// back end): changes, commits, the result of a pull, and the sentinel errors
// the engine makes decisions on. It imports only the standard library.
package vcs

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Back ends wrap them (fmt.Errorf("...: %w", vcs.ErrOffline))
// so that the engine can decide with errors.Is and still show the detail.
var (
	// ErrOffline means the remote could not be reached (DNS, refused
	// connection, timeout, network unreachable). The engine retries with
	// backoff and shows the folder as Offline.
	ErrOffline = errors.New("remote unreachable")
	// ErrRejected means the remote refused a push because it has commits we
	// do not have. The engine pulls and pushes again.
	ErrRejected = errors.New("push rejected: the remote has new commits")
	// ErrDirtyTree means an integration could not run because uncommitted
	// local changes are in the way. The engine commits them first and tries
	// again; nothing was changed.
	ErrDirtyTree = errors.New("uncommitted local changes are in the way")
	// ErrLocked means another process holds a repository lock (index.lock
	// held by a running git). The engine retries later.
	ErrLocked = errors.New("repository is locked by another git process")
)

// NeedsUserError reports a repository state that autosync must not touch: a
// merge or rebase in progress that it did not start, a detached HEAD, a branch
// without upstream, missing author identity, authentication failure. Hint says
// in plain words what the user should do. The engine shows the folder in state
// Error and does nothing with it until the next check passes.
type NeedsUserError struct {
	Problem string // what is wrong, e.g. "a rebase is in progress"
	Hint    string // what to do, e.g. "finish it with git rebase --continue or --abort"
	Err     error  // underlying error, if any
}

func (e *NeedsUserError) Error() string {
	s := e.Problem
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

func (e *NeedsUserError) Unwrap() error { return e.Err }

// NeedsUser builds a *NeedsUserError.
func NeedsUser(problem, hint string, err error) error {
	return &NeedsUserError{Problem: problem, Hint: hint, Err: err}
}

// IsNeedsUser reports whether err (or an error it wraps) is a *NeedsUserError.
func IsNeedsUser(err error) bool {
	var n *NeedsUserError
	return errors.As(err, &n)
}

// ChangeKind is what happened to one path.
type ChangeKind int

// The kinds of change, in the order a commit message lists them.
const (
	Modified ChangeKind = iota
	Added
	Deleted
	Renamed
)

// MarshalText writes the kind's name ("edit", "add", ...) for JSON.
func (k ChangeKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

func (k ChangeKind) String() string {
	switch k {
	case Modified:
		return "edit"
	case Added:
		return "add"
	case Deleted:
		return "delete"
	case Renamed:
		return "rename"
	}
	return fmt.Sprintf("ChangeKind(%d)", int(k))
}

// Change is one changed path, relative to the top of the working copy, with
// forward slashes. From is set for renames only.
type Change struct {
	Kind ChangeKind `json:"kind"`
	Path string     `json:"path"`
	From string     `json:"from,omitempty"`
}

// Skipped is a path that was left out of a commit, and why (for example a file
// bigger than max_file_size). The user is told about each one.
type Skipped struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Reason string `json:"reason"`
}

// Commit describes one commit.
type Commit struct {
	Hash    string    `json:"hash"`
	Subject string    `json:"subject"`
	Author  string    `json:"author"`           // author name
	Device  string    `json:"device,omitempty"` // device name parsed from an autosync subject, else ""
	Time    time.Time `json:"time"`
	Files   []string  `json:"files,omitempty"` // paths touched, when known
}

// Conflict is one file that both sides changed. The remote version kept
// Path; the local version was saved beside it as Copy (empty when no copy
// was needed, e.g. a modification beat a deletion). Both are relative paths.
type Conflict struct {
	Path   string `json:"path"`
	Copy   string `json:"copy,omitempty"`
	Reason string `json:"reason"` // e.g. "both changed", "changed here, deleted there"
}

// PullResult is what a pull brought in.
type PullResult struct {
	// Updated is false when the remote had nothing new.
	Updated bool
	// FastForward is true when no merge commit was needed.
	FastForward bool
	// Commits are the new commits that came from the remote, newest first
	// (at most a few dozen; enough for a notification).
	Commits []Commit
	// Files are the paths the pull changed in the working copy.
	Files []string
	// Conflicts resolved by keeping both versions.
	Conflicts []Conflict
	// Merge is the merge commit autosync made, if any.
	Merge *Commit
}

// Status is the part of a repository's state the engine shows and decides on.
type Status struct {
	Branch   string
	Upstream string // e.g. "origin/main"
	Head     string // full hash of HEAD ("" in an empty repository)
	Ahead    int    // commits on HEAD that the upstream has not (as of the last fetch)
	Behind   int    // commits on the upstream that HEAD has not (as of the last fetch)
	Dirty    bool   // uncommitted changes that would be committed
}
