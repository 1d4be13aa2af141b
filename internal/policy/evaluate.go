package policy

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// checker is one rule kind's compiled parameters.
type checker interface {
	// keys lists the rule keys the kind reads (for unknown-key errors).
	keys() string
	needsFindings() bool
	// evaluate reports the violations of the packages in scope (indices
	// into the document's packages). It returns a reason when the rule
	// could not be evaluated (fully or in part).
	evaluate(c *evalContext, rule *Rule, pkgs []int, emit func(Violation)) (notEvaluated string)
}

// evalContext is the input of one evaluation.
type evalContext struct {
	doc    *sbom.Document
	result *match.Result // nil when no findings are available
	now    time.Time

	active, suppressed map[string][]*match.Finding // package ID -> findings
	unchecked          map[string]string           // package ID -> reason

	celOnce sync.Once
	celDoc  *DocumentInput
	celPkgs []*PackageInput

	err error // the first evaluation error
}

// fail records an error that stops the evaluation.
func (c *evalContext) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// violation fills the package fields of a violation.
func (c *evalContext) violation(r *Rule, p *sbom.Package, fact, fix string) Violation {
	id := p.PURL
	if id == "" {
		id = p.ID
	}
	return Violation{
		Rule: r.ID, Severity: r.Severity, Package: id, PackageID: p.ID,
		Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, Locations: p.Locations,
		Fact: fact, Fix: fix,
	}
}

// Evaluate applies pol to doc. result holds the document's vulnerability
// findings (match.Match, with VEX applied); pass nil when no vulnerability
// data is available: rules that need findings are then reported as not
// evaluated (Report.Incomplete), never as passing. now decides which
// exceptions have expired; Evaluate reads no clock.
//
// The document must be normalized (sbom.Document.Normalize) so that
// package IDs are set. Evaluate does not modify doc or result.
func Evaluate(pol *Policy, doc *sbom.Document, result *match.Result, now time.Time) (*Report, error) {
	if pol == nil || doc == nil {
		return nil, fmt.Errorf("policy: Evaluate needs a policy and a document")
	}
	c := &evalContext{doc: doc, result: result, now: now}
	if result != nil {
		c.active = map[string][]*match.Finding{}
		c.suppressed = map[string][]*match.Finding{}
		c.unchecked = map[string]string{}
		for i := range result.Findings {
			f := &result.Findings[i]
			if f.Status.Suppressed() {
				c.suppressed[f.PackageID] = append(c.suppressed[f.PackageID], f)
			} else {
				c.active[f.PackageID] = append(c.active[f.PackageID], f)
			}
		}
		for _, u := range result.Unchecked {
			if _, ok := c.unchecked[u.PackageID]; !ok {
				c.unchecked[u.PackageID] = u.Reason
			}
		}
	}
	rep := &Report{Policy: pol.File, Subject: doc.Name, Evaluated: now.UTC(), Packages: len(doc.Packages),
		Violations: []Violation{}, Waived: []Violation{}, Expired: []ExceptionNote{}, Stale: []ExceptionNote{}}
	var all []Violation
	for _, r := range pol.Rules {
		var pkgs []int
		for i := range doc.Packages {
			if r.Scope.Matches(&doc.Packages[i]) {
				pkgs = append(pkgs, i)
			}
		}
		rr := RuleResult{ID: r.ID, Description: r.Description, Kind: r.Kind, Severity: r.Severity, Packages: len(pkgs)}
		if r.Kind == KindVulnerabilities {
			for _, i := range pkgs {
				if _, ok := c.unchecked[doc.Packages[i].ID]; ok {
					rr.Unchecked++
				}
			}
		}
		var vs []Violation
		rr.NotEvaluated = r.check.evaluate(c, r, pkgs, func(v Violation) { vs = append(vs, v) })
		if c.err != nil {
			return nil, c.err
		}
		if rr.NotEvaluated != "" {
			rep.Notes = append(rep.Notes, fmt.Sprintf("rule %s: %s", r.ID, rr.NotEvaluated))
		}
		all = append(all, vs...)
		rep.Rules = append(rep.Rules, rr)
	}
	applyExceptions(pol, all, now, rep)
	for _, v := range all {
		if v.Waiver != nil {
			rep.Waived = append(rep.Waived, v)
		} else {
			rep.Violations = append(rep.Violations, v)
		}
	}
	count := map[string]*RuleResult{}
	for i := range rep.Rules {
		count[rep.Rules[i].ID] = &rep.Rules[i]
	}
	for _, v := range rep.Violations {
		count[v.Rule].Violations++
	}
	for _, v := range rep.Waived {
		count[v.Rule].Waived++
	}
	if result != nil && len(result.Unchecked) > 0 && pol.NeedsFindings() {
		n := len(c.unchecked)
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d package(s) could not be checked for vulnerabilities (see hallmark scan)", n))
	}
	order := map[string]int{}
	for i, p := range doc.Packages {
		order[p.ID] = i
	}
	ruleOrder := map[string]int{}
	for i, r := range pol.Rules {
		ruleOrder[r.ID] = i
	}
	sortViolations := func(vs []Violation) {
		slices.SortStableFunc(vs, func(a, b Violation) int {
			return cmp.Or(cmp.Compare(ruleOrder[a.Rule], ruleOrder[b.Rule]), cmp.Compare(order[a.PackageID], order[b.PackageID]))
		})
	}
	sortViolations(rep.Violations)
	sortViolations(rep.Waived)
	return rep, nil
}
