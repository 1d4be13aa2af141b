package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/store"
)

// benchStore fills a SQLite store with R releases of 1,000 components each
// (R = $HALLMARK_BENCH_RELEASES, default 1,000; the figure is
// 10,000): 4,000 distinct package names, each release holding 1,000 of
// them at one of three versions, one finding per 50 components.
func benchStore(b *testing.B) (*store.Store, int) {
	b.Helper()
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("HALLMARK_BENCH_RELEASES")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for r := range n {
		p, err := s.CreateProduct(ctx, fmt.Sprintf("product-%d", r%100), "")
		if err != nil {
			b.Fatal(err)
		}
		in := store.ReleaseInput{ProductID: p.ID, Version: fmt.Sprintf("1.%d", r), SBOM: []byte("{}"), Format: "cyclonedx", Now: time.Now()}
		for c := range 1000 {
			name := fmt.Sprintf("pkg-%d", (r*7+c*13)%4000)
			v := fmt.Sprintf("1.0.%d", (r+c)%3)
			purl := "pkg:npm/" + name + "@" + v
			in.Components = append(in.Components, store.Component{Package: sbom.Package{ID: purl, Name: name, Version: v, Ecosystem: "npm", PURL: purl}, MatchName: name})
			if c%50 == 0 {
				in.Findings = append(in.Findings, store.StoredFinding{Package: purl, VulnID: "GHSA-" + name, Ecosystem: "npm", MatchName: name,
					Aliases: []string{"CVE-2026-" + strconv.Itoa((r*7+c*13)%4000)}, Severity: "HIGH", Score: 7.5, FirstSeen: time.Now()})
			}
		}
		if _, err := s.PutRelease(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("stored %d releases x 1,000 components in %s", n, time.Since(start).Round(time.Millisecond))
	return s, n
}

// BenchmarkQueries: "which releases contain P (any version)" and "which
// releases are affected by alias X" at R releases x 1,000 components.
func BenchmarkQueries(b *testing.B) {
	s, _ := benchStore(b)
	defer s.Close()
	ctx := context.Background()
	b.Run("components-any-version", func(b *testing.B) {
		for i := range b.N {
			if _, err := s.ReleasesWithPackage(ctx, "pkg:npm/pkg-"+strconv.Itoa(i%4000), ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("components-one-version", func(b *testing.B) {
		for i := range b.N {
			if _, err := s.ReleasesWithPackage(ctx, "pkg:npm/pkg-"+strconv.Itoa(i%4000), "1.0.1"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("affected-by-alias", func(b *testing.B) {
		for i := range b.N {
			if _, err := s.Affected(ctx, "CVE-2026-"+strconv.Itoa((i*13)%4000)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
