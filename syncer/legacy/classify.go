package legacy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/autosync-dev/autosync/syncer/vcs"
)

// What git and Mercurial print when the remote cannot be reached. Matched
// lower-cased against the output of a failed pull or push; messages are
// kept in English by LC_MESSAGES=C/LANGUAGE=C (see runner env).
var offlineMarks = []string{
	// DNS
	"could not resolve host", "could not resolve hostname", "name or service not known",
	"temporary failure in name resolution", "nodename nor servname provided", "no address associated with hostname",
	// TCP
	"connection refused", "connection timed out", "connection reset", "network is unreachable",
	"no route to host", "operation timed out", "host is down",
	// ssh and the transport dying midway
	"ssh: connect to host", "connection closed by remote host", "the remote end hung up unexpectedly",
	"no suitable response from remote hg", "remote: abort: could not lock repository",
	// hg: a URL error ("abort: error: Connection refused") and a remote path
	// that is not there (an unmounted drive or share)
	"abort: error:", "abort: repository ",
	// git: a remote path that is not there
	"does not appear to be a git repository", "unable to access",
}

// Authentication failures: retrying will not help, the user must act.
var authMarks = []string{
	"permission denied", "authentication failed", "authorization failed", "authorization required",
	"http error 401", "http error 403", "returned error: 401", "returned error: 403",
	"could not read username", "could not read password", "terminal prompts disabled",
	"host key verification failed",
}

// A push the remote refused because it has commits we do not have.
var rejectedMarks = []string{
	"push creates new remote head", "[rejected]", "non-fast-forward", "fetch first", "updates were rejected",
}

func containsAny(s string, marks []string) bool {
	for _, m := range marks {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// classify turns a failed network command into the engine's vocabulary:
// ErrOffline, ErrRejected (push only), a NeedsUser error for credentials,
// else err itself.
func classify(op string, err error, push bool) error {
	var ce *CommandError
	if !errors.As(err, &ce) {
		return fmt.Errorf("%s: %w", op, err)
	}
	out := strings.ToLower(ce.Output)
	switch {
	case strings.Contains(out, "repository default not found") || strings.Contains(out, "repository default-push not found"):
		return vcs.NeedsUser("the Mercurial repository has no default path to "+op+" ("+ce.Dir+")",
			"add \"[paths]\" with \"default = URL\" to .hg/hgrc (hg clone sets it), or set syncmethod = none for local commits only", err)
	case strings.Contains(out, "no tracking information") || strings.Contains(out, "no upstream branch") || strings.Contains(out, "has no upstream"):
		return vcs.NeedsUser("the git branch has no upstream to "+op+" ("+ce.Dir+")",
			"set one with git push -u origin BRANCH (or git branch --set-upstream-to), or set syncmethod = none for local commits only", err)
	case push && containsAny(out, rejectedMarks):
		return fmt.Errorf("%s: %w: %w", op, vcs.ErrRejected, err)
	case containsAny(out, authMarks):
		return vcs.NeedsUser("the remote refused our credentials ("+op+")",
			"check that "+strings.Join(ce.Argv, " ")+" works in a terminal in "+ce.Dir+" without asking for a password (ssh key loaded in the agent, credentials stored), then autosync retries", err)
	case containsAny(out, offlineMarks):
		return fmt.Errorf("%s: %w: %w", op, vcs.ErrOffline, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
