package match_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/osv"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

func doc(pkgs ...sbom.Package) *sbom.Document {
	d := &sbom.Document{Source: "test"}
	d.Add(pkgs...)
	return d
}

func pkg(eco sbom.Ecosystem, name, version string) sbom.Package {
	return sbom.Package{Ecosystem: eco, Name: name, Version: version, Locations: []sbom.Location{{Path: "lock", Line: 1}}}
}

// TestRangeForms checks each OSV range form against real advisories of
// ../shared/osv, named by id.
func TestRangeForms(t *testing.T) {
	db := openSharedDB(t)
	tests := []struct {
		name    string
		p       sbom.Package
		id      string
		hit     bool
		fixed   []string
		upgrade string
	}{
		// GO-2022-0387 (argo-cd): SEMVER introduced 0, fixed 1.7.14, introduced 1.8.0, fixed 1.8.7.
		{"semver first range", pkg(sbom.EcosystemGo, "github.com/argoproj/argo-cd", "v1.7.0"), "GO-2022-0387", true, []string{"1.7.14"}, "1.7.14"},
		{"semver fixed is not affected", pkg(sbom.EcosystemGo, "github.com/argoproj/argo-cd", "v1.7.14"), "GO-2022-0387", false, nil, ""},
		{"semver gap between ranges", pkg(sbom.EcosystemGo, "github.com/argoproj/argo-cd", "v1.7.99"), "GO-2022-0387", false, nil, ""},
		{"semver introduced is affected", pkg(sbom.EcosystemGo, "github.com/argoproj/argo-cd", "v1.8.0"), "GO-2022-0387", true, []string{"1.8.7"}, "1.8.7"},
		{"semver pre-release of fix is affected", pkg(sbom.EcosystemGo, "github.com/argoproj/argo-cd", "v1.8.7-rc1"), "GO-2022-0387", true, []string{"1.8.7"}, "1.8.7"},
		// PYSEC-2024-1 (gratient): versions list only, ["0.5"].
		{"versions list hit", pkg(sbom.EcosystemPyPI, "gratient", "0.5"), "PYSEC-2024-1", true, nil, ""},
		{"versions list PEP 440 equal spelling", pkg(sbom.EcosystemPyPI, "Gratient", "0.5.0"), "PYSEC-2024-1", true, nil, ""},
		{"versions list miss", pkg(sbom.EcosystemPyPI, "gratient", "0.6"), "PYSEC-2024-1", false, nil, ""},
		// GHSA-5844-q3fc-56rh: Maven com.pubnub:pubnub introduced 0, last_affected 4.6.5
		// (no RUSTSEC record of the snapshot uses last_affected).
		{"last_affected equal is affected", pkg(sbom.EcosystemMaven, "com.pubnub:pubnub", "4.6.5"), "GHSA-5844-q3fc-56rh", true, nil, ""},
		{"last_affected above is not", pkg(sbom.EcosystemMaven, "com.pubnub:pubnub", "4.6.6"), "GHSA-5844-q3fc-56rh", false, nil, ""},
		// GO-2022-0617 (k8s.io/kubernetes, introduced 0) is withdrawn.
		{"withdrawn never matches", pkg(sbom.EcosystemGo, "k8s.io/kubernetes", "v1.20.0"), "GO-2022-0617", false, nil, ""},
		// RUSTSEC-2020-0053 is withdrawn too.
		{"withdrawn crates", pkg(sbom.EcosystemCargo, "dirs", "1.0.0"), "RUSTSEC-2020-0053", false, nil, ""},
		// MAL-2024-11848: npm 000webhost-admin, versions ["999.9.9"].
		{"malicious", pkg(sbom.EcosystemNPM, "000webhost-admin", "999.9.9"), "MAL-2024-11848", true, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.id == "RUSTSEC-2020-0053" {
				recs, _, err := db.Lookup("crates.io", tt.p.Name)
				if err != nil || !hasWithdrawn(recs, tt.id) {
					t.Fatalf("fixture: %s is not a withdrawn advisory of %s (err %v)", tt.id, tt.p.Name, err)
				}
			}
			res, err := match.Match(doc(tt.p), db)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Unchecked) > 0 {
				t.Fatalf("unchecked: %v", res.Unchecked)
			}
			var got *match.Finding
			for i, f := range res.Findings {
				for _, id := range f.IDs() {
					if id == tt.id {
						got = &res.Findings[i]
					}
				}
			}
			if (got != nil) != tt.hit {
				t.Fatalf("%s@%s vs %s: hit = %v, want %v (findings %v)", tt.p.Name, tt.p.Version, tt.id, got != nil, tt.hit, res.Findings)
			}
			if got == nil {
				return
			}
			if diff := cmp.Diff(tt.fixed, got.Fixed); diff != "" {
				t.Errorf("fixed (-want +got):\n%s", diff)
			}
			// The upgrade must fix every finding of the package, so it is
			// only checked for packages with this one advisory.
			if up := res.Upgrades[got.PackageID]; len(res.Findings) == 1 && up != tt.upgrade {
				t.Errorf("upgrade = %q, want %q", up, tt.upgrade)
			}
			if tt.id == "MAL-2024-11848" && (got.Kind != match.Malicious || !res.Fails(match.Critical)) {
				t.Errorf("MAL finding kind = %q, fails(critical) = %v; want malicious, true", got.Kind, res.Fails(match.Critical))
			}
		})
	}
}

func hasWithdrawn(recs []vulndb.Record, id string) bool {
	for _, r := range recs {
		if r.ID == id && r.Withdrawn {
			return true
		}
	}
	return false
}

// TestSeverity checks CVSS v3.1 scoring and the database_specific fallback
// on real records.
func TestSeverity(t *testing.T) {
	db := openSharedDB(t)
	// GHSA-5844-q3fc-56rh: CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N = 5.9, MEDIUM.
	res, err := match.Match(doc(pkg(sbom.EcosystemMaven, "com.pubnub:pubnub", "4.0.0")), db)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		t.Fatalf("findings = %v", res.Findings)
	}
	want := match.Severity{Level: match.Medium, Score: 5.9, Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", Source: osv.SeverityCVSSv3}
	if diff := cmp.Diff(want, res.Findings[0].Severity); diff != "" {
		t.Errorf("severity (-want +got):\n%s", diff)
	}
	if !res.Fails(match.Medium) || res.Fails(match.High) {
		t.Errorf("Fails(medium) = %v, Fails(high) = %v; want true, false", res.Fails(match.Medium), res.Fails(match.High))
	}
}

// fakeSource serves hand-written records.
type fakeSource struct {
	recs    map[string][]vulndb.Record
	entries map[string]*osv.Entry
}

func (f *fakeSource) Lookup(eco, name string) ([]vulndb.Record, bool, error) {
	if eco == "RubyGems" {
		return nil, false, nil // not imported
	}
	return f.recs[eco+"/"+vulndb.NormalizeName(eco, name)], true, nil
}

func (f *fakeSource) Advisory(eco string, r vulndb.Record) (*osv.Entry, error) {
	e, ok := f.entries[r.ID]
	if !ok {
		return nil, errors.New("missing " + r.ID)
	}
	return e, nil
}

func rec(id string, aliases []string, eco, name string, events ...osv.Event) (vulndb.Record, *osv.Entry) {
	aff := osv.Affected{Package: osv.Package{Ecosystem: eco, Name: name}, Ranges: []osv.Range{{Type: osv.RangeEcosystem, Events: events}}}
	e := &osv.Entry{ID: id, Aliases: aliases, Modified: "2024-01-01T00:00:00Z", Summary: id + " summary", Affected: []osv.Affected{aff}}
	return vulndb.Record{ID: id, Aliases: aliases, Affected: []osv.Affected{aff}, Malicious: e.IsMalicious()}, e
}

func TestAliasesUncheckedAndUpgrade(t *testing.T) {
	src := &fakeSource{recs: map[string][]vulndb.Record{}, entries: map[string]*osv.Entry{}}
	add := func(r vulndb.Record, e *osv.Entry) {
		k := e.Affected[0].Package.Ecosystem + "/" + vulndb.NormalizeName(e.Affected[0].Package.Ecosystem, e.Affected[0].Package.Name)
		src.recs[k] = append(src.recs[k], r)
		src.entries[e.ID] = e
	}
	// PYSEC and GHSA twins (aliases of each other via a CVE) are one finding.
	add(rec("PYSEC-2099-1", []string{"CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"}, "PyPI", "Demo_Pkg", osv.Event{Introduced: "0"}, osv.Event{Fixed: "1.5"}))
	add(rec("GHSA-aaaa-bbbb-cccc", []string{"CVE-2099-0001"}, "PyPI", "demo-pkg", osv.Event{Introduced: "1.0"}, osv.Event{Fixed: "1.4.2"}))
	// A second advisory fixed only in 2.0: the smallest upgrade fixing both is 2.0.
	add(rec("PYSEC-2099-2", nil, "PyPI", "demo-pkg", osv.Event{Introduced: "0"}, osv.Event{Fixed: "2.0"}))
	// An unparsable range version makes the package unchecked for that advisory.
	add(rec("PYSEC-2099-3", nil, "PyPI", "demo-pkg", osv.Event{Introduced: "not a version!"}))

	d := doc(
		pkg(sbom.EcosystemPyPI, "demo.pkg", "1.2"),
		pkg(sbom.EcosystemPyPI, "nover", ""),
		pkg(sbom.EcosystemCocoaPods, "Alamofire", "5.0.0"),
		pkg(sbom.EcosystemRubyGems, "rack", "2.0.0"),
		pkg(sbom.EcosystemNPM, "left-pad", "git+https://example.com/left-pad.git"),
	)
	res, err := match.Match(d, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 {
		t.Fatalf("findings = %+v, want 2", res.Findings)
	}
	var ids [][]string
	for _, f := range res.Findings {
		ids = append(ids, f.IDs())
	}
	wantIDs := [][]string{{"GHSA-aaaa-bbbb-cccc", "PYSEC-2099-1", "CVE-2099-0001"}, {"PYSEC-2099-2"}}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("grouped ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1.4.2", "1.5"}, res.Findings[0].Fixed); diff != "" {
		t.Errorf("fixed (-want +got):\n%s", diff)
	}
	pid := res.Findings[0].PackageID
	if got := res.Upgrades[pid]; got != "2.0" {
		t.Errorf("upgrade = %q, want 2.0", got)
	}
	reasons := map[string]string{}
	for _, u := range res.Unchecked {
		reasons[d.Package(u.PackageID).Name] = u.Reason
	}
	want := map[string]string{
		"demo.pkg":  `advisory PYSEC-2099-3: range version "not a version!": invalid version "not a version!": space or control character`,
		"nover":     "no version",
		"Alamofire": `ecosystem "CocoaPods" has no OSV version ordering`,
		"rack":      `no vulnerability data for ecosystem RubyGems (run: hallmark db update --ecosystem "RubyGems")`,
		"left-pad":  `version: invalid version "git+https://example.com/left-pad.git": not semver`,
	}
	if diff := cmp.Diff(want, reasons); diff != "" {
		t.Errorf("unchecked (-want +got):\n%s", diff)
	}
	// Suppressing the 2.0-only advisory lowers the upgrade to 1.5.
	res.Findings[1].Status = match.StatusNotAffected
	res.ComputeUpgrades()
	if got := res.Upgrades[pid]; got != "1.5" {
		t.Errorf("upgrade after suppression = %q, want 1.5", got)
	}
}
