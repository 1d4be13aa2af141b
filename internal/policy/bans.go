package policy

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"

	"github.com/hallmark-dev/hallmark/internal/version"
)

// banRule is kind "bans": packages, or version ranges of packages, that
// are never allowed (known-compromised releases, abandoned or
// license-incompatible libraries).
type banRule struct {
	Bans []Ban
}

// Ban names banned packages.
type Ban struct {
	// Name is a glob over package names.
	Name string
	// Ecosystem restricts the ban to one ecosystem; required with Versions.
	Ecosystem string
	// Versions is a range: comparators (=, !=, <, <=, >, >=; a bare
	// version means =) separated by spaces or commas must all hold; "||"
	// separates alternatives. Empty bans every version.
	Versions string
	// Reason and Alternative are shown with each violation.
	Reason, Alternative string

	name  *regexp.Regexp
	rng   [][]comparator
	exact bool // the ecosystem has no version ordering: only = and != work
}

type comparator struct {
	op  string
	raw string
	v   version.Version
}

var comparatorRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(>=|<=|!=|==|=|>|<)?\s*(\S+)$`) })

// parseRange reads a version range for ecosystem eco.
func parseRange(eco, s string) ([][]comparator, bool, error) {
	ordered := version.Supported(eco)
	var out [][]comparator
	for _, alt := range strings.Split(s, "||") {
		var and []comparator
		fields := strings.FieldsFunc(alt, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		// Re-attach operators written apart from their version (">= 1.2").
		var toks []string
		for i := 0; i < len(fields); i++ {
			f := fields[i]
			if comparatorRE().FindStringSubmatch(f) != nil && strings.Trim(f, "<>=!") == "" && i+1 < len(fields) {
				f += fields[i+1]
				i++
			}
			toks = append(toks, f)
		}
		if len(toks) == 0 {
			return nil, false, fmt.Errorf("empty alternative in version range %q", s)
		}
		for _, t := range toks {
			m := comparatorRE().FindStringSubmatch(t)
			if m == nil || strings.Trim(m[2], "<>=!") == "" {
				return nil, false, fmt.Errorf("bad comparator %q in version range %q", t, s)
			}
			op := m[1]
			if op == "" || op == "==" {
				op = "="
			}
			c := comparator{op: op, raw: m[2]}
			if ordered {
				v, err := version.Parse(eco, version.Canonical(eco, m[2]))
				if err != nil {
					return nil, false, fmt.Errorf("version range %q: %w", s, err)
				}
				c.v = v
			} else if op != "=" && op != "!=" {
				return nil, false, fmt.Errorf("ecosystem %q has no version ordering: only exact versions (= and !=) can be banned", eco)
			}
			and = append(and, c)
		}
		out = append(out, and)
	}
	return out, !ordered, nil
}

// contains reports whether version s (of the ban's ecosystem) is in the
// range. A version that does not parse is in no range.
func (b *Ban) contains(eco, s string) bool {
	if b.rng == nil {
		return true
	}
	var v version.Version
	if !b.exact {
		var err error
		if v, err = version.Parse(eco, version.Canonical(eco, s)); err != nil {
			return false
		}
	}
	for _, and := range b.rng {
		ok := true
		for _, c := range and {
			var cmp int
			if b.exact {
				cmp = strings.Compare(s, c.raw)
				if cmp != 0 {
					cmp = 2 // unordered: only equality means anything
				}
			} else {
				cmp = v.Compare(c.v)
			}
			switch c.op {
			case "=":
				ok = cmp == 0
			case "!=":
				ok = cmp != 0
			case "<":
				ok = cmp < 0
			case "<=":
				ok = cmp <= 0
			case ">":
				ok = cmp > 0 && cmp != 2
			case ">=":
				ok = cmp >= 0 && cmp != 2
			}
			if !ok {
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

const banKeys = "name, ecosystem, versions, reason, alternative"

func (d *decoder) bans(m *mapping) (checker, error) {
	n := m.get("packages")
	if n == nil || n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		at := m.node
		if n != nil {
			at = n
		}
		return nil, d.errf(at, "%s: a bans rule needs \"packages\", a list of {name, ecosystem, versions, reason, alternative}", m.what)
	}
	r := &banRule{}
	for _, bn := range n.Content {
		bm, err := d.mapping(bn, "a banned package")
		if err != nil {
			return nil, err
		}
		var b Ban
		if b.Name, _, err = bm.str("name", true); err != nil {
			return nil, err
		}
		if b.Ecosystem, _, err = bm.str("ecosystem", false); err != nil {
			return nil, err
		}
		var vn *yaml.Node
		if b.Versions, vn, err = bm.str("versions", false); err != nil {
			return nil, err
		}
		if b.Reason, _, err = bm.str("reason", false); err != nil {
			return nil, err
		}
		if b.Alternative, _, err = bm.str("alternative", false); err != nil {
			return nil, err
		}
		if err := bm.done(banKeys); err != nil {
			return nil, err
		}
		b.name = glob(b.Name)
		if strings.TrimSpace(b.Versions) != "" && b.Versions != "*" {
			if b.Ecosystem == "" {
				return nil, d.errf(vn, "%s: banned %q: \"versions\" needs \"ecosystem\" (version ordering is per ecosystem)", m.what, b.Name)
			}
			if b.rng, b.exact, err = parseRange(b.Ecosystem, b.Versions); err != nil {
				return nil, d.errf(vn, "%s: banned %q: %v", m.what, b.Name, err)
			}
		}
		r.Bans = append(r.Bans, b)
	}
	return r, nil
}

func (*banRule) keys() string        { return "packages" }
func (*banRule) needsFindings() bool { return false }

func (r *banRule) evaluate(c *evalContext, rule *Rule, pkgs []int, emit func(Violation)) string {
	for _, i := range pkgs {
		p := &c.doc.Packages[i]
		for bi := range r.Bans {
			b := &r.Bans[bi]
			if b.Ecosystem != "" && !strings.EqualFold(b.Ecosystem, string(p.Ecosystem)) || !b.name.MatchString(p.Name) {
				continue
			}
			if !b.contains(string(p.Ecosystem), p.Version) {
				continue
			}
			fact := fmt.Sprintf("%s %s is banned", p.Name, p.Version)
			if b.Versions != "" && b.Versions != "*" {
				fact = fmt.Sprintf("%s %s is banned (versions %s)", p.Name, p.Version, b.Versions)
			}
			if b.Reason != "" {
				fact += ": " + b.Reason
			}
			var fix string
			switch {
			case b.Alternative != "":
				fix = "use " + b.Alternative + " instead"
			case b.rng != nil:
				fix = fmt.Sprintf("move %s to a version outside %s", p.Name, b.Versions)
			default:
				fix = "remove " + p.Name
			}
			emit(c.violation(rule, p, fact, fix))
			break
		}
	}
	return ""
}
