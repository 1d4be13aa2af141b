package match_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/all"
	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
	"github.com/hallmark-dev/hallmark/internal/source"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// sharedDB imports the language ecosystems of ../shared/osv once per test
// binary.
var sharedDB = struct {
	once sync.Once
	db   *vulndb.DB
	err  error
}{}

func openSharedDB(t *testing.T) *vulndb.DB {
	t.Helper()
	osvDir := sharedtest.Path(t, "osv")
	sharedDB.once.Do(func() {
		dir, err := os.MkdirTemp("", "hallmark-shared-db-")
		if err != nil {
			sharedDB.err = err
			return
		}
		_, err = vulndb.Update(context.Background(), vulndb.Options{Dir: dir, Source: osvDir, Ecosystems: []string{
			"npm", "PyPI", "Go", "crates.io", "RubyGems", "Packagist", "NuGet", "Maven", "Pub", "Hex", "GitHub Actions", "SwiftURL",
		}})
		if err != nil {
			sharedDB.err = err
			return
		}
		sharedDB.db, sharedDB.err = vulndb.Open(dir)
	})
	if sharedDB.err != nil {
		t.Fatal(sharedDB.err)
	}
	return sharedDB.db
}

type golden struct {
	File       string `json:"file"`
	OSVScanner string `json:"osvScanner"`
	Findings   []struct {
		Ecosystem string   `json:"ecosystem"`
		Name      string   `json:"name"`
		Version   string   `json:"version"`
		IDs       []string `json:"ids"`
	} `json:"findings"`
}

// key identifies a finding for the comparison. osv-scanner prints Go
// module versions without their "v"; that is spelling, not a difference.
func key(eco, name, version, id string) string {
	if eco == "Go" {
		version = strings.TrimPrefix(version, "v")
	}
	return eco + "|" + name + "|" + version + "|" + id
}

// deliberate lists every known difference from osv-scanner, as
// "file: ecosystem|name|version|id" with the sign of the difference
// ("+" hallmark reports it and osv-scanner does not, "-" the reverse), and
// why.
var deliberate = map[string]string{}

// TestMatchesOSVScanner compares hallmark's findings (package, version,
// advisory id) on every corpus lockfile with osv-scanner's, recorded in
// testdata/osv-scanner by bench/osv-scanner-golden.sh against the same
// snapshot.
func TestMatchesOSVScanner(t *testing.T) {
	db := openSharedDB(t)
	corpus := sharedtest.Path(t, "corpus")
	files, err := filepath.Glob("testdata/osv-scanner/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, gf := range files {
		var g golden
		b, err := os.ReadFile(gf)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &g); err != nil {
			t.Fatalf("%s: %v", gf, err)
		}
		t.Run(g.File, func(t *testing.T) {
			res, err := source.Load(context.Background(), filepath.Join(corpus, g.File), source.Options{Catalog: catalog.Options{Catalogers: all.Catalogers()}})
			if err != nil {
				t.Skipf("no cataloger reads %s yet: %v", g.File, err)
			}
			r, err := match.Match(res.Document, db)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, f := range r.Findings {
				p := res.Document.Package(f.PackageID)
				for _, a := range f.Advisories {
					got[key(string(p.Ecosystem), p.Name, p.Version, a.ID)] = true
				}
			}
			want := map[string]bool{}
			for _, f := range g.Findings {
				for _, id := range f.IDs {
					want[key(f.Ecosystem, f.Name, f.Version, id)] = true
				}
			}
			var diffs []string
			for k := range got {
				if !want[k] {
					diffs = append(diffs, "+"+k)
				}
			}
			for k := range want {
				if !got[k] {
					diffs = append(diffs, "-"+k)
				}
			}
			sort.Strings(diffs)
			var unexplained []string
			for _, d := range diffs {
				if _, ok := deliberate[g.File+": "+d]; !ok {
					unexplained = append(unexplained, d)
				}
			}
			if len(unexplained) > 0 {
				t.Errorf("%s: %d finding(s) differ from osv-scanner %s (+ only hallmark, - only osv-scanner):\n%s",
					g.File, len(unexplained), g.OSVScanner, strings.Join(unexplained, "\n"))
			}
			// A deliberate difference that no longer occurs must be removed.
			for k := range deliberate {
				if strings.HasPrefix(k, g.File+": ") && !slices.Contains(diffs, strings.TrimPrefix(k, g.File+": ")) {
					t.Errorf("deliberate difference %q no longer occurs; remove it", k)
				}
			}
			_ = cmp.Diff
		})
	}
}
