package version

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// Vers is a version range in the purl specification's vers notation
// (https://github.com/package-url/vers-spec): "vers:npm/>=1.0.0|<1.2.3",
// "vers:deb/>=2.36-9|!=2.36-9+deb12u3", "vers:pypi/*". Its versions are
// compared with the ordering of the ecosystem it was parsed for.
type Vers struct {
	Scheme      string
	any         bool
	constraints []constraint // sorted by version, none "*"
}

type constraint struct {
	op  string // "=", "!=", "<", "<=", ">", ">="
	raw string
	v   Version
}

// ErrVers reports a vers string that is not one.
var ErrVers = errors.New("invalid vers range")

// ParseVers parses a vers range whose versions follow the ordering of the
// OSV ecosystem eco. The constraints must be in ascending order of version
// (the specification's canonical form; hallmark sorts them instead of
// refusing), each version at most once.
func ParseVers(s, eco string) (*Vers, error) {
	if len(s) > limits.VersBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrVers, limits.VersBytes)
	}
	rest, ok := strings.CutPrefix(s, "vers:")
	if !ok {
		return nil, fmt.Errorf("%w: %q does not start with \"vers:\"", ErrVers, s)
	}
	scheme, cs, ok := strings.Cut(rest, "/")
	if !ok || scheme == "" || cs == "" {
		return nil, fmt.Errorf("%w: want vers:SCHEME/CONSTRAINTS", ErrVers)
	}
	r := &Vers{Scheme: strings.ToLower(scheme)}
	if strings.TrimSpace(cs) == "*" {
		r.any = true
		return r, nil
	}
	parts := strings.Split(cs, "|")
	if len(parts) > limits.VersConstraints {
		return nil, fmt.Errorf("%w: more than %d constraints", ErrVers, limits.VersConstraints)
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		op := "="
		for _, o := range []string{"!=", "<=", ">=", "<", ">", "="} {
			if strings.HasPrefix(p, o) {
				op, p = o, strings.TrimSpace(p[len(o):])
				break
			}
		}
		if p == "" || p == "*" {
			return nil, fmt.Errorf("%w: empty version in a constraint", ErrVers)
		}
		v, err := Strict(eco, p)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %w", ErrVers, p, err)
		}
		r.constraints = append(r.constraints, constraint{op: op, raw: p, v: v})
	}
	slices.SortStableFunc(r.constraints, func(a, b constraint) int { return a.v.Compare(b.v) })
	for i := 1; i < len(r.constraints); i++ {
		if r.constraints[i].v.Compare(r.constraints[i-1].v) == 0 {
			return nil, fmt.Errorf("%w: version %s appears twice", ErrVers, r.constraints[i].raw)
		}
	}
	return r, nil
}

// Contains reports whether v lies in the range, by the specification's
// algorithm: an equal "=" or "!=" constraint decides; otherwise the
// remaining constraints, in order, bound intervals (below the first "<"
// or "<=", above the last ">" or ">=", between a ">"/">=" and the "<"/"<="
// after it).
func (r *Vers) Contains(v Version) bool {
	if r.any {
		return true
	}
	var rest []constraint
	for _, c := range r.constraints {
		switch c.op {
		case "=":
			if v.Compare(c.v) == 0 {
				return true
			}
		case "!=":
			if v.Compare(c.v) == 0 {
				return false
			}
		default:
			rest = append(rest, c)
		}
	}
	for i, c := range rest {
		cmp := v.Compare(c.v)
		if i == 0 && (c.op == "<" && cmp < 0 || c.op == "<=" && cmp <= 0) {
			return true
		}
		if i == len(rest)-1 && (c.op == ">" && cmp > 0 || c.op == ">=" && cmp >= 0) {
			return true
		}
		if i > 0 {
			p := rest[i-1]
			pc := v.Compare(p.v)
			lower := p.op == ">" && pc > 0 || p.op == ">=" && pc >= 0
			upper := c.op == "<" && cmp < 0 || c.op == "<=" && cmp <= 0
			if lower && upper {
				return true
			}
		}
	}
	return false
}
