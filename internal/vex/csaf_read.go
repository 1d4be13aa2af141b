package vex

import (
	"fmt"
	"sort"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/match"
)

// csafStatuses maps CSAF product status lists to VEX statuses.
var csafStatuses = map[string]match.Status{
	"first_affected":      match.StatusAffected,
	"known_affected":      match.StatusAffected,
	"last_affected":       match.StatusAffected,
	"known_not_affected":  match.StatusNotAffected,
	"first_fixed":         match.StatusFixed,
	"fixed":               match.StatusFixed,
	"recommended":         match.StatusFixed,
	"under_investigation": match.StatusUnderInvestigation,
}

// parseCSAF reads the product statuses of a CSAF 2.0 document (any
// profile; csaf_vex is the one made for this) as statements: one per
// vulnerability, status and product. A product is named by its purl: its
// own product identification helper, or, for a relationship (a component
// in a product), the component's. A product without one is named by its
// product ID. The justification is the product's VEX flag; the detail its
// impact threat (not affected) or remediation (affected).
func parseCSAF(b []byte, source string) ([]Statement, error) {
	d, err := readCSAF(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	purls := map[string]string{}
	if pt := d.ProductTree; pt != nil {
		add := func(p csafInProduct) {
			if p.ProductID != "" && p.Helper != nil && p.Helper.PURL != "" {
				purls[p.ProductID] = p.Helper.PURL
			}
		}
		var walk func([]csafInBranch, int)
		walk = func(bs []csafInBranch, depth int) {
			if depth > limits.CSAFBranchDepth {
				return
			}
			for _, br := range bs {
				if br.Product != nil {
					add(*br.Product)
				}
				walk(br.Branches, depth+1)
			}
		}
		walk(pt.Branches, 0)
		for _, p := range pt.FullProductNames {
			add(p)
		}
		for _, r := range pt.Relationships {
			add(r.FullProductName)
			if _, ok := purls[r.FullProductName.ProductID]; !ok && purls[r.ProductReference] != "" {
				purls[r.FullProductName.ProductID] = purls[r.ProductReference]
			}
		}
	}
	if d.Vulnerabilities == nil {
		return nil, fmt.Errorf("%s: %w: CSAF document without vulnerabilities", source, ErrInvalid)
	}
	c := &checker{d: d}
	var out []Statement
	for i, v := range *d.Vulnerabilities {
		var ids []string
		if v.CVE != "" {
			ids = append(ids, v.CVE)
		}
		for _, id := range v.IDs {
			if id.Text != "" {
				ids = append(ids, id.Text)
			}
		}
		if len(ids) == 0 {
			return nil, fmt.Errorf("%s: %w: vulnerabilities[%d]: neither cve nor ids", source, ErrInvalid, i)
		}
		if v.ProductStatus == nil {
			continue
		}
		label := map[string]string{}
		for _, f := range v.Flags {
			for id := range c.covered([]csafInRef{f}, "") {
				label[id] = f.Label
			}
		}
		impact, action := map[string]string{}, map[string]string{}
		for _, t := range v.Threats {
			if t.Category == "impact" {
				for id := range c.covered([]csafInRef{t}, "") {
					impact[id] = t.Details
				}
			}
		}
		for _, r := range v.Remediations {
			for id := range c.covered([]csafInRef{r}, "") {
				if action[id] == "" {
					action[id] = r.Details
				}
			}
		}
		lists := make([]string, 0, len(*v.ProductStatus))
		for k := range *v.ProductStatus {
			lists = append(lists, k)
		}
		sort.Strings(lists)
		for _, k := range lists {
			st, ok := csafStatuses[k]
			if !ok {
				return nil, fmt.Errorf("%s: %w: vulnerabilities[%d]: unknown product status %q", source, ErrInvalid, i, k)
			}
			for _, pid := range (*v.ProductStatus)[k] {
				if pid == "" {
					continue
				}
				s := Statement{Vulnerability: ids[0], Aliases: ids[1:], Status: st, Source: source}
				if p := purls[pid]; p != "" {
					s.Products = []string{p}
				} else {
					s.Products = []string{pid}
				}
				switch st {
				case match.StatusNotAffected:
					s.Justification, s.Detail = label[pid], impact[pid]
					if s.Justification == "" && s.Detail == "" {
						return nil, fmt.Errorf("%s: %w: vulnerabilities[%d]: %s is known_not_affected without a flag or impact threat", source, ErrInvalid, i, pid)
					}
				case match.StatusAffected:
					s.Detail = action[pid]
				}
				out = append(out, s)
			}
		}
	}
	return out, nil
}
