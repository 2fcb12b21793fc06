package dialogs

import (
	"context"
	"testing"
	"time"
)

// Without a display there is no dialog and no wait: zenity would fail in a
// way that looks like Cancel, and a headless autosync must not stall.
func TestPromptWithoutDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	p := NewPrompter(PrompterOptions{Timeout: time.Minute})
	start := time.Now()
	got, err := p.CommitMessage(context.Background(), "/home/u/notes", "generated")
	if got != "generated" || err != nil {
		t.Errorf("CommitMessage = %q, %v; want the generated message", got, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v without a display", d)
	}
}

func TestPromptWithoutZenity(t *testing.T) {
	t.Setenv("DISPLAY", ":0")
	t.Setenv("PATH", t.TempDir())
	p := NewPrompter(PrompterOptions{Timeout: time.Minute})
	got, err := p.CommitMessage(context.Background(), "/home/u/notes", "generated")
	if got != "generated" || err != nil {
		t.Errorf("CommitMessage = %q, %v; want the generated message", got, err)
	}
}
