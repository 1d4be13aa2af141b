package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/sbom/license"
)

// LicenseOutcome is the verdict of allow and deny lists on a package's
// declared licenses.
type LicenseOutcome int

// Outcomes, from worst to best within an expression.
const (
	// LicenseDenied: every way to comply uses a license that is denied or
	// not in the allow list.
	LicenseDenied LicenseOutcome = iota
	// LicenseUnknown: the lists cannot judge it (a text that is no SPDX
	// expression, a LicenseRef- neither list names).
	LicenseUnknown
	// LicenseAllowed: some way to comply uses only allowed licenses.
	LicenseAllowed
	// LicenseMissing: the package declares no license at all.
	LicenseMissing
)

func (o LicenseOutcome) String() string {
	return [...]string{"denied", "unknown", "allowed", "missing"}[o]
}

// LicenseLists are compiled allow and deny lists of SPDX license
// identifiers (or LicenseRef- references, or "id WITH exception" terms).
//
// Semantics, over SPDX license expressions (SPDX 2.3 Annex D):
//   - OR is a choice: "MIT OR GPL-3.0-only" passes when MIT passes.
//   - AND needs every operand: "MIT AND GPL-3.0-only" needs both.
//   - A term "X+" or "X-or-later" may be used under X or any later version
//     of X's GNU family (GPL, LGPL, AGPL, GFDL); it passes when one of
//     those passes, and is denied only when all are.
//   - "-only" and deprecated bare ids (GPL-2.0) mean the same license.
//   - "X WITH E" passes when X is allowed or the exact term "X WITH E" is
//     listed; a denied X is denied with any exception, unless the exact
//     term is in the allow list.
//   - A deny entry wins over an allow entry.
//   - With an allow list, anything not on it is denied; without one,
//     anything not denied is allowed.
//   - LicenseRef-/DocumentRef- terms pass or fail only when a list names
//     them exactly; otherwise they are unknown.
//
// Outcomes combine in three-valued logic: AND takes the worst operand
// (denied < unknown < allowed), OR the best.
type LicenseLists struct {
	allow, deny         map[string]bool // family-normalised ids; refs exact
	allowWith, denyWith map[string]bool // "id WITH exc", lower case
	hasAllow            bool
	Allow, Deny         []string // as written, for messages
}

// gnuFamilies lists the versions of licenses whose "or later" reaches
// further versions, oldest first.
var gnuFamilies = [][]string{
	{"GPL-1.0", "GPL-2.0", "GPL-3.0"},
	{"LGPL-2.0", "LGPL-2.1", "LGPL-3.0"},
	{"AGPL-1.0", "AGPL-3.0"},
	{"GFDL-1.1", "GFDL-1.2", "GFDL-1.3"},
}

// baseOf strips "-only" / "-or-later" from a listed identifier.
func baseOf(id string) (base string, orLater bool) {
	switch {
	case strings.HasSuffix(id, "-or-later"):
		return strings.TrimSuffix(id, "-or-later"), true
	case strings.HasSuffix(id, "-only"):
		return strings.TrimSuffix(id, "-only"), false
	}
	return id, false
}

// choices returns the license versions a term may be used under.
func choices(t license.Term) []string {
	if t.Ref {
		return []string{t.License}
	}
	base, later := baseOf(t.License)
	later = later || t.OrLater
	out := []string{base}
	if later {
		for _, fam := range gnuFamilies {
			if i := slices.Index(fam, base); i >= 0 {
				out = append(out, fam[i+1:]...)
			}
		}
	}
	return out
}

// NewLicenseLists compiles allow and deny lists. Each entry must be an SPDX
// License List identifier (any case, "+" / -only / -or-later allowed), a
// LicenseRef-, or "id WITH exception".
func NewLicenseLists(allow, deny []string) (*LicenseLists, error) {
	l := &LicenseLists{allow: map[string]bool{}, deny: map[string]bool{}, allowWith: map[string]bool{}, denyWith: map[string]bool{},
		hasAllow: len(allow) > 0, Allow: allow, Deny: deny}
	add := func(entry string, set, with map[string]bool) error {
		e, err := license.Parse(entry)
		if err != nil {
			return err
		}
		var terms []license.Term
		license.Eval(e, func(t license.Term) bool { terms = append(terms, t); return true },
			func([]bool) bool { return false }, func([]bool) bool { return false })
		if len(terms) != 1 {
			return fmt.Errorf("%q is an expression: list single licenses", entry)
		}
		t := terms[0]
		if t.Exception != "" {
			for _, c := range choices(license.Term{License: t.License, OrLater: t.OrLater, Ref: t.Ref}) {
				with[strings.ToLower(c+" WITH "+t.Exception)] = true
			}
			return nil
		}
		for _, c := range choices(t) {
			set[c] = true
		}
		return nil
	}
	for _, a := range allow {
		if err := add(a, l.allow, l.allowWith); err != nil {
			return nil, fmt.Errorf("allow: %w", err)
		}
	}
	for _, d := range deny {
		if err := add(d, l.deny, l.denyWith); err != nil {
			return nil, fmt.Errorf("deny: %w", err)
		}
	}
	return l, nil
}

// LicenseVerdict is the outcome for one package with the facts behind it.
type LicenseVerdict struct {
	Outcome LicenseOutcome
	// Reasons say which licenses decided a denied or unknown outcome.
	Reasons []string
}

type licVal struct {
	o       LicenseOutcome
	reasons []string
}

func (l *LicenseLists) term(t license.Term) licVal {
	cs := choices(t)
	with := ""
	if t.Exception != "" {
		with = " WITH " + t.Exception
	}
	exactAllowed, exactDenied := false, false
	allowed, denied := false, true
	for _, c := range cs {
		if with != "" && l.allowWith[strings.ToLower(c+with)] {
			exactAllowed = true
		}
		if with != "" && l.denyWith[strings.ToLower(c+with)] {
			exactDenied = true
		}
		if l.allow[c] {
			allowed = true
		}
		if !l.deny[c] {
			denied = false
		}
	}
	name := t.String()
	switch {
	case exactDenied:
		return licVal{LicenseDenied, []string{"license " + name + " is denied"}}
	case exactAllowed:
		return licVal{o: LicenseAllowed}
	case denied:
		return licVal{LicenseDenied, []string{"license " + name + " is denied"}}
	case allowed:
		return licVal{o: LicenseAllowed}
	case t.Ref:
		return licVal{LicenseUnknown, []string{"license " + name + " is neither allowed nor denied by the policy"}}
	case l.hasAllow:
		return licVal{LicenseDenied, []string{"license " + name + " not in allow list"}}
	}
	return licVal{o: LicenseAllowed}
}

func combine(vals []licVal, and bool) licVal {
	best := vals[0].o
	for _, v := range vals[1:] {
		if and && v.o < best || !and && v.o > best {
			best = v.o
		}
	}
	out := licVal{o: best}
	if best == LicenseAllowed {
		return out
	}
	// AND: the operands at the worst outcome decided it. OR: every
	// alternative failed; report them all.
	for _, v := range vals {
		if !and || v.o == best {
			for _, r := range v.reasons {
				if !slices.Contains(out.reasons, r) {
					out.reasons = append(out.reasons, r)
				}
			}
		}
	}
	return out
}

// Expression evaluates one license expression.
func (l *LicenseLists) Expression(expr string) LicenseVerdict {
	e, err := license.Parse(expr)
	if err != nil {
		return LicenseVerdict{LicenseUnknown, []string{fmt.Sprintf("license %q is not an SPDX expression", expr)}}
	}
	v := license.Eval(e, l.term,
		func(vs []licVal) licVal { return combine(vs, true) },
		func(vs []licVal) licVal { return combine(vs, false) })
	return LicenseVerdict{v.o, v.reasons}
}

// Check evaluates a package's declared licenses: each entry is an SPDX
// expression and all of them apply (AND). No license at all is
// LicenseMissing.
func (l *LicenseLists) Check(licenses []string) LicenseVerdict {
	var vals []licVal
	for _, s := range licenses {
		if strings.TrimSpace(s) == "" {
			continue
		}
		v := l.Expression(s)
		vals = append(vals, licVal{v.Outcome, v.Reasons})
	}
	if len(vals) == 0 {
		return LicenseVerdict{Outcome: LicenseMissing, Reasons: []string{"no license declared"}}
	}
	v := combine(vals, true)
	return LicenseVerdict{v.o, v.reasons}
}
