package golang

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
)

// modCacheFS is a small module cache laid out as `go mod download` leaves
// it: two downloaded modules (one with an escaped upper-case path, one
// without a go.mod of its own) and a version known only by its .mod file.
func modCacheFS() fstest.MapFS {
	return fstest.MapFS{
		"pkg/mod/cache/download/github.com/!burnt!sushi/toml/@v/list":                 {Data: []byte("v1.3.2\n")},
		"pkg/mod/cache/download/github.com/!burnt!sushi/toml/@v/v1.3.2.info":          {Data: []byte(`{"Version":"v1.3.2"}`)},
		"pkg/mod/cache/download/github.com/!burnt!sushi/toml/@v/v1.3.2.mod":           {Data: []byte("module github.com/BurntSushi/toml\n")},
		"pkg/mod/cache/download/github.com/!burnt!sushi/toml/@v/v1.3.2.zip":           {Data: []byte("PK")},
		"pkg/mod/cache/download/github.com/!burnt!sushi/toml/@v/v1.3.2.ziphash":       {Data: []byte("h1:o7IhLm0Msx3BaB+n3Ag7L8EVlByGnpq14C4YWiu/gL8=")},
		"pkg/mod/cache/download/github.com/davecgh/go-spew/@v/v1.1.1.ziphash":         {Data: []byte("h1:vj9j/u1bqnvCEfJOwUhtlOARqs3+rkHYY13jYWTU97c=\n")},
		"pkg/mod/cache/download/github.com/davecgh/go-spew/@v/v1.1.0.mod":             {Data: []byte("module github.com/davecgh/go-spew\n")},
		"pkg/mod/cache/download/golang.org/x/text/@v/v0.3.0-rc.1!x.ziphash":           {Data: []byte("garbage")},
		"pkg/mod/cache/download/sumdb/sum.golang.org/lookup/golang.org/x/text@v0.3.0": {Data: []byte("x")},
		"pkg/mod/github.com/!burnt!sushi/toml@v1.3.2/go.mod":                          {Data: []byte("module github.com/BurntSushi/toml\n\nrequire github.com/x/y v1.0.0\n")},
		"pkg/mod/github.com/davecgh/go-spew@v1.1.1/spew/spew.go":                      {Data: []byte("package spew\n")},
	}
}

func TestModCache(t *testing.T) {
	fsys := modCacheFS()
	var got []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if (GoMod{}).Claims(p, 0o644) {
			t.Errorf("GoMod claims %s inside the module cache", p)
		}
		if !(ModCache{}).Claims(p, 0o644) {
			return nil
		}
		res, err := (ModCache{}).Catalog(context.Background(), fsys, p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		catalogtest.CheckInvariants(t, res)
		for _, pk := range res.Packages {
			h := ""
			if len(pk.Hashes) == 1 {
				h = pk.Hashes[0].Value[:8]
			}
			got = append(got, pk.Name+" "+pk.Version+" "+pk.PURL+" "+h)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"github.com/BurntSushi/toml v1.3.2 pkg:golang/github.com/BurntSushi/toml@v1.3.2 a3b2212e",
		"github.com/davecgh/go-spew v1.1.1 pkg:golang/github.com/davecgh/go-spew@v1.1.1 be3f63fe",
		"golang.org/x/text v0.3.0-rc.1X pkg:golang/golang.org/x/text@v0.3.0-rc.1X ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("module cache packages (-want +got):\n%s", diff)
	}
}

func TestModCacheClaims(t *testing.T) {
	tests := map[string]bool{
		"cache/download/golang.org/x/mod/@v/v0.42.0.ziphash":                 true,
		"root/go/pkg/mod/cache/download/golang.org/x/mod/@v/v0.42.0.ziphash": true,
		"cache/download/golang.org/x/mod/@v/v0.42.0.zip":                     false,
		"cache/download/golang.org/x/mod/@v/v0.42.0.mod":                     false,
		"mycache/download/golang.org/x/mod/@v/v0.42.0.ziphash":               false,
		"cache/download/@v/v0.42.0.ziphash":                                  false,
		"cache/download/golang.org/x/mod/@v/sub/v0.42.0.ziphash":             false,
		"x.ziphash": false,
	}
	for p, want := range tests {
		if got := (ModCache{}).Claims(p, 0o644); got != want {
			t.Errorf("Claims(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestModCacheBadEscape(t *testing.T) {
	for _, p := range []string{
		"cache/download/github.com/Upper/x/@v/v1.0.0.ziphash", // upper case must be escaped
		"cache/download/github.com/x/y/@v/V1.0.0.ziphash",
	} {
		fsys := fstest.MapFS{p: {Data: []byte("h1:")}}
		if _, err := (ModCache{}).Catalog(context.Background(), fsys, p); err == nil {
			t.Errorf("%s: no error", p)
		}
	}
}

func FuzzModCache(f *testing.F) {
	f.Add("cache/download/github.com/!burnt!sushi/toml/@v/v1.3.2.ziphash", []byte("h1:o7IhLm0Msx3BaB+n3Ag7L8EVlByGnpq14C4YWiu/gL8="))
	f.Fuzz(func(t *testing.T, p string, data []byte) {
		if !fs.ValidPath(p) || !(ModCache{}).Claims(p, 0o644) {
			return
		}
		res, err := (ModCache{}).Catalog(context.Background(), fstest.MapFS{p: {Data: data}}, p)
		if err == nil {
			catalogtest.CheckInvariants(t, res)
		}
	})
}

// BenchmarkModCache walks a real module cache with the module cache
// cataloger, when HALLMARK_BENCH_GOMODCACHE names one (e.g. after
// `GOMODCACHE=/tmp/gmc go mod download` of prometheus' go.mod: 126,693
// files, 515 modules).
func BenchmarkModCache(b *testing.B) {
	dir := os.Getenv("HALLMARK_BENCH_GOMODCACHE")
	if dir == "" {
		b.Skip("HALLMARK_BENCH_GOMODCACHE not set")
	}
	fsys := os.DirFS(filepath.Clean(dir))
	for b.Loop() {
		doc, problems := catalog.Walk(context.Background(), fsys, catalog.Options{Catalogers: []catalog.Cataloger{GoMod{}, ModCache{}}})
		if len(problems) > 0 || len(doc.Packages) == 0 {
			b.Fatalf("%d packages, problems %v", len(doc.Packages), problems)
		}
	}
}
