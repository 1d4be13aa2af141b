package match

import (
	"slices"

	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/version"
)

// ComputeUpgrades sets Upgrades and UpgradeLeaves for every package with
// findings that are not suppressed: the smallest fixed version that none of
// the package's fixable active advisories affects, and the findings it
// leaves (those without any fixed version above the package's). One
// advisory without a fix no longer hides the upgrade that fixes all the
// others. Call it again after changing statuses.
func (r *Result) ComputeUpgrades() {
	r.Upgrades = map[string]string{}
	r.UpgradeLeaves = map[string][]string{}
	active := map[string][]*Finding{}
	for i := range r.Findings {
		f := &r.Findings[i]
		if !f.Status.Suppressed() {
			active[f.PackageID] = append(active[f.PackageID], f)
		}
	}
	for _, pkg := range r.Document.Packages {
		fs := active[pkg.ID]
		if fs == nil {
			continue
		}
		up, leaves := r.smallestUpgrade(pkg, fs)
		r.Upgrades[pkg.ID] = up
		if up != "" && len(leaves) > 0 {
			r.UpgradeLeaves[pkg.ID] = leaves
		}
	}
}

// UpgradeFor returns the package's upgrade when it fixes finding f, else "".
func (r *Result) UpgradeFor(f *Finding) string {
	up := r.Upgrades[f.PackageID]
	if up == "" || slices.Contains(r.UpgradeLeaves[f.PackageID], f.ID) {
		return ""
	}
	return up
}

// smallestUpgrade returns the smallest fixed version above the package's
// that clears every finding with a fix, and the ids of the findings it
// leaves affected.
func (r *Result) smallestUpgrade(pkg sbom.Package, fs []*Finding) (string, []string) {
	ms := r.ranges[pkg.ID]
	if len(ms) == 0 {
		return "", nil
	}
	eco := ms[0].eco
	cur, err := version.Parse(eco, version.Canonical(eco, pkg.Version))
	if err != nil {
		return "", nil
	}
	type cand struct {
		raw string
		v   version.Version
	}
	var cands []cand
	fixable := map[string]bool{} // advisory ids with a fix above the current version
	for _, f := range fs {
		for _, a := range f.Advisories {
			for _, s := range a.Fixed {
				v, err := version.Parse(eco, s)
				if err != nil || v.Compare(cur) <= 0 {
					continue
				}
				fixable[a.ID] = true
				if !slices.ContainsFunc(cands, func(c cand) bool { return c.raw == s }) {
					cands = append(cands, cand{s, v})
				}
			}
		}
	}
	byID := map[string]matched{}
	for _, m := range ms {
		byID[m.id] = m
	}
	affected := func(id string, c cand) bool {
		m, ok := byID[id]
		if !ok {
			return false
		}
		hit, _, err := affects(m.id, eco, m.aff, c.raw, c.v)
		return err != nil || hit
	}
	slices.SortFunc(cands, func(a, b cand) int { return a.v.Compare(b.v) })
	for _, c := range cands {
		ok := true
		for id := range fixable {
			if affected(id, c) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		var leaves []string
		for _, f := range fs {
			for _, a := range f.Advisories {
				if affected(a.ID, c) {
					leaves = append(leaves, f.ID)
					break
				}
			}
		}
		return c.raw, leaves
	}
	return "", nil
}
