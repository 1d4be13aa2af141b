package policy

import (
	"fmt"
	"strings"
	"sync"
)

// licenseRule is kind "licenses": allow and deny lists applied to every
// package's SPDX license expressions (see LicenseLists for the
// semantics). Packages that declare no license (Missing) and licenses the
// lists cannot judge (Unknown) are outcomes of their own, each with its
// own severity ("fail", "warn" or "ignore"); a warn rule never fails.
type licenseRule struct {
	lists            *LicenseLists
	missing, unknown string

	mu    sync.Mutex
	cache map[string]LicenseVerdict
}

func (d *decoder) licenses(m *mapping) (checker, error) {
	allow, an, err := m.strList("allow")
	if err != nil {
		return nil, err
	}
	deny, dn, err := m.strList("deny")
	if err != nil {
		return nil, err
	}
	if len(allow) == 0 && len(deny) == 0 {
		return nil, d.errf(m.node, "%s: a licenses rule needs \"allow\" or \"deny\" (lists of SPDX license identifiers)", m.what)
	}
	for i, a := range allow {
		if _, err := NewLicenseLists([]string{a}, nil); err != nil {
			return nil, d.errf(an[i], "%s: allow: %v", m.what, err)
		}
	}
	for i, a := range deny {
		if _, err := NewLicenseLists(nil, []string{a}); err != nil {
			return nil, d.errf(dn[i], "%s: deny: %v", m.what, err)
		}
	}
	lists, err := NewLicenseLists(allow, deny)
	if err != nil {
		return nil, d.errf(m.node, "%s: %v", m.what, err)
	}
	r := &licenseRule{lists: lists, cache: map[string]LicenseVerdict{}}
	if r.missing, err = m.choice("missing", "warn", "fail", "warn", "ignore"); err != nil {
		return nil, err
	}
	if r.unknown, err = m.choice("unknown", "warn", "fail", "warn", "ignore"); err != nil {
		return nil, err
	}
	return r, nil
}

func (*licenseRule) keys() string        { return "allow, deny, missing, unknown" }
func (*licenseRule) needsFindings() bool { return false }

func (r *licenseRule) verdict(lics []string) LicenseVerdict {
	key := strings.Join(lics, "\x00")
	r.mu.Lock()
	v, ok := r.cache[key]
	r.mu.Unlock()
	if ok {
		return v
	}
	v = r.lists.Check(lics)
	r.mu.Lock()
	r.cache[key] = v
	r.mu.Unlock()
	return v
}

func (r *licenseRule) evaluate(c *evalContext, rule *Rule, pkgs []int, emit func(Violation)) string {
	for _, i := range pkgs {
		p := &c.doc.Packages[i]
		v := r.verdict(p.Licenses)
		sev := rule.Severity
		var fix string
		switch v.Outcome {
		case LicenseAllowed:
			continue
		case LicenseMissing:
			if r.missing == "ignore" {
				continue
			}
			if r.missing == "warn" {
				sev = Warn
			}
			fix = "find the package's license (its repository, its registry page) and record it, or record an exception"
		case LicenseUnknown:
			if r.unknown == "ignore" {
				continue
			}
			if r.unknown == "warn" {
				sev = Warn
			}
			fix = "review the license text; name it in the policy's allow or deny list (as an SPDX id or LicenseRef-), or record an exception"
		case LicenseDenied:
			if len(r.lists.Allow) > 0 {
				fix = fmt.Sprintf("replace %s with a package under an allowed license (%s), or record an exception", p.Name, strings.Join(r.lists.Allow, ", "))
			} else {
				fix = fmt.Sprintf("replace %s with a package under a license not denied (%s), or record an exception", p.Name, strings.Join(r.lists.Deny, ", "))
			}
		}
		viol := c.violation(rule, p, strings.Join(v.Reasons, "; "), fix)
		viol.Severity = sev
		emit(viol)
	}
	return ""
}
