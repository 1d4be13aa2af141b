package php

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

type counts struct{ Packages, Dev, SHA1, Licensed, Edges int }

func count(res *catalog.Result) counts {
	c := counts{Packages: catalogtest.Unique(res), Edges: len(res.Relationships)}
	for _, p := range res.Packages {
		if p.Scope == sbom.ScopeDev {
			c.Dev++
		}
		if len(p.Hashes) > 0 {
			c.SHA1++
		}
		if len(p.Licenses) > 0 {
			c.Licensed++
		}
	}
	return c
}

type triple = catalogtest.Triple

// Expected counts from testdata/truth.py (packages, dev packages, with
// SHA-1, with license, edges). The corpus has no composer.json, so nothing
// is Direct there.
func TestComposerLock(t *testing.T) {
	tests := []struct {
		path   string
		want   counts
		sample []triple
	}{
		{
			path: sharedtest.Path(t, "corpus/composer/BookStackApp__BookStack/composer.lock"),
			want: counts{147, 37, 0, 147, 244},
			sample: []triple{
				{Name: "aws/aws-crt-php", Version: "v1.2.6", PURL: "pkg:composer/aws/aws-crt-php@v1.2.6"},
			},
		},
		{
			path: sharedtest.Path(t, "corpus/composer/koel__koel/composer.lock"),
			want: counts{202, 46, 0, 202, 422},
		},
		{
			path: "testdata/corners/composer.lock",
			want: counts{6, 1, 1, 5, 5},
			sample: []triple{
				{Name: "monolog/monolog", Version: "3.5.0", PURL: "pkg:composer/monolog/monolog@3.5.0"},
				{Name: "symfony/polyfill-php80", Version: "v1.29.0", PURL: "pkg:composer/symfony/polyfill-php80@v1.29.0"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := catalogtest.Run(t, ComposerLock{}, tt.path)
			catalogtest.CheckInvariants(t, res)
			if diff := cmp.Diff(tt.want, count(res)); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			catalogtest.CheckSample(t, res, tt.sample)
		})
	}
}

func TestComposerLockCorners(t *testing.T) {
	res := catalogtest.Run(t, ComposerLock{}, "testdata/corners/composer.lock")
	const loc = "composer.lock"
	want := []sbom.Package{
		{Name: "acme/billing", Version: "dev-main", PURL: "pkg:composer/acme/billing@dev-main", Licenses: []string{"proprietary"},
			Direct: true, SourceKind: "path", ResolvedURL: "packages/billing", Locations: []sbom.Location{{Path: loc, Line: 9}}},
		{Name: "legacy/widgets", Version: "dev-main", PURL: "pkg:composer/legacy/widgets@dev-main", Direct: true,
			SourceKind: "git", ResolvedURL: "https://git.example.com/legacy/widgets.git", Locations: []sbom.Location{{Path: loc, Line: 27}},
			Properties: map[string]string{PropSourceReference: "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"}},
		{Name: "monolog/monolog", Version: "3.5.0", PURL: "pkg:composer/monolog/monolog@3.5.0", Licenses: []string{"MIT"}, Direct: true,
			Supplier: "Jordi Boggiano", ResolvedURL: "https://api.github.com/repos/Seldaek/monolog/zipball/c915e2634718dbc8a4a15c61b0e62e7a44e14448",
			Locations: []sbom.Location{{Path: loc, Line: 41}}, Properties: map[string]string{PropSourceReference: "c915e2634718dbc8a4a15c61b0e62e7a44e14448"}},
		{Name: "psr/log", Version: "3.0.0", PURL: "pkg:composer/psr/log@3.0.0", Licenses: []string{"MIT OR GPL-2.0-or-later"},
			Hashes:   []sbom.Hash{{Algorithm: sbom.SHA1, Value: "0c6d1e2c2a3b4f5e6d7c8b9a0f1e2d3c4b5a6978"}},
			Supplier: "PHP-FIG", ResolvedURL: "https://repo.example.com/dist/psr/log/3.0.0.zip", Locations: []sbom.Location{{Path: loc, Line: 75}}},
		{Name: "symfony/polyfill-php80", Version: "v1.29.0", PURL: "pkg:composer/symfony/polyfill-php80@v1.29.0", Licenses: []string{"MIT"},
			Locations: []sbom.Location{{Path: loc, Line: 99}}},
		{Name: "phpunit/phpunit", Version: "10.5.10", PURL: "pkg:composer/phpunit/phpunit@10.5.10", Licenses: []string{"BSD-3-Clause"},
			Direct: true, Scope: sbom.ScopeDev, Locations: []sbom.Location{{Path: loc, Line: 112}}},
	}
	for i := range want {
		want[i].Ecosystem = sbom.EcosystemPackagist
		want[i].ID = want[i].PURL
	}
	if diff := cmp.Diff(want, res.Packages, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	var edges []string
	for _, r := range res.Relationships {
		edges = append(edges, r.From+" -> "+r.To)
	}
	wantEdges := []string{
		"pkg:composer/acme/billing@dev-main -> pkg:composer/psr/log@3.0.0",
		"pkg:composer/legacy/widgets@dev-main -> pkg:composer/monolog/monolog@3.5.0",
		"pkg:composer/legacy/widgets@dev-main -> pkg:composer/symfony/polyfill-php80@v1.29.0",
		"pkg:composer/monolog/monolog@3.5.0 -> pkg:composer/psr/log@3.0.0",
		"pkg:composer/phpunit/phpunit@10.5.10 -> pkg:composer/monolog/monolog@3.5.0",
	}
	if diff := cmp.Diff(wantEdges, edges, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
}

func TestComposerLockMalformed(t *testing.T) {
	tests := map[string]string{
		"not json":      "{",
		"truncated":     `{"packages": [{"name": "a/b", "version": "1.0"`,
		"wrong type":    `{"packages": {"name": "a/b"}}`,
		"bad license":   `{"packages": [{"name": "a/b", "license": 3}]}`,
		"no name":       `{"packages": [{"version": "1.0.0"}]}`,
		"deep":          strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		"require array": `{"packages": [{"name": "a/b", "require": ["x"]}]}`,
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := (ComposerLock{}).Catalog(context.Background(), fstest.MapFS{"composer.lock": {Data: []byte(text)}}, "composer.lock"); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestComposerLockClaims(t *testing.T) {
	for p, want := range map[string]bool{"composer.lock": true, "app/composer.lock": true, "vendor/x/y/composer.lock": false, "composer.json": false} {
		if got := (ComposerLock{}).Claims(p, 0o644); got != want {
			t.Errorf("Claims(%q) = %v", p, got)
		}
	}
}

func FuzzComposerLock(f *testing.F) {
	b, err := os.ReadFile("testdata/corners/composer.lock")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"packages":[{"name":"a/b","version":"1","license":"MIT","require":{"a/b":"*"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := (ComposerLock{}).Catalog(context.Background(), fstest.MapFS{"composer.lock": {Data: data}}, "composer.lock")
		if err == nil {
			catalogtest.CheckInvariants(t, res)
		}
	})
}

func BenchmarkComposerLock(b *testing.B) {
	path := sharedtest.Path(b, "corpus/composer/koel__koel/composer.lock")
	fsys := os.DirFS(filepath.Dir(path))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (ComposerLock{}).Catalog(context.Background(), fsys, "composer.lock"); err != nil {
			b.Fatal(err)
		}
	}
}
