package retry

import (
	"testing"
	"time"
)

func TestBackoffGrowsCapsAndResets(t *testing.T) {
	b := New(time.Second, 10*time.Second)
	b.rand = func() float64 { return 0.5 } // no jitter
	want := []time.Duration{1, 2, 4, 8, 10, 10}
	for i, w := range want {
		if got := b.Next(); got != w*time.Second {
			t.Fatalf("attempt %d: got %v, want %v", i, got, w*time.Second)
		}
	}
	if b.Attempts() != len(want) {
		t.Fatalf("Attempts = %d", b.Attempts())
	}
	b.Reset()
	if got := b.Next(); got != time.Second {
		t.Fatalf("after Reset: got %v, want 1s", got)
	}
}

func TestBackoffJitterStaysInBounds(t *testing.T) {
	b := New(time.Second, time.Minute)
	for _, r := range []float64{0, 0.999999} {
		b.Reset()
		b.rand = func() float64 { return r }
		got := b.Next()
		if got < 800*time.Millisecond || got > 1200*time.Millisecond {
			t.Fatalf("rand=%v: %v outside ±20%% of 1s", r, got)
		}
	}
}
