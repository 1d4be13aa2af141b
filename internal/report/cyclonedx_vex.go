package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sbom/cyclonedx"
)

// cdxStates maps VEX statuses to CycloneDX analysis states.
var cdxStates = map[match.Status]cdx.ImpactAnalysisState{
	match.StatusAffected:           cdx.IASExploitable,
	match.StatusNotAffected:        cdx.IASNotAffected,
	match.StatusFixed:              cdx.IASResolved,
	match.StatusUnderInvestigation: cdx.IASInTriage,
}

// cdxJustifications maps OpenVEX justifications to CycloneDX ones.
var cdxJustifications = map[string]cdx.ImpactAnalysisJustification{
	"component_not_present":                             cdx.IAJCodeNotPresent,
	"vulnerable_code_not_present":                       cdx.IAJCodeNotPresent,
	"vulnerable_code_not_in_execute_path":               cdx.IAJCodeNotReachable,
	"vulnerable_code_cannot_be_controlled_by_adversary": cdx.IAJProtectedByMitigatingControl,
	"inline_mitigations_already_exist":                  cdx.IAJProtectedByMitigatingControl,
}

var cdxValidJustification = map[cdx.ImpactAnalysisJustification]bool{
	cdx.IAJCodeNotPresent: true, cdx.IAJCodeNotReachable: true, cdx.IAJRequiresConfiguration: true,
	cdx.IAJRequiresDependency: true, cdx.IAJRequiresEnvironment: true, cdx.IAJProtectedByCompiler: true,
	cdx.IAJProtectedAtRuntime: true, cdx.IAJProtectedAtPerimeter: true, cdx.IAJProtectedByMitigatingControl: true,
}

// CycloneDXVEX writes the scanned SBOM as CycloneDX JSON (through package
// sbom/cyclonedx) with a "vulnerabilities" array: one entry per advisory
// group, affecting the components (by bom-ref) it was found in, with CVSS
// ratings, the analysis state VEX gave it, and the upgrade as
// recommendation (https://cyclonedx.org/capabilities/vex/).
func CycloneDXVEX(w io.Writer, res *match.Result, specVersion string) error {
	var buf bytes.Buffer
	if err := cyclonedx.Encode(&buf, res.Document, cyclonedx.Options{Version: specVersion}); err != nil {
		return err
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(&buf, cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return fmt.Errorf("re-read CycloneDX: %w", err)
	}
	var sv cdx.SpecVersion
	switch specVersion {
	case "1.6":
		sv = cdx.SpecVersion1_6
	case "", "1.7":
		sv = cdx.SpecVersion1_7
	default:
		return fmt.Errorf("unsupported CycloneDX version %q", specVersion)
	}
	type key struct {
		id     string
		status match.Status
	}
	index := map[key]int{}
	var vulns []cdx.Vulnerability
	for _, f := range res.Findings {
		p := res.Document.Package(f.PackageID)
		st := f.Status
		if st == "" {
			st = match.StatusAffected
		}
		k := key{f.ID, st}
		i, ok := index[k]
		if !ok {
			i = len(vulns)
			index[k] = i
			v := cdx.Vulnerability{
				BOMRef:      fmt.Sprintf("vuln:%s:%s", f.ID, st),
				ID:          f.ID,
				Source:      &cdx.Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + f.ID},
				Description: f.Summary,
				Detail:      f.Advisories[0].Details,
				Published:   f.Advisories[0].Published,
				Updated:     f.Advisories[0].Modified,
				Affects:     &[]cdx.Affects{},
			}
			if len(f.Aliases) > 0 {
				refs := make([]cdx.VulnerabilityReference, 0, len(f.Aliases))
				for _, a := range f.Aliases {
					refs = append(refs, cdx.VulnerabilityReference{ID: a, Source: &cdx.Source{Name: sourceOf(a)}})
				}
				v.References = &refs
			}
			if r := rating(f); r != nil {
				v.Ratings = &[]cdx.VulnerabilityRating{*r}
			}
			a := &cdx.VulnerabilityAnalysis{State: cdxStates[st], Detail: f.StatusDetail}
			if j, ok := cdxJustifications[f.Justification]; ok {
				a.Justification = j
			} else if cdxValidJustification[cdx.ImpactAnalysisJustification(f.Justification)] {
				a.Justification = cdx.ImpactAnalysisJustification(f.Justification)
			} else if f.Justification != "" {
				a.Detail = strings.TrimSpace(f.Justification + " " + a.Detail)
			}
			if st == match.StatusAffected {
				if up := res.UpgradeFor(&f); up != "" {
					a.Response = &[]cdx.ImpactAnalysisResponse{cdx.IARUpdate}
					v.Recommendation = fmt.Sprintf("Upgrade %s to %s or later.", p.Name, up)
				}
			}
			if f.Kind == match.Malicious {
				v.Properties = &[]cdx.Property{{Name: "hallmark:kind", Value: "malicious"}}
			}
			v.Analysis = a
			vulns = append(vulns, v)
		}
		*vulns[i].Affects = append(*vulns[i].Affects, cdx.Affects{Ref: p.ID})
	}
	if len(vulns) > 0 {
		bom.Vulnerabilities = &vulns
	}
	markUnchecked(&bom, res)
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	return enc.EncodeVersion(&bom, sv)
}

func rating(f match.Finding) *cdx.VulnerabilityRating {
	s := f.Severity
	if s.Level == match.Unknown {
		return nil
	}
	r := &cdx.VulnerabilityRating{Severity: cdx.Severity(strings.ToLower(s.Level.String()))}
	if s.Score > 0 {
		score := s.Score
		r.Score = &score
		r.Vector = s.Vector
		switch {
		case strings.HasPrefix(s.Vector, "CVSS:4.0/"):
			r.Method = cdx.ScoringMethodCVSSv4
		case strings.HasPrefix(s.Vector, "CVSS:3.1/"):
			r.Method = cdx.ScoringMethodCVSSv31
		default:
			r.Method = cdx.ScoringMethodCVSSv3
		}
	} else {
		r.Method = cdx.ScoringMethodOther
		r.Justification = "severity from the advisory database"
	}
	return r
}

func sourceOf(id string) string {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return "NVD"
	case strings.HasPrefix(id, "GHSA-"):
		return "GitHub"
	}
	return "OSV"
}

// markUnchecked records, on each component that could not be checked, the
// property hallmark:unchecked with the reason (and hallmark:sdk for
// SDK-provided ones), so that a component without vulnerabilities in this
// document is never read as clean when it was not checked.
func markUnchecked(bom *cdx.BOM, res *match.Result) {
	if bom.Components == nil {
		return
	}
	reasons := map[string][]cdx.Property{}
	for _, u := range res.Unchecked {
		reasons[u.PackageID] = append(reasons[u.PackageID], cdx.Property{Name: "hallmark:unchecked", Value: u.Reason})
	}
	for _, s := range res.SDK {
		reasons[s.PackageID] = append(reasons[s.PackageID], cdx.Property{Name: "hallmark:sdk", Value: s.Reason})
	}
	if len(reasons) == 0 {
		return
	}
	var walk func(cs []cdx.Component)
	walk = func(cs []cdx.Component) {
		for i := range cs {
			c := &cs[i]
			if ps, ok := reasons[c.BOMRef]; ok {
				if c.Properties == nil {
					c.Properties = &[]cdx.Property{}
				}
				*c.Properties = append(*c.Properties, ps...)
			}
			if c.Components != nil {
				walk(*c.Components)
			}
		}
	}
	walk(*bom.Components)
}
