package python

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

func benchCatalog(b *testing.B, c catalog.Cataloger, corpusDir, file string) {
	dir := sharedtest.Path(b, corpusDir)
	fsys := os.DirFS(dir)
	if st, err := os.Stat(filepath.Join(dir, file)); err == nil {
		b.SetBytes(st.Size())
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Catalog(context.Background(), fsys, file); err != nil {
			b.Fatal(err)
		}
	}
}

// Largest corpus file per format.
func BenchmarkUVLockPydantic(b *testing.B) {
	benchCatalog(b, UVLock{}, "corpus/uv/pydantic__pydantic", "uv.lock")
}

func BenchmarkPoetryLockTextual(b *testing.B) {
	benchCatalog(b, PoetryLock{}, "corpus/poetry/Textualize__textual", "poetry.lock")
}

func BenchmarkPipfileLockPipenv(b *testing.B) {
	benchCatalog(b, PipfileLock{}, "corpus/pipenv/pypa__pipenv", "Pipfile.lock")
}

func BenchmarkRequirementsFlask(b *testing.B) {
	benchCatalog(b, Requirements{}, "corpus/pip-requirements/pallets__flask", "requirements/dev.txt")
}

func BenchmarkPDMLockFixture(b *testing.B) {
	b.ReportAllocs()
	fsys := os.DirFS("testdata/pdm")
	for b.Loop() {
		if _, err := (PDMLock{}).Catalog(context.Background(), fsys, "pdm.lock"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInstalledRequests(b *testing.B) {
	b.ReportAllocs()
	fsys := os.DirFS("testdata/site-packages")
	for b.Loop() {
		if _, err := (Installed{}).Catalog(context.Background(), fsys, "requests-2.31.0.dist-info/METADATA"); err != nil {
			b.Fatal(err)
		}
	}
}
