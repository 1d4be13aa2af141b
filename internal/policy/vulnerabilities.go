package policy

import (
	"fmt"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/match"
)

// vulnRule is kind "vulnerabilities": a finding at or above MinSeverity
// violates (with FixableOnly, only when a fixed version exists); findings
// of unknown severity violate unless IgnoreUnknown; malicious packages
// always violate. Findings that VEX marks not_affected or fixed are
// listed as waived with their justification.
type vulnRule struct {
	MinSeverity   match.Level
	FixableOnly   bool
	IgnoreUnknown bool
	// FailOnUnchecked makes every package that could not be checked (no
	// version, no data for its ecosystem) a violation: the strict gate
	// for those who want no blind spot (scan --fail-on-unchecked).
	FailOnUnchecked bool
}

var severityNames = map[string]match.Level{"low": match.Low, "medium": match.Medium, "high": match.High, "critical": match.Critical}

func (d *decoder) vulnerabilities(m *mapping) (checker, error) {
	s, err := m.choice("min-severity", "high", "low", "medium", "high", "critical")
	if err != nil {
		return nil, err
	}
	r := &vulnRule{MinSeverity: severityNames[s]}
	if r.FixableOnly, err = m.boolean("fixable-only", false); err != nil {
		return nil, err
	}
	if r.IgnoreUnknown, err = m.boolean("ignore-unknown-severity", false); err != nil {
		return nil, err
	}
	if r.FailOnUnchecked, err = m.boolean("fail-on-unchecked", false); err != nil {
		return nil, err
	}
	return r, nil
}

func (*vulnRule) keys() string {
	return "min-severity, fixable-only, ignore-unknown-severity, fail-on-unchecked"
}
func (*vulnRule) needsFindings() bool { return true }

// noDataReason is what a rule needing findings says without data.
const noDataReason = "no vulnerability data: vulnerability findings could not be evaluated (run hallmark db update or hallmark db import)"

func (r *vulnRule) hits(f *match.Finding) bool {
	switch {
	case f.Kind == match.Malicious:
		return true
	case r.FixableOnly && len(f.Fixed) == 0:
		return false
	case f.Severity.Level == match.Unknown:
		return !r.IgnoreUnknown
	}
	return f.Severity.Level >= r.MinSeverity
}

func findingFact(f *match.Finding) string {
	if f.Kind == match.Malicious {
		return fmt.Sprintf("malicious package (%s)", f.ID)
	}
	sev := f.Severity.Level.String()
	if f.Severity.Score > 0 {
		sev = fmt.Sprintf("%s %.1f", sev, f.Severity.Score)
	}
	s := fmt.Sprintf("vulnerable: %s (%s)", f.ID, sev)
	if f.Summary != "" {
		s += ": " + f.Summary
	}
	return s
}

func (r *vulnRule) evaluate(c *evalContext, rule *Rule, pkgs []int, emit func(Violation)) string {
	if c.result == nil {
		return noDataReason
	}
	var unchecked map[string][]string
	if r.FailOnUnchecked {
		unchecked = map[string][]string{}
		for _, u := range c.result.Unchecked {
			unchecked[u.PackageID] = append(unchecked[u.PackageID], u.Reason)
		}
		for _, s := range c.result.SDK {
			if s.Version == "" {
				unchecked[s.PackageID] = append(unchecked[s.PackageID], s.Reason)
			}
		}
	}
	for _, i := range pkgs {
		if reasons := unchecked[c.doc.Packages[i].ID]; len(reasons) > 0 {
			p := &c.doc.Packages[i]
			emit(c.violation(rule, p, "not checked for vulnerabilities: "+strings.Join(reasons, "; "),
				"give the package a version the lockfile pins, or import vulnerability data for its ecosystem (hallmark db update --ecosystem); or set fail-on-unchecked: false"))
		}
		p := &c.doc.Packages[i]
		active := c.active[p.ID]
		for _, f := range active {
			if !r.hits(f) {
				continue
			}
			fix := ""
			switch up, leaves := c.result.UpgradeFor(f), c.result.UpgradeLeaves[p.ID]; {
			case f.Kind == match.Malicious:
				fix = "remove the package and treat every machine that installed it as compromised"
			case up != "" && len(leaves) == 0:
				fix = fmt.Sprintf("upgrade %s to %s (fixes all %d finding(s) of this package)", p.Name, up, len(active))
			case up != "":
				fix = fmt.Sprintf("upgrade %s to %s (fixes %d of its %d finding(s); %s has no fix)", p.Name, up, len(active)-len(leaves), len(active), strings.Join(leaves, ", "))
			case len(f.Fixed) > 0:
				fix = fmt.Sprintf("fixed in %s, but no single version fixes every finding of this package; replace it or record an exception", strings.Join(f.Fixed, ", "))
			default:
				fix = "no fixed version: replace the package or record an exception"
			}
			v := c.violation(rule, p, findingFact(f), fix)
			v.Findings = f.IDs()
			emit(v)
		}
		for _, f := range c.suppressed[p.ID] {
			if !r.hits(f) {
				continue
			}
			v := c.violation(rule, p, findingFact(f), "")
			v.Findings = f.IDs()
			v.Waiver = &Waiver{Kind: "vex", Reason: string(f.Status), Justification: cmpOr(f.Justification, f.StatusDetail), Source: f.StatusSource}
			emit(v)
		}
	}
	return ""
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
