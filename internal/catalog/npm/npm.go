// Package npm catalogs JavaScript packages: npm's package-lock.json and
// npm-shrinkwrap.json (lockfile versions 1-3), yarn.lock (classic v1 and
// Berry), pnpm-lock.yaml (lockfile versions 5-9) and the packages installed
// under node_modules. Each format has its own file and cataloger; this file
// holds what they share: purls, license fields, source kinds and the scope
// computation over a dependency graph.
package npm

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Property keys this package sets on packages.
const (
	propAlias     = "hallmark:npm:alias"     // the name a package is installed under (npm:other@x)
	propWorkspace = "hallmark:npm:workspace" // "true" for a workspace member
	propPeer      = "hallmark:npm:peer"      // "true" for a package present only as a peer dependency
	propChecksum  = "hallmark:yarn:checksum" // Berry's checksum (a hash of its zip archive, not the tarball)
	propPatch     = "hallmark:yarn:patch"    // Berry patch: locator
	// PropConditions holds a Berry entry's platform conditions
	// ("os=aix & cpu=ppc64"): Yarn fetches, and so checksums, such a
	// package only on a matching platform or one listed in
	// supportedArchitectures.
	PropConditions = "hallmark:yarn:conditions"
)

// PropBundled is "true" for a bundled dependency (package-lock "inBundle",
// lockfileVersion 1 "bundled"): it ships inside its parent's tarball, so the
// parent's integrity hash covers it and it has no hash of its own.
const PropBundled = "hallmark:npm:bundled"

// newPackage returns an npm package with its purl and location set.
func newPackage(name, version, file string, line int) sbom.Package {
	p := sbom.Package{
		Name:      name,
		Version:   version,
		Ecosystem: sbom.EcosystemNPM,
		PURL:      purl.New(sbom.EcosystemNPM, name, version),
		Locations: []sbom.Location{{Path: file, Line: line}},
	}
	p.ID = p.Key()
	return p
}

// sourceKind classifies where a package comes from by its npm specifier or
// resolved URL: "git", "file" (a tarball on disk), "link"/"path" (a directory),
// "url" (a tarball elsewhere), or "" for the registry.
func sourceKind(resolved string) string {
	r := resolved
	switch {
	case r == "":
		return ""
	case strings.HasPrefix(r, "git+"), strings.HasPrefix(r, "git:"), strings.HasPrefix(r, "git@"),
		strings.HasPrefix(r, "github:"), strings.HasPrefix(r, "gitlab:"), strings.HasPrefix(r, "bitbucket:"),
		strings.HasPrefix(r, "gist:"), strings.HasPrefix(r, "ssh://"),
		strings.HasPrefix(r, "https://codeload.github.com/"):
		return "git"
	case strings.HasPrefix(r, "file:"):
		if isTarball(r) {
			return "file"
		}
		return "path"
	case strings.HasPrefix(r, "link:"), strings.HasPrefix(r, "portal:"):
		return "link"
	case strings.HasPrefix(r, "http://"), strings.HasPrefix(r, "https://"):
		// Registry tarballs are <registry>/<name>/-/<name>-<version>.tgz.
		if strings.Contains(r, "/-/") && isTarball(stripFragment(r)) {
			return ""
		}
		return "url"
	}
	return ""
}

func stripFragment(s string) string {
	if i := strings.IndexAny(s, "#?"); i >= 0 {
		return s[:i]
	}
	return s
}

func isTarball(s string) bool {
	return strings.HasSuffix(s, ".tgz") || strings.HasSuffix(s, ".tar.gz") || strings.HasSuffix(s, ".tar")
}

// license reads the "license" / "licenses" forms package.json files and
// lockfiles use: a string (an SPDX expression), the legacy object
// {"type": "MIT", "url": ...}, or an array of either.
type license struct{ exprs []string }

// UnmarshalJSON accepts every legacy form and ignores the rest, so that a
// strange license field never fails a package.
func (l *license) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		var s string
		if json.Unmarshal(b, &s) == nil {
			l.add(s)
		}
	case '{':
		var o struct {
			Type string `json:"type"`
			Name string `json:"name"`
		}
		if json.Unmarshal(b, &o) == nil {
			l.add(o.Type)
			if o.Type == "" {
				l.add(o.Name)
			}
		}
	case '[':
		var a []license
		if json.Unmarshal(b, &a) == nil {
			for _, x := range a {
				l.exprs = append(l.exprs, x.exprs...)
			}
		}
	}
	return nil
}

func (l *license) add(s string) {
	if s = strings.TrimSpace(s); s != "" {
		l.exprs = append(l.exprs, s)
	}
}

// expression returns the declared licenses as one SPDX expression: several
// licenses (the legacy "licenses" array) mean the user may choose, so they
// are joined with OR. Compound members are parenthesised.
func licenseExpr(exprs ...[]string) []string {
	var all []string
	for _, e := range exprs {
		all = append(all, e...)
	}
	switch len(all) {
	case 0:
		return nil
	case 1:
		return all
	}
	parts := make([]string, 0, len(all))
	for _, e := range all {
		if strings.Contains(e, " ") && !(strings.HasPrefix(e, "(") && strings.HasSuffix(e, ")")) {
			e = "(" + e + ")"
		}
		if !slices.Contains(parts, e) {
			parts = append(parts, e)
		}
	}
	if len(parts) == 1 {
		return parts
	}
	return []string{strings.Join(parts, " OR ")}
}

// manifest is the part of a package.json this package reads.
type manifest struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	License              license           `json:"license"`
	Licenses             license           `json:"licenses"`
	Author               person            `json:"author"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	Workspaces           workspaces        `json:"workspaces"`
}

// person is a package.json person field: "Name <email> (url)" or
// {"name": ..., "email": ..., "url": ...}.
type person struct{ name string }

func (p *person) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		var s string
		if json.Unmarshal(b, &s) == nil {
			if i := strings.IndexAny(s, "<("); i >= 0 {
				s = s[:i]
			}
			p.name = strings.TrimSpace(s)
		}
	case '{':
		var o struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(b, &o) == nil {
			p.name = strings.TrimSpace(o.Name)
		}
	}
	return nil
}

// workspaces is package.json's "workspaces": an array of globs or
// {"packages": [...]} (yarn).
type workspaces []string

func (w *workspaces) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '[':
		var a []string
		if json.Unmarshal(b, &a) == nil {
			*w = a
		}
	case '{':
		var o struct {
			Packages []string `json:"packages"`
		}
		if json.Unmarshal(b, &o) == nil {
			*w = o.Packages
		}
	}
	return nil
}

// readManifest reads dir/package.json from fsys; ok is false when there is
// none or it cannot be read.
func readManifest(fsys fs.FS, dir string) (*manifest, bool) {
	b, err := catalog.ReadFile(fsys, path.Join(dir, "package.json"))
	if err != nil {
		return nil, false
	}
	var m manifest
	if json.Unmarshal(b, &m) != nil {
		return nil, false
	}
	return &m, true
}

// declared is what the root project and its workspace members declare:
// dependency name -> the most needed scope it is declared with.
type declared map[string]sbom.Scope

func (d declared) add(m *manifest) {
	for n := range m.Dependencies {
		d.set(n, sbom.ScopeRequired)
	}
	for n := range m.PeerDependencies {
		d.set(n, sbom.ScopeRequired)
	}
	for n := range m.OptionalDependencies {
		d.set(n, sbom.ScopeOptional)
	}
	for n := range m.DevDependencies {
		d.set(n, sbom.ScopeDev)
	}
}

func (d declared) set(name string, s sbom.Scope) {
	if old, ok := d[name]; !ok || s.Rank() < old.Rank() {
		d[name] = s
	}
}

// projectManifests reads the package.json beside a lockfile and those of its
// workspace members (globs of the "workspaces" field, expanded with
// fs.Glob). ok is false when there is no package.json beside the lockfile.
func projectManifests(fsys fs.FS, dir string) (root *manifest, members map[string]*manifest, ok bool) {
	root, ok = readManifest(fsys, dir)
	if !ok {
		return nil, nil, false
	}
	members = map[string]*manifest{}
	for _, g := range root.Workspaces {
		g = strings.TrimSuffix(strings.TrimPrefix(g, "./"), "/")
		if g == "" || strings.Contains(g, "..") {
			continue
		}
		matches, err := fs.Glob(fsys, path.Join(dir, g))
		if err != nil {
			continue
		}
		for _, m := range matches {
			if mm, ok := readManifest(fsys, m); ok {
				members[m] = mm
			}
		}
	}
	return root, members, true
}

// edgeKind is how a dependency is declared, for scope propagation.
type edgeKind uint8

const (
	edgeRequired edgeKind = iota
	edgeOptional
)

// graph computes the scope of every package of a lockfile from the scopes the
// roots declare: a package is required when a path of required edges leads
// to it from a required root, optional when a path with optional steps does,
// and dev when only dev roots reach it. Nodes are indices into the caller's
// package slice.
type graph struct {
	edges [][]gedge
	root  []int8 // per node: -1 not a root, else the best root scope rank
}

type gedge struct {
	to   int
	kind edgeKind
}

func newGraph(n int) *graph {
	g := &graph{edges: make([][]gedge, n), root: make([]int8, n)}
	for i := range g.root {
		g.root[i] = -1
	}
	return g
}

func (g *graph) edge(from, to int, k edgeKind) {
	g.edges[from] = append(g.edges[from], gedge{to, k})
}

func (g *graph) markRoot(n int, s sbom.Scope) {
	r := int8(scopeLevel(s))
	if g.root[n] < 0 || r < g.root[n] {
		g.root[n] = r
	}
}

// scopeLevel maps scopes to the three levels propagation knows.
func scopeLevel(s sbom.Scope) int {
	switch s {
	case sbom.ScopeRequired:
		return 0
	case sbom.ScopeOptional:
		return 1
	}
	return 2
}

var levelScope = [3]sbom.Scope{sbom.ScopeRequired, sbom.ScopeOptional, sbom.ScopeDev}

// scopes returns each node's scope and whether any root reached it.
func (g *graph) scopes() ([]sbom.Scope, []bool) {
	n := len(g.edges)
	level := make([]int8, n)
	for i := range level {
		level[i] = 3
	}
	// A 0-1-2 shortest path over levels: a node's level is the minimum over
	// paths of the maximum step level. Three breadth-first passes suffice.
	for l := int8(0); l < 3; l++ {
		var queue []int
		// Nodes reached at a lower level propagate again over this
		// level's edges.
		for i, r := range g.root {
			if r >= 0 && r <= l && level[i] > l {
				level[i] = l
			}
			if level[i] <= l {
				queue = append(queue, i)
			}
		}
		for len(queue) > 0 {
			i := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			for _, e := range g.edges[i] {
				if int8(e.kind) > l || level[e.to] <= l {
					continue
				}
				level[e.to] = l
				queue = append(queue, e.to)
			}
		}
	}
	out := make([]sbom.Scope, n)
	reached := make([]bool, n)
	for i, l := range level {
		if l < 3 {
			out[i] = levelScope[l]
			reached[i] = true
		}
	}
	return out, reached
}

// lineIndex turns byte offsets into 1-based line numbers, for offsets asked
// in increasing order (it sweeps the input once).
type lineIndex struct {
	b    []byte
	off  int
	line int
}

func (x *lineIndex) at(off int) int {
	if x.line == 0 {
		x.line = 1
	}
	if off < x.off {
		x.off, x.line = 0, 1
	}
	if off > len(x.b) {
		off = len(x.b)
	}
	x.line += bytes.Count(x.b[x.off:off], []byte{'\n'})
	x.off = off
	return x.line
}

// sortedKeys returns m's keys in order, so that results do not depend on map
// iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
