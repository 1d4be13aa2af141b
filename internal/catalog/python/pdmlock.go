package python

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/tomldoc"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// PDMLock reads PDM's pdm.lock (https://pdm-project.org/latest/usage/lockfile/),
// lock_version 4.x.
//
//   - Every [[package]] is a package. PDM writes a second entry with
//     "extras = [...]" for a package needed with extras (coverage and
//     coverage[toml] at the same version); both are one package, the extras
//     entry adding its dependencies and groups.
//   - Scope: lock 4.5 ("inherit_metadata" strategy) lists each package's
//     groups. "default" is runtime; a group that pyproject.toml names in
//     [project.optional-dependencies] is ScopeOptional; test groups
//     ScopeTest; other groups (dev-dependencies, dependency-groups) ScopeDev.
//     Older locks have no per-package groups: everything is runtime.
//   - Hashes: every [[package.files]] hash. Markers in hallmark:python:marker.
//   - Edges: "dependencies" (PEP 508 strings), resolved to the locked
//     version that satisfies the specifier when a name is locked twice.
//   - Direct: from pyproject.toml beside the lock ([project] dependencies,
//     optional-dependencies, [tool.pdm.dev-dependencies],
//     [dependency-groups]); without it, a package no other locked package
//     depends on.
//   - Sources: git (ResolvedURL "git+URL@revision"), url, path (editable
//     paths have hallmark:python:editable). PDM does not lock the project
//     itself.
type PDMLock struct{}

// Name implements catalog.Cataloger.
func (PDMLock) Name() string { return "python-pdm-lock" }

// Claims implements catalog.Cataloger.
func (PDMLock) Claims(p string, mode fs.FileMode) bool {
	return path.Base(p) == "pdm.lock" && !catalog.InNodeModules(p)
}

type pdmLockFile struct {
	Metadata struct {
		Groups      []string `toml:"groups"`
		LockVersion string   `toml:"lock_version"`
	} `toml:"metadata"`
	Package []struct {
		Name         string   `toml:"name"`
		Version      string   `toml:"version"`
		Extras       []string `toml:"extras"`
		Groups       []string `toml:"groups"`
		Marker       string   `toml:"marker"`
		Dependencies []string `toml:"dependencies"`
		Files        []struct {
			Hash string `toml:"hash"`
		} `toml:"files"`
		Git      string `toml:"git"`
		Ref      string `toml:"ref"`
		Revision string `toml:"revision"`
		Path     string `toml:"path"`
		URL      string `toml:"url"`
		Editable bool   `toml:"editable"`
	} `toml:"package"`
}

// Catalog implements catalog.Cataloger.
func (PDMLock) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	data, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	var lock pdmLockFile
	if _, err := tomldoc.Decode(data, &lock); err != nil {
		return nil, fmt.Errorf("parse pdm.lock: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lines := tableLines(data, "[[package]]")
	if len(lines) != len(lock.Package) {
		lines = nil
	}
	decl := readPyproject(fsys, p)

	res := &catalog.Result{}
	byID := map[string]int{}
	groups := map[string][]string{} // id -> groups
	deps := map[string][]string{}   // id -> dependency strings
	ix := lockIndex{}
	for i, lp := range lock.Package {
		if lp.Name == "" {
			return nil, fmt.Errorf("parse pdm.lock: package %d has no name", i+1)
		}
		line := 0
		if lines != nil {
			line = lines[i]
		}
		pkg := newPackage(lp.Name, lp.Version, p, line)
		switch {
		case lp.Git != "":
			pkg.SourceKind = "git"
			pkg.ResolvedURL = "git+" + strings.TrimPrefix(lp.Git, "git+")
			if ref := cmp.Or(lp.Revision, lp.Ref); ref != "" {
				pkg.ResolvedURL += "@" + ref
			}
		case lp.URL != "":
			pkg.SourceKind, pkg.ResolvedURL = urlKind(lp.URL), lp.URL
		case lp.Path != "":
			pkg.SourceKind, pkg.ResolvedURL = "path", lp.Path
		}
		if lp.Editable {
			pkg.SetProperty(propEditable, "true")
		}
		pkg.SetProperty(propMarker, lp.Marker)
		for _, f := range lp.Files {
			addHash(&pkg, f.Hash)
		}
		id := pkg.ID
		deps[id] = append(deps[id], lp.Dependencies...)
		for _, g := range lp.Groups {
			if !slices.Contains(groups[id], g) {
				groups[id] = append(groups[id], g)
			}
		}
		if j, ok := byID[id]; ok {
			// The extras twin of a package already seen.
			prev := &res.Packages[j]
			if len(lp.Extras) > 0 {
				old := prev.Properties[propExtras]
				prev.SetProperty(propExtras, strings.Trim(old+","+strings.Join(lp.Extras, ","), ","))
			}
			for _, h := range pkg.Hashes {
				if !slices.Contains(prev.Hashes, h) {
					prev.Hashes = append(prev.Hashes, h)
				}
			}
			continue
		}
		pkg.SetProperty(propExtras, strings.Join(lp.Extras, ","))
		byID[id] = len(res.Packages)
		ix.add(purl.NormalizePyPI(lp.Name), id, lp.Version)
		res.Packages = append(res.Packages, pkg)
	}

	var edges edgeSet
	dependedOn := map[string]bool{}
	for _, pkg := range res.Packages {
		for _, d := range deps[pkg.ID] {
			r, ok := parseRequirement(d)
			if !ok {
				continue
			}
			n := purl.NormalizePyPI(r.Name)
			if _, ok := ix[n]; !ok {
				continue
			}
			for _, to := range ix.resolve(n, r.Specifier) {
				if to != pkg.ID {
					dependedOn[to] = true
				}
				edges.add(pkg.ID, to)
			}
		}
	}
	res.Relationships = edges.list

	for i := range res.Packages {
		pkg := &res.Packages[i]
		g := groups[pkg.ID]
		pkg.SetProperty(propGroups, strings.Join(g, ","))
		pkg.Scope = pdmScope(g, decl)
		if decl != nil {
			pkg.Direct = decl.names[purl.NormalizePyPI(pkg.Name)]
		} else {
			pkg.Direct = !dependedOn[pkg.ID]
		}
	}
	return res, nil
}

// pdmScope maps PDM groups to a scope; extras named in pyproject.toml are
// optional.
func pdmScope(groups []string, decl *declared) sbom.Scope {
	if len(groups) == 0 || slices.Contains(groups, "default") {
		return sbom.ScopeRequired
	}
	if decl != nil {
		for _, g := range groups {
			if decl.extras[g] {
				return sbom.ScopeOptional
			}
		}
	}
	return scopeForGroups(groups)
}
