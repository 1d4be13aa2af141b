package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/all"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/internal/sbom/sbomtest"
	"github.com/hallmark-dev/hallmark/internal/sbom/spdx"
	"github.com/hallmark-dev/hallmark/internal/schematest"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

// projects returns the corpus project directories: corpus/<ecosystem>/<project>.
func projects(t *testing.T) []string {
	t.Helper()
	corpus := sharedtest.Path(t, "corpus")
	dirs, err := filepath.Glob(filepath.Join(corpus, "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no project directories in %s", corpus)
	}
	return out
}

func TestCorpusOutputConforms(t *testing.T) {
	cats := all.Catalogers()
	if len(cats) == 0 {
		t.Log("no catalogers registered yet: only the built documents are checked")
	}
	docs := map[string]*sbom.Document{"hard-cases": sbomtest.HardCases()}
	if len(cats) > 0 {
		for _, dir := range projects(t) {
			rel, _ := filepath.Rel(filepath.Dir(filepath.Dir(dir)), dir)
			doc, problems := catalog.Walk(context.Background(), os.DirFS(dir), catalog.Options{Catalogers: cats})
			for _, p := range problems {
				t.Logf("%s: cataloging problem (not the codecs'): %v", rel, p)
			}
			doc.Name = filepath.Base(dir)
			doc.Source = rel
			doc.Created = sbomtest.Created
			doc.Tools = []sbom.Tool{{Vendor: "hallmark", Name: "hallmark", Version: "v0.0.0-test"}}
			docs[rel] = doc
		}
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkCycloneDX(t, doc, "1.6", schematest.CycloneDX16)
			checkCycloneDX(t, doc, "1.7", schematest.CycloneDX17)
			checkSPDX(t, doc)
		})
	}
}

func checkCycloneDX(t *testing.T, doc *sbom.Document, version, schema string) {
	var a, b bytes.Buffer
	if err := cyclonedx.Encode(&a, doc, cyclonedx.Options{Version: version}); err != nil {
		t.Fatalf("CycloneDX %s: %v", version, err)
	}
	schematest.Validate(t, schema, "CycloneDX "+version, a.Bytes())
	if err := cyclonedx.Encode(&b, doc, cyclonedx.Options{Version: version}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("CycloneDX %s output is not deterministic", version)
	}
	var bom struct {
		Metadata struct {
			Component struct {
				BOMRef string `json:"bom-ref"`
			}
		}
		Components []struct {
			BOMRef string `json:"bom-ref"`
		}
		Dependencies []struct{ Ref string }
	}
	if err := json.Unmarshal(a.Bytes(), &bom); err != nil {
		t.Fatal(err)
	}
	inDeps := map[string]bool{}
	for _, d := range bom.Dependencies {
		inDeps[d.Ref] = true
	}
	refs := map[string]bool{}
	for _, c := range bom.Components {
		if refs[c.BOMRef] {
			t.Errorf("CycloneDX %s: bom-ref %q used twice", version, c.BOMRef)
		}
		refs[c.BOMRef] = true
		if !inDeps[c.BOMRef] {
			t.Errorf("CycloneDX %s: component %q is not in dependencies", version, c.BOMRef)
		}
	}
	if !inDeps[bom.Metadata.Component.BOMRef] {
		t.Errorf("CycloneDX %s: the metadata component is not in dependencies", version)
	}
	if len(bom.Components) != len(doc.Packages) {
		t.Errorf("CycloneDX %s: %d components for %d packages", version, len(bom.Components), len(doc.Packages))
	}
	back, err := cyclonedx.Decode(&a)
	if err != nil {
		t.Fatalf("CycloneDX %s does not read back: %v", version, err)
	}
	if len(back.Packages) != len(doc.Packages) || len(back.Relationships) != len(doc.Relationships) {
		t.Errorf("CycloneDX %s read back %d packages and %d edges, wrote %d and %d", version,
			len(back.Packages), len(back.Relationships), len(doc.Packages), len(doc.Relationships))
	}
}

func checkSPDX(t *testing.T, doc *sbom.Document) {
	var a, b bytes.Buffer
	if err := spdx.Encode(&a, doc); err != nil {
		t.Fatalf("SPDX: %v", err)
	}
	schematest.Validate(t, schematest.SPDX23, "SPDX 2.3", a.Bytes())
	if err := spdx.Encode(&b, doc); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("SPDX output is not deterministic")
	}
	back, err := spdx.Decode(&a)
	if err != nil {
		t.Fatalf("SPDX does not read back: %v", err)
	}
	if len(back.Packages) != len(doc.Packages) || len(back.Relationships) != len(doc.Relationships) {
		t.Errorf("SPDX read back %d packages and %d edges, wrote %d and %d",
			len(back.Packages), len(back.Relationships), len(doc.Packages), len(doc.Relationships))
	}
}
