package python

import (
	"context"
	"math/rand/v2"
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

// TestMutatedLockfiles runs every lockfile parser on 500 deterministic random
// mutations of its fixture (byte flips, deletions, insertions). It backs up
// the fuzz targets: on a loaded machine the fuzzing engine makes little
// progress on the TOML parsers, while this always runs. No panic is allowed
// and every package returned must be complete.
func TestMutatedLockfiles(t *testing.T) {
	for _, tt := range []struct {
		c          catalog.Cataloger
		name, seed string
	}{
		{PoetryLock{}, "poetry.lock", "testdata/poetry-v1/poetry.lock"},
		{UVLock{}, "uv.lock", "testdata/uv-workspace/uv.lock"},
		{PDMLock{}, "pdm.lock", "testdata/pdm/pdm.lock"},
		{PipfileLock{}, "Pipfile.lock", "testdata/pipenv/Pipfile.lock"},
		{Requirements{}, "requirements.txt", "testdata/requirements/requirements.txt"},
		{Installed{}, "a.dist-info/METADATA", "testdata/site-packages/requests-2.31.0.dist-info/METADATA"},
	} {
		seed, err := os.ReadFile(tt.seed)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < 500; i++ {
			d := append([]byte(nil), seed...)
			for k := 0; k < 1+r.IntN(4) && len(d) > 1; k++ {
				j := r.IntN(len(d))
				switch r.IntN(3) {
				case 0:
					d[j] = byte(r.IntN(256))
				case 1:
					d = append(d[:j], d[j+1:]...)
				default:
					d = append(d[:j], append([]byte{byte(r.IntN(256))}, d[j:]...)...)
				}
			}
			res, _ := tt.c.Catalog(context.Background(), fstest.MapFS{tt.name: {Data: d}}, tt.name)
			if res == nil {
				continue
			}
			for _, p := range res.Packages {
				if p.Name == "" || p.PURL == "" || len(p.Locations) == 0 {
					t.Fatalf("%s mutation %d: incomplete package %+v", tt.name, i, p)
				}
			}
		}
	}
}
