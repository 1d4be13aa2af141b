package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/store/storetest"
)

// OpenFindingCounts agrees with counting each release's open findings
// (Findings with openOnly): resolved ones, and those whose latest VEX is
// not_affected or fixed, are left out; a finding triaged not_affected and
// then affected again is open.
func TestOpenFindingCounts(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := t0.Add(60 * 24 * time.Hour)
		since := []time.Time{now.Add(-7 * 24 * time.Hour), now.Add(-30 * 24 * time.Hour)}
		var rels []*store.Release
		for i, prod := range []string{"a", "a", "b"} {
			p, err := s.CreateProduct(ctx, prod, "")
			if err != nil {
				p, _ = s.Product(ctx, prod)
			}
			var fs []store.StoredFinding
			for j, sev := range []string{"HIGH", "LOW", "HIGH", "CRITICAL", "MEDIUM"} {
				first := now.Add(-time.Duration(j*9+i) * 24 * time.Hour) // 0 to 38 days old
				fs = append(fs, store.StoredFinding{Package: "pkg:npm/p" + string(rune('a'+j)) + "@1.0.0", VulnID: "GHSA-" + string(rune('a'+j)), Ecosystem: "npm",
					MatchName: "p", Severity: sev, FirstSeen: first})
			}
			if i == 1 {
				resolved := now.Add(-time.Hour)
				fs[3].Resolved = &resolved
			}
			r, err := s.PutRelease(ctx, store.ReleaseInput{ProductID: p.ID, Version: string(rune('1' + i)), SBOM: []byte(`{}`), Format: "cyclonedx", Now: t0, Findings: fs})
			if err != nil {
				t.Fatal(err)
			}
			rels = append(rels, r)
		}
		v := func(r *store.Release, pkg, id, status string, at time.Duration) {
			if err := s.AddVEX(ctx, store.VEX{ReleaseID: r.ID, VulnID: id, Package: pkg, Status: status, Author: "t", At: t0.Add(at)}); err != nil {
				t.Fatal(err)
			}
		}
		v(rels[0], "pkg:npm/pa@1.0.0", "GHSA-a", "not_affected", time.Hour)
		v(rels[0], "pkg:npm/pb@1.0.0", "GHSA-b", "not_affected", time.Hour)
		v(rels[0], "pkg:npm/pb@1.0.0", "GHSA-b", "affected", 2*time.Hour) // reopened
		v(rels[2], "pkg:npm/pc@1.0.0", "GHSA-c", "fixed", time.Hour)
		v(rels[2], "pkg:npm/pd@1.0.0", "GHSA-d", "under_investigation", time.Hour)

		want := map[[3]any]int{}
		for _, r := range rels {
			fs, err := s.Findings(ctx, r.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				band := 2
				for i, t := range since {
					if f.FirstSeen.After(t) {
						band = i
						break
					}
				}
				want[[3]any{r.ProductID, f.Severity, band}]++
			}
		}
		cs, err := s.OpenFindingCounts(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		got := map[[3]any]int{}
		for _, c := range cs {
			got[[3]any{c.ProductID, c.Severity, c.Band}] += c.N
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("counts (-per release +aggregate):\n%s", diff)
		}
		if len(want) < 5 {
			t.Errorf("the fixture spreads over %d cells only", len(want))
		}
	})
}
