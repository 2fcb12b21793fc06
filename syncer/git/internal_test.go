package git

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/autosync-dev/autosync/syncer/gittest"
	"github.com/autosync-dev/autosync/syncer/vcs"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		stderr string
		want   Kind
	}{
		{"ssh: Could not resolve hostname example.invalid: Name or service not known\nfatal: Could not read from remote repository.", KindOffline},
		{"fatal: unable to access 'https://example.invalid/x.git/': Could not resolve host: example.invalid", KindOffline},
		{"ssh: connect to host h port 22: Connection refused\nfatal: Could not read from remote repository.", KindOffline},
		{"ssh: connect to host h port 22: Connection timed out", KindOffline},
		{"fatal: unable to access 'https://h/': Failed to connect to h port 443: Network is unreachable", KindOffline},
		{"fatal: '/media/usb/notes.git' does not appear to be a git repository\nfatal: Could not read from remote repository.", KindOffline},
		{"git@h: Permission denied (publickey).\nfatal: Could not read from remote repository.", KindAuth},
		{"fatal: could not read Username for 'https://h': terminal prompts disabled", KindAuth},
		{"remote: Invalid username or password.\nfatal: Authentication failed for 'https://h/'", KindAuth},
		{"fatal: unable to access 'https://h/': The requested URL returned error: 403", KindAuth},
		{"Host key verification failed.\nfatal: Could not read from remote repository.", KindAuth},
		{" ! [rejected]        HEAD -> main (fetch first)\nerror: failed to push some refs", KindRejected},
		{" ! [rejected]        HEAD -> main (non-fast-forward)", KindRejected},
		{" ! [remote rejected] HEAD -> main (pre-receive hook declined)", KindOther},
		// Two machines pushing at the same moment: the remote's ref lock.
		{"remote: error: cannot lock ref 'refs/heads/main': is at 0aa but expected 1bb\nTo /srv/notes.git\n ! [remote rejected] HEAD -> main (failed to update ref)", KindRejected},
		{"fatal: Unable to create '/r/.git/index.lock': File exists.\n\nAnother git process seems to be running", KindLocked},
		{"*** Please tell me who you are.\n\nfatal: unable to auto-detect email address (got 'root@vm.(none)')", KindIdentity},
		{"error: Your local changes to the following files would be overwritten by merge:\n\tf.txt\nPlease commit your changes or stash them before you merge.\nAborting", KindDirty},
		{"error: The following untracked working tree files would be overwritten by merge:\n\tnew.txt\nPlease move or remove them before you merge.", KindDirty},
		{"fatal: couldn't find remote ref refs/heads/main", KindNoRemoteRef},
		{"fatal: pathspec 'x.tmp' did not match any files", KindMissingPath},
		{"fatal: something else", KindOther},
	} {
		if got := classify(tc.stderr); got != tc.want {
			t.Errorf("classify(%q) = %v, want %v", tc.stderr, got, tc.want)
		}
	}
}

func TestErrorUnwrapsToSentinels(t *testing.T) {
	for k, sentinel := range map[Kind]error{KindOffline: vcs.ErrOffline, KindRejected: vcs.ErrRejected, KindLocked: vcs.ErrLocked, KindDirty: vcs.ErrDirtyTree} {
		err := error(&Error{Args: []string{"push"}, Kind: k, Stderr: "x", Err: errors.New("exit status 1")})
		err = userError("/r", err)
		if !errors.Is(err, sentinel) {
			t.Errorf("%v does not unwrap to %v", k, sentinel)
		}
		if vcs.IsNeedsUser(err) {
			t.Errorf("%v is a NeedsUserError", k)
		}
	}
	for _, k := range []Kind{KindAuth, KindIdentity} {
		err := userError("/r", &Error{Args: []string{"push"}, Kind: k, Stderr: "x"})
		var n *vcs.NeedsUserError
		if !errors.As(err, &n) || n.Hint == "" || !IsKind(err, k) {
			t.Errorf("%v: %v", k, err)
		}
	}
	err := &Error{Args: []string{"fetch"}, Err: context.Canceled}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled command does not unwrap to context.Canceled")
	}
}

func TestConflictNames(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	for _, tc := range []struct {
		path, device string
		n            int
		want         string
	}{
		{"notes.md", "laptop", 1, "notes (conflict from laptop 2026-01-02 030405).md"},
		{"a/b/archive.tar.gz", "laptop", 1, "a/b/archive.tar (conflict from laptop 2026-01-02 030405).gz"},
		{".bashrc", "laptop", 1, ".bashrc (conflict from laptop 2026-01-02 030405)"},
		{"dir.d/.config.json", "laptop", 1, "dir.d/.config (conflict from laptop 2026-01-02 030405).json"},
		{"Makefile", "my pc", 3, "Makefile (conflict from my pc 2026-01-02 030405 3)"},
		{"x.txt", "a/b:c (d)", 1, "x (conflict from a-b-c -d- 2026-01-02 030405).txt"},
		{"x.txt", "\t", 1, "x (conflict from unknown device 2026-01-02 030405).txt"},
	} {
		got := vcs.ConflictName(tc.path, tc.device, now, tc.n)
		if got != tc.want {
			t.Errorf("vcs.ConflictName(%q, %q, %d) = %q, want %q", tc.path, tc.device, tc.n, got, tc.want)
		}
		orig, _, when, ok := vcs.ParseConflictName(got)
		if !ok || orig != tc.path || !when.Equal(now) {
			t.Errorf("vcs.ParseConflictName(%q) = %q, %v, %v", got, orig, when, ok)
		}
	}
	for _, p := range []string{"notes.md", "x (conflict from).md", " (conflict from a 2026-01-02 030405).md", "x (conflict from a 2026-13-02 030405).md"} {
		if _, _, _, ok := vcs.ParseConflictName(p); ok {
			t.Errorf("vcs.ParseConflictName(%q) accepted", p)
		}
	}
}

func TestDeviceOf(t *testing.T) {
	for subject, want := range map[string]string{
		"autosync on laptop: edit notes.md":         "laptop",
		"autosync on my pc: merge from origin/main": "my pc",
		"autosync on laptop: edit a: b.md":          "laptop",
		"fix typo":                                  "",
		"Autosync on laptop: edit":                  "",
	} {
		if got := vcs.DeviceFromSubject(subject); got != want {
			t.Errorf("DeviceFromSubject(%q) = %q, want %q", subject, got, want)
		}
	}
}

func TestParseNameStatus(t *testing.T) {
	got, err := parseNameStatus([]string{"M", "a b", "A", "new", "D", "old", "R087", "from", "to", "T", "link"})
	want := []vcs.Change{{Kind: vcs.Modified, Path: "a b"}, {Kind: vcs.Added, Path: "new"}, {Kind: vcs.Deleted, Path: "old"},
		{Kind: vcs.Renamed, From: "from", Path: "to"}, {Kind: vcs.Modified, Path: "link"}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("parseNameStatus = %v, %v", got, err)
	}
	if _, err := parseNameStatus([]string{"R100", "from"}); err == nil {
		t.Error("truncated rename accepted")
	}
}

func TestSummarizeArgs(t *testing.T) {
	args := []string{"add", "--", "a", "b", "c", "d", "e"}
	if got := summarizeArgs(args); got != "add -- a b c ... (5 paths)" {
		t.Errorf("summarizeArgs = %q", got)
	}
}

func TestVerifyMergeRefusesConflictMarkers(t *testing.T) {
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	other := gittest.Clone(t, remote, "b")
	gittest.WriteFile(t, other, "README.md", "theirs\n")
	gittest.Git(t, other, "commit", "-qam", "theirs")
	gittest.Git(t, other, "push", "-q", "origin", "main")
	gittest.WriteFile(t, dir, "README.md", "ours\n")
	// A file that had marker-like lines on our side already is not blamed.
	gittest.WriteFile(t, dir, "doc.md", "<<<<<<< example\n=======\n>>>>>>> example\n")
	gittest.Git(t, dir, "add", ".")
	gittest.Git(t, dir, "commit", "-qm", "ours")
	gittest.Git(t, dir, "fetch", "-q")
	if _, err := gittest.Run(dir, "merge", "origin/main"); err == nil {
		t.Fatal("no conflict")
	}
	r, err := Open(t.Context(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, dir, "add", "README.md") // the marked-up file, as a careless tool would
	err = r.verifyMerge(t.Context())
	if err == nil || !strings.Contains(err.Error(), "conflict markers in README.md") || strings.Contains(err.Error(), "doc.md") {
		t.Errorf("verifyMerge = %v", err)
	}
	gittest.WriteFile(t, dir, "README.md", "resolved\n")
	gittest.Git(t, dir, "add", "README.md")
	if err := r.verifyMerge(t.Context()); err != nil {
		t.Errorf("verifyMerge after resolving = %v", err)
	}
}

func TestAfterGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancelParent := context.WithCancel(t.Context())
		g, cancel := afterGrace(parent, 30*time.Second)
		defer cancel()
		cancelParent()
		time.Sleep(29 * time.Second) // fake time inside the bubble
		if g.Err() != nil {
			t.Fatal("ended before the grace period")
		}
		time.Sleep(2 * time.Second)
		if g.Err() == nil {
			t.Fatal("still running after the grace period")
		}
	})
}

func TestConflictNameFitsInAFileName(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	long := strings.Repeat("é", 120) + ".txt" // 244 bytes
	got := vcs.ConflictName("dir/"+long, "laptop", now, 12)
	base := got[len("dir/"):]
	if len(base) > 255 || !utf8.ValidString(base) || !strings.HasSuffix(base, " (conflict from laptop 2026-01-02 030405 12).txt") {
		t.Errorf("conflictName = %q (%d bytes)", base, len(base))
	}
	if orig, _, _, ok := vcs.ParseConflictName(got); !ok || !strings.HasPrefix("dir/"+long, strings.TrimSuffix(orig, ".txt")) {
		t.Errorf("vcs.ParseConflictName(%q) = %q, %v", got, orig, ok)
	}
}
