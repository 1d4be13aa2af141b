package python

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/tomldoc"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// PoetryLock reads poetry.lock (https://python-poetry.org/docs/basic-usage/#installing-with-poetrylock),
// lock versions 1.x and 2.x.
//
//   - Every [[package]] is a package: poetry locks exactly the set it may
//     install for some group, extra or platform.
//   - Scope: lock 2.x lists the groups that need each package ("main",
//     "dev", "test", ...); lock 1.x has category = "main" | "dev". A package
//     of the main group is a runtime dependency (optional = true makes it
//     ScopeOptional: it is installed only through an extra); one only in
//     test groups is ScopeTest; other groups are ScopeDev. Groups are kept in
//     hallmark:python:groups.
//   - Hashes: the sha256 of every distribution file ([[package.files]], or
//     [metadata.files] in lock 1.x).
//   - Edges: [package.dependencies]; with several locked versions of a name
//     the edge goes to those matching the dependency's version constraint.
//   - Direct: from pyproject.toml beside the lock when there is one (Poetry
//     and PEP 621 tables). Without it, a package that no other locked package
//     depends on must be declared by the project and is Direct; a declared
//     package that is also someone's dependency then stays unmarked.
//   - [package.source]: git (ResolvedURL "git+URL@commit"), url, file and
//     directory (SourceKind "url"/"path"); a "legacy" source is a private
//     index, recorded as hallmark:python:index-url.
type PoetryLock struct{}

// Name implements catalog.Cataloger.
func (PoetryLock) Name() string { return "python-poetry-lock" }

// Claims implements catalog.Cataloger.
func (PoetryLock) Claims(p string, mode fs.FileMode) bool {
	return path.Base(p) == "poetry.lock" && !catalog.InNodeModules(p)
}

type poetryFile struct {
	File string `toml:"file"`
	Hash string `toml:"hash"`
}

type poetryLockFile struct {
	Package []struct {
		Name         string         `toml:"name"`
		Version      string         `toml:"version"`
		Category     string         `toml:"category"`
		Optional     bool           `toml:"optional"`
		Groups       []string       `toml:"groups"`
		Develop      bool           `toml:"develop"`
		Files        []poetryFile   `toml:"files"`
		Dependencies map[string]any `toml:"dependencies"`
		Source       struct {
			Type              string `toml:"type"`
			URL               string `toml:"url"`
			Reference         string `toml:"reference"`
			ResolvedReference string `toml:"resolved_reference"`
		} `toml:"source"`
	} `toml:"package"`
	Metadata struct {
		Files map[string][]poetryFile `toml:"files"`
	} `toml:"metadata"`
}

// Catalog implements catalog.Cataloger.
func (PoetryLock) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	data, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	var lock poetryLockFile
	// Decode without the per-file hash arrays (see prefilter), falling back
	// to the whole file.
	pf, ok := prefilter(data, []string{"files"}, nil)
	if ok {
		if _, err := tomldoc.Decode(pf.data, &lock); err != nil || len(lock.Package) != len(pf.hashes) {
			ok, lock = false, poetryLockFile{}
		}
	}
	if !ok {
		pf.hashes = nil
		if _, err := tomldoc.Decode(data, &lock); err != nil {
			return nil, fmt.Errorf("parse poetry.lock: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lines := tableLines(data, "[[package]]")
	if len(lines) != len(lock.Package) {
		lines = nil
	}
	oldFiles := map[string][]poetryFile{}
	for k, v := range lock.Metadata.Files {
		oldFiles[purl.NormalizePyPI(k)] = v
	}

	res := &catalog.Result{Packages: make([]sbom.Package, 0, len(lock.Package))}
	ix := lockIndex{}
	for i, lp := range lock.Package {
		if lp.Name == "" {
			return nil, fmt.Errorf("parse poetry.lock: package %d has no name", i+1)
		}
		line := 0
		if lines != nil {
			line = lines[i]
		}
		pkg := newPackage(lp.Name, lp.Version, p, line)
		groups := lp.Groups
		if len(groups) == 0 && lp.Category != "" {
			groups = []string{lp.Category}
		}
		pkg.Scope = scopeForGroups(groups, "main")
		if pkg.Scope == sbom.ScopeRequired && lp.Optional {
			pkg.Scope = sbom.ScopeOptional
		}
		pkg.SetProperty(propGroups, strings.Join(groups, ","))
		files := lp.Files
		if len(files) == 0 {
			files = oldFiles[purl.NormalizePyPI(lp.Name)]
		}
		for _, f := range files {
			addHash(&pkg, f.Hash)
		}
		if pf.hashes != nil {
			for _, h := range pf.hashes[i] {
				addHash(&pkg, h)
			}
		}
		switch src := lp.Source; src.Type {
		case "git":
			pkg.SourceKind = "git"
			ref := src.ResolvedReference
			if ref == "" {
				ref = src.Reference
			}
			pkg.ResolvedURL = "git+" + src.URL
			if ref != "" {
				pkg.ResolvedURL += "@" + ref
			}
		case "url":
			pkg.SourceKind, pkg.ResolvedURL = "url", src.URL
		case "file", "directory":
			pkg.SourceKind, pkg.ResolvedURL = "path", src.URL
		case "legacy":
			pkg.SetProperty(propIndexURL, src.URL)
		}
		if lp.Develop {
			pkg.SetProperty(propEditable, "true")
		}
		ix.add(purl.NormalizePyPI(lp.Name), pkg.ID, pkg.Version)
		res.Packages = append(res.Packages, pkg)
	}

	var edges edgeSet
	dependedOn := map[string]bool{}
	for i, lp := range lock.Package {
		from := res.Packages[i].ID
		for _, name := range sortedKeys(lp.Dependencies) { // map order would make output vary
			spec := lp.Dependencies[name]
			n := purl.NormalizePyPI(name)
			if _, ok := ix[n]; !ok {
				continue // an optional dependency whose extra nobody activates
			}
			for _, to := range ix.resolve(n, poetrySpecs(spec)...) {
				if to != from {
					dependedOn[to] = true
				}
				edges.add(from, to)
			}
		}
	}
	res.Relationships = edges.list

	decl := readPyproject(fsys, p)
	for i := range res.Packages {
		pkg := &res.Packages[i]
		if decl != nil {
			pkg.Direct = decl.names[purl.NormalizePyPI(pkg.Name)]
		} else {
			pkg.Direct = !dependedOn[pkg.ID]
		}
	}
	return res, nil
}

// poetrySpecs returns the version constraints of a [package.dependencies]
// value: a string, a table with "version", or an array of such tables.
func poetrySpecs(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case map[string]any:
		if s, ok := t["version"].(string); ok {
			return []string{s}
		}
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, poetrySpecs(e)...)
		}
		return out
	case []map[string]any:
		var out []string
		for _, e := range t {
			out = append(out, poetrySpecs(e)...)
		}
		return out
	}
	return nil
}
