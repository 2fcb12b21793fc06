// Package retry computes capped exponential backoff with jitter. It is shared
// by the engine (git network errors) and the XMPP transport (reconnects), so
// that both back off the same way and reset on success.
package retry

import (
	"math/rand/v2"
	"time"
)

// Backoff yields growing delays: Initial, then Initial*Factor, ... capped at
// Max, each with up to ±Jitter (a fraction) of random spread so that many
// clients of one server do not retry in step. The zero value is not useful;
// use New. A Backoff is not safe for concurrent use: one goroutine owns it.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Factor  float64
	Jitter  float64 // 0.2 means ±20%

	attempt int
	rand    func() float64 // [0,1); replaceable in tests
}

// New returns a Backoff with the given initial and maximum delay, factor 2
// and ±20% jitter. The factor and jitter are conventional, not tuned.
func New(initial, max time.Duration) *Backoff {
	return &Backoff{Initial: initial, Max: max, Factor: 2, Jitter: 0.2}
}

// Next returns the delay before the next attempt and counts the attempt.
func (b *Backoff) Next() time.Duration {
	d := float64(b.Initial)
	for i := 0; i < b.attempt && d < float64(b.Max); i++ {
		d *= b.Factor
	}
	if d > float64(b.Max) {
		d = float64(b.Max)
	}
	b.attempt++
	r := b.rand
	if r == nil {
		r = rand.Float64
	}
	d += d * b.Jitter * (2*r() - 1)
	if d < 0 {
		d = 0
	}
	return time.Duration(d)
}

// Attempts reports how many delays Next has handed out since the last Reset.
func (b *Backoff) Attempts() int { return b.attempt }

// Reset starts over from Initial; call it after a success.
func (b *Backoff) Reset() { b.attempt = 0 }
