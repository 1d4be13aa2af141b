package policy

import (
	"slices"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// The CEL input. A `kind: cel` rule's condition is evaluated once per
// package in the rule's scope with these variables:
//
//	pkg        policy.Package   the package
//	findings   list(policy.Finding)  its active vulnerability findings
//	                            (VEX not_affected / fixed excluded)
//	suppressed list(policy.Finding)  its findings VEX suppresses
//	doc        policy.Document  the whole document
//
// The condition must return a bool: true means the package violates the
// rule. CEL's standard library and the strings extension are available
// (e.g. pkg.name.startsWith("@acme/"), pkg.licenses.exists(l, l.contains("GPL")),
// findings.exists(f, f.cvss >= 9.0), doc.packages.filter(p, p.name == pkg.name).size() > 1).
// Missing map keys are errors: test with `"key" in pkg.properties` first.

// PackageInput is `pkg` (CEL type policy.Package).
type PackageInput struct {
	ID        string `cel:"id"`
	Name      string `cel:"name"`
	Version   string `cel:"version"`
	PURL      string `cel:"purl"`
	Ecosystem string `cel:"ecosystem"` // OSV ecosystem name: npm, PyPI, Go, crates.io, "GitHub Actions", ...
	// Licenses are the declared SPDX license expressions, as stated.
	Licenses []string `cel:"licenses"`
	// Hashes maps an algorithm (SHA-1, SHA-256, SHA-384, SHA-512, MD5) to
	// its lower-case hex value.
	Hashes map[string]string `cel:"hashes"`
	// Files are the files (relative, slash-separated) the package was
	// found in.
	Files []string `cel:"files"`
	// Direct is true when the project declares the package itself.
	Direct bool `cel:"direct"`
	// Scope is "prod", "dev", "test" or "optional".
	Scope string `cel:"scope"`
	// ResolvedURL is where the lockfile says the package comes from ("" when
	// it does not say).
	ResolvedURL string `cel:"resolved_url"`
	// SourceKind is "" for the ecosystem's registry, else "git", "file",
	// "link", "path" or "url".
	SourceKind string `cel:"source_kind"`
	// Properties are the catalogers' facts, e.g.
	// "hallmark:actions:pinned": "true".
	Properties map[string]string `cel:"properties"`
	// Upgrade is the smallest version that fixes all active findings, ""
	// when there is none or no finding.
	Upgrade string `cel:"upgrade"`
}

// FindingInput is an element of `findings` (CEL type policy.Finding).
type FindingInput struct {
	ID      string   `cel:"id"`
	Aliases []string `cel:"aliases"`
	// IDs is id followed by the aliases.
	IDs []string `cel:"ids"`
	// Severity is "CRITICAL", "HIGH", "MEDIUM", "LOW" or "UNKNOWN".
	Severity string `cel:"severity"`
	// CVSS is the CVSS base score (0.0 when no vector was given).
	CVSS    float64 `cel:"cvss"`
	Summary string  `cel:"summary"`
	// Fixed are the versions that fix this finding.
	Fixed     []string `cel:"fixed"`
	Malicious bool     `cel:"malicious"`
	// Status is the VEX status: "affected", "not_affected", "fixed",
	// "under_investigation".
	Status        string `cel:"status"`
	Justification string `cel:"justification"`
}

// DocumentInput is `doc` (CEL type policy.Document).
type DocumentInput struct {
	Name     string          `cel:"name"`
	Version  string          `cel:"version"`
	Source   string          `cel:"source"`
	Packages []*PackageInput `cel:"packages"`
}

func packageInput(p *sbom.Package, upgrade string) *PackageInput {
	in := &PackageInput{
		ID: p.ID, Name: p.Name, Version: p.Version, PURL: p.PURL, Ecosystem: string(p.Ecosystem),
		Licenses: nonNil(p.Licenses), Hashes: map[string]string{}, Direct: p.Direct, Scope: scopeName(p.Scope),
		ResolvedURL: p.ResolvedURL, SourceKind: p.SourceKind, Properties: p.Properties, Upgrade: upgrade,
		Files: []string{},
	}
	if in.Properties == nil {
		in.Properties = map[string]string{}
	}
	for _, h := range p.Hashes {
		in.Hashes[h.Algorithm] = h.Value
	}
	for _, l := range p.Locations {
		if !slices.Contains(in.Files, l.Path) {
			in.Files = append(in.Files, l.Path)
		}
	}
	return in
}

func findingInputs(fs []*match.Finding) []*FindingInput {
	out := make([]*FindingInput, 0, len(fs))
	for _, f := range fs {
		out = append(out, &FindingInput{
			ID: f.ID, Aliases: nonNil(f.Aliases), IDs: f.IDs(), Severity: f.Severity.Level.String(),
			CVSS: f.Severity.Score, Summary: f.Summary, Fixed: nonNil(f.Fixed), Malicious: f.Kind == match.Malicious,
			Status: string(cmpOr(string(f.Status), string(match.StatusAffected))), Justification: f.Justification,
		})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// input builds the CEL view of the document once per evaluation.
func (c *evalContext) input() (*DocumentInput, []*PackageInput) {
	c.celOnce.Do(func() {
		c.celDoc = &DocumentInput{Name: c.doc.Name, Version: c.doc.Version, Source: c.doc.Source}
		c.celPkgs = make([]*PackageInput, len(c.doc.Packages))
		for i := range c.doc.Packages {
			p := &c.doc.Packages[i]
			up := ""
			if c.result != nil {
				up = c.result.Upgrades[p.ID]
			}
			c.celPkgs[i] = packageInput(p, up)
		}
		c.celDoc.Packages = c.celPkgs
	})
	return c.celDoc, c.celPkgs
}
