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

// The dialog's time limit: the folder's own, else the option, else the
// context's deadline alone, else the default. (The dialog itself is tested
// on the desktop; here without zenity the limit is all that matters.)
func TestPromptTimeoutChoice(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    PrompterOptions
		ctxTime time.Duration // 0: no deadline
		want    time.Duration
	}{
		{"context only", PrompterOptions{}, 45 * time.Second, 45 * time.Second},
		{"nothing", PrompterOptions{}, 0, DefaultAskTimeout},
		{"option", PrompterOptions{Timeout: 10 * time.Second}, 45 * time.Second, 10 * time.Second},
		{"folder", PrompterOptions{Timeout: 10 * time.Second, TimeoutFor: func(string) time.Duration { return 5 * time.Second }}, 45 * time.Second, 5 * time.Second},
		{"folder unknown", PrompterOptions{TimeoutFor: func(string) time.Duration { return 0 }}, 45 * time.Second, 45 * time.Second},
		{"context shorter", PrompterOptions{Timeout: time.Minute}, 20 * time.Second, 20 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.ctxTime > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxTime)
				defer cancel()
			}
			got := NewPrompter(tc.opts).limit(ctx, "notes")
			if d := time.Until(got); d > tc.want || d < tc.want-time.Second {
				t.Errorf("the dialog would close in %v, want %v", d, tc.want)
			}
		})
	}
}
