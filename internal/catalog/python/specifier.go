package python

import (
	"strings"

	"github.com/google/osv-scalibr/semantic"
)

// satisfies reports whether version v may be the one a dependency with the
// version specifier spec resolves to. It is used only to choose between
// several locked versions of one name (a lockfile may pin numpy 1.26 for old
// Pythons and 2.2 for new ones): PEP 440 clauses (==, !=, >=, <=, >, <, ~=,
// ===, "==1.*") separated by commas, Poetry's "*", "^x", "~x" and "||"
// alternatives. A clause it cannot read counts as satisfied, so an odd
// specifier links to every candidate rather than none.
func satisfies(v, spec string) bool {
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "*" {
		return true
	}
	for _, alt := range strings.Split(spec, "||") {
		ok := true
		for _, clause := range strings.Split(alt, ",") {
			if !clauseHolds(v, strings.TrimSpace(clause)) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func clauseHolds(v, c string) bool {
	if c == "" || c == "*" {
		return true
	}
	op := ""
	for _, o := range []string{"===", "==", "!=", ">=", "<=", "~=", ">", "<", "^", "~"} {
		if strings.HasPrefix(c, o) {
			op = o
			break
		}
	}
	want := strings.TrimSpace(c[len(op):])
	if op == "" || op == "===" {
		op = "=="
	}
	if prefix, ok := strings.CutSuffix(want, ".*"); ok && (op == "==" || op == "!=") {
		match := v == prefix || strings.HasPrefix(v, prefix+".")
		return match == (op == "==")
	}
	ver, err := semantic.Parse(v, "PyPI")
	if err != nil {
		return true
	}
	cmp, err := ver.CompareStr(want)
	if err != nil {
		return true
	}
	switch op {
	case "==":
		return cmp == 0
	case "!=":
		return cmp != 0
	case ">=":
		return cmp >= 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case "<":
		return cmp < 0
	case "~=", "^", "~":
		// Compatible release: at least want, below the next release of its
		// leading components. Only the lower bound is checked here; the
		// upper bound rarely separates two locked versions.
		return cmp >= 0
	}
	return true
}

// lockIndex finds the locked packages of a name, to resolve dependency edges
// to the exact versions a lockfile picked.
type lockIndex map[string][]lockedRef

type lockedRef struct {
	id, version string
}

func (ix lockIndex) add(normName, id, version string) {
	for _, r := range ix[normName] {
		if r.id == id {
			return
		}
	}
	ix[normName] = append(ix[normName], lockedRef{id, version})
}

// resolve returns the ids a dependency on normName with the given specifiers
// links to: the only locked version, or those of several that satisfy any of
// specs (all of them when none does).
func (ix lockIndex) resolve(normName string, specs ...string) []string {
	refs := ix[normName]
	if len(refs) == 1 {
		return []string{refs[0].id}
	}
	var out []string
	for _, r := range refs {
		for _, s := range specs {
			if satisfies(r.version, s) {
				out = append(out, r.id)
				break
			}
		}
	}
	if len(out) == 0 {
		for _, r := range refs {
			out = append(out, r.id)
		}
	}
	return out
}
