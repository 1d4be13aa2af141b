package npm

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/yamldoc"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// PNPMLock reads pnpm-lock.yaml (https://github.com/pnpm/spec/tree/master/lockfile):
//
//   - lockfileVersion 9: "packages" (one entry per name@version, with its
//     resolution) and "snapshots" (one per name@version(peers...), with its
//     dependencies);
//   - lockfileVersion 6: "packages" keyed /name@version(peers), with
//     dependencies and dev/optional flags in the same entry;
//   - lockfileVersion 5: "packages" keyed /name/version_peers.
//
// Every package entry is a package: the truth is what pnpm installs for all
// importers, dev dependencies included, and for every platform (optional
// platform packages such as @esbuild/linux-x64 are listed, as in the
// lockfile; pnpm would skip those not matching the host). Peer suffixes are
// stripped from versions; the edge to the peer is kept. Workspace members
// (importers, and link: dependencies) are not packages: the lockfile does
// not name them. "importers" (or, for a single project, the top-level
// dependencies) decide Direct and, propagated over the edges, Scope.
// Directory (file:) packages have no version in the lockfile and get
// SourceKind "path"; tarball and git resolutions set SourceKind and
// ResolvedURL.
type PNPMLock struct{}

// Name implements catalog.Cataloger.
func (PNPMLock) Name() string { return "pnpm-lock" }

// Claims implements catalog.Cataloger.
func (PNPMLock) Claims(p string, _ fs.FileMode) bool {
	return path.Base(p) == "pnpm-lock.yaml" && !catalog.InNodeModules(p)
}

// Catalog implements catalog.Cataloger.
func (PNPMLock) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	return parsePNPM(b, p)
}

// PropPackageManager marks a package of pnpm's own environment: the
// first document of a pnpm 10/11 lockfile when pnpm manages its own version
// (packageManagerDependencies: pnpm, @pnpm/exe and what they load) or
// installs config dependencies (configDependencies). They are tools of the
// build, kept in the SBOM with scope dev, never the project's runtime
// dependencies.
const PropPackageManager = "hallmark:pnpm:package-manager"

func parsePNPM(b []byte, file string) (*catalog.Result, error) {
	roots, err := yamldoc.ParseAll(b)
	if err != nil {
		return nil, fmt.Errorf("parse pnpm lock: %w", err)
	}
	w := yamldoc.NewWalker(yamldoc.Budget(len(b)))
	// The project's documents first, then the environment's, whose packages
	// the project does not also install.
	res := &catalog.Result{}
	var env []*yaml.Node
	for _, root := range roots {
		if root == nil {
			continue
		}
		if root.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("parse pnpm lock: line %d: top level is not a mapping", root.Line)
		}
		if isPNPMEnvironment(w, root) {
			env = append(env, root)
			continue
		}
		r, err := parsePNPMDoc(w, root, file)
		if r != nil {
			res.Packages = append(res.Packages, r.Packages...)
			res.Relationships = append(res.Relationships, r.Relationships...)
		}
		if err != nil {
			return res, err
		}
	}
	project := map[string]bool{}
	for _, p := range res.Packages {
		project[p.ID] = true
	}
	for _, root := range env {
		r, err := parsePNPMDoc(w, root, file)
		if err != nil {
			return res, err
		}
		for _, p := range r.Packages {
			if project[p.ID] {
				continue
			}
			p.Scope, p.Direct = sbom.ScopeDev, false
			p.SetProperty(PropPackageManager, "true")
			res.Packages = append(res.Packages, p)
		}
		for _, rel := range r.Relationships {
			if !project[rel.From] {
				res.Relationships = append(res.Relationships, rel)
			}
		}
	}
	return res, nil
}

// isPNPMEnvironment reports whether a lockfile document is pnpm's own
// environment: its importers list packageManagerDependencies or
// configDependencies and no project dependencies.
func isPNPMEnvironment(w *yamldoc.Walker, root *yaml.Node) bool {
	env, deps := false, false
	w.Pairs(w.Get(root, "importers"), func(_, imp *yaml.Node) bool {
		if w.Get(imp, "packageManagerDependencies") != nil || w.Get(imp, "configDependencies") != nil {
			env = true
		}
		for _, f := range [...]string{"dependencies", "devDependencies", "optionalDependencies"} {
			if w.Get(imp, f) != nil {
				deps = true
			}
		}
		return true
	})
	return env && !deps
}

// parsePNPMDoc reads one lockfile document.
func parsePNPMDoc(w *yamldoc.Walker, root *yaml.Node, file string) (*catalog.Result, error) {
	verStr := w.Str(root, "lockfileVersion")
	ver, _ := strconv.ParseFloat(strings.TrimPrefix(verStr, "v"), 64)
	if verStr == "" {
		return nil, fmt.Errorf("parse pnpm lock: no lockfileVersion")
	}
	v5 := ver > 0 && ver < 6

	res := &catalog.Result{}
	index := map[string]int{} // package id (key without peers) -> package
	var nodes []*yaml.Node    // per package: its packages entry

	w.Pairs(w.Get(root, "packages"), func(k, v *yaml.Node) bool {
		id := pnpmID(k.Value, v5)
		if _, ok := index[id]; ok {
			return true
		}
		name, version := pnpmNameVersion(id)
		if n := w.Str(v, "name"); n != "" {
			name = n
		}
		if vv := w.Str(v, "version"); vv != "" {
			version = vv
		}
		if name == "" {
			return true
		}
		var resolved string
		if !isVersionLike(version) {
			resolved, version = version, ""
		}
		pkg := newPackage(name, version, file, k.Line)
		r := w.Get(v, "resolution")
		pkg.Hashes = catalog.ParseSRI(w.Str(r, "integrity"))
		switch {
		case w.Str(r, "tarball") != "":
			resolved = w.Str(r, "tarball")
		case w.Str(r, "type") == "git":
			resolved = "git+" + w.Str(r, "repo") + "#" + w.Str(r, "commit")
		case w.Str(r, "type") == "directory":
			resolved = "file:" + w.Str(r, "directory")
		}
		if resolved != "" {
			pkg.ResolvedURL = resolved
			pkg.SourceKind = sourceKind(resolved)
		}
		index[id] = len(res.Packages)
		res.Packages = append(res.Packages, pkg)
		nodes = append(nodes, v)
		return true
	})
	if err := w.Err(); err != nil {
		return res, fmt.Errorf("parse pnpm lock: %w", err)
	}

	g := newGraph(len(res.Packages))
	lookup := func(name, v string) int {
		if v == "" || strings.HasPrefix(v, "link:") {
			return -1
		}
		for _, cand := range [...]string{name + "@" + v, "/" + name + "@" + v, "/" + name + "/" + v, v, "/" + v} {
			if i, ok := index[pnpmID(cand, v5)]; ok {
				return i
			}
		}
		return -1
	}
	seen := map[[2]int]bool{}
	addEdges := func(from int, entry *yaml.Node) {
		for _, f := range [...]struct {
			field string
			kind  edgeKind
		}{{"dependencies", edgeRequired}, {"optionalDependencies", edgeOptional}} {
			w.Pairs(w.Get(entry, f.field), func(k, v *yaml.Node) bool {
				to := lookup(k.Value, v.Value)
				if to < 0 || to == from || seen[[2]int{from, to}] {
					return true
				}
				seen[[2]int{from, to}] = true
				g.edge(from, to, f.kind)
				res.Relationships = append(res.Relationships, sbom.Relationship{From: res.Packages[from].ID, To: res.Packages[to].ID})
				return true
			})
		}
	}
	if snaps := w.Get(root, "snapshots"); snaps != nil {
		w.Pairs(snaps, func(k, v *yaml.Node) bool {
			if i, ok := index[pnpmID(k.Value, v5)]; ok {
				addEdges(i, v)
			}
			return true
		})
	} else {
		for i, n := range nodes {
			addEdges(i, n)
		}
	}

	// Importers: a workspace's projects, or the single project's top-level
	// dependency maps.
	importer := func(imp *yaml.Node) {
		for _, f := range [...]struct {
			field string
			scope sbom.Scope
		}{{"dependencies", sbom.ScopeRequired}, {"optionalDependencies", sbom.ScopeOptional}, {"devDependencies", sbom.ScopeDev}} {
			w.Pairs(w.Get(imp, f.field), func(k, v *yaml.Node) bool {
				ver := v.Value
				if v.Kind == yaml.MappingNode {
					ver = w.Str(v, "version")
				}
				if i := lookup(k.Value, ver); i >= 0 {
					res.Packages[i].Direct = true
					g.markRoot(i, f.scope)
				}
				return true
			})
		}
	}
	if imps := w.Get(root, "importers"); imps != nil {
		w.Pairs(imps, func(_, v *yaml.Node) bool { importer(v); return true })
	} else {
		importer(root)
	}
	if err := w.Err(); err != nil {
		return res, fmt.Errorf("parse pnpm lock: %w", err)
	}
	scopes, reached := g.scopes()
	for i := range res.Packages {
		if reached[i] {
			res.Packages[i].Scope = scopes[i]
		} else if n := nodes[i]; w.Str(n, "dev") == "true" {
			res.Packages[i].Scope = sbom.ScopeDev
		} else if w.Str(n, "optional") == "true" {
			res.Packages[i].Scope = sbom.ScopeOptional
		}
	}
	return res, nil
}

// pnpmID returns a package's identity from a packages/snapshots key or a
// resolved dependency: the key without the leading "/" of v5/v6 and
// without the peer suffix ("(react@18.2.0)" in v6+, "_react@18.2.0" in v5).
func pnpmID(key string, v5 bool) string {
	key = strings.TrimPrefix(key, "/")
	if i := strings.IndexByte(key, '('); i > 0 {
		key = key[:i]
	}
	if v5 {
		// /name/1.2.3_peer@1.0.0: the peer suffix starts at the first "_"
		// after the version's slash.
		if s := strings.LastIndexByte(key, '/'); s >= 0 {
			if u := strings.IndexByte(key[s:], '_'); u > 0 {
				key = key[:s+u]
			}
		}
	}
	return key
}

// pnpmNameVersion splits an id: "name@version", "@scope/name@version",
// "name@file:dir", or v5's "name/version".
func pnpmNameVersion(id string) (string, string) {
	start := 0
	if strings.HasPrefix(id, "@") {
		start = strings.IndexByte(id, '/') + 1
		if start <= 0 {
			return "", ""
		}
	}
	if i := strings.IndexByte(id[start:], '@'); i > 0 {
		return id[:start+i], id[start+i+1:]
	}
	if i := strings.LastIndexByte(id, '/'); i > start {
		return id[:i], id[i+1:]
	}
	return "", ""
}

// isVersionLike reports whether v is a version rather than a location
// (file:, link:, a URL, a git specifier).
func isVersionLike(v string) bool {
	if v == "" {
		return true
	}
	return !strings.Contains(v, ":") && !strings.Contains(v, "/")
}
