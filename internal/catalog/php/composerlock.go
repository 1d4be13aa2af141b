// Package php catalogs PHP packages (Packagist) from Composer's composer.lock.
package php

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// PropSourceReference is the commit (or other VCS reference) a package's
// source is locked to.
const PropSourceReference = "hallmark:composer:source-reference"

// ComposerLock reads composer.lock
// (https://getcomposer.org/doc/01-basic-usage.md#commit-your-composer-lock-file-to-version-control;
// the schema is Composer's, each entry a package's composer.json as resolved).
//
// Every entry of "packages" is a runtime package, every entry of
// "packages-dev" a package with Scope dev. Versions are kept as written
// ("v6.4.0"): Composer and Packagist spell tags that way, while OSV's
// Packagist records often drop the "v", so matching must compare versions
// with the leading "v" removed. Licenses: the "license" array is a
// disjunction (Composer's documented meaning), joined with " OR ". Hashes:
// dist.shasum (SHA-1) when present (Packagist leaves it empty for GitHub
// zipballs). ResolvedURL: dist.url, else source.url. SourceKind: "path" for
// a path repository, "git" for a package with a git source and no dist.
// Supplier: the authors' names.
//
// Edges come from each package's "require" (its "require-dev" is never
// installed), resolved by name (case-insensitively, as Composer does) to
// the package in the lockfile, including packages that "replace" or
// "provide" the required name; platform requirements (php, ext-*, lib-*,
// composer-*-api) name no package and give no edge. Direct comes from the
// composer.json beside the lockfile when there is one ("require" and
// "require-dev").
type ComposerLock struct{}

// Name implements catalog.Cataloger.
func (ComposerLock) Name() string { return "composer-lock" }

// Claims implements catalog.Cataloger. Lockfiles inside vendor/ belong to
// installed packages, not the project.
func (ComposerLock) Claims(p string, mode fs.FileMode) bool {
	return path.Base(p) == "composer.lock" && !strings.Contains("/"+p, "/vendor/")
}

type lockfile struct {
	Packages    []lockPackage `json:"packages"`
	PackagesDev []lockPackage `json:"packages-dev"`
}

type lockPackage struct {
	Name    string            `json:"name"`
	Version string            `json:"version"`
	Source  *lockSource       `json:"source"`
	Dist    *lockSource       `json:"dist"`
	Require map[string]string `json:"require"`
	Replace map[string]string `json:"replace"`
	Provide map[string]string `json:"provide"`
	License licenses          `json:"license"`
	Authors []struct {
		Name string `json:"name"`
	} `json:"authors"`
}

type lockSource struct {
	Type      string `json:"type"`
	URL       string `json:"url"`
	Reference string `json:"reference"`
	Shasum    string `json:"shasum"`
}

// licenses reads "license", an array of strings or (old packages) one string.
type licenses []string

func (l *licenses) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		if s != "" {
			*l = []string{s}
		}
		return nil
	}
	var a []string
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("license: %w", err)
	}
	*l = a
	return nil
}

type manifest struct {
	Require    map[string]string `json:"require"`
	RequireDev map[string]string `json:"require-dev"`
}

// Catalog implements catalog.Cataloger.
func (ComposerLock) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	data, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	var lock lockfile
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, fmt.Errorf("parse composer.lock: %w", err)
	}
	direct := map[string]bool{}
	if b, err := catalog.ReadFile(fsys, path.Join(path.Dir(p), "composer.json")); err == nil {
		var m manifest
		if json.Unmarshal(b, &m) == nil {
			for n := range m.Require {
				direct[strings.ToLower(n)] = true
			}
			for n := range m.RequireDev {
				direct[strings.ToLower(n)] = true
			}
		}
	}

	all := make([]lockPackage, 0, len(lock.Packages)+len(lock.PackagesDev))
	all = append(all, lock.Packages...)
	all = append(all, lock.PackagesDev...)
	res := &catalog.Result{Packages: make([]sbom.Package, 0, len(all))}
	byName := map[string]int{} // lower-case name (or replaced/provided name) -> index
	lines := newLineFinder(data)
	for i, lp := range all {
		if lp.Name == "" {
			return nil, fmt.Errorf("package %d has no name", i+1)
		}
		pkg := sbom.Package{
			Name:      lp.Name,
			Version:   lp.Version,
			Ecosystem: sbom.EcosystemPackagist,
			PURL:      purl.New(sbom.EcosystemPackagist, lp.Name, lp.Version),
			Locations: []sbom.Location{{Path: p, Line: lines.find(lp.Name)}},
			Direct:    direct[strings.ToLower(lp.Name)],
		}
		if i >= len(lock.Packages) {
			pkg.Scope = sbom.ScopeDev
		}
		if len(lp.License) > 0 {
			pkg.Licenses = []string{licenseExpression(lp.License)}
		}
		var names []string
		for _, a := range lp.Authors {
			if a.Name != "" {
				names = append(names, a.Name)
			}
		}
		pkg.Supplier = strings.Join(names, ", ")
		if d := lp.Dist; d != nil {
			pkg.ResolvedURL = d.URL
			if d.Type == "path" {
				pkg.SourceKind = "path"
			}
			if h, ok := catalog.CheckHex(sbom.SHA1, d.Shasum); ok {
				pkg.Hashes = []sbom.Hash{h}
			}
		}
		if s := lp.Source; s != nil {
			if pkg.ResolvedURL == "" {
				pkg.ResolvedURL = s.URL
				if s.Type == "git" {
					pkg.SourceKind = "git"
				}
			}
			if s.Reference != "" {
				pkg.Properties = map[string]string{PropSourceReference: s.Reference}
			}
		}
		pkg.ID = pkg.Key()
		idx := len(res.Packages)
		res.Packages = append(res.Packages, pkg)
		byName[strings.ToLower(lp.Name)] = idx
	}
	// Names replaced or provided by a locked package resolve to it, unless a
	// package of that name is itself locked.
	for i, lp := range all {
		for _, m := range []map[string]string{lp.Replace, lp.Provide} {
			for n := range m {
				if _, ok := byName[strings.ToLower(n)]; !ok {
					byName[strings.ToLower(n)] = i
				}
			}
		}
	}
	for i, lp := range all {
		for n := range lp.Require {
			if j, ok := byName[strings.ToLower(n)]; ok && j != i {
				res.Relationships = append(res.Relationships, sbom.Relationship{From: res.Packages[i].ID, To: res.Packages[j].ID})
			}
		}
	}
	return res, nil
}

// licenseExpression joins Composer's license list, which means "any of
// these", into an SPDX disjunction.
func licenseExpression(l []string) string {
	if len(l) == 1 {
		return l[0]
	}
	parts := make([]string, 0, len(l))
	for _, s := range l {
		if strings.ContainsAny(s, " ") {
			s = "(" + s + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " OR ")
}

// lineFinder finds the line of each package's `"name": "..."` entry.
// Packages appear in the file in the order they are decoded, so each search
// starts where the previous one ended and the whole file is scanned once.
type lineFinder struct {
	data []byte
	off  int
	line int
}

func newLineFinder(data []byte) *lineFinder { return &lineFinder{data: data, line: 1} }

func (f *lineFinder) find(name string) int {
	needle, _ := json.Marshal(name)
	i := bytes.Index(f.data[f.off:], append([]byte(`"name": `), needle...))
	if i < 0 {
		return 0
	}
	f.line += bytes.Count(f.data[f.off:f.off+i], []byte{'\n'})
	f.off += i
	return f.line
}
