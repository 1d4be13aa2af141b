package match_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/osv"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// One advisory without a fix must not hide the upgrade that fixes all the
// others (golang.org/x/crypto v0.28.0 in cli/cli's go.mod: seven advisories
// fixed by 0.52.0, one never fixed).
func TestUpgradeLeavesUnfixed(t *testing.T) {
	src := &fakeSource{recs: map[string][]vulndb.Record{}, entries: map[string]*osv.Entry{}}
	add := func(r vulndb.Record, e *osv.Entry) {
		k := "Go/" + vulndb.NormalizeName("Go", "golang.org/x/crypto")
		src.recs[k] = append(src.recs[k], r)
		src.entries[e.ID] = e
	}
	add(rec("GO-1", nil, "Go", "golang.org/x/crypto", osv.Event{Introduced: "0"}, osv.Event{Fixed: "0.31.0"}))
	add(rec("GO-2", nil, "Go", "golang.org/x/crypto", osv.Event{Introduced: "0"}, osv.Event{Fixed: "0.52.0"}))
	add(rec("GO-3", nil, "Go", "golang.org/x/crypto", osv.Event{Introduced: "0"}))
	d := doc(pkg(sbom.EcosystemGo, "golang.org/x/crypto", "v0.28.0"))
	res, err := match.Match(d, src)
	if err != nil {
		t.Fatal(err)
	}
	pid := d.Packages[0].ID
	if got := res.Upgrades[pid]; got != "0.52.0" {
		t.Errorf("upgrade = %q, want 0.52.0", got)
	}
	if diff := cmp.Diff([]string{"GO-3"}, res.UpgradeLeaves[pid]); diff != "" {
		t.Errorf("leaves (-want +got):\n%s", diff)
	}
	for _, f := range res.Findings {
		want := "0.52.0"
		if f.ID == "GO-3" {
			want = ""
		}
		if got := res.UpgradeFor(&f); got != want {
			t.Errorf("UpgradeFor(%s) = %q, want %q", f.ID, got, want)
		}
	}
	// Suppressing the unfixed one: the upgrade fixes everything left.
	for i := range res.Findings {
		if res.Findings[i].ID == "GO-3" {
			res.Findings[i].Status = match.StatusNotAffected
		}
	}
	res.ComputeUpgrades()
	if got, leaves := res.Upgrades[pid], res.UpgradeLeaves[pid]; got != "0.52.0" || leaves != nil {
		t.Errorf("after suppression: upgrade %q leaves %v", got, leaves)
	}
	// Only the unfixed one: no upgrade at all.
	d2 := doc(pkg(sbom.EcosystemGo, "golang.org/x/crypto", "v0.60.0"))
	res2, err := match.Match(d2, src)
	if err != nil {
		t.Fatal(err)
	}
	if got := res2.Upgrades[d2.Packages[0].ID]; got != "" {
		t.Errorf("unfixable only: upgrade %q", got)
	}
}
