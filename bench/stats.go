package main

import (
	"fmt"
	"slices"
	"time"
)

// summary is the distribution of one measured duration.
type summary struct {
	n                       int
	min, med, p90, max, avg time.Duration
}

// summarize computes a summary; p90 is the nearest-rank percentile.
func summarize(ds []time.Duration) summary {
	if len(ds) == 0 {
		return summary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return summary{n: len(s), min: s[0], med: rank(0.5), p90: rank(0.9), max: s[len(s)-1], avg: sum / time.Duration(len(s))}
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}

// row formats a summary as a Markdown table row.
func (s summary) row(name string) string {
	return fmt.Sprintf("| %s | %d | %s | %s | %s | %s |", name, s.n, ms(s.min), ms(s.med), ms(s.p90), ms(s.max))
}

const summaryHeader = "| what | n | min ms | median ms | p90 ms | max ms |\n|---|---|---|---|---|---|"
