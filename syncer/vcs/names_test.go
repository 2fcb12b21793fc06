package vcs

import (
	"testing"
	"time"
)

func TestConflictNamesRoundTrip(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	for _, tt := range []struct{ rel, device string }{
		{"notes.md", "laptop"}, {"a/b/archive.tar.gz", "my pc"}, {".bashrc", "x"}, {"Makefile", "a (b)"},
	} {
		for n := 1; n <= 3; n++ {
			cp := ConflictName(tt.rel, tt.device, now, n)
			orig, dev, when, ok := ParseConflictName(cp)
			if !ok || orig != tt.rel || dev != safeDevice(tt.device) || !when.Equal(now) {
				t.Errorf("%q -> %q -> %q %q %v %v", tt.rel, cp, orig, dev, when, ok)
			}
		}
	}
	if _, _, _, ok := ParseConflictName("a (conflict from nothing).txt"); ok {
		t.Error("a name without a time parsed as a conflict copy")
	}
}
