package ruby

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

type counts struct{ Specs, Platformed, Direct, Hashed, Edges int }

func count(res *catalog.Result) counts {
	c := counts{Specs: catalogtest.Unique(res), Edges: len(res.Relationships)}
	for _, p := range res.Packages {
		if p.Properties[PropPlatform] != "" {
			c.Platformed++
		}
		if p.Direct {
			c.Direct++
		}
		if len(p.Hashes) > 0 {
			c.Hashed++
		}
	}
	return c
}

type triple = catalogtest.Triple

// Expected counts from testdata/truth.py (spec entries, platform variants,
// direct specs, specs with a checksum, edges), which reads the file by hand.
func TestGemfileLock(t *testing.T) {
	tests := []struct {
		path   string
		want   counts
		sample []triple
	}{
		{
			// GEM only, Bundler 2.6 with CHECKSUMS; commonmarker, ffi,
			// nokogiri and others locked for arm64-darwin and x86_64-linux.
			path: sharedtest.Path(t, "corpus/rubygems/lobsters__lobsters/Gemfile.lock"),
			want: counts{183, 6, 60, 183, 292},
			sample: []triple{
				{Name: "actionpack-page_caching", Version: "1.2.4", PURL: "pkg:gem/actionpack-page_caching@1.2.4"},
			},
		},
		{
			// Two PATH sources (Rails' own gems, which DEPENDENCIES names
			// with "!") and GEM; 14 PATH specs have no checksum.
			path: sharedtest.Path(t, "corpus/rubygems/rails__rails/Gemfile.lock"),
			want: counts{264, 32, 96, 250, 474},
			sample: []triple{
				{Name: "actioncable", Version: "8.2.0.alpha", PURL: "pkg:gem/actioncable@8.2.0.alpha"},
			},
		},
		{
			path: "testdata/git/Gemfile.lock",
			want: counts{11, 3, 6, 0, 14},
			sample: []triple{
				{Name: "activesupport", Version: "7.2.0.beta1", PURL: "pkg:gem/activesupport@7.2.0.beta1"},
				{Name: "acme-client", Version: "2.0.1", PURL: "pkg:gem/acme-client@2.0.1?repository_url=https:%2F%2Fgems.example.com%2Fprivate%2F"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := catalogtest.Run(t, GemfileLock{}, tt.path)
			catalogtest.CheckInvariants(t, res)
			if diff := cmp.Diff(tt.want, count(res)); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			catalogtest.CheckSample(t, res, tt.sample)
		})
	}
}

func TestGemfileLockDetails(t *testing.T) {
	res := catalogtest.Run(t, GemfileLock{}, "testdata/git/Gemfile.lock")
	var got []string
	for _, p := range catalogtest.Find(res, "nokogiri") {
		got = append(got, p.PURL)
	}
	want := []string{"pkg:gem/nokogiri@1.16.3", "pkg:gem/nokogiri@1.16.3?platform=java", "pkg:gem/nokogiri@1.16.3?platform=x86_64-linux"}
	if diff := cmp.Diff(want, sortStrings(got)); diff != "" {
		t.Errorf("nokogiri purls (-want +got):\n%s", diff)
	}
	as := catalogtest.Find(res, "activesupport")[0]
	if as.SourceKind != "git" || as.ResolvedURL != "https://github.com/rails/rails.git" || as.Properties[PropRevision] != "3b5a5d6b1a4f7e0b2d1a1c9a0c5a7d8e9f0a1b2c" || !as.Direct || as.Locations[0].Line != 6 {
		t.Errorf("activesupport = %+v", as)
	}
	b := catalogtest.Find(res, "billing")[0]
	if b.SourceKind != "path" || b.ResolvedURL != "vendor/gems/billing" || b.Properties[PropBundledWith] != "2.4.22" {
		t.Errorf("billing = %+v", b)
	}

	res = catalogtest.Run(t, GemfileLock{}, sharedtest.Path(t, "corpus/rubygems/lobsters__lobsters/Gemfile.lock"))
	for _, p := range catalogtest.Find(res, "commonmarker") {
		if p.Properties[PropPlatform] == "x86_64-linux" {
			want := sbom.Hash{Algorithm: sbom.SHA256, Value: "e861ba1812721113725ebd8e46e4fee20dc732842f5555db2cfb8dcd74056583"}
			if len(p.Hashes) != 1 || p.Hashes[0] != want {
				t.Errorf("commonmarker x86_64-linux hashes = %v", p.Hashes)
			}
		}
	}
}

func sortStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestGemfileLockCRLF(t *testing.T) {
	b, err := os.ReadFile("testdata/git/Gemfile.lock")
	if err != nil {
		t.Fatal(err)
	}
	crlf := strings.ReplaceAll(string(b), "\n", "\r\n")
	res, err := (GemfileLock{}).Catalog(context.Background(), fstest.MapFS{"Gemfile.lock": {Data: []byte(crlf)}}, "Gemfile.lock")
	if err != nil || catalogtest.Unique(res) != 11 {
		t.Errorf("CRLF: %v, %v", res, err)
	}
}

func TestGemfileLockMalformed(t *testing.T) {
	tests := map[string]string{
		"not a lockfile": "hello world\n",
		"bad spec":       "GEM\n  remote: https://rubygems.org/\n  specs:\n    rake 13.0\n",
		"unclosed":       "GEM\n  specs:\n    rake (13.0\n",
		"long line":      "GEM\n  specs:\n    " + strings.Repeat("a", 2<<20) + "\n",
		"empty":          "",
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := (GemfileLock{}).Catalog(context.Background(), fstest.MapFS{"Gemfile.lock": {Data: []byte(text)}}, "Gemfile.lock"); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestGemfileLockClaims(t *testing.T) {
	for p, want := range map[string]bool{"Gemfile.lock": true, "x/gems.locked": true, "Gemfile": false, "gemfile.lock": false} {
		if got := (GemfileLock{}).Claims(p, 0o644); got != want {
			t.Errorf("Claims(%q) = %v", p, got)
		}
	}
}

func FuzzGemfileLock(f *testing.F) {
	b, err := os.ReadFile("testdata/git/Gemfile.lock")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("GEM\n  specs:\n    a (1-x)\n      b\n    b (2)\nCHECKSUMS\n  b (2) sha256=00\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, _ := (GemfileLock{}).Catalog(context.Background(), fstest.MapFS{"Gemfile.lock": {Data: data}}, "Gemfile.lock")
		if res != nil {
			catalogtest.CheckInvariants(t, res)
		}
	})
}

func BenchmarkGemfileLock(b *testing.B) {
	path := sharedtest.Path(b, "corpus/rubygems/rails__rails/Gemfile.lock")
	fsys := os.DirFS(filepath.Dir(path))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (GemfileLock{}).Catalog(context.Background(), fsys, "Gemfile.lock"); err != nil {
			b.Fatal(err)
		}
	}
}
