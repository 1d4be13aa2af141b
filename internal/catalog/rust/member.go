package rust

import (
	"context"
	"fmt"
	"io/fs"
	"path"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// ClaimsAlone implements catalog.AloneClaimer: a Cargo.toml named on its
// own (hallmark sbom crates/core/Cargo.toml) is read through its
// workspace's Cargo.lock. A directory walk leaves Cargo.toml files to the
// Cargo.lock that names them all.
func (CargoLock) ClaimsAlone(p string) bool { return path.Base(p) == "Cargo.toml" }

// catalogMember reads the crate whose manifest is p: it finds the
// workspace root as Cargo does (package.workspace when set, else the
// nearest folder above holding a Cargo.toml with a [workspace] table, else
// the crate's own folder), reads the Cargo.lock there and keeps what the
// crate needs: the crate itself and every package it reaches, its
// dependencies inherited with `workspace = true` included, the
// dev-dependencies of the workspace's other crates left out (building or
// testing this crate never resolves them). Scopes are those this crate
// gives: its own dev-dependencies are dev, its build-dependencies build.
// Given the workspace root's own Cargo.toml, the whole lockfile is read, as
// for Cargo.lock.
func catalogMember(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	dir := path.Dir(p)
	m, ok := readManifest(fsys, p)
	if !ok {
		if _, err := catalog.ReadFile(fsys, p); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("parse Cargo.toml: not a readable manifest")
	}
	root := workspaceRoot(fsys, dir, m)
	lock := path.Join(root, "Cargo.lock")
	if _, err := fs.Stat(fsys, lock); err != nil {
		return nil, fmt.Errorf("no Cargo.lock at the workspace root (%s): versions come from the lockfile; run cargo generate-lockfile", lock)
	}
	if root == dir || m.Package.Name == "" {
		return CargoLock{}.Catalog(ctx, fsys, lock)
	}
	res, adj, lockErr := parseLock(fsys, lock)
	if res == nil {
		return nil, lockErr
	}
	member := -1
	for i, pkg := range res.Packages {
		if pkg.SourceKind == "path" && pkg.Name == m.Package.Name {
			member = i
			break
		}
	}
	if member < 0 {
		return nil, fmt.Errorf("crate %q is not in %s", m.Package.Name, lock)
	}
	crates := readWorkspace(fsys, root)
	byName := map[string]*crate{}
	for i := range crates {
		byName[crates[i].name] = &crates[i]
	}
	owner := make([]*crate, len(res.Packages))
	for i, pkg := range res.Packages {
		if pkg.SourceKind == "path" {
			owner[i] = byName[pkg.Name]
		}
	}
	best := memberKinds(res.Packages, adj, owner, member)
	return keepReached(res, adj, owner, member, best), lockErr
}

// workspaceRoot returns the folder of the workspace the crate in dir
// belongs to.
func workspaceRoot(fsys fs.FS, dir string, m *manifest) string {
	if w := m.Package.Workspace; w != "" {
		if r := path.Join(dir, w); fs.ValidPath(r) {
			return r
		}
	}
	if m.isWorkspace {
		return dir
	}
	for d := dir; d != "."; {
		d = path.Dir(d)
		if r, ok := readManifest(fsys, path.Join(d, "Cargo.toml")); ok && r.isWorkspace {
			return d
		}
	}
	return dir
}

// declared is the kind crate c declares for the package named name (a name
// it does not declare counts as normal: never weaker than the truth).
func declared(c *crate, name string) depKind {
	if k, ok := c.deps[name]; ok {
		return k
	}
	return kindNormal
}

// memberKinds returns, for every package, the most needed kind over the
// paths from the member (kindNone when unreached). An edge out of a
// workspace crate takes the kind that crate's manifest declares, weakened by
// the path that reached the crate; an edge out of a crate of the registry
// inherits the path's kind. Dev-dependencies of other workspace crates are
// not followed.
func memberKinds(pkgs []sbom.Package, adj [][]int, owner []*crate, member int) []depKind {
	best := make([]depKind, len(pkgs))
	for i := range best {
		best[i] = kindNone
	}
	best[member] = kindNormal
	var queue []int
	for k := kindNormal; k < kindNone; k++ {
		queue = queue[:0]
		for i, b := range best {
			if b == k {
				queue = append(queue, i)
			}
		}
		for len(queue) > 0 {
			i := queue[0]
			queue = queue[1:]
			for _, j := range adj[i] {
				ek, ok := edgeKind(pkgs, owner, member, i, j, k)
				if ok && ek < best[j] {
					best[j] = ek
					if ek == k {
						queue = append(queue, j)
					}
				}
			}
		}
	}
	return best
}

// edgeKind is the kind of the edge i -> j reached with kind k; ok is false
// for an edge the member never resolves.
func edgeKind(pkgs []sbom.Package, owner []*crate, member, i, j int, k depKind) (depKind, bool) {
	c := owner[i]
	if c == nil {
		return k, true
	}
	dk := declared(c, pkgs[j].Name)
	if dk == kindDev && i != member {
		return 0, false
	}
	return max(k, dk), true
}

// keepReached returns the packages the member reaches with their scopes,
// and the edges among them it follows. Direct means declared by the member
// itself (a workspace crate it depends on aside).
func keepReached(res *catalog.Result, adj [][]int, owner []*crate, member int, best []depKind) *catalog.Result {
	out := &catalog.Result{}
	for i := range res.Packages {
		if best[i] == kindNone {
			continue
		}
		pkg := res.Packages[i]
		switch best[i] {
		case kindOptional:
			pkg.Scope = sbom.ScopeOptional
		case kindBuild:
			pkg.Scope = sbom.ScopeDev
			pkg.SetProperty(PropKind, "build")
		case kindDev:
			pkg.Scope = sbom.ScopeDev
			pkg.SetProperty(PropKind, "dev")
		}
		out.Packages = append(out.Packages, pkg)
	}
	direct := map[string]bool{}
	for i, to := range adj {
		if best[i] == kindNone {
			continue
		}
		for _, j := range to {
			if _, ok := edgeKind(res.Packages, owner, member, i, j, best[i]); !ok || best[j] == kindNone {
				continue
			}
			out.Relationships = append(out.Relationships, sbom.Relationship{From: res.Packages[i].ID, To: res.Packages[j].ID})
			if i == member && owner[j] == nil {
				direct[res.Packages[j].ID] = true
			}
		}
	}
	for i := range out.Packages {
		out.Packages[i].Direct = direct[out.Packages[i].ID]
	}
	return out
}
