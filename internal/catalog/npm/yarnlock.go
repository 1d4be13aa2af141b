package npm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
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

// YarnLock reads yarn.lock in both of its formats:
//
//   - classic (yarn v1, "# yarn lockfile v1"): yarn's own indented format,
//     https://classic.yarnpkg.com/lang/en/docs/yarn-lock/ — entries keyed by
//     one or more "name@range" specifiers, with version, resolved,
//     integrity, dependencies and optionalDependencies;
//   - Berry (yarn 2+, a YAML document with __metadata version 4-10):
//     entries keyed by descriptors ("name@npm:^1.0.0"), with resolution
//     ("name@npm:1.2.3"), version, dependencies, dependenciesMeta, checksum,
//     languageName and linkType.
//
// Every resolved entry is a package (entries resolving to the same name and
// version are one package); an alias (foo@npm:bar@1) is the package bar.
// Berry's checksum is a hash of the zip archive yarn stores in its cache, not
// of the registry tarball, so it is kept as the property
// hallmark:yarn:checksum and not as a Hash. Berry workspace members are
// packages with SourceKind "link" (the root workspace is not); their
// version is read from their package.json when the scanned tree has it, else
// left empty (yarn records "0.0.0-use.local"). patch: resolutions are the
// patched package's name and version (property hallmark:yarn:patch).
//
// Direct and Scope: a classic lockfile records no roots, so they come from the
// package.json beside it (and its workspaces); without one every package has
// Direct false and an empty Scope. Berry lockfiles list each workspace's
// dependencies, so Direct is always known; dev scope needs the workspaces'
// package.json files.
type YarnLock struct{}

// Name implements catalog.Cataloger.
func (YarnLock) Name() string { return "yarn-lock" }

// Claims implements catalog.Cataloger.
func (YarnLock) Claims(p string, _ fs.FileMode) bool {
	return path.Base(p) == "yarn.lock" && !catalog.InNodeModules(p)
}

// Catalog implements catalog.Cataloger.
func (YarnLock) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	dir := path.Dir(p)
	if isBerry(b) {
		return parseBerry(b, p, fsys, dir)
	}
	entries, err := parseYarnV1(b)
	res := yarnV1Result(entries, p, fsys, dir)
	if err != nil {
		return res, fmt.Errorf("parse yarn.lock: %w", err)
	}
	return res, nil
}

// isBerry reports whether b is a Berry lockfile: it has a top-level
// __metadata key, which classic lockfiles never have.
func isBerry(b []byte) bool {
	return bytes.HasPrefix(b, []byte("__metadata:")) || bytes.Contains(b, []byte("\n__metadata:"))
}

// yarnEntry is one resolved entry of a lockfile, in either format.
type yarnEntry struct {
	specs     []string // the "name@range" keys
	line      int
	version   string
	resolved  string
	integrity string
	deps      map[string]string
	optDeps   map[string]string
}

// parseYarnV1 reads yarn's classic format. The format is line-based:
// top-level keys end in ":" at column 0, fields are indented two spaces,
// and dependency maps four.
func parseYarnV1(b []byte) ([]yarnEntry, error) {
	var (
		out   []yarnEntry
		cur   *yarnEntry
		block map[string]string
	)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		raw := sc.Text()
		t := strings.TrimRight(raw, " \t\r")
		trim := strings.TrimLeft(t, " ")
		if trim == "" || strings.HasPrefix(trim, "#") {
			continue
		}
		indent := len(t) - len(trim)
		switch {
		case indent == 0:
			if !strings.HasSuffix(trim, ":") {
				return out, fmt.Errorf("line %d: expected an entry header ending in ':'", line)
			}
			specs, err := splitSpecs(strings.TrimSuffix(trim, ":"))
			if err != nil {
				return out, fmt.Errorf("line %d: %w", line, err)
			}
			out = append(out, yarnEntry{specs: specs, line: line})
			cur, block = &out[len(out)-1], nil
		case cur == nil:
			return out, fmt.Errorf("line %d: field outside an entry", line)
		case indent == 2:
			block = nil
			key, val, nested, err := v1Field(trim)
			if err != nil {
				return out, fmt.Errorf("line %d: %w", line, err)
			}
			if nested {
				switch key {
				case "dependencies":
					cur.deps = map[string]string{}
					block = cur.deps
				case "optionalDependencies":
					cur.optDeps = map[string]string{}
					block = cur.optDeps
				default:
					block = map[string]string{} // ignored
				}
				continue
			}
			switch key {
			case "version":
				cur.version = val
			case "resolved":
				cur.resolved = val
			case "integrity":
				cur.integrity = val
			}
		default:
			if block == nil {
				return out, fmt.Errorf("line %d: unexpected indentation", line)
			}
			key, val, _, err := v1Field(trim)
			if err != nil {
				return out, fmt.Errorf("line %d: %w", line, err)
			}
			block[key] = val
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("line %d: %w", line+1, err)
	}
	return out, nil
}

// splitSpecs splits a classic entry header into its specifiers:
// `"@a/b@^1", "@a/b@^1.2"` or `abab@^2.0.3, abab@^2.0.5`.
func splitSpecs(s string) ([]string, error) {
	var out []string
	for s != "" {
		s = strings.TrimLeft(s, " ")
		var tok string
		if strings.HasPrefix(s, `"`) {
			q, rest, err := quoted(s)
			if err != nil {
				return nil, err
			}
			tok, s = q, rest
		} else {
			i := strings.IndexByte(s, ',')
			if i < 0 {
				i = len(s)
			}
			tok, s = strings.TrimSpace(s[:i]), s[i:]
		}
		if tok != "" {
			out = append(out, tok)
		}
		s = strings.TrimLeft(s, " ")
		if s != "" {
			if s[0] != ',' {
				return nil, fmt.Errorf("unexpected %q in entry header", s)
			}
			s = s[1:]
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty entry header")
	}
	return out, nil
}

// quoted reads a double-quoted string at the start of s (JSON escapes, as
// yarn writes them) and returns it and the rest of s.
func quoted(s string) (string, string, error) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			v, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return "", "", fmt.Errorf("bad string %s", s[:i+1])
			}
			return v, s[i+1:], nil
		}
	}
	return "", "", errors.New("unterminated string")
}

// v1Field reads `key value`, `"key" "value"` or `key:` (a nested map).
func v1Field(s string) (key, val string, nested bool, err error) {
	if strings.HasPrefix(s, `"`) {
		key, s, err = quoted(s)
		if err != nil {
			return "", "", false, err
		}
	} else {
		i := strings.IndexAny(s, " :")
		if i < 0 {
			return "", "", false, fmt.Errorf("field %q has no value", s)
		}
		key, s = s[:i], s[i:]
	}
	if s == ":" {
		return key, "", true, nil
	}
	s = strings.TrimPrefix(s, ":")
	s = strings.TrimLeft(s, " ")
	if strings.HasPrefix(s, `"`) {
		val, _, err = quoted(s)
		return key, val, false, err
	}
	return key, s, false, nil
}

// splitDescriptor splits "name@range" at the "@" that ends the name (a
// scoped name's own "@" is skipped; the range may contain more "@").
func splitDescriptor(s string) (string, string) {
	start := 0
	if strings.HasPrefix(s, "@") {
		start = strings.IndexByte(s, '/') + 1
		if start <= 0 {
			return s, ""
		}
	}
	if i := strings.IndexByte(s[start:], '@'); i > 0 {
		return s[:start+i], s[start+i+1:]
	}
	return s, ""
}

// yarnBuilder turns entries into packages, merging entries with one
// identity, and keeps the specifier index for edges.
type yarnBuilder struct {
	res    *catalog.Result
	byKey  map[string]int // purl -> package
	bySpec map[string]int // "name@range" -> package
	g      *graph
}

func newYarnBuilder() *yarnBuilder {
	return &yarnBuilder{res: &catalog.Result{}, byKey: map[string]int{}, bySpec: map[string]int{}}
}

func (yb *yarnBuilder) add(pkg sbom.Package, specs []string) int {
	i, ok := yb.byKey[pkg.ID]
	if !ok {
		i = len(yb.res.Packages)
		yb.byKey[pkg.ID] = i
		yb.res.Packages = append(yb.res.Packages, pkg)
	}
	for _, s := range specs {
		yb.bySpec[s] = i
	}
	return i
}

func (yb *yarnBuilder) lookup(name, rng string) int {
	if i, ok := yb.bySpec[name+"@"+rng]; ok {
		return i
	}
	if i, ok := yb.bySpec[name+"@npm:"+rng]; ok {
		return i
	}
	return -1
}

func (yb *yarnBuilder) edges(from int, deps map[string]string, kind edgeKind) {
	for _, n := range sortedKeys(deps) {
		to := yb.lookup(n, deps[n])
		if to < 0 || to == from {
			continue
		}
		yb.g.edge(from, to, kind)
		yb.res.Relationships = append(yb.res.Relationships, sbom.Relationship{From: yb.res.Packages[from].ID, To: yb.res.Packages[to].ID})
	}
}

// finish marks roots from declared dependencies and sets scopes.
func (yb *yarnBuilder) finish(roots []yarnRoot) *catalog.Result {
	for _, r := range roots {
		if i := yb.lookup(r.name, r.rng); i >= 0 {
			yb.res.Packages[i].Direct = true
			yb.g.markRoot(i, r.scope)
		}
	}
	scopes, reached := yb.g.scopes()
	for i := range yb.res.Packages {
		if reached[i] {
			yb.res.Packages[i].Scope = scopes[i]
		}
	}
	yb.res.Relationships = dedupeRels(yb.res.Relationships)
	return yb.res
}

type yarnRoot struct {
	name, rng string
	scope     sbom.Scope
}

func manifestRoots(m *manifest) []yarnRoot {
	var out []yarnRoot
	add := func(deps map[string]string, s sbom.Scope) {
		for _, n := range sortedKeys(deps) {
			out = append(out, yarnRoot{n, deps[n], s})
		}
	}
	add(m.Dependencies, sbom.ScopeRequired)
	add(m.PeerDependencies, sbom.ScopeRequired)
	add(m.OptionalDependencies, sbom.ScopeOptional)
	add(m.DevDependencies, sbom.ScopeDev)
	return out
}

func dedupeRels(rels []sbom.Relationship) []sbom.Relationship {
	seen := make(map[sbom.Relationship]bool, len(rels))
	out := rels[:0]
	for _, r := range rels {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

func yarnV1Result(entries []yarnEntry, file string, fsys fs.FS, dir string) *catalog.Result {
	yb := newYarnBuilder()
	idx := make([]int, len(entries))
	for k, e := range entries {
		name, rng := splitDescriptor(e.specs[0])
		if rest, ok := strings.CutPrefix(rng, "npm:"); ok {
			// An alias: foo@npm:bar@^1 installs bar.
			if n, _ := splitDescriptor(rest); n != "" && n != rest {
				name = n
			}
		}
		pkg := newPackage(name, e.version, file, e.line)
		if alias, _ := splitDescriptor(e.specs[0]); alias != name {
			pkg.SetProperty(propAlias, alias)
		}
		pkg.Hashes = catalog.ParseSRI(e.integrity)
		if e.resolved != "" {
			pkg.ResolvedURL = e.resolved
			pkg.SourceKind = sourceKind(rng)
			if pkg.SourceKind == "" {
				pkg.SourceKind = sourceKind(e.resolved)
			}
			if len(pkg.Hashes) == 0 && pkg.SourceKind == "" {
				// Old lockfiles carry the tarball's SHA-1 as the fragment.
				if _, frag, ok := strings.Cut(e.resolved, "#"); ok {
					if h, ok := catalog.CheckHex(sbom.SHA1, frag); ok {
						pkg.Hashes = []sbom.Hash{h}
					}
				}
			}
		} else if k := sourceKind(rng); k != "" {
			pkg.SourceKind = k
			pkg.ResolvedURL = rng
		}
		idx[k] = yb.add(pkg, e.specs)
	}
	yb.g = newGraph(len(yb.res.Packages))
	for k, e := range entries {
		yb.edges(idx[k], e.deps, edgeRequired)
		yb.edges(idx[k], e.optDeps, edgeOptional)
	}
	var roots []yarnRoot
	if root, members, ok := projectManifests(fsys, dir); ok {
		roots = manifestRoots(root)
		for _, m := range sortedKeys(members) {
			roots = append(roots, manifestRoots(members[m])...)
		}
	}
	return yb.finish(roots)
}

// parseBerry reads a Berry lockfile.
func parseBerry(b []byte, file string, fsys fs.FS, dir string) (*catalog.Result, error) {
	root, err := yamldoc.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("parse yarn.lock: %w", err)
	}
	if root == nil || root.Kind != yaml.MappingNode {
		return nil, errors.New("parse yarn.lock: top level is not a mapping")
	}
	w := yamldoc.NewWalker(yamldoc.Budget(len(b)))
	yb := newYarnBuilder()
	type berryPkg struct {
		idx       int
		node      *yaml.Node
		workspace string // workspace path, for workspace members
	}
	var pkgs []berryPkg
	var roots []yarnRoot
	w.Pairs(root, func(k, v *yaml.Node) bool {
		if k.Value == "__metadata" || v.Kind != yaml.MappingNode {
			return true
		}
		specs, err := splitSpecs(k.Value)
		if err != nil {
			return true
		}
		resolution := w.Str(v, "resolution")
		name, ref := splitDescriptor(resolution)
		if name == "" || resolution == "" {
			name, ref = splitDescriptor(specs[0])
		}
		version := w.Str(v, "version")
		var wsPath string
		pkg := sbom.Package{}
		switch proto, rest, _ := strings.Cut(ref, ":"); proto {
		case "workspace":
			wsPath = rest
			if wsPath == "." {
				// The root workspace is the project itself: its
				// dependencies are roots, it is no package.
				roots = append(roots, berryWorkspaceRoots(w, v, fsys, dir, ".")...)
				return true
			}
			version = localVersion(fsys, path.Join(dir, wsPath), version)
			pkg = newPackage(name, version, file, k.Line)
			pkg.SourceKind, pkg.ResolvedURL = "link", "file:"+wsPath
			pkg.Direct = true
			pkg.SetProperty(propWorkspace, "true")
			roots = append(roots, berryWorkspaceRoots(w, v, fsys, dir, wsPath)...)
		case "link", "portal":
			if version == "0.0.0-use.local" {
				version = ""
			}
			pkg = newPackage(name, version, file, k.Line)
			pkg.SourceKind, pkg.ResolvedURL = "link", proto+":"+strings.SplitN(rest, "::", 2)[0]
		case "patch":
			pkg = newPackage(name, version, file, k.Line)
			pkg.SetProperty(propPatch, resolution)
		case "npm":
			pkg = newPackage(name, version, file, k.Line)
		case "file":
			pkg = newPackage(name, version, file, k.Line)
			loc := "file:" + strings.SplitN(rest, "::", 2)[0]
			pkg.ResolvedURL, pkg.SourceKind = loc, sourceKind(loc)
		default:
			pkg = newPackage(name, version, file, k.Line)
			loc := strings.SplitN(ref, "::", 2)[0]
			pkg.ResolvedURL = loc
			switch {
			case strings.Contains(loc, "#commit=") || strings.HasPrefix(loc, "git") || strings.Contains(loc, ".git"):
				pkg.SourceKind = "git"
			case strings.HasPrefix(loc, "http:") || strings.HasPrefix(loc, "https:"):
				pkg.SourceKind = "url"
			default:
				pkg.SourceKind = sourceKind(loc)
			}
		}
		if alias, _ := splitDescriptor(specs[0]); alias != name {
			pkg.SetProperty(propAlias, alias)
		}
		pkg.SetProperty(propChecksum, w.Str(v, "checksum"))
		pkg.SetProperty(PropConditions, w.Str(v, "conditions"))
		i := yb.add(pkg, specs)
		pkgs = append(pkgs, berryPkg{i, v, wsPath})
		return true
	})
	if err := w.Err(); err != nil {
		return yb.res, fmt.Errorf("parse yarn.lock: %w", err)
	}
	if len(pkgs) == 0 && w.Get(root, "__metadata") == nil {
		return nil, errors.New("parse yarn.lock: no __metadata and no entries")
	}
	yb.g = newGraph(len(yb.res.Packages))
	for _, p := range pkgs {
		deps := map[string]string{}
		opt := map[string]string{}
		meta := w.Get(p.node, "dependenciesMeta")
		w.Pairs(w.Get(p.node, "dependencies"), func(k, v *yaml.Node) bool {
			if w.Str(w.Get(meta, k.Value), "optional") == "true" {
				opt[k.Value] = v.Value
			} else {
				deps[k.Value] = v.Value
			}
			return true
		})
		w.Pairs(w.Get(p.node, "optionalDependencies"), func(k, v *yaml.Node) bool {
			opt[k.Value] = v.Value
			return true
		})
		if p.workspace != "" {
			// A member's own dependencies are roots, with the scope its
			// package.json gives them; they do not inherit the member's.
			for _, n := range sortedKeys(deps) {
				if to := yb.lookup(n, deps[n]); to >= 0 && to != p.idx {
					yb.res.Relationships = append(yb.res.Relationships, sbom.Relationship{From: yb.res.Packages[p.idx].ID, To: yb.res.Packages[to].ID})
				}
			}
			continue
		}
		yb.edges(p.idx, deps, edgeRequired)
		yb.edges(p.idx, opt, edgeOptional)
	}
	if err := w.Err(); err != nil {
		return yb.res, fmt.Errorf("parse yarn.lock: %w", err)
	}
	return yb.finish(roots), nil
}

// berryWorkspaceRoots returns a workspace's dependencies as roots. Their
// scope comes from the workspace's package.json when the tree has it; the
// lockfile itself does not say which are dev dependencies.
func berryWorkspaceRoots(w *yamldoc.Walker, v *yaml.Node, fsys fs.FS, dir, ws string) []yarnRoot {
	m, ok := readManifest(fsys, path.Join(dir, ws))
	var out []yarnRoot
	meta := w.Get(v, "dependenciesMeta")
	w.Pairs(w.Get(v, "dependencies"), func(k, dv *yaml.Node) bool {
		s := sbom.ScopeRequired
		if w.Str(w.Get(meta, k.Value), "optional") == "true" {
			s = sbom.ScopeOptional
		}
		if ok {
			if _, dev := m.DevDependencies[k.Value]; dev {
				if _, prod := m.Dependencies[k.Value]; !prod {
					s = sbom.ScopeDev
				}
			}
		}
		out = append(out, yarnRoot{k.Value, dv.Value, s})
		return true
	})
	return out
}

// localVersion returns the version of the package.json in dir, or "" when it
// cannot be read (yarn writes 0.0.0-use.local for local packages).
func localVersion(fsys fs.FS, dir, recorded string) string {
	if m, ok := readManifest(fsys, dir); ok && m.Version != "" {
		return m.Version
	}
	if recorded == "0.0.0-use.local" {
		return ""
	}
	return recorded
}
