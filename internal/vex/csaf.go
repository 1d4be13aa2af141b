package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"

	"github.com/hallmark-dev/hallmark/internal/match"
)

// This file writes CSAF 2.0 documents of the VEX profile (csaf_vex,
// https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html section
// 4.5): one product's releases, the components the findings are in, and per
// vulnerability the status of every component in every release.
//
// The product tree is vendor (the publisher) -> product name -> product
// version for the releases, the components as full product names with
// their purl as product identification helper, and a default_component_of
// relationship per (component, release) pair: its product ID is what the
// product status lists, so that "ws 7.5.9 in app 1.2.0 is not affected"
// says which release and which component. Untriaged findings are
// known_affected, as the OpenVEX and CycloneDX exports say.
//
// The document is a function of its input: tracking dates and the
// revision history are derived from the times the input carries (a
// release recorded, a finding first seen or resolved, a triage statement),
// never from the clock, so the same store state gives the same bytes.

// CSAFVersion is the CSAF version written.
const CSAFVersion = "2.0"

// ErrNoVulnerabilities reports input without any open finding: a csaf_vex
// document needs at least one vulnerability (CSAF 2.0 6.1.27.11).
var ErrNoVulnerabilities = errors.New("no vulnerabilities: a CSAF VEX document needs at least one")

// CSAFPublisher is the document's publisher (CSAF 2.0 3.2.1.8).
type CSAFPublisher struct {
	// Name of the supplier, e.g. "Example Corp".
	Name string
	// Namespace is a URL the supplier controls, e.g. https://example.com.
	Namespace string
	// Category is vendor (the default), coordinator, discoverer, other,
	// translator or user.
	Category string
	// ContactDetails, optional: how to reach the supplier's PSIRT.
	ContactDetails string
}

// CSAFInput is what a CSAF VEX document says.
type CSAFInput struct {
	Publisher CSAFPublisher
	// Product is the product's name.
	Product string
	// TrackingID is the document id; "" derives one from the product and
	// the releases' versions.
	TrackingID string
	// Engine is the generator's version ("" leaves it out).
	EngineVersion string
	// BaseURL, when set, is the https URL of the directory the document
	// is published in (a CSAF provider's white/ directory): the document's
	// canonical URL is BaseURL/YYYY/CSAFFilename(id), its "self" reference.
	BaseURL  string
	Releases []CSAFRelease
}

// CSAFRelease is one release of the product with its findings.
type CSAFRelease struct {
	Version string
	// Recorded is when the release was recorded: the first revision.
	Recorded time.Time
	Findings []CSAFFinding
}

// CSAFFinding is one vulnerability in one component of a release.
type CSAFFinding struct {
	// Vulnerability is the advisory id (OSV, GHSA, CVE, ...), Aliases its
	// other ids.
	Vulnerability string
	Aliases       []string
	Component     CSAFComponent
	Summary       string
	// Severity is the advisory database's level (LOW ... CRITICAL) and
	// Score its CVSS base score when known.
	Severity string
	Score    float64
	// CVSSVector is the advisory's CVSS v3.0 or v3.1 vector, when known
	// (others, v4.0 included, are not in CSAF 2.0 and are left out).
	CVSSVector string
	// ComponentFixed are the component versions with the fix.
	ComponentFixed []string
	FirstSeen      time.Time
	// Resolved is when the finding stopped matching (advisory withdrawn
	// or changed); a resolved finding is history only.
	Resolved *time.Time
	// Triage is the finding's VEX history, oldest first; the last one is
	// its status. Empty: untriaged.
	Triage []Triage
}

// CSAFComponent is a package of a release.
type CSAFComponent struct {
	// Ref is the package's purl, or its SBOM id when it has none: the key
	// findings and triage use.
	Ref           string
	Name, Version string
	PURL          string
}

// Triage is one VEX statement of a finding's history.
type Triage struct {
	Status        match.Status
	Justification string
	Detail        string
	// FixedIn is the product version that ships the fix, when known.
	FixedIn string
	Author  string
	At      time.Time
}

// The document, as far as hallmark writes it (field order is the schema's).
type csafDoc struct {
	Document        csafDocument `json:"document"`
	ProductTree     *csafTree    `json:"product_tree,omitempty"`
	Vulnerabilities []csafVuln   `json:"vulnerabilities,omitempty"`
}

type csafDocument struct {
	Category     string            `json:"category"`
	CSAFVersion  string            `json:"csaf_version"`
	Distribution *csafDistribution `json:"distribution,omitempty"`
	Lang         string            `json:"lang,omitempty"`
	Notes        []csafNote        `json:"notes,omitempty"`
	Publisher    csafPublisher     `json:"publisher"`
	References   []csafRef         `json:"references,omitempty"`
	Title        string            `json:"title"`
	Tracking     csafTracking      `json:"tracking"`
}

type csafDistribution struct {
	Text string   `json:"text,omitempty"`
	TLP  *csafTLP `json:"tlp,omitempty"`
}

type csafTLP struct {
	Label string `json:"label"`
	URL   string `json:"url,omitempty"`
}

type csafNote struct {
	Audience string `json:"audience,omitempty"`
	Category string `json:"category"`
	Text     string `json:"text"`
	Title    string `json:"title,omitempty"`
}

type csafPublisher struct {
	Category       string `json:"category"`
	ContactDetails string `json:"contact_details,omitempty"`
	Name           string `json:"name"`
	Namespace      string `json:"namespace"`
}

type csafRef struct {
	Category string `json:"category,omitempty"`
	Summary  string `json:"summary"`
	URL      string `json:"url"`
}

type csafTracking struct {
	CurrentReleaseDate string         `json:"current_release_date"`
	Generator          *csafGenerator `json:"generator,omitempty"`
	ID                 string         `json:"id"`
	InitialReleaseDate string         `json:"initial_release_date"`
	RevisionHistory    []csafRevision `json:"revision_history"`
	Status             string         `json:"status"`
	Version            string         `json:"version"`
}

type csafGenerator struct {
	Date   string     `json:"date,omitempty"`
	Engine csafEngine `json:"engine"`
}

type csafEngine struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

type csafRevision struct {
	Date    string `json:"date"`
	Number  string `json:"number"`
	Summary string `json:"summary"`
}

type csafTree struct {
	Branches         []csafBranch       `json:"branches,omitempty"`
	FullProductNames []csafProduct      `json:"full_product_names,omitempty"`
	ProductGroups    []csafGroup        `json:"product_groups,omitempty"`
	Relationships    []csafRelationship `json:"relationships,omitempty"`
}

type csafBranch struct {
	Branches []csafBranch `json:"branches,omitempty"`
	Category string       `json:"category"`
	Name     string       `json:"name"`
	Product  *csafProduct `json:"product,omitempty"`
}

type csafProduct struct {
	Name      string      `json:"name"`
	ProductID string      `json:"product_id"`
	Helper    *csafHelper `json:"product_identification_helper,omitempty"`
}

type csafHelper struct {
	CPE  string `json:"cpe,omitempty"`
	PURL string `json:"purl,omitempty"`
}

type csafGroup struct {
	GroupID    string   `json:"group_id"`
	ProductIDs []string `json:"product_ids"`
	Summary    string   `json:"summary,omitempty"`
}

type csafRelationship struct {
	Category                  string      `json:"category"`
	FullProductName           csafProduct `json:"full_product_name"`
	ProductReference          string      `json:"product_reference"`
	RelatesToProductReference string      `json:"relates_to_product_reference"`
}

type csafVuln struct {
	CVE           string            `json:"cve,omitempty"`
	Flags         []csafFlag        `json:"flags,omitempty"`
	IDs           []csafID          `json:"ids,omitempty"`
	Notes         []csafNote        `json:"notes,omitempty"`
	ProductStatus *csafStatus       `json:"product_status,omitempty"`
	References    []csafRef         `json:"references,omitempty"`
	Remediations  []csafRemediation `json:"remediations,omitempty"`
	Scores        []csafScore       `json:"scores,omitempty"`
	Threats       []csafThreat      `json:"threats,omitempty"`
	Title         string            `json:"title,omitempty"`
}

type csafFlag struct {
	Date       string   `json:"date,omitempty"`
	GroupIDs   []string `json:"group_ids,omitempty"`
	Label      string   `json:"label"`
	ProductIDs []string `json:"product_ids,omitempty"`
}

type csafID struct {
	SystemName string `json:"system_name"`
	Text       string `json:"text"`
}

type csafStatus struct {
	FirstAffected      []string `json:"first_affected,omitempty"`
	FirstFixed         []string `json:"first_fixed,omitempty"`
	Fixed              []string `json:"fixed,omitempty"`
	KnownAffected      []string `json:"known_affected,omitempty"`
	KnownNotAffected   []string `json:"known_not_affected,omitempty"`
	LastAffected       []string `json:"last_affected,omitempty"`
	Recommended        []string `json:"recommended,omitempty"`
	UnderInvestigation []string `json:"under_investigation,omitempty"`
}

type csafRemediation struct {
	Category   string   `json:"category"`
	Date       string   `json:"date,omitempty"`
	Details    string   `json:"details"`
	GroupIDs   []string `json:"group_ids,omitempty"`
	ProductIDs []string `json:"product_ids,omitempty"`
	URL        string   `json:"url,omitempty"`
}

type csafScore struct {
	CVSSV3   *csafCVSS3 `json:"cvss_v3,omitempty"`
	Products []string   `json:"products"`
}

// csafCVSS3 is the part of FIRST's CVSS v3 JSON schema hallmark writes:
// the base score as the vector computes it.
type csafCVSS3 struct {
	Version      string  `json:"version"`
	VectorString string  `json:"vectorString"`
	BaseScore    float64 `json:"baseScore"`
	BaseSeverity string  `json:"baseSeverity"`
}

// cvss3 reads a CVSS v3.0 or v3.1 vector with github.com/pandatix/go-cvss
// (as package match scores it); ok is false for anything else.
func cvss3(vector string) (c csafCVSS3, ok bool) {
	switch {
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		v, err := gocvss31.ParseVector(vector)
		if err != nil {
			return c, false
		}
		c = csafCVSS3{Version: "3.1", VectorString: v.Vector(), BaseScore: v.BaseScore()}
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		v, err := gocvss30.ParseVector(vector)
		if err != nil {
			return c, false
		}
		c = csafCVSS3{Version: "3.0", VectorString: v.Vector(), BaseScore: v.BaseScore()}
	default:
		return c, false
	}
	switch s := c.BaseScore; {
	case s == 0:
		c.BaseSeverity = "NONE"
	case s < 4:
		c.BaseSeverity = "LOW"
	case s < 7:
		c.BaseSeverity = "MEDIUM"
	case s < 9:
		c.BaseSeverity = "HIGH"
	default:
		c.BaseSeverity = "CRITICAL"
	}
	return c, true
}

type csafThreat struct {
	Category   string   `json:"category"`
	Date       string   `json:"date,omitempty"`
	Details    string   `json:"details"`
	GroupIDs   []string `json:"group_ids,omitempty"`
	ProductIDs []string `json:"product_ids,omitempty"`
}

// csafFlagLabels maps the OpenVEX justifications (which are CSAF's flag
// labels, CSAF 2.0 3.2.3.5) and the CycloneDX ones to a CSAF flag label.
// CycloneDX's requires_configuration, requires_dependency and
// requires_environment have no CSAF label: their statement is the impact
// threat alone.
var csafFlagLabels = map[string]string{
	"component_not_present":                             "component_not_present",
	"vulnerable_code_not_present":                       "vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path":               "vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary": "vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist":                  "inline_mitigations_already_exist",
	"code_not_present":                                  "vulnerable_code_not_present",
	"code_not_reachable":                                "vulnerable_code_not_in_execute_path",
	"protected_by_compiler":                             "inline_mitigations_already_exist",
	"protected_at_runtime":                              "inline_mitigations_already_exist",
	"protected_by_mitigating_control":                   "inline_mitigations_already_exist",
	"protected_at_perimeter":                            "vulnerable_code_cannot_be_controlled_by_adversary",
}

// csafJustifications are CSAF's VEX justification flag labels.
var csafJustifications = map[string]bool{
	"component_not_present": true, "vulnerable_code_not_present": true, "vulnerable_code_not_in_execute_path": true,
	"vulnerable_code_cannot_be_controlled_by_adversary": true, "inline_mitigations_already_exist": true,
}

// justificationText says in words what a justification label means, for
// the impact threat every not-affected product gets.
var justificationText = map[string]string{
	"component_not_present":                             "The vulnerable component is not in the product.",
	"vulnerable_code_not_present":                       "The code underlying the vulnerability is not present in the product.",
	"vulnerable_code_not_in_execute_path":               "The vulnerable code is not reachable when the product runs.",
	"vulnerable_code_cannot_be_controlled_by_adversary": "The vulnerable code cannot be controlled by an adversary.",
	"inline_mitigations_already_exist":                  "Built-in controls or mitigations prevent exploitation.",
	"requires_configuration":                            "Exploitation requires a configuration the product does not use.",
	"requires_dependency":                               "Exploitation requires a dependency the product does not have.",
	"requires_environment":                              "Exploitation requires an environment the product does not run in.",
}

var (
	cveRE  = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)
	purlRE = regexp.MustCompile(`^pkg:[A-Za-z\.\-\+][A-Za-z0-9\.\-\+]*/.+`)
)

// csafTime formats a time as CSAF's date-time (RFC 3339, UTC, milliseconds).
func csafTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// CSAFReleaseID, CSAFComponentID and CSAFProductID are the product IDs a
// document uses for a release, a component and the component in a release.
func CSAFReleaseID(product, version string) string { return "release:" + product + "@" + version }

// CSAFComponentID: see CSAFReleaseID.
func CSAFComponentID(ref string) string { return "component:" + ref }

// CSAFProductID: see CSAFReleaseID.
func CSAFProductID(product, version, ref string) string {
	return CSAFReleaseID(product, version) + "/" + CSAFComponentID(ref)
}

// CSAFTrackingID derives a document id from a product and its versions.
func CSAFTrackingID(product string, versions ...string) string {
	id := strings.Join(append([]string{"hallmark-vex", product}, versions...), "-")
	return strings.Join(strings.Fields(id), "_")
}

// CSAFFilename is the file name CSAF 2.0 section 5.1 gives a document:
// the tracking id in lower case, every run of characters other than
// +, - and [a-z0-9] replaced by one "_", and ".json".
func CSAFFilename(trackingID string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(trackingID) {
		if r == '+' || r == '-' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			under = false
		} else if !under {
			b.WriteByte('_')
			under = true
		}
	}
	return b.String() + ".json"
}

// CSAFPath is where a document lives in a CSAF provider's directory (CSAF
// 2.0 7.1.11): the year of its initial release date, then its file name.
func CSAFPath(trackingID, initialReleaseDate string) string {
	year := "0000"
	if len(initialReleaseDate) >= 4 {
		year = initialReleaseDate[:4]
	}
	return year + "/" + CSAFFilename(trackingID)
}

// WriteCSAF writes in as a CSAF 2.0 csaf_vex document (indented JSON). It
// returns ErrNoVulnerabilities when no release has an open finding.
func WriteCSAF(w io.Writer, in CSAFInput) error {
	b, _, err := EncodeCSAF(in)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// EncodeCSAF returns what WriteCSAF writes and what its tracking says.
func EncodeCSAF(in CSAFInput) ([]byte, CSAFTrack, error) {
	doc, err := buildCSAF(in)
	if err != nil {
		return nil, CSAFTrack{}, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, CSAFTrack{}, err
	}
	return b.Bytes(), trackOf(doc), nil
}

// CSAFTrack is what an index of documents lists about one.
type CSAFTrack struct {
	ID, Version                            string
	InitialReleaseDate, CurrentReleaseDate string
	// Path is CSAFPath of the document.
	Path string
}

func trackOf(doc *csafDoc) CSAFTrack {
	t := doc.Document.Tracking
	return CSAFTrack{ID: t.ID, Version: t.Version, InitialReleaseDate: t.InitialReleaseDate,
		CurrentReleaseDate: t.CurrentReleaseDate, Path: CSAFPath(t.ID, t.InitialReleaseDate)}
}

// vulnGroup is one CSAF vulnerability: advisories joined by shared ids.
type vulnGroup struct {
	ids      []string // every id, sorted
	findings []groupFinding
}

type groupFinding struct {
	release string // version
	f       *CSAFFinding
}

func buildCSAF(in CSAFInput) (*csafDoc, error) {
	if in.Product == "" {
		return nil, fmt.Errorf("CSAF: no product name")
	}
	pub := in.Publisher
	if pub.Category == "" {
		pub.Category = "vendor"
	}
	if pub.Name == "" || pub.Namespace == "" {
		return nil, fmt.Errorf("CSAF: the publisher needs a name and a namespace URL")
	}
	if u, err := url.Parse(pub.Namespace); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("CSAF: publisher namespace %q is not an absolute URL", pub.Namespace)
	}

	groups := groupVulns(in.Releases)
	if len(groups) == 0 {
		return nil, ErrNoVulnerabilities
	}

	var versions []string
	for _, r := range in.Releases {
		versions = append(versions, r.Version)
	}
	trackingID := in.TrackingID
	if trackingID == "" {
		trackingID = CSAFTrackingID(in.Product, versions...)
	}
	revisions := revisionHistory(in)
	doc := &csafDoc{Document: csafDocument{
		Category:     "csaf_vex",
		CSAFVersion:  CSAFVersion,
		Distribution: &csafDistribution{TLP: &csafTLP{Label: "WHITE", URL: "https://www.first.org/tlp/"}},
		Lang:         "en",
		Notes: []csafNote{{Category: "summary", Title: "About this document",
			Text: fmt.Sprintf("Vulnerability Exploitability eXchange (VEX) for %s %s: for each vulnerability known in a component of a release, whether that release is affected, not affected, fixed, or under investigation, and what to do.",
				in.Product, strings.Join(versions, ", "))},
			{Category: "general", Title: "How statuses are assigned",
				Text: "A vulnerability matched in a component and not yet assessed is listed as known_affected until the supplier's triage says otherwise."}},
		Publisher: csafPublisher{Category: pub.Category, ContactDetails: pub.ContactDetails, Name: pub.Name, Namespace: pub.Namespace},
		Title:     fmt.Sprintf("VEX for %s %s", in.Product, strings.Join(versions, ", ")),
		Tracking: csafTracking{
			ID:                 trackingID,
			RevisionHistory:    revisions,
			Status:             "final",
			Version:            revisions[len(revisions)-1].Number,
			InitialReleaseDate: revisions[0].Date,
			CurrentReleaseDate: revisions[len(revisions)-1].Date,
		},
	}}
	if in.BaseURL != "" {
		doc.Document.References = []csafRef{{Category: "self", Summary: "Canonical URL",
			URL: strings.TrimSuffix(in.BaseURL, "/") + "/" + CSAFPath(trackingID, revisions[0].Date)}}
	}
	doc.Document.Tracking.Generator = &csafGenerator{Date: doc.Document.Tracking.CurrentReleaseDate,
		Engine: csafEngine{Name: "hallmark", Version: in.EngineVersion}}
	doc.ProductTree = productTree(in, pub.Name)
	for _, g := range groups {
		doc.Vulnerabilities = append(doc.Vulnerabilities, vulnerability(in.Product, g))
	}
	return doc, nil
}

// current returns a finding's status: its last triage, or affected.
func (f *CSAFFinding) current() Triage {
	if len(f.Triage) == 0 {
		return Triage{Status: match.StatusAffected}
	}
	return f.Triage[len(f.Triage)-1]
}

// groupVulns joins the open findings whose ids overlap (GHSA-x aliasing
// CVE-1 and GO-y aliasing CVE-1 are one vulnerability) so that no CVE is
// used twice (CSAF 2.0 6.1.23).
func groupVulns(rels []CSAFRelease) []vulnGroup {
	parent := map[string]string{}
	find := func(x string) string {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	union := func(a, b string) {
		for _, x := range []string{a, b} {
			if _, ok := parent[x]; !ok {
				parent[x] = x
			}
		}
		ra, rb := find(a), find(b)
		if ra != rb {
			if rb < ra {
				ra, rb = rb, ra
			}
			parent[rb] = ra
		}
	}
	var open []groupFinding
	for i := range rels {
		for j := range rels[i].Findings {
			f := &rels[i].Findings[j]
			if f.Resolved != nil || f.Vulnerability == "" {
				continue
			}
			open = append(open, groupFinding{rels[i].Version, f})
			union(f.Vulnerability, f.Vulnerability)
			for _, a := range f.Aliases {
				if a != "" {
					union(f.Vulnerability, a)
				}
			}
		}
	}
	byRoot := map[string]*vulnGroup{}
	for _, gf := range open {
		r := find(gf.f.Vulnerability)
		g := byRoot[r]
		if g == nil {
			g = &vulnGroup{}
			byRoot[r] = g
		}
		g.findings = append(g.findings, gf)
	}
	for id := range parent {
		if g := byRoot[find(id)]; g != nil {
			g.ids = append(g.ids, id)
		}
	}
	var out []vulnGroup
	for _, g := range byRoot {
		sort.Strings(g.ids)
		sort.SliceStable(g.findings, func(i, j int) bool {
			a, b := g.findings[i], g.findings[j]
			if a.release != b.release {
				return a.release < b.release
			}
			return a.f.Component.Ref < b.f.Component.Ref
		})
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return groupKey(out[i]) < groupKey(out[j]) })
	return out
}

// groupKey orders vulnerabilities: by CVE when they have one, else by id.
func groupKey(g vulnGroup) string {
	if c := cves(g.ids); len(c) > 0 {
		return "0" + c[0]
	}
	return "1" + g.ids[0]
}

func cves(ids []string) []string {
	var out []string
	for _, id := range ids {
		if cveRE.MatchString(id) {
			out = append(out, id)
		}
	}
	return out
}

// idSystem names the numbering system of a vulnerability id.
func idSystem(id string) string {
	prefixes := []struct{ prefix, name string }{
		{"GHSA-", "GitHub Security Advisories"},
		{"GO-", "Go Vulnerability Database"},
		{"PYSEC-", "PyPI Advisory Database"},
		{"RUSTSEC-", "RustSec Advisory Database"},
		{"MAL-", "OpenSSF Malicious Packages"},
		{"DSA-", "Debian Security Advisories"},
		{"DLA-", "Debian LTS Advisories"},
		{"USN-", "Ubuntu Security Notices"},
		{"ALSA-", "AlmaLinux Security Advisories"},
		{"RLSA-", "Rocky Linux Security Advisories"},
		{"RHSA-", "Red Hat Security Advisories"},
		{"ALPINE-", "Alpine SecDB"},
	}
	for _, p := range prefixes {
		if strings.HasPrefix(id, p.prefix) {
			return p.name
		}
	}
	return "OSV"
}

func productTree(in CSAFInput, vendor string) *csafTree {
	t := &csafTree{}
	var versions []csafBranch
	comps := map[string]CSAFComponent{}
	type rel struct{ version, ref string }
	rels := map[rel]bool{}
	for _, r := range in.Releases {
		versions = append(versions, csafBranch{Category: "product_version", Name: r.Version,
			Product: &csafProduct{Name: in.Product + " " + r.Version, ProductID: CSAFReleaseID(in.Product, r.Version)}})
		for _, f := range r.Findings {
			if f.Resolved != nil || f.Vulnerability == "" {
				continue
			}
			if _, ok := comps[f.Component.Ref]; !ok {
				comps[f.Component.Ref] = f.Component
			}
			rels[rel{r.Version, f.Component.Ref}] = true
		}
	}
	t.Branches = []csafBranch{{Category: "vendor", Name: vendor, Branches: []csafBranch{
		{Category: "product_name", Name: in.Product, Branches: versions}}}}
	refs := make([]string, 0, len(comps))
	for ref := range comps {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		c := comps[ref]
		p := csafProduct{Name: componentName(c), ProductID: CSAFComponentID(ref)}
		if validPURL(c.PURL) {
			p.Helper = &csafHelper{PURL: c.PURL}
		}
		t.FullProductNames = append(t.FullProductNames, p)
	}
	for _, r := range in.Releases {
		for _, ref := range refs {
			if !rels[rel{r.Version, ref}] {
				continue
			}
			t.Relationships = append(t.Relationships, csafRelationship{
				Category: "default_component_of",
				FullProductName: csafProduct{Name: componentName(comps[ref]) + " in " + in.Product + " " + r.Version,
					ProductID: CSAFProductID(in.Product, r.Version, ref)},
				ProductReference:          CSAFComponentID(ref),
				RelatesToProductReference: CSAFReleaseID(in.Product, r.Version),
			})
		}
	}
	return t
}

func componentName(c CSAFComponent) string {
	n := strings.TrimSpace(c.Name + " " + c.Version)
	if n == "" {
		n = c.Ref
	}
	return n
}

// validPURL reports whether p passes the schema's purl checks (pattern and
// URI format); others are left out rather than making the document invalid.
func validPURL(p string) bool {
	if !purlRE.MatchString(p) || len(p) < 7 {
		return false
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "pkg"
}

func vulnerability(product string, g vulnGroup) csafVuln {
	v := csafVuln{}
	cs := cves(g.ids)
	if len(cs) > 0 {
		v.CVE = cs[0]
	}
	for _, id := range g.ids {
		if !cveRE.MatchString(id) {
			v.IDs = append(v.IDs, csafID{SystemName: idSystem(id), Text: id})
		}
		v.References = append(v.References, csafRef{Category: "external", Summary: id + " in the OSV database",
			URL: "https://osv.dev/vulnerability/" + url.PathEscape(id)})
	}
	// The first finding with a summary titles the vulnerability; the
	// highest score (else the first level given) is its severity.
	var summary, severity string
	var score float64
	for _, gf := range g.findings {
		f := gf.f
		if summary == "" && f.Summary != "" {
			summary = f.Summary
		}
		switch {
		case f.Score > score:
			severity, score = f.Severity, f.Score
		case severity == "" && score == 0:
			severity = f.Severity
		}
	}
	name := g.ids[0]
	if v.CVE != "" {
		name = v.CVE
	}
	v.Title = name
	if summary != "" {
		v.Title = name + ": " + summary
		v.Notes = append(v.Notes, csafNote{Category: "summary", Title: "Summary", Text: summary})
	}
	v.Notes = append(v.Notes, csafNote{Category: "description", Title: "Identifiers",
		Text: "Known as " + strings.Join(g.ids, ", ") + "."})
	if severity != "" && !strings.EqualFold(severity, "unknown") {
		text := "Severity in the advisory database: " + strings.ToUpper(severity)
		if score > 0 {
			text += fmt.Sprintf(" (CVSS base score %.1f)", score)
		}
		v.Notes = append(v.Notes, csafNote{Category: "general", Title: "Severity", Text: text + "."})
	}

	st := &csafStatus{}
	scores := map[string][]string{} // vector -> product ids, one vector per product (6.1.7)
	scored := map[string]bool{}
	flags := map[string][]string{}   // label -> product ids
	threats := map[string][]string{} // details -> product ids
	type remKey struct{ category, details string }
	rems := map[remKey][]string{}
	for _, gf := range g.findings {
		f := gf.f
		pid := CSAFProductID(product, gf.release, f.Component.Ref)
		cur := f.current()
		comp := componentName(f.Component)
		if _, ok := cvss3(f.CVSSVector); ok && !scored[pid] {
			scored[pid] = true
			scores[f.CVSSVector] = append(scores[f.CVSSVector], pid)
		}
		switch cur.Status {
		case match.StatusNotAffected:
			st.KnownNotAffected = append(st.KnownNotAffected, pid)
			if l, ok := csafFlagLabels[cur.Justification]; ok {
				flags[l] = append(flags[l], pid)
			}
			details := cur.Detail
			if details == "" {
				details = justificationText[cur.Justification]
				if details == "" {
					details = justificationText[csafFlagLabels[cur.Justification]]
				}
			}
			if details == "" {
				details = "The supplier assessed that " + comp + " in " + product + " " + gf.release + " cannot be exploited through this vulnerability."
			}
			threats[details] = append(threats[details], pid)
		case match.StatusFixed:
			st.Fixed = append(st.Fixed, pid)
		case match.StatusUnderInvestigation:
			st.UnderInvestigation = append(st.UnderInvestigation, pid)
			k := remKey{"none_available", "The supplier is investigating whether " + product + " is affected through " + comp + "; a later revision of this document will say."}
			rems[k] = append(rems[k], pid)
		default:
			st.KnownAffected = append(st.KnownAffected, pid)
			var k remKey
			switch {
			case cur.FixedIn != "":
				k = remKey{"vendor_fix", "Upgrade " + product + " to " + cur.FixedIn + " or later."}
			case len(f.ComponentFixed) > 0:
				k = remKey{"none_available", "No release of " + product + " with the fix yet. The vulnerable component " + comp +
					" is fixed in " + strings.Join(f.ComponentFixed, ", ") + "."}
			default:
				k = remKey{"none_available", "No fix is known yet for " + comp + "."}
			}
			rems[k] = append(rems[k], pid)
			if cur.Detail != "" {
				threats[cur.Detail] = append(threats[cur.Detail], pid)
			}
		}
	}
	for _, vec := range sortedKeys(scores) {
		c, _ := cvss3(vec)
		v.Scores = append(v.Scores, csafScore{CVSSV3: &c, Products: uniqueSorted(scores[vec])})
	}
	for _, l := range sortedKeys(flags) {
		v.Flags = append(v.Flags, csafFlag{Label: l, ProductIDs: uniqueSorted(flags[l])})
	}
	for _, d := range sortedKeys(threats) {
		v.Threats = append(v.Threats, csafThreat{Category: "impact", Details: d, ProductIDs: uniqueSorted(threats[d])})
	}
	remKeys := make([]remKey, 0, len(rems))
	for k := range rems {
		remKeys = append(remKeys, k)
	}
	sort.Slice(remKeys, func(i, j int) bool {
		if remKeys[i].category != remKeys[j].category {
			return remKeys[i].category < remKeys[j].category
		}
		return remKeys[i].details < remKeys[j].details
	})
	for _, k := range remKeys {
		v.Remediations = append(v.Remediations, csafRemediation{Category: k.category, Details: k.details, ProductIDs: uniqueSorted(rems[k])})
	}
	st.Fixed, st.KnownAffected = uniqueSorted(st.Fixed), uniqueSorted(st.KnownAffected)
	st.KnownNotAffected, st.UnderInvestigation = uniqueSorted(st.KnownNotAffected), uniqueSorted(st.UnderInvestigation)
	v.ProductStatus = st
	return v
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func uniqueSorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	sort.Strings(s)
	return slices.Compact(s)
}

// event is one thing that changed what the document says.
type event struct {
	at   time.Time
	text string
}

// maxRevisionSummary bounds the events one revision's summary spells out.
const maxRevisionSummary = 8

// revisionHistory derives one revision per distinct time at which the
// input changed: a release recorded, a finding first seen or resolved, a
// triage statement. Numbers are integers from 1 (CSAF 2.0 3.1.11.1).
func revisionHistory(in CSAFInput) []csafRevision {
	var evs []event
	for _, r := range in.Releases {
		if !r.Recorded.IsZero() {
			evs = append(evs, event{r.Recorded, "Release " + in.Product + " " + r.Version + " recorded."})
		}
		for _, f := range r.Findings {
			where := f.Vulnerability + " in " + componentName(f.Component) + " of " + r.Version
			if !f.FirstSeen.IsZero() && !f.FirstSeen.Equal(r.Recorded) {
				evs = append(evs, event{f.FirstSeen, "New: " + where + "."})
			}
			if f.Resolved != nil {
				evs = append(evs, event{*f.Resolved, "No longer applies: " + where + "."})
			}
			for _, t := range f.Triage {
				s := where + ": " + string(t.Status)
				if t.Justification != "" {
					s += " (" + t.Justification + ")"
				}
				if t.FixedIn != "" {
					s += ", fixed in " + t.FixedIn
				}
				evs = append(evs, event{t.At, s + "."})
			}
		}
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if !evs[i].at.Equal(evs[j].at) {
			return evs[i].at.Before(evs[j].at)
		}
		return evs[i].text < evs[j].text
	})
	var out []csafRevision
	for i := 0; i < len(evs); {
		j := i
		for j < len(evs) && csafTime(evs[j].at) == csafTime(evs[i].at) {
			j++
		}
		var texts []string
		for _, e := range evs[i:j] {
			if len(texts) == 0 || texts[len(texts)-1] != e.text {
				texts = append(texts, e.text)
			}
		}
		if len(texts) > maxRevisionSummary {
			texts = append(texts[:maxRevisionSummary], fmt.Sprintf("And %d more.", len(texts)-maxRevisionSummary))
		}
		out = append(out, csafRevision{Date: csafTime(evs[i].at), Number: fmt.Sprint(len(out) + 1), Summary: strings.Join(texts, " ")})
		i = j
	}
	if len(out) == 0 {
		// No times at all: one revision at the Unix epoch, still the
		// same bytes for the same input.
		out = append(out, csafRevision{Date: csafTime(time.Unix(0, 0)), Number: "1", Summary: "Initial version."})
	}
	return out
}

// CSAFReleaseOf is a scan's result as one release of a CSAF document:
// every finding in its component, the status VEX gave it (if any) as its
// one triage statement, everything at time at (the release time, e.g.
// SOURCE_DATE_EPOCH).
func CSAFReleaseOf(res *match.Result, version string, at time.Time) CSAFRelease {
	out := CSAFRelease{Version: version, Recorded: at}
	for _, f := range res.Findings {
		p := res.Document.Package(f.PackageID)
		c := CSAFComponent{Ref: p.PURL, Name: p.Name, Version: p.Version, PURL: p.PURL}
		if c.Ref == "" {
			c.Ref = p.ID
		}
		cf := CSAFFinding{Vulnerability: f.ID, Aliases: f.Aliases, Component: c, Summary: f.Summary,
			Severity: f.Severity.Level.String(), Score: f.Severity.Score, CVSSVector: f.Severity.Vector, ComponentFixed: f.Fixed, FirstSeen: at}
		if f.Status != "" {
			cf.Triage = []Triage{{Status: f.Status, Justification: f.Justification, Detail: f.StatusDetail, Author: f.StatusSource, At: at}}
		}
		out.Findings = append(out.Findings, cf)
	}
	return out
}
