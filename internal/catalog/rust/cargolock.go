// Package rust catalogs Rust crates from Cargo.lock files.
package rust

import (
	"bytes"
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

// Property keys set on crates.
const (
	// PropRegistry is the index of a crate from a registry other than
	// crates.io.
	PropRegistry = "hallmark:cargo:registry"
	// PropGitRev is the commit a git crate is locked to.
	PropGitRev = "hallmark:cargo:git-rev"
)

// CargoLock reads Cargo.lock files of every format Cargo has written
// (https://doc.rust-lang.org/cargo/guide/cargo-toml-vs-cargo-lock.html):
// v1 (no version key, checksums in a [metadata] table, dependencies always
// written "name version (source)"), v2 (checksums in each [[package]],
// dependencies "name" unless ambiguous), v3 ("version = 3") and v4
// ("version = 4", git URLs percent-encoded).
//
// Every [[package]] is a package. Crates without a "source" are the
// workspace's own crates and path dependencies: they are reported with
// SourceKind "path" and no hash, because they are code the product is built
// from (ripgrep's grep-* crates are published crates reached by path) and
// because they are the roots of the dependency graph; the lockfile alone
// cannot tell a workspace member from another path crate. A crate from the
// registry or git is Direct when a path crate depends on it.
//
// Cargo.lock does not record whether a dependency is normal, optional, build
// or dev: only the manifests say it. When a Cargo.toml sits beside the
// lockfile, it and the manifests of the workspace's crates are read (see
// readWorkspace and applyScopes) and each crate gets the Scope of the way
// the workspace reaches it; Direct then means declared by a workspace crate.
// Without a Cargo.toml no Scope is set.
//
// Edges are the "dependencies" entries, each resolved to the exact
// (name, version, source) package they name.
type CargoLock struct{}

// Name implements catalog.Cataloger.
func (CargoLock) Name() string { return "cargo-lock" }

// Claims implements catalog.Cataloger.
func (CargoLock) Claims(p string, mode fs.FileMode) bool { return path.Base(p) == "Cargo.lock" }

type lockfile struct {
	Version  int               `toml:"version"`
	Package  []lockPackage     `toml:"package"`
	Metadata map[string]string `toml:"metadata"`
}

type lockPackage struct {
	Name         string   `toml:"name"`
	Version      string   `toml:"version"`
	Source       string   `toml:"source"`
	Checksum     string   `toml:"checksum"`
	Dependencies []string `toml:"dependencies"`
}

const (
	cratesIO       = "registry+https://github.com/rust-lang/crates.io-index"
	cratesIOSparse = "sparse+https://index.crates.io/"
)

// Catalog implements catalog.Cataloger. Given a Cargo.toml (named alone,
// see ClaimsAlone) it reads the crate's part of its workspace's Cargo.lock.
func (CargoLock) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	if path.Base(p) == "Cargo.toml" {
		return catalogMember(ctx, fsys, p)
	}
	res, adj, err := parseLock(fsys, p)
	if res == nil {
		return nil, err
	}
	if crates := readWorkspace(fsys, path.Dir(p)); crates != nil {
		applyScopes(res.Packages, adj, crates)
	} else {
		for i, to := range adj {
			for _, j := range to {
				if res.Packages[i].SourceKind == "path" && res.Packages[j].SourceKind != "path" {
					res.Packages[j].Direct = true
				}
			}
		}
	}
	return res, err
}

// parseLock reads the packages of a Cargo.lock and its resolved edges
// (adj[i] lists the indexes of the packages package i depends on). A
// dependency naming no package of the lockfile gives an error beside the
// result.
func parseLock(fsys fs.FS, p string) (*catalog.Result, [][]int, error) {
	data, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, nil, err
	}
	var lock lockfile
	if _, err := tomldoc.Decode(data, &lock); err != nil {
		return nil, nil, fmt.Errorf("parse Cargo.lock: %w", err)
	}
	lines := packageLines(data)
	if len(lines) != len(lock.Package) {
		lines = nil // packages written some other way: no line numbers
	}

	res := &catalog.Result{Packages: make([]sbom.Package, 0, len(lock.Package))}
	byName := map[string][]int{} // name -> indexes into res.Packages
	for i, lp := range lock.Package {
		if lp.Name == "" {
			return nil, nil, fmt.Errorf("package %d has no name", i+1)
		}
		pkg := sbom.Package{
			Name:      lp.Name,
			Version:   lp.Version,
			Ecosystem: sbom.EcosystemCargo,
			Locations: []sbom.Location{{Path: p}},
		}
		if lines != nil {
			pkg.Locations[0].Line = lines[i]
		}
		var quals []string
		switch src := lp.Source; {
		case src == "":
			pkg.SourceKind = "path"
		case src == cratesIO || src == cratesIOSparse:
		case strings.HasPrefix(src, "git+"):
			pkg.SourceKind = "git"
			pkg.ResolvedURL = src
			repo, rev, _ := strings.Cut(strings.TrimPrefix(src, "git+"), "#")
			repo, _, _ = strings.Cut(repo, "?")
			if rev != "" {
				pkg.Properties = map[string]string{PropGitRev: rev}
				quals = []string{"vcs_url", "git+" + repo + "@" + rev}
			} else {
				quals = []string{"vcs_url", "git+" + repo}
			}
		default: // registry+ or sparse+ of another registry
			index := src
			if _, u, ok := strings.Cut(src, "+"); ok {
				index = u
			}
			pkg.ResolvedURL = index
			pkg.Properties = map[string]string{PropRegistry: index}
			quals = []string{"repository_url", index}
		}
		checksum := lp.Checksum
		if checksum == "" && lock.Metadata != nil {
			checksum = lock.Metadata[v1Key(lp.Name, lp.Version, lp.Source)]
		}
		if h, ok := catalog.CheckHex(sbom.SHA256, checksum); ok {
			pkg.Hashes = []sbom.Hash{h}
		}
		pkg.PURL = purl.New(sbom.EcosystemCargo, lp.Name, lp.Version, quals...)
		pkg.ID = pkg.Key()
		byName[lp.Name] = append(byName[lp.Name], len(res.Packages))
		res.Packages = append(res.Packages, pkg)
	}

	var unresolved []string
	adj := make([][]int, len(lock.Package))
	for i, lp := range lock.Package {
		from := &res.Packages[i]
		for _, d := range lp.Dependencies {
			j, ok := resolve(d, byName, lock.Package)
			if !ok {
				unresolved = append(unresolved, d)
				continue
			}
			adj[i] = append(adj[i], j)
			res.Relationships = append(res.Relationships, sbom.Relationship{From: from.ID, To: res.Packages[j].ID})
		}
	}
	if len(unresolved) > 0 {
		return res, adj, fmt.Errorf("%d dependencies name no package of the lockfile (first: %q)", len(unresolved), unresolved[0])
	}
	return res, adj, nil
}

// v1Key is the key of a v1 [metadata] checksum entry.
func v1Key(name, version, source string) string {
	return "checksum " + name + " " + version + " (" + source + ")"
}

// resolve finds the package a dependency entry names: "name", "name
// version" or "name version (source)".
func resolve(dep string, byName map[string][]int, pkgs []lockPackage) (int, bool) {
	name, rest, _ := strings.Cut(dep, " ")
	version, source, _ := strings.Cut(rest, " ")
	source = strings.TrimSuffix(strings.TrimPrefix(source, "("), ")")
	found, n := -1, 0
	for _, i := range byName[name] {
		lp := pkgs[i]
		if version != "" && lp.Version != version {
			continue
		}
		if source != "" && lp.Source != source {
			continue
		}
		found = i
		n++
	}
	return found, n == 1
}

// packageLines returns the 1-based line of each "[[package]]" header.
func packageLines(data []byte) []int {
	var lines []int
	line := 1
	for len(data) > 0 {
		end := bytes.IndexByte(data, '\n')
		var l []byte
		if end < 0 {
			l, data = data, nil
		} else {
			l, data = data[:end], data[end+1:]
		}
		if bytes.Equal(bytes.TrimSpace(l), []byte("[[package]]")) {
			lines = append(lines, line)
		}
		line++
	}
	return lines
}
