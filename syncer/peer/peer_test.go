package peer

import "testing"

func TestNormalizeURL(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"  \n", ""},
		// https with credentials, case, .git, slashes
		{"https://user:secret@Example.COM/team/repo.git", "https://example.com/team/repo"},
		{"https://TOKEN123@example.com/team/repo.git/", "https://example.com/team/repo"},
		{"HTTPS://example.com:443/team/repo/", "https://example.com/team/repo"},
		{"https://example.com:8443/team/repo", "https://example.com:8443/team/repo"},
		{"https://example.com/team/repo?x=1#frag", "https://example.com/team/repo"},
		// ssh URLs: the user goes, so do the default port and ssh aliases
		{"ssh://git@host.example/srv/repo.git", "ssh://host.example/srv/repo"},
		{"ssh://git@host.example:22/srv/repo.git", "ssh://host.example/srv/repo"},
		{"ssh://git@host.example:2222/srv/repo.git", "ssh://host.example:2222/srv/repo"},
		{"git+ssh://host.example/srv/repo", "ssh://host.example/srv/repo"},
		{"ssh://[::1]:2222/srv/repo.git", "ssh://[::1]:2222/srv/repo"},
		// scp-like: same repository as the ssh:// form
		{"git@Host.Example:/srv/repo.git", "ssh://host.example/srv/repo"},
		{"host.example:/srv/repo", "ssh://host.example/srv/repo"},
		{"git@host.example:team/repo.git", "ssh://host.example/~/team/repo"},
		{"user:pw@host.example:team/repo.git", "ssh://host.example/~/team/repo"},
		{"[::1]:srv/repo.git", "ssh://[::1]/~/srv/repo"},
		// dvcs-autosync sent git's output with its newline (issue #8's log)
		{"dieter.plaetinck.be:.local/share/pim.git\n", "ssh://dieter.plaetinck.be/~/.local/share/pim"},
		{"ssh://host/repo.git\n", "ssh://host/repo"},
		{"\t ssh://host/repo.git \r\n", "ssh://host/repo"},
		// file paths
		{"/srv/git/repo.git", "file:///srv/git/repo"},
		{"/srv/git/repo/.git/", "file:///srv/git/repo"},
		{"file:///srv/git/repo.git", "file:///srv/git/repo"},
		{"../repo.git", "../repo"},
		{"./a:b/repo", "./a:b/repo"}, // a slash before the colon: a path, not scp
		{`C:\Users\me\repo.git`, "C:/Users/me/repo"},
		{"C:/Users/me/repo", "C:/Users/me/repo"},
	}
	for _, tt := range tests {
		if got := NormalizeURL(tt.in); got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeURLMatchesSameRepository(t *testing.T) {
	same := [][]string{
		{"https://u:p@example.com/r.git", "https://example.com/r", "https://EXAMPLE.com/r/"},
		{"git@host:/srv/r.git", "ssh://host/srv/r", "ssh://other@host:22/srv/r.git/", "host:/srv/r\n"},
		{"/srv/r.git", "file:///srv/r", "/srv/r/"},
	}
	for _, group := range same {
		for _, u := range group[1:] {
			if NormalizeURL(u) != NormalizeURL(group[0]) {
				t.Errorf("%q and %q differ: %q vs %q", u, group[0], NormalizeURL(u), NormalizeURL(group[0]))
			}
		}
	}
	different := [][2]string{
		{"https://example.com/a", "https://example.com/b"},
		{"ssh://host/srv/r", "ssh://host:2222/srv/r"},
		{"host:r", "host:/r"}, // ~/r and /r
		{"https://example.com/Team/r", "https://example.com/team/r"},
	}
	for _, d := range different {
		if NormalizeURL(d[0]) == NormalizeURL(d[1]) {
			t.Errorf("%q and %q both normalise to %q", d[0], d[1], NormalizeURL(d[0]))
		}
	}
}

func TestStripCredentials(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"https://user:secret@example.com/team/repo.git", "https://example.com/team/repo.git"},
		{"https://ghp_TOKEN@example.com/team/repo.git", "https://example.com/team/repo.git"},
		{"http://user:secret@example.com:8080/r", "http://example.com:8080/r"},
		{"https://example.com/team/repo.git", "https://example.com/team/repo.git"},
		{"ssh://git@host/srv/repo.git", "ssh://git@host/srv/repo.git"},
		{"ssh://git:secret@host/srv/repo.git", "ssh://git@host/srv/repo.git"},
		{"git@host:team/repo.git", "git@host:team/repo.git"},
		{"git:secret@host:team/repo.git", "git@host:team/repo.git"},
		{"host:team/repo.git", "host:team/repo.git"},
		{"/srv/git/repo.git", "/srv/git/repo.git"},
		{"file:///srv/git/repo.git", "file:///srv/git/repo.git"},
		{`C:\repo`, `C:\repo`},
		{"ssh://host/repo.git\n", "ssh://host/repo.git"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := StripCredentials(tt.in); got != tt.want {
			t.Errorf("StripCredentials(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestConnStateString(t *testing.T) {
	for s, want := range map[ConnState]string{
		Disconnected: "disconnected", Connecting: "connecting", Connected: "connected",
		Failed: "failed", ConnState(99): "unknown",
	} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", s, got, want)
		}
	}
}
