package legacy

import (
	"errors"
	"testing"

	"github.com/autosync-dev/autosync/syncer/vcs"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		out  string
		push bool
		want error // nil: neither offline nor rejected
		user bool
	}{
		{"abort: error: Connection refused", false, vcs.ErrOffline, false},
		{"abort: error: Name or service not known", false, vcs.ErrOffline, false},
		{"abort: repository /media/usb/notes not found", false, vcs.ErrOffline, false},
		{"fatal: unable to access 'https://x/': Could not resolve host: x", false, vcs.ErrOffline, false},
		{"ssh: connect to host h port 22: No route to host\nfatal: Could not read from remote repository.", false, vcs.ErrOffline, false},
		{"fatal: '/srv/gone.git' does not appear to be a git repository", false, vcs.ErrOffline, false},
		{"abort: push creates new remote head 9495621618b2", true, vcs.ErrRejected, false},
		{" ! [rejected]        main -> main (fetch first)", true, vcs.ErrRejected, false},
		{"git@h: Permission denied (publickey).\nfatal: Could not read from remote repository.", false, nil, true},
		{"abort: authorization failed", true, nil, true},
		{"abort: http authorization required for https://hg.example.org/notes", false, nil, true},
		{"fatal: could not read Username for 'https://example.org': terminal prompts disabled", false, nil, true},
		{"fatal: unable to access 'https://example.org/x.git/': The requested URL returned error: 403", true, nil, true},
		{"abort: outstanding uncommitted merge", false, nil, false},
		{"pulling from default\nabort: repository default not found!", false, nil, true},
		{"There is no tracking information for the current branch.", false, nil, true},
	}
	for _, tt := range tests {
		err := classify("pull", &CommandError{Key: "pullcmd", Argv: []string{"hg", "pull"}, Dir: "/x", ExitCode: 255, Output: tt.out, Err: errors.New("exit status 255")}, tt.push)
		switch {
		case tt.user:
			if !vcs.IsNeedsUser(err) {
				t.Errorf("%q: %v, want a needs-user error", tt.out, err)
			}
		case tt.want == nil:
			if errors.Is(err, vcs.ErrOffline) || errors.Is(err, vcs.ErrRejected) || vcs.IsNeedsUser(err) {
				t.Errorf("%q: classified as %v", tt.out, err)
			}
		case !errors.Is(err, tt.want):
			t.Errorf("%q: %v, want %v", tt.out, err, tt.want)
		}
	}
}
