package match_test

import (
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/osv"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

const sha = "0123456789abcdef0123456789abcdef01234567"

// action is a GitHub Action as internal/catalog/actions writes it: version
// from the ref, or from the comment of a pinned SHA (ref kept apart).
func action(name, version, ref string) sbom.Package {
	p := pkg(sbom.EcosystemGitHubActions, name, version)
	p.Properties = map[string]string{"hallmark:actions:ref": ref}
	return p
}

// GHSA-mcph-m25j-8j63 (tj-actions/changed-files, introduced 0, fixed 41),
// from ../shared/osv, by every kind of ref.
func TestActionsRefs(t *testing.T) {
	db := openSharedDB(t)
	tests := []struct {
		name, version, ref string
		hit, possible      bool
		unchecked          string
	}{
		{"commented SHA, affected release", "v35.9.2", sha, true, false, ""},
		{"release tag, fixed", "v41.0.0", "v41.0.0", false, false, ""},
		{"GHSA's spelling of the fix", "41", "41", false, false, ""},
		{"moving major tag, affected line", "v40", "v40", true, true, ""},
		{"moving minor tag, affected line", "v40.2", "v40.2", true, true, ""},
		{"moving major tag, fixed line", "v41", "v41", false, false, ""},
		{"commented SHA naming only the line", "v40", sha, true, true, ""},
		{"SHA without comment", sha, sha, false, false, "pinned to commit 0123456789ab without a version comment"},
		{"branch", "main", "main", false, false, `ref "main" is a branch`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := doc(action("tj-actions/changed-files", tt.version, tt.ref))
			res, err := match.Match(d, db)
			if err != nil {
				t.Fatal(err)
			}
			if tt.unchecked != "" {
				if len(res.Unchecked) != 1 || !strings.Contains(res.Unchecked[0].Reason, tt.unchecked) {
					t.Fatalf("unchecked = %+v, want %q", res.Unchecked, tt.unchecked)
				}
				return
			}
			if len(res.Unchecked) > 0 {
				t.Fatalf("unchecked: %+v", res.Unchecked)
			}
			var f *match.Finding
			for i := range res.Findings {
				if res.Findings[i].ID == "GHSA-mcph-m25j-8j63" {
					f = &res.Findings[i]
				}
			}
			if (f != nil) != tt.hit {
				t.Fatalf("hit = %v, want %v", f != nil, tt.hit)
			}
			if f == nil {
				return
			}
			if (f.Possible != "") != tt.possible {
				t.Errorf("possible = %q, want %v", f.Possible, tt.possible)
			}
			if tt.possible && (f.Status != match.StatusUnderInvestigation || !strings.Contains(f.Possible, "pin the action to a full commit SHA")) {
				t.Errorf("status %s, note %q", f.Status, f.Possible)
			}
			if !tt.possible && f.Status != match.StatusAffected {
				t.Errorf("status %s, want affected", f.Status)
			}
			if got := res.Upgrades[f.PackageID]; got != "41" {
				t.Errorf("upgrade %q, want 41", got)
			}
		})
	}
}

// A moving tag is possibly affected when any release of its line is: a
// range that opens or closes inside the line counts, one that ends before
// it or starts after it does not.
func TestActionsMovingLine(t *testing.T) {
	ranges := map[string][]osv.Event{
		"GHSA-inside-line":   {{Introduced: "4.2.0"}, {Fixed: "4.3.1"}},
		"GHSA-before-line":   {{Introduced: "0"}, {Fixed: "4"}},
		"GHSA-after-line":    {{Introduced: "5.0.0"}, {Fixed: "5.1.0"}},
		"GHSA-last-affected": {{Introduced: "3.0.0"}, {LastAffected: "v4.0.2"}},
	}
	src := &fakeSource{recs: map[string][]vulndb.Record{}, entries: map[string]*osv.Entry{}}
	for id, ev := range ranges {
		r, e := rec(id, nil, "GitHub Actions", "octo/act", ev...)
		src.recs["GitHub Actions/"+vulndb.NormalizeName("GitHub Actions", "octo/act")] = append(src.recs["GitHub Actions/"+vulndb.NormalizeName("GitHub Actions", "octo/act")], r)
		src.entries[id] = e
	}
	for ref, want := range map[string]string{
		"v4":   "GHSA-inside-line GHSA-last-affected",
		"v4.2": "GHSA-inside-line",
		"v4.4": "",
		"v3":   "GHSA-before-line GHSA-last-affected",
		"v5":   "GHSA-after-line",
	} {
		res, err := match.Match(doc(action("octo/act", ref, ref)), src)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, f := range res.Findings {
			if f.Possible == "" {
				t.Errorf("%s: %s not marked possible", ref, f.ID)
			}
			ids = append(ids, f.ID)
		}
		if got := strings.Join(ids, " "); got != want {
			t.Errorf("@%s: %q, want %q", ref, got, want)
		}
	}
}
