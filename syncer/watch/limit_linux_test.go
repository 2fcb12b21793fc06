package watch

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWatchLimit makes the fourth watch fail as the kernel does when
// fs.inotify.max_user_watches is reached (lowering the real limit would
// need root and would hit every program on the machine). The watcher must
// say so once, with the command that fixes it, and keep reporting changes
// in what it already watches.
func TestWatchLimit(t *testing.T) {
	h := start(t, []string{"a/", "b/", "c/", "d/"}, Options{ScanInterval: 30 * time.Second}, func(w *Watcher) {
		w.addHook = func(path string) error {
			if filepath.Base(path) == "c" {
				return syscall.ENOSPC // what inotify_add_watch returns
			}
			return nil
		}
	})
	// The walk stops at the limit: root, a and b are watched.
	h.watches(3)
	h.until("Degraded", func() bool { return len(h.batches) > 0 })
	err := h.batches[0].Degraded
	if err == nil {
		t.Fatal("first batch is not Degraded")
	}
	if !errors.Is(err, ErrWatchLimit) || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Degraded %v does not wrap ErrWatchLimit and ENOSPC", err)
	}
	for _, want := range []string{
		"fs.inotify.max_user_watches=",
		"sudo sysctl fs.inotify.max_user_watches=",
		"/etc/sysctl.d/",
		"every 30s",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Degraded message %q lacks %q", err, want)
		}
	}
	t.Logf("message: %v", err)

	write(t, h.root, "a/still-watched")
	write(t, h.root, "new-file")
	h.expect("a/still-watched", "new-file")
	// A new directory hits the limit again: no second message, but an
	// Overflow, since what is in it was neither watched nor read.
	write(t, h.root, "e/c/x")
	h.until("Overflow", func() bool { return h.overflow })
	h.settleAfterOverflow()
	for i, b := range h.batches {
		if i > 0 && b.Degraded != nil {
			t.Errorf("Degraded reported again in batch %d", i)
		}
	}
}
