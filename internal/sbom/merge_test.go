package sbom

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestAddMergesByPURL(t *testing.T) {
	var d Document
	d.Add(Package{Name: "a", Version: "1", PURL: "pkg:npm/a@1", Scope: ScopeDev,
		Locations: []Location{{Path: "x/package-lock.json", Line: 3}},
		Hashes:    []Hash{{SHA512, "aa"}}, Licenses: []string{"MIT"}})
	d.Add(Package{Name: "a", Version: "1", PURL: "pkg:npm/a@1", Direct: true,
		Locations: []Location{{Path: "y/yarn.lock"}, {Path: "x/package-lock.json", Line: 3}},
		Hashes:    []Hash{{SHA1, "bb"}, {SHA512, "aa"}}, Licenses: []string{"MIT"},
		Properties: map[string]string{"k": "v"}})
	d.Add(Package{Name: "b", Version: "2", Ecosystem: EcosystemNPM})
	if len(d.Packages) != 2 {
		t.Fatalf("got %d packages, want 2", len(d.Packages))
	}
	d.Normalize()
	got := *d.Package("pkg:npm/a@1")
	want := Package{ID: "pkg:npm/a@1", Name: "a", Version: "1", PURL: "pkg:npm/a@1", Direct: true, Scope: ScopeRequired,
		Locations:  []Location{{Path: "x/package-lock.json", Line: 3}, {Path: "y/yarn.lock"}},
		Hashes:     []Hash{{SHA1, "bb"}, {SHA512, "aa"}},
		Licenses:   []string{"MIT"},
		Properties: map[string]string{"k": "v"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged package (-want +got):\n%s", diff)
	}
	if d.Package("hallmark:npm/b@2") == nil {
		t.Error("a package without purl gets a synthetic ID")
	}
}

func TestNormalizeRelationships(t *testing.T) {
	var d Document
	d.Add(Package{PURL: "pkg:npm/b@1", Name: "b"}, Package{PURL: "pkg:npm/a@1", Name: "a"})
	d.Relate(
		Relationship{"pkg:npm/b@1", "pkg:npm/a@1"},
		Relationship{"pkg:npm/a@1", "pkg:npm/b@1"},
		Relationship{"pkg:npm/a@1", "pkg:npm/b@1"},       // duplicate
		Relationship{"pkg:npm/a@1", "pkg:npm/a@1"},       // self edge
		Relationship{"pkg:npm/a@1", "pkg:npm/missing@1"}, // dangling
	)
	d.Normalize()
	want := []Relationship{{"pkg:npm/a@1", "pkg:npm/b@1"}, {"pkg:npm/b@1", "pkg:npm/a@1"}}
	if diff := cmp.Diff(want, d.Relationships); diff != "" {
		t.Errorf("relationships (-want +got):\n%s", diff)
	}
	if got := d.DependsOn("pkg:npm/a@1"); !cmp.Equal(got, []string{"pkg:npm/b@1"}) {
		t.Errorf("DependsOn(a) = %v", got)
	}
	if names := []string{d.Packages[0].Name, d.Packages[1].Name}; !cmp.Equal(names, []string{"a", "b"}, cmpopts.EquateEmpty()) {
		t.Errorf("packages not sorted: %v", names)
	}
}

func TestCompareLower(t *testing.T) {
	words := []string{"", "a", "A", "ab", "aB", "Ab", "b", "Z", "_", "[", "`", "@scope/x", "@Scope/x", "É", "é", "e", "Éa", "éB", "\xff", "a\xff", "İ", "i", "K", "k", "ǅ", "ǆ", "Ǆ", "z\u0130", "Z\u0131"}
	for _, a := range words {
		for _, b := range words {
			want := strings.Compare(strings.ToLower(a), strings.ToLower(b))
			if got := compareLower(a, b); got != want {
				t.Errorf("compareLower(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func FuzzCompareLower(f *testing.F) {
	f.Add("abc", "ABD")
	f.Add("é", "É")
	f.Fuzz(func(t *testing.T, a, b string) {
		want := strings.Compare(strings.ToLower(a), strings.ToLower(b))
		if got := compareLower(a, b); got != want {
			t.Errorf("compareLower(%q, %q) = %d, want %d", a, b, got, want)
		}
	})
}
