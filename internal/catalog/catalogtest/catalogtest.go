// Package catalogtest has helpers for testing catalogers on real files.
package catalogtest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Run runs c on the file at path (any directory) as the walker would, checks
// that c claims it, and returns the result. It fails the test on an error.
func Run(t testing.TB, c catalog.Cataloger, path string) *catalog.Result {
	t.Helper()
	res, err := RunErr(t, c, path)
	if err != nil {
		t.Fatalf("%s.Catalog(%s): %v", c.Name(), path, err)
	}
	return res
}

// RunErr is Run that returns the cataloger's error instead of failing.
func RunErr(t testing.TB, c catalog.Cataloger, path string) (*catalog.Result, error) {
	t.Helper()
	dir, name := filepath.Split(path)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Claims(name, st.Mode()) {
		t.Fatalf("%s does not claim %s", c.Name(), name)
	}
	return c.Catalog(context.Background(), os.DirFS(dir), name)
}

// Find returns the packages of res with the given name, sorted by version.
func Find(res *catalog.Result, name string) []sbom.Package {
	var out []sbom.Package
	for _, p := range res.Packages {
		if p.Name == name {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b sbom.Package) int {
		switch {
		case a.Version < b.Version:
			return -1
		case a.Version > b.Version:
			return 1
		}
		return 0
	})
	return out
}

// Unique returns the number of distinct package keys in res, which is the
// count a document built from res would show.
func Unique(res *catalog.Result) int {
	seen := map[string]bool{}
	for _, p := range res.Packages {
		seen[p.Key()] = true
	}
	return len(seen)
}

// CheckInvariants fails the test when a package lacks a name, a purl, an
// ecosystem or a location, or when an edge names a package not in res.
func CheckInvariants(t testing.TB, res *catalog.Result) {
	t.Helper()
	ids := map[string]bool{}
	for _, p := range res.Packages {
		if p.Name == "" || p.PURL == "" || p.Ecosystem == "" || len(p.Locations) == 0 {
			t.Errorf("incomplete package %+v", p)
		}
		id := p.ID
		if id == "" {
			id = p.Key()
		}
		ids[id] = true
	}
	for _, r := range res.Relationships {
		if !ids[r.From] || !ids[r.To] {
			t.Errorf("edge %s -> %s names a package not in the result", r.From, r.To)
		}
	}
}

// Triple is a package's name, version and purl, as a corpus test pins them.
type Triple struct{ Name, Version, PURL string }

// CheckSample fails the test unless, for every sample, res holds exactly one
// package of that name and it has that version and purl.
func CheckSample(t testing.TB, res *catalog.Result, samples []Triple) {
	t.Helper()
	for _, w := range samples {
		var got []Triple
		for _, p := range Find(res, w.Name) {
			got = append(got, Triple{p.Name, p.Version, p.PURL})
		}
		if len(got) != 1 || got[0] != w {
			t.Errorf("package %s: got %v, want %v", w.Name, got, w)
		}
	}
}
