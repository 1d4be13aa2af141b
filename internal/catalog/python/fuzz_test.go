package python

import (
	"context"
	"os"
	"testing"
	"testing/fstest"

	"github.com/hallmark-dev/hallmark/internal/catalog"
)

// fuzzCataloger runs c on arbitrary bytes as file name; it must not panic,
// and every package it returns must have a name, a purl and a location.
func fuzzCataloger(f *testing.F, c catalog.Cataloger, name string, seeds ...string) {
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{name: {Data: data}}
		res, _ := c.Catalog(context.Background(), fsys, name)
		if res == nil {
			return
		}
		for _, p := range res.Packages {
			if p.Name == "" || p.PURL == "" || len(p.Locations) == 0 {
				t.Fatalf("incomplete package %+v", p)
			}
		}
	})
}

func FuzzRequirements(f *testing.F) {
	f.Add([]byte("a==1 \\\n --hash=sha256:00\n-e git+x#egg=b\nc @ d ; e\n# via\n#   f\n"))
	fuzzCataloger(f, Requirements{}, "requirements.txt",
		"testdata/requirements/requirements.txt", "testdata/requirements/requirements/dev.txt",
		"testdata/requirements/constraints.txt")
}

func FuzzPoetryLock(f *testing.F) {
	fuzzCataloger(f, PoetryLock{}, "poetry.lock", "testdata/poetry-v1/poetry.lock")
}

func FuzzPipfileLock(f *testing.F) {
	fuzzCataloger(f, PipfileLock{}, "Pipfile.lock", "testdata/pipenv/Pipfile.lock")
}

func FuzzUVLock(f *testing.F) {
	fuzzCataloger(f, UVLock{}, "uv.lock", "testdata/uv-workspace/uv.lock")
}

func FuzzPDMLock(f *testing.F) {
	fuzzCataloger(f, PDMLock{}, "pdm.lock", "testdata/pdm/pdm.lock")
}

func FuzzMetadata(f *testing.F) {
	fuzzCataloger(f, Installed{}, "x-1.0.dist-info/METADATA",
		"testdata/site-packages/requests-2.31.0.dist-info/METADATA",
		"testdata/site-packages/six-1.16.0.egg-info")
}
