package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/schematest"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var created = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// npmPkg is a package as the npm cataloger records it.
func npmPkg(name, version, file string, line int) sbom.Package {
	return sbom.Package{Name: name, Version: version, Ecosystem: sbom.EcosystemNPM,
		PURL: purl.New(sbom.EcosystemNPM, name, version), Locations: []sbom.Location{{Path: file, Line: line}}}
}

// scanResult is a match result with every case the outputs distinguish:
// a package with two findings (grouping, the upgrade fixing both), a
// malicious package, a finding suppressed by VEX, a package from an SBOM
// without a location, an unchecked package, and a clean package.
func scanResult() *match.Result {
	doc := &sbom.Document{Source: "services/api"}
	ws := npmPkg("ws", "8.16.0", "package-lock.json", 1412)
	ws.Locations = append(ws.Locations, sbom.Location{Path: "packages/cli/package-lock.json", Line: 88})
	noLoc := npmPkg("@scope/from-sbom", "1.0.0", "", 0)
	noLoc.Locations = nil
	doc.Add(
		npmPkg("abbrev", "3.0.0", "package-lock.json", 20),
		ws,
		npmPkg("event-stream", "3.3.6", "package-lock.json", 530),
		npmPkg("semver", "7.5.1", "package-lock.json", 2001),
		noLoc,
		npmPkg("mystery", "not-a-version", "package-lock.json", 1700),
	)
	doc.Normalize()
	id := func(name string) string {
		for _, p := range doc.Packages {
			if p.Name == name {
				return p.ID
			}
		}
		panic(name)
	}
	adv := func(id, summary string, fixed ...string) []match.Advisory {
		return []match.Advisory{{ID: id, Summary: summary, Fixed: fixed, Details: "Details of " + id + "."}}
	}
	return &match.Result{
		Document: doc,
		Checked:  5,
		Findings: []match.Finding{
			{PackageID: id("@scope/from-sbom"), ID: "GHSA-2222-3333-4444", Kind: match.Vulnerability, Summary: "Prototype pollution",
				Severity: match.Severity{Level: match.Medium, Score: 5.3, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N", Source: "CVSS_V3"},
				Fixed:    []string{"1.0.1"}, Advisories: adv("GHSA-2222-3333-4444", "Prototype pollution", "1.0.1"), Status: match.StatusAffected},
			{PackageID: id("event-stream"), ID: "MAL-2018-1", Aliases: []string{"GHSA-mh6f-8j2x-4483"}, Kind: match.Malicious,
				Summary: "Malicious code in event-stream (flatmap-stream)", Advisories: adv("MAL-2018-1", "Malicious code in event-stream"), Status: match.StatusAffected},
			{PackageID: id("semver"), ID: "GHSA-c2qf-rxjj-qqgw", Aliases: []string{"CVE-2022-25883"}, Kind: match.Vulnerability,
				Summary: "semver vulnerable to Regular Expression Denial of Service", Severity: match.Severity{Level: match.Medium, Score: 5.3},
				Fixed: []string{"7.5.2"}, Advisories: adv("GHSA-c2qf-rxjj-qqgw", "semver ReDoS", "7.5.2"),
				Status: match.StatusNotAffected, Justification: "vulnerable_code_not_in_execute_path", StatusSource: "triage.openvex.json"},
			{PackageID: id("ws"), ID: "GHSA-3h5v-q93c-6h6q", Aliases: []string{"CVE-2024-37890"}, Kind: match.Vulnerability,
				Summary: "ws affected by a DoS when handling a request with many HTTP headers", Severity: match.Severity{Level: match.High, Score: 7.5},
				Fixed: []string{"8.17.1"}, Advisories: adv("GHSA-3h5v-q93c-6h6q", "ws DoS", "8.17.1"), Status: match.StatusAffected},
			{PackageID: id("ws"), ID: "GHSA-aaaa-bbbb-cccc", Kind: match.Vulnerability,
				Summary: "A second, low finding\nspanning two lines", Severity: match.Severity{Level: match.Low},
				Fixed: []string{"8.16.1"}, Advisories: adv("GHSA-aaaa-bbbb-cccc", "low", "8.16.1"), Status: match.StatusAffected},
		},
		Unchecked: []match.Unchecked{{PackageID: id("mystery"), Reason: `version "not-a-version" is not valid npm semver`}},
		Upgrades:  map[string]string{id("ws"): "8.17.1", id("event-stream"): "", id("@scope/from-sbom"): "1.0.1"},
		Ecosystems: []vulndb.EcosystemMeta{{Name: "npm", Source: "/var/cache/hallmark/osv/npm/all.zip",
			FetchedAt: time.Date(2026, 6, 14, 3, 0, 0, 0, time.UTC), Advisories: 4242}},
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestFindingsTableGrouping(t *testing.T) {
	tests := []struct {
		name   string
		res    func() *match.Result
		colour bool
		// rows are the findings rows, fields split on runs of spaces
		// (the package is named only on its first row).
		rows []string
		// has and hasNot are substrings of the whole output.
		has, hasNot []string
	}{
		{
			name: "grouped by package",
			res:  scanResult,
			rows: []string{
				"@scope/from-sbom|1.0.0|npm|GHSA-2222-3333-4444|MEDIUM 5.3|1.0.1|1.0.1|Prototype pollution",
				"event-stream|3.3.6|npm|MAL-2018-1 (GHSA-mh6f-8j2x-4483)|MALICIOUS|-|(no fix)|Malicious code in event-stream (flatmap-stream)",
				"ws|8.16.0|npm|GHSA-3h5v-q93c-6h6q (CVE-2024-37890)|HIGH 7.5|8.17.1|8.17.1|ws affected by a DoS when handling a request with many HTTP headers",
				"GHSA-aaaa-bbbb-cccc|LOW|8.16.1|A second, low finding spanning two lines",
			},
			has: []string{
				"Suppressed by VEX (1):", "semver   7.5.1    GHSA-c2qf-rxjj-qqgw  not_affected  vulnerable_code_not_in_execute_path  triage.openvex.json",
				"Not checked (1):", `mystery  not-a-version  npm        version "not-a-version" is not valid npm semver`,
				"6 packages: 5 checked, 1 not checked; 4 findings (1 high, 1 medium, 1 low, 1 unknown), 1 malicious, 1 suppressed by VEX\n",
			},
			hasNot: []string{"\033["},
		},
		{
			name:   "colour",
			res:    scanResult,
			colour: true,
			has:    []string{"\033[31mHIGH 7.5     \033[0m", "\033[1;31m", "\033[36mLOW          \033[0m"},
		},
		{
			// Ten packages of an ecosystem without data: the reason is said
			// once, with the first eight packages; the odd one keeps its row.
			name: "unchecked grouped by reason",
			res: func() *match.Result {
				r := scanResult()
				for i := range 10 {
					p := sbom.Package{Name: "pkg" + itoa(i), Version: "1." + itoa(i), Ecosystem: "Debian:12"}
					r.Document.Add(p)
				}
				r.Document.Normalize()
				for _, p := range r.Document.Packages {
					if p.Ecosystem == "Debian:12" {
						r.Unchecked = append(r.Unchecked, match.Unchecked{PackageID: p.ID, Reason: `no vulnerability data for ecosystem Debian (run: hallmark db update --ecosystem "Debian")`})
					}
				}
				return r
			},
			has: []string{
				"Not checked (11):\nPACKAGE  VERSION        ECOSYSTEM  REASON\nmystery  not-a-version  npm        version \"not-a-version\" is not valid npm semver\n" +
					`10 packages (Debian:12): no vulnerability data for ecosystem Debian (run: hallmark db update --ecosystem "Debian")` + "\n  pkg0 1.0, pkg1 1.1, ",
				", and 2 more (-o json lists each)\n",
				"16 packages: 5 checked, 11 not checked;",
			},
			hasNot: []string{"pkg9  1.9"},
		},
		{
			name: "nothing found",
			res: func() *match.Result {
				r := scanResult()
				r.Findings, r.Unchecked, r.Checked = nil, nil, 6
				return r
			},
			has:    []string{"6 packages: 6 checked, 0 not checked; 0 findings, 0 malicious, 0 suppressed by VEX\n"},
			hasNot: []string{"PACKAGE", "Suppressed", "Not checked"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := FindingsTable(&buf, tt.res(), tt.colour); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if tt.rows != nil {
				lines := strings.Split(out, "\n")
				if !strings.HasPrefix(lines[0], "PACKAGE ") {
					t.Fatalf("first line %q is not the header", lines[0])
				}
				var got []string
				for _, l := range lines[1:] {
					if l == "" {
						break
					}
					got = append(got, strings.Join(splitCols(l), "|"))
				}
				if diff := cmp.Diff(tt.rows, got); diff != "" {
					t.Errorf("rows (-want +got):\n%s\noutput:\n%s", diff, out)
				}
			}
			for _, s := range tt.has {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(out, s) {
					t.Errorf("output has %q:\n%s", s, out)
				}
			}
		})
	}
}

// splitCols splits a tabwriter row on runs of two or more spaces.
func splitCols(l string) []string {
	var out []string
	for _, f := range strings.Split(l, "  ") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// TestScanJSONGolden pins the documented JSON report shape (go test
// -update rewrites testdata/scan.golden.json after a deliberate change).
func TestScanJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := ScanJSON(&buf, scanResult(), created); err != nil {
		t.Fatal(err)
	}
	golden(t, "scan.golden.json", buf.Bytes())

	// The documented top-level keys, and every list present even when empty.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range top {
		keys = append(keys, k)
	}
	want := []string{"created", "database", "findings", "packages", "schema", "sdk", "source", "summary", "unchecked"}
	if diff := cmp.Diff(want, keys, cmpSorted); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
	empty := &match.Result{Document: &sbom.Document{Source: "x"}}
	buf.Reset()
	if err := ScanJSON(&buf, empty, created); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"findings": []`, `"packages": []`, `"unchecked": []`, `"database": []`} {
		if !strings.Contains(buf.String(), k) {
			t.Errorf("empty report lacks %s:\n%s", k, buf.String())
		}
	}
}

var cmpSorted = cmp.Transformer("sorted", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// sarifResults reads rule id, level, locations and suppression of each
// result of a SARIF log.
func sarifResults(t *testing.T, b []byte) []string {
	t.Helper()
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region *struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				Suppressions []struct {
					Justification string `json:"justification"`
				} `json:"suppressions"`
			} `json:"results"`
			Tool struct {
				Driver struct {
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	var out []string
	for _, r := range run.Results {
		if r.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("%s: ruleIndex %d does not point at its rule", r.RuleID, r.RuleIndex)
		}
		s := r.RuleID + " " + r.Level
		for _, l := range r.Locations {
			s += " " + l.PhysicalLocation.ArtifactLocation.URI
			if l.PhysicalLocation.Region != nil {
				s += ":" + itoa(l.PhysicalLocation.Region.StartLine)
			}
		}
		for _, sp := range r.Suppressions {
			s += " suppressed(" + sp.Justification + ")"
		}
		out = append(out, s)
	}
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestSARIFLocations(t *testing.T) {
	tests := []struct {
		name string
		opts SARIFOptions
		want []string
	}{
		{
			name: "scanned directory as base",
			opts: SARIFOptions{ToolVersion: "1.2.3", Base: "services/api"},
			want: []string{
				"GHSA-2222-3333-4444 warning services/api", // no location: the scanned source
				"MAL-2018-1 error services/api/package-lock.json:530",
				"GHSA-c2qf-rxjj-qqgw warning services/api/package-lock.json:2001 suppressed(not_affected: vulnerable_code_not_in_execute_path)",
				"GHSA-3h5v-q93c-6h6q error services/api/package-lock.json:1412 services/api/packages/cli/package-lock.json:88",
				"GHSA-aaaa-bbbb-cccc note services/api/package-lock.json:1412 services/api/packages/cli/package-lock.json:88",
			},
		},
		{
			name: "repository root, SBOM fallback",
			opts: SARIFOptions{Fallback: "sbom.cdx.json"},
			want: []string{
				"GHSA-2222-3333-4444 warning sbom.cdx.json",
				"MAL-2018-1 error package-lock.json:530",
				"GHSA-c2qf-rxjj-qqgw warning package-lock.json:2001 suppressed(not_affected: vulnerable_code_not_in_execute_path)",
				"GHSA-3h5v-q93c-6h6q error package-lock.json:1412 packages/cli/package-lock.json:88",
				"GHSA-aaaa-bbbb-cccc note package-lock.json:1412 packages/cli/package-lock.json:88",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := SARIF(&buf, scanResult(), tt.opts); err != nil {
				t.Fatal(err)
			}
			schematest.Validate(t, schematest.SARIF210, "scan SARIF", buf.Bytes())
			if diff := cmp.Diff(tt.want, sarifResults(t, buf.Bytes())); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}
