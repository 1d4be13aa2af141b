package python

import (
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

// UVLock reads uv's uv.lock (https://docs.astral.sh/uv/concepts/projects/layout/#the-lockfile).
//
// uv.lock is universal: it holds every package uv may install for any group,
// extra, Python version or platform. hallmark therefore reports every
// [[package]] except the project itself, and says through Scope which of
// them a plain install needs. (On pydantic's lock Syft reports all 176
// entries, the root included; Trivy reports 9: the root, its 4 runtime
// dependencies and the 4 packages of its extras, dropping the 167 packages of
// the dev groups — the docs git dependency among them — that uv really
// installs for `uv sync --all-groups`.)
//
//   - The project: a package whose source is { editable = "." } or
//     { virtual = "." } is the scanned project, not a dependency; it is left
//     out and edges to it dropped. Other workspace members ([manifest]
//     members, editable/virtual sources elsewhere) are left out too unless
//     another locked package depends on them, in which case they are real
//     dependencies with SourceKind "path".
//   - Scope, by walking the graph from the project and workspace members:
//     what their [dependencies] reach (following requested extras) is
//     runtime; what only their [optional-dependencies] reach is
//     ScopeOptional; what only [dev-dependencies] groups reach is ScopeDev
//     (ScopeTest when every such group is named for tests). A package nothing
//     reaches keeps the runtime scope rather than being hidden.
//   - Direct: the packages the project or a member names in any of those
//     tables.
//   - Edges: every dependencies / optional-dependencies entry, resolved to
//     the exact locked version (uv names version and source when a name is
//     locked more than once).
//   - Hashes: the sdist's and every wheel's.
//   - Sources: git (ResolvedURL "git+URL@commit"), url, path, directory,
//     editable; a registry other than PyPI is recorded as
//     hallmark:python:index-url.
type UVLock struct{}

// Name implements catalog.Cataloger.
func (UVLock) Name() string { return "python-uv-lock" }

// Claims implements catalog.Cataloger.
func (UVLock) Claims(p string, mode fs.FileMode) bool {
	return path.Base(p) == "uv.lock" && !catalog.InNodeModules(p)
}

type uvSource struct {
	Registry  string `toml:"registry"`
	Git       string `toml:"git"`
	URL       string `toml:"url"`
	Path      string `toml:"path"`
	Directory string `toml:"directory"`
	Editable  string `toml:"editable"`
	Virtual   string `toml:"virtual"`
}

type uvDep struct {
	Name    string   `toml:"name"`
	Version string   `toml:"version"`
	Extra   []string `toml:"extra"`
	Marker  string   `toml:"marker"`
}

type uvFile struct {
	Hash string `toml:"hash"`
}

type uvPackage struct {
	Name                 string             `toml:"name"`
	Version              string             `toml:"version"`
	Source               uvSource           `toml:"source"`
	Dependencies         []uvDep            `toml:"dependencies"`
	OptionalDependencies map[string][]uvDep `toml:"optional-dependencies"`
	DevDependencies      map[string][]uvDep `toml:"dev-dependencies"`
	Sdist                uvFile             `toml:"sdist"`
	Wheels               []uvFile           `toml:"wheels"`
}

type uvLockFile struct {
	Version  int `toml:"version"`
	Manifest struct {
		Members []string `toml:"members"`
	} `toml:"manifest"`
	Package []uvPackage `toml:"package"`
}

// Catalog implements catalog.Cataloger.
func (UVLock) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	data, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	var lock uvLockFile
	// Decode without the wheel arrays and [package.metadata] tables (most of
	// the bytes; see prefilter), falling back to the whole file.
	pf, ok := prefilter(data, []string{"sdist", "wheels"}, []string{"[package.metadata"})
	if ok {
		if _, err := tomldoc.Decode(pf.data, &lock); err != nil || len(lock.Package) != len(pf.hashes) {
			ok, lock = false, uvLockFile{}
		}
	}
	if !ok {
		pf.hashes = nil
		if _, err := tomldoc.Decode(data, &lock); err != nil {
			return nil, fmt.Errorf("parse uv.lock: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lines := tableLines(data, "[[package]]")
	if len(lines) != len(lock.Package) {
		lines = nil
	}
	members := map[string]bool{}
	for _, m := range lock.Manifest.Members {
		members[purl.NormalizePyPI(m)] = true
	}

	n := len(lock.Package)
	pkgs := make([]sbom.Package, n)
	byName := map[string][]int{}
	isRoot := make([]bool, n)   // the project or a workspace member: walk starts here
	isSelf := make([]bool, n)   // the project at "." : never emitted
	isMember := make([]bool, n) // other workspace members: emitted only when depended on
	for i := range lock.Package {
		lp := &lock.Package[i]
		if lp.Name == "" {
			return nil, fmt.Errorf("parse uv.lock: package %d has no name", i+1)
		}
		line := 0
		if lines != nil {
			line = lines[i]
		}
		pkg := newPackage(lp.Name, lp.Version, p, line)
		src := lp.Source
		norm := purl.NormalizePyPI(lp.Name)
		local := src.Editable != "" || src.Virtual != ""
		switch {
		case src.Editable == "." || src.Virtual == ".":
			isSelf[i], isRoot[i] = true, true
		case members[norm] && (local || src.Directory != ""):
			isMember[i], isRoot[i] = true, true
		}
		switch {
		case src.Git != "":
			pkg.SourceKind = "git"
			// "https://host/repo?rev=main#<commit>": the commit is the pin.
			u, commit, _ := strings.Cut(src.Git, "#")
			u, _, _ = strings.Cut(u, "?")
			pkg.ResolvedURL = "git+" + u
			if commit != "" {
				pkg.ResolvedURL += "@" + commit
			}
		case src.URL != "":
			pkg.SourceKind, pkg.ResolvedURL = "url", src.URL
		case src.Path != "":
			pkg.SourceKind, pkg.ResolvedURL = "path", src.Path
		case src.Directory != "":
			pkg.SourceKind, pkg.ResolvedURL = "path", src.Directory
		case src.Editable != "":
			pkg.SourceKind, pkg.ResolvedURL = "path", src.Editable
			pkg.SetProperty(propEditable, "true")
		case src.Virtual != "":
			pkg.SourceKind, pkg.ResolvedURL = "path", src.Virtual
		case src.Registry != "" && !strings.HasPrefix(src.Registry, "https://pypi.org/"):
			pkg.SetProperty(propIndexURL, src.Registry)
		}
		addHash(&pkg, lp.Sdist.Hash)
		for _, w := range lp.Wheels {
			addHash(&pkg, w.Hash)
		}
		if pf.hashes != nil {
			for _, h := range pf.hashes[i] {
				addHash(&pkg, h)
			}
		}
		pkgs[i] = pkg
		byName[norm] = append(byName[norm], i)
	}
	// Without a manifest, a single project has no members table: any other
	// local editable/virtual package is a path dependency, not a root.

	resolve := func(d uvDep) []int {
		c := byName[purl.NormalizePyPI(d.Name)]
		if d.Version == "" || len(c) <= 1 {
			return c
		}
		var out []int
		for _, j := range c {
			if lock.Package[j].Version == d.Version {
				out = append(out, j)
			}
		}
		return out
	}

	// Edges, and which packages something depends on.
	var edges edgeSet
	dependedOn := make([]bool, n)
	link := func(from int, deps []uvDep) {
		for _, d := range deps {
			for _, j := range resolve(d) {
				if j == from {
					continue
				}
				dependedOn[j] = true
				if !isSelf[from] && !isSelf[j] {
					edges.add(pkgs[from].ID, pkgs[j].ID)
				}
			}
		}
	}
	for i := range lock.Package {
		lp := &lock.Package[i]
		link(i, lp.Dependencies)
		for _, extra := range sortedKeys(lp.OptionalDependencies) {
			link(i, lp.OptionalDependencies[extra])
		}
		for _, g := range sortedKeys(lp.DevDependencies) {
			link(i, lp.DevDependencies[g])
		}
	}

	// Scope: breadth-first from the roots, most needed scope first; a package
	// keeps the first (most needed) scope that reaches it.
	scope := make([]sbom.Scope, n)
	reached := make([]bool, n)
	walk := func(s sbom.Scope, start []uvDep) {
		type item struct {
			i      int
			extras []string
		}
		var queue []item
		push := func(d uvDep) {
			for _, j := range resolve(d) {
				queue = append(queue, item{j, d.Extra})
			}
		}
		for _, d := range start {
			push(d)
		}
		type seenKey struct {
			i      int
			extras string
		}
		seen := map[seenKey]bool{}
		for len(queue) > 0 {
			it := queue[0]
			queue = queue[1:]
			key := seenKey{it.i, strings.Join(it.extras, ",")}
			if seen[key] {
				continue
			}
			seen[key] = true
			if !reached[it.i] {
				reached[it.i], scope[it.i] = true, s
			}
			lp := &lock.Package[it.i]
			for _, d := range lp.Dependencies {
				push(d)
			}
			for _, e := range it.extras {
				for _, d := range lp.OptionalDependencies[e] {
					push(d)
				}
			}
		}
	}
	var runtime, optional, test, dev []uvDep
	for i := range lock.Package {
		if !isRoot[i] {
			continue
		}
		reached[i] = true
		lp := &lock.Package[i]
		runtime = append(runtime, lp.Dependencies...)
		for _, e := range sortedKeys(lp.OptionalDependencies) {
			optional = append(optional, lp.OptionalDependencies[e]...)
		}
		for _, g := range sortedKeys(lp.DevDependencies) {
			if isTestGroup(g) {
				test = append(test, lp.DevDependencies[g]...)
			} else {
				dev = append(dev, lp.DevDependencies[g]...)
			}
		}
	}
	direct := make([]bool, n)
	for _, list := range [][]uvDep{runtime, optional, test, dev} {
		for _, d := range list {
			for _, j := range resolve(d) {
				direct[j] = true
			}
		}
	}
	walk(sbom.ScopeRequired, runtime)
	walk(sbom.ScopeOptional, optional)
	walk(sbom.ScopeTest, test)
	walk(sbom.ScopeDev, dev)

	res := &catalog.Result{Packages: make([]sbom.Package, 0, n)}
	emitted := map[string]bool{}
	for i := range pkgs {
		if isSelf[i] || isMember[i] && !dependedOn[i] {
			continue
		}
		pkgs[i].Scope = scope[i]
		pkgs[i].Direct = direct[i]
		emitted[pkgs[i].ID] = true
		res.Packages = append(res.Packages, pkgs[i])
	}
	for _, e := range edges.list {
		if emitted[e.From] && emitted[e.To] {
			res.Relationships = append(res.Relationships, e)
		}
	}
	return res, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
