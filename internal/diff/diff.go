// Package diff compares two releases of a product: the components added,
// removed and changed in version, and the vulnerabilities that appeared,
// were fixed, or went away with a removed component. It is what patch
// notes and EU CRA advisories need ("this update fixes CVE-..."), and the
// output of hallmark diff and the server's release diff.
package diff

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Component is a component in one or both releases.
type Component struct {
	Name      string `json:"name"`
	Ecosystem string `json:"ecosystem"`
	From      string `json:"from,omitempty"` // version in the older release
	To        string `json:"to,omitempty"`   // version in the newer release
	PURL      string `json:"purl"`
}

// Vuln is a vulnerability of one component.
type Vuln struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases,omitempty"`
	Package  string   `json:"package"`
	Severity string   `json:"severity"`
}

// Diff is the difference from release A (older) to release B (newer).
type Diff struct {
	Added   []Component `json:"added"`
	Removed []Component `json:"removed"`
	Changed []Component `json:"changed"`
	// NewVulns affect B and not A; Fixed affected A and not B.
	NewVulns []Vuln `json:"newVulnerabilities"`
	Fixed    []Vuln `json:"fixedVulnerabilities"`
}

type key struct{ eco, name string }

// Compare compares two documents and, when given, their match results
// (with VEX applied: suppressed findings do not count).
func Compare(a, b *sbom.Document, ra, rb *match.Result) *Diff {
	d := &Diff{Added: []Component{}, Removed: []Component{}, Changed: []Component{}, NewVulns: []Vuln{}, Fixed: []Vuln{}}
	// A name may be installed at several versions (npm trees): compare the
	// set of versions per name.
	type entry struct {
		versions []string
		purl     string
	}
	index := func(doc *sbom.Document) map[key]*entry {
		m := map[key]*entry{}
		for _, p := range doc.Packages {
			k := key{string(p.Ecosystem), p.Name}
			e := m[k]
			if e == nil {
				e = &entry{}
				m[k] = e
			}
			if !slices.Contains(e.versions, p.Version) {
				e.versions = append(e.versions, p.Version)
			}
			e.purl = p.PURL
		}
		for _, e := range m {
			slices.Sort(e.versions)
		}
		return m
	}
	ia, ib := index(a), index(b)
	for k, p := range ib {
		if q, ok := ia[k]; !ok {
			d.Added = append(d.Added, Component{Name: k.name, Ecosystem: k.eco, To: strings.Join(p.versions, ", "), PURL: p.purl})
		} else if !slices.Equal(q.versions, p.versions) {
			d.Changed = append(d.Changed, Component{Name: k.name, Ecosystem: k.eco, From: strings.Join(q.versions, ", "), To: strings.Join(p.versions, ", "), PURL: p.purl})
		}
	}
	for k, p := range ia {
		if _, ok := ib[k]; !ok {
			d.Removed = append(d.Removed, Component{Name: k.name, Ecosystem: k.eco, From: strings.Join(p.versions, ", "), PURL: p.purl})
		}
	}
	vulns := func(r *match.Result) map[string]Vuln {
		m := map[string]Vuln{}
		if r == nil {
			return m
		}
		for _, f := range r.Active() {
			p := r.Document.Package(f.PackageID)
			m[f.ID+"\x00"+p.Name] = Vuln{ID: f.ID, Aliases: f.Aliases, Package: p.Name, Severity: f.Severity.Level.String()}
		}
		return m
	}
	va, vb := vulns(ra), vulns(rb)
	for k, v := range vb {
		if _, ok := va[k]; !ok {
			d.NewVulns = append(d.NewVulns, v)
		}
	}
	for k, v := range va {
		if _, ok := vb[k]; !ok {
			d.Fixed = append(d.Fixed, v)
		}
	}
	byName := func(x, y Component) int {
		return cmp.Or(cmp.Compare(x.Ecosystem, y.Ecosystem), cmp.Compare(x.Name, y.Name))
	}
	byID := func(x, y Vuln) int { return cmp.Or(cmp.Compare(x.Package, y.Package), cmp.Compare(x.ID, y.ID)) }
	slices.SortFunc(d.Added, byName)
	slices.SortFunc(d.Removed, byName)
	slices.SortFunc(d.Changed, byName)
	slices.SortFunc(d.NewVulns, byID)
	slices.SortFunc(d.Fixed, byID)
	return d
}

// Table writes the difference for people.
func Table(w io.Writer, d *Diff, a, b string) error {
	fmt.Fprintf(w, "%s -> %s: %d added, %d removed, %d changed; %d new vulnerabilities, %d fixed\n",
		a, b, len(d.Added), len(d.Removed), len(d.Changed), len(d.NewVulns), len(d.Fixed))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	section := func(title string, n int) bool {
		if n == 0 {
			return false
		}
		fmt.Fprintf(tw, "\n%s (%d):\n", title, n)
		return true
	}
	if section("Fixed vulnerabilities", len(d.Fixed)) {
		for _, v := range d.Fixed {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", v.ID, strings.Join(v.Aliases, " "), v.Package, v.Severity)
		}
	}
	if section("New vulnerabilities", len(d.NewVulns)) {
		for _, v := range d.NewVulns {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", v.ID, strings.Join(v.Aliases, " "), v.Package, v.Severity)
		}
	}
	if section("Changed", len(d.Changed)) {
		for _, c := range d.Changed {
			fmt.Fprintf(tw, "  %s\t%s\t%s -> %s\n", c.Name, c.Ecosystem, c.From, c.To)
		}
	}
	if section("Added", len(d.Added)) {
		for _, c := range d.Added {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Name, c.Ecosystem, c.To)
		}
	}
	if section("Removed", len(d.Removed)) {
		for _, c := range d.Removed {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Name, c.Ecosystem, c.From)
		}
	}
	return tw.Flush()
}
