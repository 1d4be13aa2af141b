package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/store/storetest"
)

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func comp(eco, name, version, purl string) store.Component {
	return store.Component{Package: sbom.Package{ID: purl, Name: name, Version: version, Ecosystem: sbom.Ecosystem(eco), PURL: purl}, MatchName: name}
}

func TestReleaseLifecycle(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p, err := s.CreateProduct(ctx, "app", "")
		if err != nil {
			t.Fatal(err)
		}
		ws := comp("npm", "ws", "7.5.9", "pkg:npm/ws@7.5.9")
		in := store.ReleaseInput{ProductID: p.ID, Version: "1.0.0", SBOM: []byte(`{}`), Format: "cyclonedx", Now: t0,
			Components: []store.Component{ws, comp("npm", "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0")},
			Findings: []store.StoredFinding{{Package: "pkg:npm/ws@7.5.9", VulnID: "GHSA-3h5v-q93c-6h6q", Ecosystem: "npm", MatchName: "ws",
				Aliases: []string{"CVE-2024-37890"}, Severity: "HIGH", Score: 7.5, Fixed: []string{"7.5.10"}, FirstSeen: t0}}}
		r, err := s.PutRelease(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if r.Components != 2 || r.Product != "app" {
			t.Errorf("release = %+v", r)
		}
		// Affected by the alias, any version of ws, exactly 7.5.9.
		aff, err := s.Affected(ctx, "CVE-2024-37890")
		if err != nil || len(aff) != 1 || aff[0].Findings[0].VulnID != "GHSA-3h5v-q93c-6h6q" {
			t.Fatalf("Affected = %+v, %v", aff, err)
		}
		for _, v := range []string{"", "7.5.9"} {
			hits, err := s.ReleasesWithPackage(ctx, "pkg:npm/ws", v)
			if err != nil || len(hits) != 1 || hits[0].Version != "7.5.9" || hits[0].Release.Version != "1.0.0" {
				t.Fatalf("ReleasesWithPackage(%q) = %+v, %v", v, hits, err)
			}
		}
		if hits, _ := s.ReleasesWithPackage(ctx, "pkg:npm/ws", "8.0.0"); len(hits) != 0 {
			t.Errorf("version 8.0.0 matched %+v", hits)
		}
		// Triage: not_affected leaves the open list, with history.
		s.AddVEX(ctx, store.VEX{ReleaseID: r.ID, VulnID: "GHSA-3h5v-q93c-6h6q", Package: "pkg:npm/ws@7.5.9", Status: "under_investigation", Author: "alice", At: t0})
		s.AddVEX(ctx, store.VEX{ReleaseID: r.ID, VulnID: "GHSA-3h5v-q93c-6h6q", Package: "pkg:npm/ws@7.5.9", Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path", Author: "bob", At: t0.Add(time.Hour)})
		open, _ := s.Findings(ctx, r.ID, true)
		all, _ := s.Findings(ctx, r.ID, false)
		if len(open) != 0 || len(all) != 1 || all[0].VEX.Status != "not_affected" || all[0].VEX.Author != "bob" {
			t.Errorf("findings: open %v all %+v", open, all)
		}
		h, _ := s.VEXHistory(ctx, r.ID, "GHSA-3h5v-q93c-6h6q", "pkg:npm/ws@7.5.9")
		if len(h) != 2 || h[0].Status != "under_investigation" {
			t.Errorf("history = %+v", h)
		}
		// A re-match that no longer finds it resolves it; finding it again reopens it.
		n := store.EcoName{Ecosystem: "npm", Name: "ws"}
		ch, err := s.UpdateFindings(ctx, n, []string{r.ID}, nil, t0.Add(2*time.Hour))
		if err != nil || len(ch) != 1 || !ch[0].Resolved {
			t.Fatalf("resolve: %+v, %v", ch, err)
		}
		f := in.Findings[0]
		f.ReleaseID = r.ID
		f.VulnID = "GHSA-new"
		ch, err = s.UpdateFindings(ctx, n, []string{r.ID}, []store.StoredFinding{f}, t0.Add(3*time.Hour))
		if err != nil || len(ch) != 1 || ch[0].Resolved || ch[0].Finding.VulnID != "GHSA-new" {
			t.Fatalf("add: %+v, %v", ch, err)
		}
		all, _ = s.Findings(ctx, r.ID, false)
		if len(all) != 2 || !all[1].FirstSeen.Equal(t0.Add(3*time.Hour)) {
			t.Errorf("after re-match: %+v", all)
		}
		// Replacing a release keeps one release, new components.
		in.Components = in.Components[:1]
		if r2, err := s.PutRelease(ctx, in); err != nil || r2.ID != r.ID || r2.Components != 1 {
			t.Errorf("replace: %+v, %v", r2, err)
		}
		// A name once stored stays (with no components to re-match).
		names, _ := s.DistinctNames(ctx)
		if diff := cmp.Diff([]store.EcoName{{Ecosystem: "npm", Name: "left-pad"}, n}, names); diff != "" {
			t.Errorf("names (-want +got):\n%s", diff)
		}
		if err := s.DeleteProduct(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Release(ctx, r.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("release after delete: %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		team, _ := s.EnsureTeam(ctx, "payments")
		plain, tok, err := s.CreateToken(ctx, "ci", store.RoleUploader, team.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.TokenBySecret(ctx, plain)
		if err != nil || got.ID != tok.ID || got.TeamID != team.ID || got.Role != store.RoleUploader {
			t.Fatalf("TokenBySecret = %+v, %v", got, err)
		}
		if _, err := s.TokenBySecret(ctx, plain+"x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("wrong secret: %v", err)
		}
		var stored string
		s.DB().QueryRowContext(ctx, "SELECT hash FROM tokens WHERE id = '"+tok.ID+"'").Scan(&stored)
		if stored == plain || stored != store.HashToken(plain) {
			t.Error("token stored in clear")
		}
		if _, _, err := s.CreateToken(ctx, "x", "root", ""); err == nil {
			t.Error("unknown role accepted")
		}
	})
}

// A database migrated by a newer hallmark is refused.
func TestNewerSchema(t *testing.T) {
	for name, dsn := range storetest.TestBackends(t) {
		s, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		s.DB().Exec("INSERT INTO schema_version (version) VALUES (99)")
		s.Close()
		if _, err := store.Open(context.Background(), dsn); !errors.Is(err, store.ErrNewerSchema) {
			t.Errorf("%s: reopen = %v, want ErrNewerSchema", name, err)
		}
	}
}
