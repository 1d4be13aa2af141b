package policy

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// Exception waives a rule for the packages or findings it names, until it
// expires. It is valid through its expiry date (UTC): from the day after,
// it stops waiving and the report says so.
type Exception struct {
	Rule string
	// Packages are purl patterns: "pkg:npm/lodash@4.17.20" names one
	// version, "pkg:npm/lodash" every version; "*" matches any run of
	// characters. Qualifiers and subpaths are ignored.
	Packages []string
	// Findings are vulnerability ids (or aliases) the exception covers.
	Findings []string
	Owner    string
	Reason   string
	// Expires is the last day the exception waives (UTC).
	Expires time.Time
	Line    int

	pkgs []*regexp.Regexp
}

// expired reports whether the exception no longer waives at now.
func (e *Exception) expired(now time.Time) bool {
	return !now.UTC().Before(e.Expires.AddDate(0, 0, 1))
}

func (e *Exception) expiresString() string { return e.Expires.Format(time.DateOnly) }

// covers reports whether the exception names the violation.
func (e *Exception) covers(v *Violation) bool {
	if e.Rule != v.Rule {
		return false
	}
	if len(e.pkgs) > 0 {
		p := stripPURL(v.Package)
		ok := false
		for _, re := range e.pkgs {
			if re.MatchString(p) || re.MatchString(versionless(p)) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(e.Findings) > 0 {
		ok := false
		for _, id := range v.Findings {
			if containsFold(e.Findings, id) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// stripPURL drops a purl's qualifiers and subpath.
func stripPURL(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return p
}

// versionless drops a purl's version.
func versionless(p string) string {
	slash := strings.LastIndexByte(p, '/')
	if i := strings.LastIndexByte(p, '@'); i > slash {
		return p[:i]
	}
	return p
}

// applyExceptions waives the violations active exceptions cover, marks
// those expired exceptions would have covered, and lists expired and stale
// exceptions in rep.
func applyExceptions(pol *Policy, vs []Violation, now time.Time, rep *Report) {
	for _, e := range pol.Exceptions {
		note := ExceptionNote{Rule: e.Rule, Owner: e.Owner, Reason: e.Reason, Expires: e.expiresString(), Line: e.Line}
		w := &Waiver{Kind: "exception", Owner: e.Owner, Reason: e.Reason, Expires: e.expiresString(), Line: e.Line}
		expired := e.expired(now)
		matched := 0
		for i := range vs {
			v := &vs[i]
			if v.Waiver != nil || !e.covers(v) {
				continue
			}
			matched++
			if expired {
				if v.Expired == nil {
					v.Expired = w
				}
			} else {
				v.Waiver = w
			}
		}
		switch {
		case expired:
			note.Message = fmt.Sprintf("exception for rule %s (owner %s) expired on %s: it no longer waives %d violation(s)", e.Rule, e.Owner, note.Expires, matched)
			rep.Expired = append(rep.Expired, note)
		case matched == 0:
			note.Message = fmt.Sprintf("exception for rule %s (owner %s, expires %s) matches nothing: remove it", e.Rule, e.Owner, note.Expires)
			rep.Stale = append(rep.Stale, note)
		}
	}
}

const exceptionKeys = "rule, packages, findings, owner, reason, expires"

func (d *decoder) exception(n *yaml.Node, rules map[string]int) (*Exception, error) {
	m, err := d.mapping(n, "an exception")
	if err != nil {
		return nil, err
	}
	e := &Exception{Line: n.Line}
	var rn *yaml.Node
	if e.Rule, rn, err = m.str("rule", true); err != nil {
		return nil, err
	}
	if _, ok := rules[e.Rule]; !ok {
		return nil, d.errf(rn, "exception names rule %q, which the policy does not define", e.Rule)
	}
	var pn []*yaml.Node
	if e.Packages, pn, err = m.strList("packages"); err != nil {
		return nil, err
	}
	for i, p := range e.Packages {
		if !strings.HasPrefix(p, "pkg:") || strings.ContainsAny(p, "?#") {
			return nil, d.errf(pn[i], "exception: package %q must be a purl without qualifiers (pkg:type/namespace/name[@version])", p)
		}
		e.pkgs = append(e.pkgs, glob(p))
	}
	if e.Findings, _, err = m.strList("findings"); err != nil {
		return nil, err
	}
	if len(e.Packages) == 0 && len(e.Findings) == 0 {
		return nil, d.errf(n, "exception for rule %q must name the packages or findings it covers", e.Rule)
	}
	if e.Owner, _, err = m.str("owner", true); err != nil {
		return nil, err
	}
	if e.Reason, _, err = m.str("reason", true); err != nil {
		return nil, err
	}
	if m.vals["expires"] == nil {
		return nil, d.errf(n, "exception for rule %q has no \"expires\" date: every exception must expire (YYYY-MM-DD)", e.Rule)
	}
	if e.Expires, _, err = d.date(m, "expires"); err != nil {
		return nil, err
	}
	return e, m.done(exceptionKeys)
}
