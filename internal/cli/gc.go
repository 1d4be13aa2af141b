package cli

import (
	"math"
	"runtime"
	"runtime/debug"
)

// firstGCHeap is the heap hallmark may grow to before its first garbage
// collection (a soft memory limit, GOGC off until then).
//
// The runtime's default (GOGC=100 from a 4 MB heap) collects 5 times while
// `hallmark sbom` reads a 1,000-package lockfile and writes its CycloneDX
// SBOM, allocating 18 MB in all, and on 2 cores the concurrent mark workers
// cost a quarter of the command's CPU time (measured in bench/RESULTS.md,
// "Process time (performance pass)"). Most runs of this short-lived CLI
// allocate less than this budget and never collect; a run that reaches it
// (a large node_modules tree, a big monorepo) collects then and goes back to
// the default GOGC=100 from there on, so its peak is at most about the
// budget or twice its live heap, as it would be anyway, and a live heap
// above the budget never makes the collector thrash against the limit.
// 32 MB, not more: a process's pages are touched once each, and on this
// kind of (virtual) machine a page fault costs; `hallmark sbom` of the
// 170 MB Debian image allocates about 27 MB and peaks at 58 MB of RSS with
// this budget, 63 MB with 48 MB (bench/RESULTS.md, issue 11).
const firstGCHeap = 32 << 20

// tuneGC defers the first garbage collection as firstGCHeap describes,
// unless the user set GOGC or GOMEMLIMIT, which are then obeyed as they are.
// restored, when not nil, is called once the defaults are back (tests).
func tuneGC(getenv func(string) string, restored func()) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(firstGCHeap)
	// The first collection finds the sentinel unreachable and runs the
	// cleanup, which restores the runtime's defaults (the environment set
	// neither variable).
	sentinel := new([64]byte)
	runtime.AddCleanup(sentinel, func(restored func()) {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		if restored != nil {
			restored()
		}
	}, restored)
}
