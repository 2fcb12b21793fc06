package ignore

import "testing"

// BenchmarkMatchDefaults matches a typical path three directories deep
// against Defaults, the per-event cost the watcher and the engine pay.
func BenchmarkMatchDefaults(b *testing.B) {
	m, err := New(Defaults)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if m.Match("projects/report/chapters/intro.md", false) {
			b.Fatal("matched")
		}
	}
}
