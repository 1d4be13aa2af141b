// Package vex reads and applies Vulnerability Exploitability eXchange
// statements in the three formats users have: OpenVEX
// (https://github.com/openvex/spec, v0.2.0 and the earlier v0.0.1 shape),
// CycloneDX VEX (the "vulnerabilities" of a CycloneDX 1.4+ document with
// "analysis" and "affects", https://cyclonedx.org/capabilities/vex/) and
// CSAF 2.0 (the product status of its vulnerabilities, the csaf_vex
// profile's), and writes CSAF 2.0 VEX documents with the mandatory tests
// of CSAF 2.0 section 6.1 that a document can pass or fail on its own.
//
// A statement applies to a finding when its vulnerability (or one of its
// aliases) is one of the finding's ids and one of its products is the
// finding's package: the same purl, or a purl without a version naming every
// version of the package. not_affected and fixed statements suppress the
// finding; affected and under_investigation annotate it.
package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/match"
)

// Statement is one VEX statement in hallmark's neutral form.
type Statement struct {
	Vulnerability string
	Aliases       []string
	// Products are purls or package IDs; empty means every package.
	Products      []string
	Status        match.Status
	Justification string
	Detail        string
	// Source names the document the statement came from.
	Source string
}

// ErrInvalid reports a document that is neither OpenVEX, CycloneDX VEX nor
// CSAF 2.0.
var ErrInvalid = errors.New("invalid VEX document")

// Parse reads an OpenVEX, CycloneDX VEX or CSAF 2.0 JSON document. source names it
// in statements and errors.
func Parse(b []byte, source string) ([]Statement, error) {
	if len(b) > limits.VEXBytes {
		return nil, fmt.Errorf("%s: %w: %d bytes, limit %d", source, ErrInvalid, len(b), limits.VEXBytes)
	}
	var probe struct {
		Context   any    `json:"@context"`
		BOMFormat string `json:"bomFormat"`
		Document  *struct {
			CSAFVersion string `json:"csaf_version"`
		} `json:"document"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", source, ErrInvalid, err)
	}
	ctx, _ := probe.Context.(string)
	switch {
	case strings.Contains(ctx, "openvex.dev"):
		return parseOpenVEX(b, source)
	case probe.BOMFormat == "CycloneDX":
		return parseCycloneDX(b, source)
	case probe.Document != nil && probe.Document.CSAFVersion == CSAFVersion:
		return parseCSAF(b, source)
	}
	return nil, fmt.Errorf("%s: %w: neither OpenVEX (@context openvex.dev), CycloneDX (bomFormat) nor CSAF 2.0 (document.csaf_version)", source, ErrInvalid)
}

// flexID is an OpenVEX identifier given as a string (v0.0.1) or as an
// object with @id / name (v0.2.0).
type flexID struct {
	ID            string
	Aliases       []string
	Subcomponents []string
}

func (f *flexID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &f.ID)
	}
	var o struct {
		ID            string   `json:"@id"`
		Name          string   `json:"name"`
		Aliases       []string `json:"aliases"`
		Subcomponents []struct {
			ID string `json:"@id"`
		} `json:"subcomponents"`
		Identifiers map[string]string `json:"identifiers"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	f.ID = o.Name
	if f.ID == "" {
		f.ID = o.ID
	}
	if p := o.Identifiers["purl"]; p != "" && f.ID == "" {
		f.ID = p
	}
	f.Aliases = o.Aliases
	for _, s := range o.Subcomponents {
		if s.ID != "" {
			f.Subcomponents = append(f.Subcomponents, s.ID)
		}
	}
	return nil
}

func parseOpenVEX(b []byte, source string) ([]Statement, error) {
	var doc struct {
		Statements []struct {
			Vulnerability   flexID   `json:"vulnerability"`
			Products        []flexID `json:"products"`
			Subcomponents   []flexID `json:"subcomponents"`
			Status          string   `json:"status"`
			Justification   string   `json:"justification"`
			ImpactStatement string   `json:"impact_statement"`
			ActionStatement string   `json:"action_statement"`
			StatusNotes     string   `json:"status_notes"`
		} `json:"statements"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w: OpenVEX: %v", source, ErrInvalid, err)
	}
	var out []Statement
	for i, s := range doc.Statements {
		st := match.Status(s.Status)
		switch st {
		case match.StatusAffected, match.StatusNotAffected, match.StatusFixed, match.StatusUnderInvestigation:
		default:
			return nil, fmt.Errorf("%s: %w: statements[%d]: unknown status %q", source, ErrInvalid, i, s.Status)
		}
		if s.Vulnerability.ID == "" {
			return nil, fmt.Errorf("%s: %w: statements[%d]: no vulnerability", source, ErrInvalid, i)
		}
		if st == match.StatusNotAffected && s.Justification == "" && s.ImpactStatement == "" {
			return nil, fmt.Errorf("%s: %w: statements[%d]: not_affected needs a justification or impact_statement", source, ErrInvalid, i)
		}
		var prods []string
		for _, p := range s.Products {
			if len(p.Subcomponents) > 0 {
				prods = append(prods, p.Subcomponents...)
			} else if p.ID != "" {
				prods = append(prods, p.ID)
			}
		}
		for _, p := range s.Subcomponents { // v0.0.1
			if p.ID != "" {
				prods = append(prods, p.ID)
			}
		}
		detail := s.ImpactStatement
		if detail == "" {
			detail = s.ActionStatement
		}
		if detail == "" {
			detail = s.StatusNotes
		}
		out = append(out, Statement{
			Vulnerability: s.Vulnerability.ID, Aliases: s.Vulnerability.Aliases, Products: prods,
			Status: st, Justification: s.Justification, Detail: detail, Source: source,
		})
	}
	return out, nil
}

// cdxStates maps CycloneDX analysis states to VEX statuses.
var cdxStates = map[string]match.Status{
	"not_affected":           match.StatusNotAffected,
	"false_positive":         match.StatusNotAffected,
	"resolved":               match.StatusFixed,
	"resolved_with_pedigree": match.StatusFixed,
	"exploitable":            match.StatusAffected,
	"in_triage":              match.StatusUnderInvestigation,
}

func parseCycloneDX(b []byte, source string) ([]Statement, error) {
	var doc struct {
		Components []cdxComponent `json:"components"`
		Metadata   struct {
			Component *cdxComponent `json:"component"`
		} `json:"metadata"`
		Vulnerabilities []struct {
			ID         string `json:"id"`
			References []struct {
				ID string `json:"id"`
			} `json:"references"`
			Analysis *struct {
				State         string `json:"state"`
				Justification string `json:"justification"`
				Detail        string `json:"detail"`
			} `json:"analysis"`
			Affects []struct {
				Ref string `json:"ref"`
			} `json:"affects"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w: CycloneDX: %v", source, ErrInvalid, err)
	}
	refs := map[string]string{}
	var walk func([]cdxComponent, int)
	walk = func(cs []cdxComponent, depth int) {
		if depth > 64 {
			return
		}
		for _, c := range cs {
			if c.BOMRef != "" && c.PURL != "" {
				refs[c.BOMRef] = c.PURL
			}
			walk(c.Components, depth+1)
		}
	}
	walk(doc.Components, 0)
	if doc.Metadata.Component != nil {
		walk([]cdxComponent{*doc.Metadata.Component}, 0)
	}
	var out []Statement
	for i, v := range doc.Vulnerabilities {
		if v.Analysis == nil || v.Analysis.State == "" {
			continue // a vulnerability without analysis is no statement
		}
		st, ok := cdxStates[v.Analysis.State]
		if !ok {
			return nil, fmt.Errorf("%s: %w: vulnerabilities[%d]: unknown analysis state %q", source, ErrInvalid, i, v.Analysis.State)
		}
		if v.ID == "" {
			return nil, fmt.Errorf("%s: %w: vulnerabilities[%d]: no id", source, ErrInvalid, i)
		}
		s := Statement{Vulnerability: v.ID, Status: st, Justification: v.Analysis.Justification, Detail: v.Analysis.Detail, Source: source}
		for _, r := range v.References {
			if r.ID != "" {
				s.Aliases = append(s.Aliases, r.ID)
			}
		}
		for _, a := range v.Affects {
			ref := a.Ref
			if p, ok := refs[ref]; ok {
				ref = p
			} else if j := strings.LastIndexByte(ref, '#'); strings.HasPrefix(ref, "urn:cdx:") && j >= 0 {
				// BOM-Link to a component of another BOM: its bom-ref.
				if u, err := url.PathUnescape(ref[j+1:]); err == nil {
					ref = u
				}
			}
			s.Products = append(s.Products, ref)
		}
		out = append(out, s)
	}
	return out, nil
}

type cdxComponent struct {
	BOMRef     string         `json:"bom-ref"`
	PURL       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
}

// Apply sets the status of every finding a statement applies to; later
// statements win over earlier ones. It returns the number of findings
// changed and recomputes the upgrades.
func Apply(res *match.Result, stmts []Statement) int {
	n := 0
	for i := range res.Findings {
		f := &res.Findings[i]
		p := res.Document.Package(f.PackageID)
		for _, s := range stmts {
			if !namesVuln(s, f) || !namesProduct(s, f.PackageID, p.PURL) {
				continue
			}
			f.Status, f.Justification, f.StatusDetail, f.StatusSource = s.Status, s.Justification, s.Detail, s.Source
			n++
		}
	}
	res.ComputeUpgrades()
	return n
}

func namesVuln(s Statement, f *match.Finding) bool {
	for _, id := range f.IDs() {
		if strings.EqualFold(id, s.Vulnerability) {
			return true
		}
		for _, a := range s.Aliases {
			if strings.EqualFold(id, a) {
				return true
			}
		}
	}
	return false
}

func namesProduct(s Statement, id, purl string) bool {
	if len(s.Products) == 0 {
		return true
	}
	for _, p := range s.Products {
		if p == id || (purl != "" && p == purl) {
			return true
		}
		if purl != "" && strings.HasPrefix(p, "pkg:") && !strings.Contains(p, "@") && withoutVersion(purl) == stripQualifiers(p) {
			return true
		}
	}
	return false
}

// withoutVersion strips "@version" and qualifiers from a purl.
func withoutVersion(p string) string {
	p = stripQualifiers(p)
	if i := strings.LastIndexByte(p, '@'); i > strings.LastIndexByte(p, '/') {
		return p[:i]
	}
	return p
}

func stripQualifiers(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		return p[:i]
	}
	return p
}
