// Package match finds the OSV advisories that affect the packages of an
// SBOM: exact matching as the OSV specification defines it
// (https://ossf.github.io/osv-schema/#evaluation), alias grouping into one
// finding, malicious-package reports, severities from CVSS vectors and the
// fixed versions and smallest upgrade of each package.
//
// A package that cannot be checked (no version, an ecosystem without a
// version ordering or without imported data, a version its ecosystem cannot
// parse, an advisory range that cannot be evaluated) is reported in
// Result.Unchecked: it is never counted as clean.
package match

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/distro"
	"github.com/hallmark-dev/hallmark/internal/osv"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/version"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// Source is the advisory index; *vulndb.DB implements it.
type Source interface {
	Lookup(eco, name string) ([]vulndb.Record, bool, error)
	Advisory(eco string, r vulndb.Record) (*osv.Entry, error)
}

// Properties the OS catalogers set (internal/catalog/dpkg and others):
// the source package an installed binary package was built from, and its
// version. Matching uses them.
const (
	PropOSSource        = "hallmark:os:source"
	PropOSSourceVersion = "hallmark:os:source-version"
)

// Kind says what a finding is.
type Kind string

// Kinds of finding.
const (
	Vulnerability Kind = "vulnerability"
	Malicious     Kind = "malicious"
)

// Status is a finding's VEX status (https://openvex.dev/ns, CycloneDX
// analysis states map onto these four).
type Status string

// Statuses.
const (
	StatusAffected           Status = "affected"
	StatusNotAffected        Status = "not_affected"
	StatusFixed              Status = "fixed"
	StatusUnderInvestigation Status = "under_investigation"
)

// Suppressed reports whether a status removes the finding from the gate.
func (s Status) Suppressed() bool { return s == StatusNotAffected || s == StatusFixed }

// Advisory is one matched OSV record.
type Advisory struct {
	ID         string          `json:"id"`
	Aliases    []string        `json:"aliases,omitempty"`
	Modified   string          `json:"modified,omitempty"`
	Published  string          `json:"published,omitempty"`
	Summary    string          `json:"summary,omitempty"`
	Details    string          `json:"details,omitempty"`
	Severity   Severity        `json:"severity"`
	References []osv.Reference `json:"references,omitempty"`
	// Fixed lists the versions that end the ranges this package's version
	// falls in.
	Fixed     []string       `json:"fixed,omitempty"`
	Malicious bool           `json:"malicious,omitempty"`
	Affected  []osv.Affected `json:"-"`
	Ecosystem string         `json:"-"`
}

// Finding is one problem of one package: the advisories that are aliases
// of each other, grouped.
type Finding struct {
	// PackageID is the package's ID in the document.
	PackageID string `json:"package"`
	// ID is the group's primary id (a MAL- id for malicious packages, else
	// the first matched advisory id, preferring non-CVE database ids).
	ID string `json:"id"`
	// Aliases are every other id of the group, matched or named as alias.
	Aliases    []string   `json:"aliases,omitempty"`
	Kind       Kind       `json:"kind"`
	Summary    string     `json:"summary,omitempty"`
	Severity   Severity   `json:"severity"`
	Fixed      []string   `json:"fixed,omitempty"`
	Advisories []Advisory `json:"advisories"`
	// Status and the VEX fields are set by package vex; the zero status
	// means affected.
	Status        Status `json:"status"`
	Justification string `json:"justification,omitempty"`
	StatusDetail  string `json:"statusDetail,omitempty"`
	StatusSource  string `json:"statusSource,omitempty"`
	// Possible, when set, says the package is only possibly affected, and
	// why: a GitHub Action used by a moving tag (@v4) matches when any
	// release of that line is affected, since which one the tag names today
	// is unknown offline. Its Status is then under_investigation (in_triage
	// in CycloneDX), StatusDetail the same note. It counts at the gate like
	// any finding.
	Possible string `json:"possible,omitempty"`
}

// IDs returns the primary id followed by the aliases.
func (f *Finding) IDs() []string { return append([]string{f.ID}, f.Aliases...) }

// Unchecked is a package, or a package against one advisory, that could
// not be checked.
type Unchecked struct {
	PackageID string `json:"package"`
	Reason    string `json:"reason"`
}

// Result is the outcome of matching a document.
type Result struct {
	Document  *sbom.Document `json:"-"`
	Findings  []Finding      `json:"findings"`
	Unchecked []Unchecked    `json:"unchecked"`
	// Upgrades maps a package ID with active findings to the smallest
	// version that fixes every one of them that has a fix, "" when none
	// has (see UpgradeLeaves and UpgradeFor).
	Upgrades map[string]string `json:"upgrades"`
	// UpgradeLeaves maps a package ID to the ids of its active findings
	// that its upgrade does not fix (no fixed version is known for them),
	// when it has an upgrade.
	UpgradeLeaves map[string][]string `json:"upgradeLeaves,omitempty"`
	// Checked counts packages that were checked.
	Checked int `json:"checked"`
	// Local lists packages that are part of the project itself: a workspace
	// member or local path without a version of its own. They are not
	// third-party components, no advisory database can name them, and they
	// are neither checked nor counted as unchecked.
	Local []string `json:"local"`
	// SDK lists the packages an SDK provides (Flutter's and Dart's in
	// pubspec.lock), with the version they were matched at and why; those
	// without one are here, not in Unchecked.
	SDK []SDKPackage `json:"sdk,omitempty"`
	// Ecosystems lists the ecosystems the document's packages belong to
	// with their data's metadata (empty Source when not imported).
	Ecosystems []vulndb.EcosystemMeta `json:"-"`

	ranges map[string][]matched // package ID -> matched advisories, for upgrades
}

type matched struct {
	id  string
	eco string
	aff []osv.Affected
}

type lookupKey struct{ eco, name string }

type lookup struct {
	recs []vulndb.Record
	ok   bool
	err  error
}

// Match matches every package of doc against src.
func Match(doc *sbom.Document, src Source) (*Result, error) {
	res := &Result{Document: doc, Upgrades: map[string]string{}, ranges: map[string][]matched{}}
	cache := map[lookupKey]lookup{}
	entries := map[string]*osv.Entry{}
	for i := range doc.Packages {
		p := &doc.Packages[i]
		unchecked := func(format string, args ...any) {
			res.Unchecked = append(res.Unchecked, Unchecked{p.ID, fmt.Sprintf(format, args...)})
		}
		eco := string(p.Ecosystem)
		if eco == "" {
			unchecked("no ecosystem")
			continue
		}
		if !version.Supported(eco) {
			unchecked("ecosystem %q has no OSV version ordering", eco)
			continue
		}
		pv, sdk := p.Version, sdkProvided(p)
		name := p.Name
		// OS packages are matched by their source package: Debian's,
		// Ubuntu's and the RPM distributions' advisories name those.
		if src := p.Properties[PropOSSource]; src != "" {
			name = src
			if sv := p.Properties[PropOSSourceVersion]; sv != "" {
				pv = sv
			}
		}
		if sdk != nil {
			res.SDK = append(res.SDK, *sdk)
			if sdk.Version == "" {
				continue // listed as SDK-provided, never as a third-party "no version"
			}
			pv = sdk.Version
		}
		if pv == "" {
			if p.SourceKind == "path" || p.SourceKind == "link" {
				res.Local = append(res.Local, p.ID)
				continue
			}
			unchecked("no version")
			continue
		}
		var line *releaseLine
		if eco == version.EcosystemActions {
			var reason string
			if line, reason = actionsRef(p, pv); reason != "" {
				unchecked("%s", reason)
				continue
			}
		}
		raw := version.Canonical(eco, pv)
		v, err := version.Strict(eco, raw)
		if err != nil {
			unchecked("version: %v", err)
			continue
		}
		k := lookupKey{osv.BaseEcosystem(eco), vulndb.NormalizeName(eco, name)}
		l, ok := cache[k]
		if !ok {
			l.recs, l.ok, l.err = src.Lookup(k.eco, name)
			cache[k] = l
		}
		if l.err != nil {
			return nil, l.err
		}
		if !l.ok {
			unchecked("no vulnerability data for ecosystem %s (run: hallmark db update --ecosystem %q)", k.eco, k.eco)
			continue
		}
		res.Checked++
		var advs []Advisory
		for _, r := range l.recs {
			if r.Withdrawn {
				continue
			}
			aff := sameEcosystem(r.Affected, eco)
			if len(aff) == 0 {
				continue
			}
			hit, fixed, err := affects(r.ID, eco, aff, raw, v)
			if line != nil {
				hit, fixed, err = line.affects(r.ID, eco, aff)
			}
			if err != nil {
				unchecked("%v", err)
				continue
			}
			if !hit {
				continue
			}
			e, ok := entries[k.eco+"\x00"+r.ID]
			if !ok {
				e, err = src.Advisory(k.eco, r)
				if err != nil {
					return nil, err
				}
				entries[k.eco+"\x00"+r.ID] = e
			}
			advs = append(advs, Advisory{
				ID: e.ID, Aliases: e.Aliases, Modified: e.Modified, Published: e.Published,
				Summary: summary(e), Details: e.Details, Severity: severityOf(e, aff),
				References: e.References, Fixed: fixed, Malicious: e.IsMalicious(),
				Affected: aff, Ecosystem: eco,
			})
			res.ranges[p.ID] = append(res.ranges[p.ID], matched{e.ID, eco, aff})
		}
		fs := group(p.ID, advs)
		if line != nil {
			// OpenVEX and CycloneDX say it as under_investigation / in_triage.
			for i := range fs {
				fs[i].Possible = line.note
				fs[i].Status, fs[i].StatusDetail = StatusUnderInvestigation, line.note
			}
		}
		res.Findings = append(res.Findings, fs...)
	}
	sortFindings(res)
	res.ComputeUpgrades()
	return res, nil
}

// sameEcosystem keeps the affected entries that apply to the package's
// ecosystem (distro.Applies): the same name; for a package without a
// release suffix, the same base; the repositories and modules of its
// release for Red Hat and SUSE.
func sameEcosystem(aff []osv.Affected, eco string) []osv.Affected {
	var out []osv.Affected
	for _, a := range aff {
		if distro.Applies(a.Package.Ecosystem, eco) {
			out = append(out, a)
		}
	}
	return out
}

func summary(e *osv.Entry) string {
	if e.Summary != "" {
		return e.Summary
	}
	d := strings.TrimSpace(e.Details)
	if i := strings.IndexAny(d, "\n"); i >= 0 {
		d = d[:i]
	}
	if len(d) > 120 {
		d = d[:117] + "..."
	}
	return d
}

// group merges advisories that name each other (by id or shared alias)
// into one finding each.
func group(pkgID string, advs []Advisory) []Finding {
	n := len(advs)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, a := range advs {
		for _, id := range append([]string{a.ID}, a.Aliases...) {
			if j, ok := owner[id]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[id] = i
			}
		}
	}
	groups := map[int][]Advisory{}
	var roots []int
	for i := range advs {
		r := find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], advs[i])
	}
	var out []Finding
	for _, r := range roots {
		g := groups[r]
		slices.SortFunc(g, func(a, b Advisory) int {
			return cmp.Or(cmp.Compare(idRank(a.ID), idRank(b.ID)), cmp.Compare(a.ID, b.ID))
		})
		f := Finding{PackageID: pkgID, ID: g[0].ID, Kind: Vulnerability, Advisories: g, Status: StatusAffected}
		ids := map[string]bool{f.ID: true}
		for _, a := range g {
			for _, id := range append([]string{a.ID}, a.Aliases...) {
				if !ids[id] {
					ids[id] = true
					f.Aliases = append(f.Aliases, id)
				}
			}
			if a.Malicious {
				f.Kind = Malicious
			}
			if f.Summary == "" {
				f.Summary = a.Summary
			}
			if better(a.Severity, f.Severity) {
				f.Severity = a.Severity
			}
			for _, v := range a.Fixed {
				if !slices.Contains(f.Fixed, v) {
					f.Fixed = append(f.Fixed, v)
				}
			}
		}
		slices.SortFunc(f.Aliases, func(a, b string) int { return cmp.Or(cmp.Compare(idRank(a), idRank(b)), cmp.Compare(a, b)) })
		if f.Kind == Malicious && !strings.HasPrefix(f.ID, "MAL-") {
			for i, id := range f.Aliases {
				if strings.HasPrefix(id, "MAL-") {
					f.Aliases[i] = f.ID
					f.ID = id
					break
				}
			}
		}
		out = append(out, f)
	}
	return out
}

// idRank orders ids for display: malicious-package ids, then the
// databases' own ids (GHSA, GO, PYSEC, RUSTSEC, ...), then CVE.
func idRank(id string) int {
	switch {
	case strings.HasPrefix(id, "MAL-"):
		return 0
	case strings.HasPrefix(id, "CVE-"):
		return 2
	}
	return 1
}

func better(a, b Severity) bool {
	if a.Level != b.Level {
		return a.Level > b.Level
	}
	return a.Score > b.Score
}

func sortFindings(res *Result) {
	order := map[string]int{}
	for i, p := range res.Document.Packages {
		order[p.ID] = i
	}
	slices.SortStableFunc(res.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(order[a.PackageID], order[b.PackageID]),
			-cmp.Compare(btoi(a.Kind == Malicious), btoi(b.Kind == Malicious)),
			-cmp.Compare(a.Severity.Level, b.Severity.Level), cmp.Compare(a.ID, b.ID))
	})
}

// Active returns the findings not suppressed by VEX.
func (r *Result) Active() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if !f.Status.Suppressed() {
			out = append(out, f)
		}
	}
	return out
}

// Fails reports whether an active finding is at or above the threshold.
// Malicious packages and findings of unknown severity fail at every
// threshold: the absence of a score is no evidence of harmlessness.
func (r *Result) Fails(threshold Level) bool {
	for _, f := range r.Active() {
		if f.Kind == Malicious || f.Severity.Level == Unknown || f.Severity.Level >= threshold {
			return true
		}
	}
	return false
}
