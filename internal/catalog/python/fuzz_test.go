package python

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/tomldoc"
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
		"testdata/site-packages/certifi-2024.2.2.dist-info/METADATA",
		"testdata/site-packages/charset_normalizer-3.3.2.dist-info/METADATA",
		"testdata/site-packages/python_dateutil-2.8.2.egg-info/PKG-INFO",
		"testdata/site-packages/six-1.16.0.egg-info")
}

// TestLockfilesTooDeep: TOML lockfiles nested deeper than limits.TOMLDepth
// are refused before BurntSushi/toml sees them (it takes minutes on 64 KB of
// nested inline tables and overflows the goroutine stack on 10 million
// nested arrays; see package tomldoc). Without the bound this test runs for
// hours or crashes. A too-deep pyproject.toml beside a good lockfile only
// costs the Direct flags. Regression seeds: testdata/fuzz/Fuzz{Poetry,UV,PDM}Lock.
func TestLockfilesTooDeep(t *testing.T) {
	pkg := "[[package]]\nname = \"x\"\nversion = \"1.0.0\"\n"
	deep := map[string]string{
		"dotted key":           strings.Repeat("a.", 100_000) + "a = 1\n",
		"nested inline tables": "a = " + strings.Repeat("{b=", 100_000) + "1" + strings.Repeat("}", 100_000) + "\n",
		"nested arrays":        "a = " + strings.Repeat("[", 10_000_000) + strings.Repeat("]", 10_000_000) + "\n",
	}
	for _, tt := range []struct {
		c    catalog.Cataloger
		name string
	}{
		{PoetryLock{}, "poetry.lock"},
		{UVLock{}, "uv.lock"},
		{PDMLock{}, "pdm.lock"},
	} {
		for kind, d := range deep {
			for _, doc := range []string{d + pkg, pkg + d} {
				_, err := tt.c.Catalog(context.Background(), fstest.MapFS{tt.name: {Data: []byte(doc)}}, tt.name)
				if !errors.Is(err, tomldoc.ErrTooDeep) {
					t.Errorf("%s, %s: err = %v, want tomldoc.ErrTooDeep", tt.name, kind, err)
				}
			}
		}
		fsys := fstest.MapFS{tt.name: {Data: []byte(pkg)}, "pyproject.toml": {Data: []byte(deep["dotted key"])}}
		if res, err := tt.c.Catalog(context.Background(), fsys, tt.name); err != nil || len(res.Packages) != 1 {
			t.Errorf("%s beside a too-deep pyproject.toml: %v, %v", tt.name, res, err)
		}
	}
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
