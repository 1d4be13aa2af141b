package match_test

import (
	"context"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/all"
	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
	"github.com/hallmark-dev/hallmark/internal/source"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// BenchmarkMatchNPMCLI matches npm/cli's package-lock.json (cataloged once)
// against a freshly opened index of ../shared/osv, as a scan does.
func BenchmarkMatchNPMCLI(b *testing.B) {
	db := openSharedDB(&testing.T{})
	path := db.Path()
	res, err := source.Load(context.Background(), sharedtest.Path(b, "corpus/npm/npm__cli/package-lock.json"), source.Options{Catalog: catalog.Options{Catalogers: all.Catalogers()}})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		d, err := vulndb.Open(path[:len(path)-len(vulndb.FileName)-1])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := match.Match(res.Document, d); err != nil {
			b.Fatal(err)
		}
		d.Close()
	}
}
