package sbom

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Key returns the identity under which packages are merged: the purl, or,
// when a package has none, its ecosystem, name and version.
func (p *Package) Key() string {
	if p.PURL != "" {
		return p.PURL
	}
	return "hallmark:" + string(p.Ecosystem) + "/" + p.Name + "@" + p.Version
}

// Add adds packages to the document, merging a package whose Key is already
// present: locations, hashes, licenses and properties are united, Direct is
// the logical or, and the most needed scope wins. It returns nothing; IDs are
// assigned from Key.
func (d *Document) Add(pkgs ...Package) {
	if d.index == nil {
		d.reindex()
	}
	for _, p := range pkgs {
		if p.ID == "" {
			p.ID = p.Key()
		}
		i, ok := d.index[p.ID]
		if !ok {
			d.index[p.ID] = len(d.Packages)
			d.Packages = append(d.Packages, p)
			continue
		}
		d.Packages[i].merge(&p)
	}
}

// Package returns the package with the given ID, or nil.
func (d *Document) Package(id string) *Package {
	if d.index == nil {
		d.reindex()
	}
	if i, ok := d.index[id]; ok {
		return &d.Packages[i]
	}
	return nil
}

func (d *Document) reindex() {
	d.index = make(map[string]int, len(d.Packages))
	for i := range d.Packages {
		d.index[d.Packages[i].ID] = i
	}
}

// Relate adds dependency edges. Normalize later drops duplicates and edges
// whose ends are not in the document.
func (d *Document) Relate(rels ...Relationship) {
	d.Relationships = append(d.Relationships, rels...)
}

func (p *Package) merge(q *Package) {
	for _, l := range q.Locations {
		if !slices.Contains(p.Locations, l) {
			p.Locations = append(p.Locations, l)
		}
	}
	for _, h := range q.Hashes {
		if !slices.Contains(p.Hashes, h) {
			p.Hashes = append(p.Hashes, h)
		}
	}
	for _, l := range q.Licenses {
		if !slices.Contains(p.Licenses, l) {
			p.Licenses = append(p.Licenses, l)
		}
	}
	p.Direct = p.Direct || q.Direct
	if q.Scope.Rank() < p.Scope.Rank() {
		p.Scope = q.Scope
	}
	if p.Supplier == "" {
		p.Supplier = q.Supplier
	}
	if p.ResolvedURL == "" {
		p.ResolvedURL = q.ResolvedURL
	}
	if p.SourceKind == "" {
		p.SourceKind = q.SourceKind
	}
	if p.Ecosystem == "" {
		p.Ecosystem = q.Ecosystem
	}
	for k, v := range q.Properties {
		if p.Properties == nil {
			p.Properties = map[string]string{}
		}
		if _, ok := p.Properties[k]; !ok {
			p.Properties[k] = v
		}
	}
}

// Normalize puts the document in its canonical order so that output is
// deterministic: packages sorted by ecosystem, name, version and ID; their
// locations, hashes and licenses sorted; relationships sorted, de-duplicated
// and restricted to packages present in the document.
func (d *Document) Normalize() {
	slices.SortFunc(d.Packages, func(a, b Package) int {
		return cmp.Or(
			cmp.Compare(a.Ecosystem, b.Ecosystem),
			compareLower(a.Name, b.Name),
			cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Version, b.Version),
			cmp.Compare(a.ID, b.ID),
		)
	})
	for i := range d.Packages {
		p := &d.Packages[i]
		slices.SortFunc(p.Locations, func(a, b Location) int {
			return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line))
		})
		slices.SortFunc(p.Hashes, func(a, b Hash) int {
			return cmp.Or(cmp.Compare(a.Algorithm, b.Algorithm), cmp.Compare(a.Value, b.Value))
		})
		slices.Sort(p.Licenses)
	}
	d.reindex()
	rels := d.Relationships[:0]
	for _, r := range d.Relationships {
		if r.From == r.To {
			continue
		}
		if _, ok := d.index[r.From]; !ok {
			continue
		}
		if _, ok := d.index[r.To]; !ok {
			continue
		}
		rels = append(rels, r)
	}
	slices.SortFunc(rels, func(a, b Relationship) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	d.Relationships = slices.Compact(rels)
}

// DependsOn returns the IDs the package with the given ID depends on, in
// order. The document must be normalized.
func (d *Document) DependsOn(id string) []string {
	i, _ := slices.BinarySearchFunc(d.Relationships, id, func(r Relationship, id string) int {
		return cmp.Compare(r.From, id)
	})
	var out []string
	for ; i < len(d.Relationships) && d.Relationships[i].From == id; i++ {
		out = append(out, d.Relationships[i].To)
	}
	return out
}

// compareLower is cmp.Compare(strings.ToLower(a), strings.ToLower(b))
// without lower-casing whole strings on every comparison of a sort: ASCII
// bytes are compared folded as they come, and only from the first
// non-ASCII byte on are the rest of both strings lower-cased (ToLower maps
// rune by rune, so an equal ASCII prefix stays equal).
func compareLower(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca >= utf8.RuneSelf || cb >= utf8.RuneSelf {
			return cmp.Compare(strings.ToLower(a[i:]), strings.ToLower(b[i:]))
		}
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return cmp.Compare(ca, cb)
		}
	}
	return cmp.Compare(len(a), len(b))
}
