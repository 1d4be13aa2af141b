package rust

import "github.com/hallmark-dev/hallmark/internal/sbom"

// applyScopes sets Scope, Direct and PropKind on the packages of a lockfile
// (nodes of adj, the resolved edges) from the manifests of the workspace's
// crates.
//
// The roots are the path crates (no source in Cargo.lock) whose manifest was
// read; they stay runtime and are not Direct. An edge from a root takes the
// kind its manifest declares for the target (a name the manifest does not
// declare counts as normal: never weaker than the truth); every other edge
// inherits the kind of the path that reached its source, because Cargo.lock
// holds only normal and build dependencies of non-workspace crates (their
// dev-dependencies are never resolved) and does not say which is which. A
// package then takes the most needed kind over all paths:
//
//   - normal: runtime (Scope empty). Target-specific dependencies
//     ([target.'cfg(windows)'.dependencies]) are normal: they ship on that
//     platform. So are proc-macro crates, which Cargo declares as normal
//     dependencies although they run at compile time.
//   - optional (optional = true, behind a feature): ScopeOptional. The
//     lockfile resolves every optional dependency whether a feature enables
//     it or not.
//   - build ([build-dependencies]): ScopeDev with PropKind "build". Build
//     scripts and their dependencies run on the build machine and are not
//     linked into the product, so they are not runtime; they are not tests
//     either. They still run during every build, so a policy that cares
//     about build-time code can select them by the property.
//   - dev ([dev-dependencies]): ScopeDev with PropKind "dev". Cargo uses them
//     for tests, examples and benchmarks
//     (https://doc.rust-lang.org/cargo/reference/specifying-dependencies.html#development-dependencies),
//     not only tests, so ScopeTest would claim more than the manifest says;
//     ScopeDev is also what Cargo calls them, and keeping build and dev in
//     one scope keeps sbom.Scope.Rank consistent with the order above
//     (ScopeTest outranks ScopeDev, but a build dependency, needed for every
//     build, is more needed than a dev one).
//
// Packages no root reaches (a member whose manifest could not be read, and
// what only it reaches) keep the runtime scope.
func applyScopes(pkgs []sbom.Package, adj [][]int, crates []crate) {
	byName := map[string]*crate{}
	for i := range crates {
		byName[crates[i].name] = &crates[i]
	}
	owner := make([]*crate, len(pkgs)) // the manifest of each root
	var roots []int
	for i := range pkgs {
		if pkgs[i].SourceKind == "path" {
			if c := byName[pkgs[i].Name]; c != nil {
				owner[i] = c
				roots = append(roots, i)
			}
		}
	}
	best := make([]depKind, len(pkgs))
	for i := range best {
		best[i] = kindNone
	}
	for _, r := range roots {
		best[r] = kindNormal
		for _, j := range adj[r] {
			if owner[j] == nil {
				pkgs[j].Direct = true
			}
		}
	}
	// One breadth-first pass per kind, most needed first: a package a pass
	// reaches is settled, and so is everything below it.
	var queue []int
	for k := kindNormal; k < kindNone; k++ {
		queue = queue[:0]
		for _, r := range roots {
			for _, j := range adj[r] {
				dk, ok := owner[r].deps[pkgs[j].Name]
				if !ok {
					dk = kindNormal
				}
				if dk == k && best[j] > k {
					best[j] = k
					queue = append(queue, j)
				}
			}
		}
		for len(queue) > 0 {
			i := queue[0]
			queue = queue[1:]
			for _, j := range adj[i] {
				if best[j] > k {
					best[j] = k
					queue = append(queue, j)
				}
			}
		}
	}
	for i, k := range best {
		switch k {
		case kindOptional:
			pkgs[i].Scope = sbom.ScopeOptional
		case kindBuild:
			pkgs[i].Scope = sbom.ScopeDev
			pkgs[i].SetProperty(PropKind, "build")
		case kindDev:
			pkgs[i].Scope = sbom.ScopeDev
			pkgs[i].SetProperty(PropKind, "dev")
		}
	}
}
