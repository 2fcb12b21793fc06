package syncer

import (
	"strings"
	"testing"

	"github.com/autosync-dev/autosync/syncer/vcs"
)

func TestCommitMessage(t *testing.T) {
	tests := []struct {
		name    string
		changes []vcs.Change
		subject string
		body    []string
	}{
		{"one edit", []vcs.Change{{Kind: vcs.Modified, Path: "notes.md"}},
			"autosync on laptop: edit notes.md", []string{"edit notes.md"}},
		{"edit and adds", []vcs.Change{
			{Kind: vcs.Added, Path: "a/x.txt"}, {Kind: vcs.Modified, Path: "notes.md"}, {Kind: vcs.Added, Path: "b.txt"}},
			"autosync on laptop: edit notes.md, add 2 files", []string{"add a/x.txt", "edit notes.md", "add b.txt"}},
		{"rename in place", []vcs.Change{{Kind: vcs.Renamed, From: "docs/a.md", Path: "docs/b.md"}},
			"autosync on laptop: rename a.md to b.md", []string{"rename docs/a.md to docs/b.md"}},
		{"move", []vcs.Change{{Kind: vcs.Renamed, From: "a.md", Path: "old/a.md"}},
			"autosync on laptop: move a.md to old/a.md", []string{"move a.md to old/a.md"}},
		{"delete", []vcs.Change{{Kind: vcs.Deleted, Path: "x/y/z.bin"}},
			"autosync on laptop: delete z.bin", []string{"delete x/y/z.bin"}},
		{"long names fall back to counts", []vcs.Change{
			{Kind: vcs.Modified, Path: strings.Repeat("n", 60) + ".md"}, {Kind: vcs.Deleted, Path: "gone.txt"}},
			"autosync on laptop: edit 1 file, delete 1 file", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := CommitMessage("laptop", tt.changes)
			subject, body, _ := strings.Cut(msg, "\n\n")
			if subject != tt.subject {
				t.Errorf("subject = %q, want %q", subject, tt.subject)
			}
			for _, line := range tt.body {
				if !strings.Contains(body, line+"\n") {
					t.Errorf("body %q lacks line %q", body, line)
				}
			}
			if n := strings.Count(body, "\n"); n != len(tt.changes) {
				t.Errorf("body has %d lines, want one per change (%d)", n, len(tt.changes))
			}
			if got := vcs.DeviceFromSubject(subject); got != "laptop" {
				t.Errorf("DeviceFromSubject = %q", got)
			}
		})
	}
}
