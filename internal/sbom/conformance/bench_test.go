package conformance_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/all"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/internal/sbom/sbomtest"
	"github.com/hallmark-dev/hallmark/internal/sbom/spdx"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

// largest returns the document of the corpus project with the most packages.
func largest(b *testing.B) *sbom.Document {
	corpus := sharedtest.Path(b, "corpus")
	dirs, _ := filepath.Glob(filepath.Join(corpus, "*", "*"))
	var best *sbom.Document
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			continue
		}
		doc, _ := catalog.Walk(context.Background(), os.DirFS(d), catalog.Options{Catalogers: all.Catalogers()})
		if best == nil || len(doc.Packages) > len(best.Packages) {
			doc.Name, doc.Created = filepath.Base(d), sbomtest.Created
			best = doc
		}
	}
	if best == nil || len(best.Packages) == 0 {
		b.Skip("no corpus packages cataloged")
	}
	b.Logf("%s: %d packages, %d edges", best.Name, len(best.Packages), len(best.Relationships))
	return best
}

func BenchmarkCodecs(b *testing.B) {
	doc := largest(b)
	b.Run("cyclonedx-encode", func(b *testing.B) {
		for b.Loop() {
			if err := cyclonedx.Encode(io.Discard, doc, cyclonedx.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("spdx-encode", func(b *testing.B) {
		for b.Loop() {
			if err := spdx.Encode(io.Discard, doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
