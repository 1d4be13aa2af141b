package ruby

import (
	"slices"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// applyGroups sets the Scope of every locked gem from the Bundler groups of
// the Gemfile's direct dependencies (direct: the DEPENDENCIES names;
// groups: what readGemfile found), propagated over the lockfile's
// dependency graph, which joins gems by name (so every platform variant of
// a gem shares its scope):
//
//   - a gem reachable from a direct dependency in the default group is
//     runtime (Scope empty); a direct dependency the Gemfile scan did not
//     find (added by gemspec, a computed name) counts as default;
//   - else a gem reachable only from direct dependencies whose groups are
//     all test groups (test, tests, testing) is ScopeTest;
//   - else (reached from :development or any other non-default group, such
//     as the common "group :development, :test") it is ScopeDev.
//
// A gem no direct dependency reaches keeps the runtime scope. The work is
// three breadth-first passes, linear in the lockfile.
func applyGroups(pkgs []sbom.Package, specs []spec, direct map[string]bool, groups map[string][]string) {
	deps := map[string][]string{}
	for _, s := range specs {
		deps[s.pkg.Name] = append(deps[s.pkg.Name], s.deps...)
	}
	var runtime, dev, test []string
	for name := range direct {
		gs, ok := groups[name]
		switch {
		case !ok || slices.Contains(gs, "default"):
			runtime = append(runtime, name)
		case allTest(gs):
			test = append(test, name)
		default:
			dev = append(dev, name)
		}
	}
	scope := map[string]sbom.Scope{}
	for _, pass := range []struct {
		roots []string
		scope sbom.Scope
	}{{runtime, sbom.ScopeRequired}, {dev, sbom.ScopeDev}, {test, sbom.ScopeTest}} {
		queue := slices.Clone(pass.roots)
		for len(queue) > 0 {
			n := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			if _, done := scope[n]; done {
				continue
			}
			scope[n] = pass.scope
			for _, d := range deps[n] {
				if _, done := scope[d]; !done {
					queue = append(queue, d)
				}
			}
		}
	}
	for i := range pkgs {
		pkgs[i].Scope = scope[pkgs[i].Name]
	}
}

func allTest(groups []string) bool {
	for _, g := range groups {
		switch g {
		case "test", "tests", "testing":
		default:
			return false
		}
	}
	return len(groups) > 0
}
