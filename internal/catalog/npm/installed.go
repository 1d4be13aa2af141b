package npm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Installed reads the packages installed under node_modules: every
// node_modules/<name>/package.json and node_modules/@scope/<name>/package.json
// at any nesting depth (node_modules/a/node_modules/b, pnpm's
// node_modules/.pnpm/<id>/node_modules/<name>), and no other package.json
// (one inside a package, such as node_modules/a/lib/package.json or a test
// fixture node_modules/a/test/node_modules/x, is not an installed package).
//
// The installed package.json files are the ground truth of what is
// installed: name, version, license ("license" string or legacy object, or a
// "licenses" array, joined with OR) and author (as Supplier) come from them.
//
// npm also records the tree it installed in node_modules/.package-lock.json
// (the "hidden lockfile"). It is npm's own cache of the tree, so it is never
// trusted for what is installed, but where an entry sits at the same
// location with the same name and version as the installed package.json it
// supplies what package.json files lack: integrity (Hashes), resolved URL,
// npm's dev/optional flags (Scope) and the dependency edges, resolved the
// Node way against the installed locations. Without a hidden lockfile (yarn
// or pnpm installs, other npm versions) packages have no hashes or edges and
// Scope is left empty (not known). Direct is read from the project's
// package.json beside node_modules: a top-level package it declares.
//
// An Installed caches each project's hidden lockfile and package.json for the
// duration of a walk; it is safe for concurrent use. Use NewInstalled.
type Installed struct {
	mu       sync.Mutex
	projects map[string]*installedProject
}

// NewInstalled returns an installed-package cataloger.
func NewInstalled() *Installed { return &Installed{} }

// Name implements catalog.Cataloger.
func (*Installed) Name() string { return "npm-installed" }

// Claims implements catalog.Cataloger.
func (*Installed) Claims(p string, _ fs.FileMode) bool {
	return isInstalledManifest(p)
}

// isInstalledManifest reports whether p is the package.json of a package
// installed in node_modules, per the layout Installed describes.
func isInstalledManifest(p string) bool {
	if !strings.HasSuffix(p, "package.json") {
		return false
	}
	i := strings.Index(p, "node_modules/")
	if i < 0 || (i > 0 && p[i-1] != '/') {
		return false
	}
	_, ok := installedLocation(p[i:])
	return ok
}

// installedLocation checks rest ("node_modules/.../package.json") and
// returns the name of the directory the package is installed under.
func installedLocation(rest string) (string, bool) {
	for {
		var ok bool
		if rest, ok = strings.CutPrefix(rest, "node_modules/"); !ok {
			return "", false
		}
		if r, ok := strings.CutPrefix(rest, ".pnpm/"); ok {
			j := strings.IndexByte(r, '/')
			if j <= 0 {
				return "", false
			}
			rest = r[j+1:]
			continue
		}
		start := rest
		n := 0
		if strings.HasPrefix(rest, "@") {
			j := strings.IndexByte(rest, '/')
			if j <= 1 {
				return "", false
			}
			n = j + 1
			rest = rest[j+1:]
		}
		j := strings.IndexByte(rest, '/')
		if j <= 0 || rest[0] == '.' {
			return "", false
		}
		name := start[:n+j]
		rest = rest[j+1:]
		if rest == "package.json" {
			return name, true
		}
	}
}

// installedManifest is the part of an installed package.json Installed
// reads. Only these fields are decoded; "readme" and the like are skipped.
type installedManifest struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	License              license           `json:"license"`
	Licenses             license           `json:"licenses"`
	Author               person            `json:"author"`
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

// Catalog implements catalog.Cataloger.
func (c *Installed) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	var m installedManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse installed package.json: %w", err)
	}
	if m.Name == "" || m.Version == "" {
		// npm does not treat a folder without name and version as a
		// package either (it reports it as invalid).
		return nil, nil
	}
	i := strings.Index(p, "node_modules/")
	projDir := strings.TrimSuffix(p[:i], "/")
	loc := strings.TrimSuffix(p[i:], "/package.json")
	dirName, _ := installedLocation(p[i:])

	pkg := newPackage(m.Name, m.Version, p, 0)
	pkg.Licenses = licenseExpr(m.License.exprs, m.Licenses.exprs)
	pkg.Supplier = m.Author.name
	if dirName != m.Name {
		pkg.SetProperty(propAlias, dirName)
	}
	res := &catalog.Result{Packages: []sbom.Package{pkg}}
	proj := c.project(fsys, projDir)
	if proj.direct != nil && loc == "node_modules/"+dirName {
		if _, ok := proj.direct[dirName]; ok {
			res.Packages[0].Direct = true
		}
	}
	e, ok := proj.entries[loc]
	if !ok || e.Version != m.Version || (e.Name != "" && e.Name != m.Name) || (e.Name == "" && dirName != m.Name) {
		return res, nil
	}
	q := &res.Packages[0]
	q.Hashes = catalog.ParseSRI(e.Integrity)
	if e.Resolved != "" {
		q.ResolvedURL = e.Resolved
		q.SourceKind = sourceKind(e.Resolved)
	}
	switch {
	case e.DevOptional:
		q.Scope = sbom.ScopeOptional
	case e.Dev:
		q.Scope = sbom.ScopeDev
	case e.Optional:
		q.Scope = sbom.ScopeOptional
	}
	if len(q.Licenses) == 0 {
		q.Licenses = licenseExpr(e.License.exprs)
	}
	for _, deps := range []map[string]string{m.Dependencies, m.OptionalDependencies, m.PeerDependencies} {
		for _, name := range sortedKeys(deps) {
			t, ok := proj.resolve(loc, name)
			if !ok {
				continue
			}
			tn := t.Name
			if tn == "" {
				tn = name
			}
			to := newPackage(tn, t.Version, "", 0)
			if to.ID != q.ID {
				res.Relationships = append(res.Relationships, sbom.Relationship{From: q.ID, To: to.ID})
			}
		}
	}
	return res, nil
}

// installedProject is what Installed knows about one project directory (the
// directory holding a top-level node_modules).
type installedProject struct {
	once    sync.Once
	direct  declared
	entries map[string]lockEntry // hidden lockfile, by location
}

func (c *Installed) project(fsys fs.FS, dir string) *installedProject {
	c.mu.Lock()
	if c.projects == nil {
		c.projects = map[string]*installedProject{}
	}
	pr, ok := c.projects[dir]
	if !ok {
		pr = &installedProject{}
		c.projects[dir] = pr
	}
	c.mu.Unlock()
	pr.once.Do(func() { pr.load(fsys, dir) })
	return pr
}

func (pr *installedProject) load(fsys fs.FS, dir string) {
	if m, ok := readManifest(fsys, dir); ok {
		pr.direct = declared{}
		pr.direct.add(m)
	}
	b, err := catalog.ReadFile(fsys, path.Join(dir, "node_modules/.package-lock.json"))
	if err != nil {
		return
	}
	entries, _, err := decodeLock(b)
	if err != nil {
		return
	}
	pr.entries = make(map[string]lockEntry, len(entries))
	for _, l := range entries {
		if !l.e.Link && bytes.HasPrefix([]byte(l.key), []byte("node_modules/")) {
			// Only what the edge resolution needs is kept.
			l.e.Dependencies, l.e.OptionalDependencies, l.e.PeerDependencies, l.e.DevDependencies = nil, nil, nil, nil
			pr.entries[l.key] = l.e
		}
	}
}

// resolve finds the hidden-lockfile entry a dependency name means from
// location loc, as Node's module resolution would.
func (pr *installedProject) resolve(loc, name string) (lockEntry, bool) {
	for dir := loc; ; {
		var k string
		if dir == "" {
			k = "node_modules/" + name
		} else {
			k = dir + "/node_modules/" + name
		}
		if e, ok := pr.entries[k]; ok {
			return e, e.Version != ""
		}
		if dir == "" {
			return lockEntry{}, false
		}
		dir = parentDir(dir)
	}
}
