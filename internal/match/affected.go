package match

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/hallmark-dev/hallmark/internal/osv"
	"github.com/hallmark-dev/hallmark/internal/version"
)

// RangeError reports an advisory range whose versions the ecosystem's
// ordering cannot parse; the package cannot be checked against it.
type RangeError struct {
	ID      string
	Version string
	Err     error
}

func (e *RangeError) Error() string {
	return fmt.Sprintf("advisory %s: range version %q: %v", e.ID, e.Version, e.Err)
}

func (e *RangeError) Unwrap() error { return e.Err }

// event is a parsed range event.
type event struct {
	kind string // "introduced", "fixed", "last_affected", "limit"
	raw  string
	v    version.Version
	zero bool // introduced "0": before every version
	all  bool // limit "*": no limit
}

var kindOrder = map[string]int{"introduced": 0, "fixed": 1, "last_affected": 2, "limit": 3}

func parseEvents(id, eco string, evs []osv.Event) ([]event, error) {
	out := make([]event, 0, len(evs))
	for _, e := range evs {
		var ev event
		switch {
		case e.Introduced != "":
			ev = event{kind: "introduced", raw: e.Introduced}
			ev.zero = e.Introduced == "0"
		case e.Fixed != "":
			ev = event{kind: "fixed", raw: e.Fixed}
		case e.LastAffected != "":
			ev = event{kind: "last_affected", raw: e.LastAffected}
		case e.Limit != "":
			ev = event{kind: "limit", raw: e.Limit}
			ev.all = e.Limit == "*"
		default:
			continue
		}
		if !ev.zero && !ev.all {
			v, err := version.Parse(eco, ev.raw)
			if err != nil {
				return nil, &RangeError{ID: id, Version: ev.raw, Err: err}
			}
			ev.v = v
		}
		out = append(out, ev)
	}
	// Sort by version, introduced "0" first; at equal versions keep the
	// order introduced, fixed, last_affected, limit.
	slices.SortStableFunc(out, func(a, b event) int {
		switch {
		case a.zero && b.zero:
			return 0
		case a.zero:
			return -1
		case b.zero:
			return 1
		case a.all || b.all:
			return cmp.Compare(btoi(a.all), btoi(b.all))
		}
		return cmp.Or(a.v.Compare(b.v), cmp.Compare(kindOrder[a.kind], kindOrder[b.kind]))
	})
	return out, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// inRange evaluates one SEMVER or ECOSYSTEM range as the OSV specification
// says (https://ossf.github.io/osv-schema/#evaluation): walking the sorted
// events, an introduced event at or below v makes it affected, a fixed event
// at or below v or a last_affected event below v makes it unaffected, and
// v at or above a limit is never affected.
func inRange(v version.Version, evs []event) bool {
	affected := false
	for _, e := range evs {
		switch e.kind {
		case "introduced":
			if e.zero || v.Compare(e.v) >= 0 {
				affected = true
			}
		case "fixed":
			if v.Compare(e.v) >= 0 {
				affected = false
			}
		case "last_affected":
			if v.Compare(e.v) > 0 {
				affected = false
			}
		case "limit":
			if !e.all && v.Compare(e.v) >= 0 {
				return false
			}
		}
	}
	return affected
}

// nextFixed returns the smallest fixed version above v in the range, or "".
func nextFixed(v version.Version, evs []event) string {
	for _, e := range evs {
		if e.kind == "fixed" && e.v.Compare(v) > 0 {
			return e.raw
		}
	}
	return ""
}

// affects reports whether the affected entries of advisory id name version
// v (raw is its string form) of ecosystem eco, and the fixed versions that
// end the matching ranges. An affected entry with neither ranges nor
// versions affects every version (as osv-scanner reads it); GIT ranges
// are ignored (packages carry no commit).
func affects(id, eco string, aff []osv.Affected, raw string, v version.Version) (bool, []string, error) {
	hit := false
	var fixed []string
	for _, a := range aff {
		for _, r := range a.Ranges {
			if r.Type != osv.RangeSemver && r.Type != osv.RangeEcosystem {
				continue
			}
			evs, err := parseEvents(id, eco, r.Events)
			if err != nil {
				return false, nil, err
			}
			if inRange(v, evs) {
				hit = true
				if f := nextFixed(v, evs); f != "" && !slices.Contains(fixed, f) {
					fixed = append(fixed, f)
				}
			}
		}
		for _, s := range a.Versions {
			if s == raw {
				hit = true
				break
			}
			if w, err := version.Parse(eco, s); err == nil && w.Compare(v) == 0 {
				hit = true
				break
			}
		}
		if len(a.Ranges) == 0 && len(a.Versions) == 0 {
			hit = true
		}
	}
	return hit, fixed, nil
}
