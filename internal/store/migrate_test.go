package store_test

import (
	"context"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/store/storetest"
)

// A database of schema version 2 (documents in the release row, text
// indexes on components) keeps every release readable and findable after
// migration 3.
func TestMigrateReadPaths(t *testing.T) {
	ctx := context.Background()
	for name, dsn := range storetest.TestBackends(t) {
		t.Run(name, func(t *testing.T) {
			old, err := store.OpenAtVersion(ctx, dsn, 2)
			if err != nil {
				t.Fatal(err)
			}
			q := func(query string) string {
				if name != store.Postgres {
					return query
				}
				out, n := []byte{}, 0
				for i := 0; i < len(query); i++ {
					if query[i] == '?' {
						n++
						out = append(out, '$', byte('0'+n/10), byte('0'+n%10))
						continue
					}
					out = append(out, query[i])
				}
				return string(out)
			}
			db := old.DB()
			sbomJSON := []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}`)
			for _, st := range []struct {
				query string
				args  []any
			}{
				{`INSERT INTO products (id, name, created) VALUES (?, ?, ?)`, []any{"p1", "shop", 1}},
				{`INSERT INTO releases (id, product_id, version, created, sbom, sbom_format, manifest, components) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
					[]any{"r1", "p1", "1.0", 1, sbomJSON, "cyclonedx", []byte("{}"), 2}},
				{`INSERT INTO components (release_id, idx, purl, purl_base, ecosystem, name, match_name, version, pkg) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					[]any{"r1", 0, "pkg:npm/ws@7.5.9", "pkg:npm/ws", "npm", "ws", "ws", "7.5.9",
						[]byte(`{"id":"pkg:npm/ws@7.5.9","name":"ws","version":"7.5.9","ecosystem":"npm","purl":"pkg:npm/ws@7.5.9","locations":null,"direct":true}`)}},
				{`INSERT INTO components (release_id, idx, purl, purl_base, ecosystem, name, match_name, version, pkg) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					[]any{"r1", 1, "pkg:deb/debian/libssl3@3.0.15-1?arch=amd64", "pkg:deb/debian/libssl3", "Debian:12", "libssl3", "openssl", "3.0.15-1",
						[]byte(`{"id":"deb-1","name":"libssl3","version":"3.0.15-1","ecosystem":"Debian:12","purl":"pkg:deb/debian/libssl3@3.0.15-1?arch=amd64","locations":null,"direct":false}`)}},
			} {
				if _, err := db.ExecContext(ctx, q(st.query), st.args...); err != nil {
					t.Fatalf("%s: %v", st.query, err)
				}
			}
			old.Close()

			s, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatalf("migrate: %v", err)
			}
			defer s.Close()
			b, format, err := s.SBOM(ctx, "r1")
			if err != nil || string(b) != string(sbomJSON) || format != "cyclonedx" {
				t.Errorf("SBOM = %q %q %v", b, format, err)
			}
			r, err := s.Release(ctx, "r1")
			if err != nil || r.Components != 2 || r.Product != "shop" {
				t.Errorf("Release = %+v, %v", r, err)
			}
			comps, err := s.ComponentsNamed(ctx, "Debian:12", "openssl")
			if err != nil || len(comps) != 1 || comps[0].Package.ID != "deb-1" || comps[0].Package.Name != "libssl3" {
				t.Errorf("ComponentsNamed = %+v, %v", comps, err)
			}
			hits, err := s.ReleasesWithPackage(ctx, "pkg:npm/ws", "")
			if err != nil || len(hits) != 1 || hits[0].Version != "7.5.9" || hits[0].Release.ID != "r1" {
				t.Errorf("ReleasesWithPackage = %+v, %v", hits, err)
			}
			names, err := s.DistinctNames(ctx)
			if err != nil || len(names) != 2 {
				t.Errorf("DistinctNames = %v, %v", names, err)
			}
			// A release stored after the migration shares the name rows.
			r2, err := s.PutRelease(ctx, store.ReleaseInput{ProductID: "p1", Version: "2.0", SBOM: sbomJSON, Format: "cyclonedx",
				Components: comps})
			if err != nil {
				t.Fatal(err)
			}
			if comps, err := s.ComponentsNamed(ctx, "Debian:12", "openssl"); err != nil || len(comps) != 2 {
				t.Errorf("after a new release: ComponentsNamed = %d, %v", len(comps), err)
			}
			if b, _, err := s.SBOM(ctx, r2.ID); err != nil || string(b) != string(sbomJSON) {
				t.Errorf("SBOM of the new release = %q, %v", b, err)
			}
		})
	}
}
