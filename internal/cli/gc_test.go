package cli

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// gcSettings reads the GC percent and memory limit without changing them.
func gcSettings() (percent int, limit int64) {
	percent = debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

func TestTuneGC(t *testing.T) {
	p0, l0 := gcSettings()
	t.Cleanup(func() { debug.SetGCPercent(p0); debug.SetMemoryLimit(l0) })
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)

	// The user's GOGC or GOMEMLIMIT wins: nothing changes.
	for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
		tuneGC(func(name string) string {
			if name == k {
				return "50"
			}
			return ""
		}, nil)
		if p, l := gcSettings(); p != 100 || l != math.MaxInt64 {
			t.Errorf("with %s set: GC percent %d, limit %d; want them untouched", k, p, l)
		}
	}

	restored := make(chan struct{})
	tuneGC(func(string) string { return "" }, func() { close(restored) })
	if p, l := gcSettings(); p != -1 || l != firstGCHeap {
		t.Fatalf("after tuneGC: GC percent %d, limit %d; want -1 and %d", p, l, firstGCHeap)
	}
	// The first collection finds the sentinel unreachable and queues the
	// cleanup that restores the defaults; it signals when it has run.
	runtime.GC()
	<-restored
	if p, l := gcSettings(); p != 100 || l != math.MaxInt64 {
		t.Fatalf("after the first collection: GC percent %d, limit %d; want 100 and no limit", p, l)
	}
}
