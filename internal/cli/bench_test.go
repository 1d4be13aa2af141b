package cli

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

// benchRun runs the whole CLI in-process, as the binary does, output
// discarded, and fails the benchmark on an unexpected exit code.
func benchRun(b *testing.B, want int, args ...string) {
	b.Helper()
	if code := Run(context.Background(), args, strings.NewReader(""), io.Discard, io.Discard); code != want {
		b.Fatalf("hallmark %v: exit %d, want %d", args, code, want)
	}
}

// BenchmarkSBOMNPMCLI is `hallmark sbom` of the npm/cli package-lock.json
// (590 KB, 1036 packages), the SBOM hot path, in each JSON output format.
func BenchmarkSBOMNPMCLI(b *testing.B) {
	lock := sharedtest.Path(b, "corpus/npm/npm__cli/package-lock.json")
	for _, format := range []string{"cyclonedx-json", "json", "spdx-json"} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				benchRun(b, ExitOK, "sbom", lock, "-o", format)
			}
		})
	}
}

// BenchmarkScanNPMCLI is a warm `hallmark scan` of the npm/cli directory
// against an index of the npm records of ../shared/osv (imported once,
// outside the timing), the scan hot path. HALLMARK_BENCH_DB names an index
// of the whole snapshot to use instead.
func BenchmarkScanNPMCLI(b *testing.B) {
	dir := sharedtest.Path(b, "corpus/npm/npm__cli")
	db := os.Getenv("HALLMARK_BENCH_DB")
	if db == "" {
		osvDir := sharedtest.Path(b, "osv")
		db = b.TempDir()
		benchRun(b, ExitOK, "-q", "db", "import", osvDir, "--db", db, "--ecosystem", "npm")
	}
	b.ResetTimer()
	b.ReportAllocs()
	for b.Loop() {
		benchRun(b, ExitOK, "-q", "scan", dir, "--db", db, "-o", "json")
	}
}
