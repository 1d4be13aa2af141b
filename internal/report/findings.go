package report

import (
	"cmp"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// ScanJSONSchema identifies the JSON scan report format; it changes only
// when a field changes meaning or disappears (new fields may be added).
const ScanJSONSchema = "https://hallmark.dev/schemas/scan/v1"

// ScanReport is hallmark's JSON scan report (-o json). It is stable:
//
//	schema       ScanJSONSchema
//	source       what was scanned, as given
//	created      when the scan ran (RFC 3339)
//	database     per ecosystem of the scanned packages: name, source,
//	             fetchedAt, advisories ("imported": false when none)
//	summary      counts: packages, checked, unchecked, findings (active),
//	             suppressed, malicious, and per severity level
//	packages     one entry per package with at least one finding:
//	             id (purl), name, version, ecosystem, locations, upgrade
//	             (smallest version fixing every active finding that has a
//	             fix, "" if none has), upgradeLeaves (ids of the findings
//	             that upgrade leaves unfixed; absent when it fixes all)
//	findings     one per package and alias group: package (id), id,
//	             aliases, kind ("vulnerability" | "malicious"), summary,
//	             severity {level, score, vector, source}, fixed,
//	             advisories [{id, aliases, modified, published, summary,
//	             severity, references, fixed, malicious}], status
//	             ("affected", "not_affected", "fixed", "under_investigation"),
//	             justification, statusDetail, statusSource
//	unchecked    packages (or package/advisory pairs) that could not be
//	             checked: package (id), name, version, ecosystem, reason
//	sdk          packages an SDK provides (Flutter/Dart in pubspec.lock):
//	             package (id), name, ecosystem, sdk, version (matched at;
//	             absent when not checked), lowerBound (version is only the
//	             least the lockfile allows), reason
type ScanReport struct {
	Schema    string          `json:"schema"`
	Source    string          `json:"source"`
	Created   time.Time       `json:"created"`
	Database  []DatabaseInfo  `json:"database"`
	Summary   Summary         `json:"summary"`
	Packages  []PackageInfo   `json:"packages"`
	Findings  []match.Finding `json:"findings"`
	Unchecked []UncheckedInfo `json:"unchecked"`
	SDK       []SDKInfo       `json:"sdk"`
}

// SDKInfo is a package an SDK provides, and how it was matched.
type SDKInfo struct {
	Package    string `json:"package"`
	Name       string `json:"name"`
	Ecosystem  string `json:"ecosystem"`
	SDK        string `json:"sdk"`
	Version    string `json:"version,omitempty"`
	LowerBound bool   `json:"lowerBound,omitempty"`
	Reason     string `json:"reason"`
}

// DatabaseInfo describes the data one ecosystem was matched against.
type DatabaseInfo struct {
	Ecosystem  string    `json:"ecosystem"`
	Imported   bool      `json:"imported"`
	Source     string    `json:"source,omitempty"`
	FetchedAt  time.Time `json:"fetchedAt,omitzero"`
	Advisories int       `json:"advisories"`
}

// Summary counts a scan's results.
type Summary struct {
	Packages   int            `json:"packages"`
	Checked    int            `json:"checked"`
	Unchecked  int            `json:"unchecked"`
	SDK        int            `json:"sdk"`
	Local      int            `json:"local"`
	Findings   int            `json:"findings"`
	Suppressed int            `json:"suppressed"`
	Malicious  int            `json:"malicious"`
	BySeverity map[string]int `json:"bySeverity"`
	// Possible counts the findings that are only possibly affected (a
	// GitHub Action by a moving tag); they are among Findings.
	Possible int `json:"possible,omitempty"`
}

// PackageInfo is a package with findings.
type PackageInfo struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Version   string          `json:"version"`
	Ecosystem string          `json:"ecosystem"`
	Locations []sbom.Location `json:"locations"`
	Upgrade   string          `json:"upgrade"`
	// UpgradeLeaves are the findings Upgrade does not fix (no fixed
	// version is known for them).
	UpgradeLeaves []string `json:"upgradeLeaves,omitempty"`
}

// UncheckedInfo is a package that could not be checked.
type UncheckedInfo struct {
	Package   string `json:"package"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	Ecosystem string `json:"ecosystem"`
	Reason    string `json:"reason"`
}

// NewScanReport assembles the JSON report of a match result.
func NewScanReport(res *match.Result, created time.Time) *ScanReport {
	doc := res.Document
	r := &ScanReport{Schema: ScanJSONSchema, Source: doc.Source, Created: created,
		Findings: res.Findings, Packages: []PackageInfo{}, Unchecked: []UncheckedInfo{}, SDK: []SDKInfo{}, Database: []DatabaseInfo{}}
	if r.Findings == nil {
		r.Findings = []match.Finding{}
	}
	for _, m := range res.Ecosystems {
		r.Database = append(r.Database, DatabaseInfo{Ecosystem: m.Name, Imported: m.Source != "", Source: m.Source, FetchedAt: m.FetchedAt, Advisories: m.Advisories})
	}
	r.Summary = Summarize(res)
	seen := map[string]bool{}
	for _, f := range res.Findings {
		if seen[f.PackageID] {
			continue
		}
		seen[f.PackageID] = true
		p := doc.Package(f.PackageID)
		locs := p.Locations
		if locs == nil {
			locs = []sbom.Location{} // a list, never null (a package read from an SBOM has none)
		}
		r.Packages = append(r.Packages, PackageInfo{ID: p.ID, Name: p.Name, Version: p.Version, Ecosystem: string(p.Ecosystem), Locations: locs, Upgrade: res.Upgrades[p.ID], UpgradeLeaves: res.UpgradeLeaves[p.ID]})
	}
	for _, s := range res.SDK {
		p := doc.Package(s.PackageID)
		r.SDK = append(r.SDK, SDKInfo{Package: s.PackageID, Name: p.Name, Ecosystem: string(p.Ecosystem), SDK: s.SDK, Version: s.Version, LowerBound: s.LowerBound, Reason: s.Reason})
	}
	for _, u := range res.Unchecked {
		p := doc.Package(u.PackageID)
		r.Unchecked = append(r.Unchecked, UncheckedInfo{Package: u.PackageID, Name: p.Name, Version: p.Version, Ecosystem: string(p.Ecosystem), Reason: u.Reason})
	}
	return r
}

// Summarize counts a result.
func Summarize(res *match.Result) Summary {
	s := Summary{Packages: len(res.Document.Packages), Checked: res.Checked, Local: len(res.Local), SDK: len(res.SDK), BySeverity: map[string]int{}}
	un := map[string]bool{}
	for _, u := range res.Unchecked {
		un[u.PackageID] = true
	}
	s.Unchecked = len(un)
	for _, f := range res.Findings {
		if f.Status.Suppressed() {
			s.Suppressed++
			continue
		}
		s.Findings++
		if f.Kind == match.Malicious {
			s.Malicious++
		}
		if f.Possible != "" {
			s.Possible++
		}
		s.BySeverity[f.Severity.Level.String()]++
	}
	return s
}

// ScanJSON writes the JSON scan report.
func ScanJSON(w io.Writer, res *match.Result, created time.Time) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewScanReport(res, created))
}

// EcosystemsOf lists, sorted, the base OSV ecosystems of a document's
// packages with the index metadata of each (zero Source when none).
func EcosystemsOf(doc *sbom.Document, db interface {
	Ecosystem(string) (vulndb.EcosystemMeta, bool)
}) []vulndb.EcosystemMeta {
	var names []string
	for _, p := range doc.Packages {
		e := string(p.Ecosystem)
		if i := strings.IndexByte(e, ':'); i >= 0 {
			e = e[:i]
		}
		if e != "" && !slices.Contains(names, e) {
			names = append(names, e)
		}
	}
	slices.SortFunc(names, cmp.Compare)
	var out []vulndb.EcosystemMeta
	for _, n := range names {
		m, ok := db.Ecosystem(n)
		if !ok {
			m = vulndb.EcosystemMeta{Name: n}
		}
		out = append(out, m)
	}
	return out
}
