package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/version"
)

// hygieneRule is kind "hygiene":
//
//   - max-versions: N: more than N distinct versions of one package
//     (ecosystem and name) in the document violate, once per package name
//     (0, the default, does not check).
//   - git: true: dependencies fetched from git URLs violate (they bypass the
//     registry's immutability and malware scanning).
//   - local-paths: "outside" flags local path dependencies that point
//     outside the project ("../", absolute paths); "all" flags every one,
//     workspace members included; "off" (the default) flags none.
type hygieneRule struct {
	MaxVersions int
	Git         bool
	LocalPaths  string
}

func (d *decoder) hygiene(m *mapping) (checker, error) {
	r := &hygieneRule{}
	var err error
	if r.MaxVersions, err = m.integer("max-versions", 0, 0); err != nil {
		return nil, err
	}
	if r.Git, err = m.boolean("git", false); err != nil {
		return nil, err
	}
	if r.LocalPaths, err = m.choice("local-paths", "off", "off", "outside", "all"); err != nil {
		return nil, err
	}
	if r.MaxVersions == 0 && !r.Git && r.LocalPaths == "off" {
		return nil, d.errf(m.node, "%s: a hygiene rule needs max-versions, git: true or local-paths", m.what)
	}
	return r, nil
}

func (*hygieneRule) keys() string        { return "max-versions, git, local-paths" }
func (*hygieneRule) needsFindings() bool { return false }

// outside reports whether a local dependency's path leaves the project.
func outside(p *sbom.Package) bool {
	s := p.ResolvedURL
	for _, pre := range []string{"file:", "link:", "portal:"} {
		s = strings.TrimPrefix(s, pre)
	}
	s = strings.ReplaceAll(s, "\\", "/")
	if s == "" {
		return false
	}
	return s == ".." || strings.HasPrefix(s, "../") || strings.HasPrefix(s, "/") || strings.HasPrefix(s, "~") ||
		len(s) > 2 && s[1] == ':' && s[2] == '/'
}

func (r *hygieneRule) evaluate(c *evalContext, rule *Rule, pkgs []int, emit func(Violation)) string {
	type key struct {
		eco  sbom.Ecosystem
		name string
	}
	var order []key
	groups := map[key][]int{}
	for _, i := range pkgs {
		p := &c.doc.Packages[i]
		switch {
		case r.Git && p.SourceKind == "git":
			emit(c.violation(rule, p, "dependency from git: "+p.ResolvedURL,
				fmt.Sprintf("depend on a released version of %s from the registry", p.Name)))
		case (p.SourceKind == "path" || p.SourceKind == "link" || p.SourceKind == "file") &&
			(r.LocalPaths == "all" || r.LocalPaths == "outside" && outside(p)):
			where := p.ResolvedURL
			if where == "" {
				where = "a local path"
			}
			emit(c.violation(rule, p, "dependency from local path "+where,
				fmt.Sprintf("publish %s to a registry (or move it into the project as a workspace member) and depend on a version", p.Name)))
		}
		if r.MaxVersions > 0 && p.Version != "" && !isAction(p) {
			k := key{p.Ecosystem, p.Name}
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], i)
		}
	}
	for _, k := range order {
		var versions []string
		var locs []sbom.Location
		for _, i := range groups[k] {
			p := &c.doc.Packages[i]
			if !contains(versions, p.Version) {
				versions = append(versions, p.Version)
			}
			locs = append(locs, p.Locations...)
		}
		if len(versions) <= r.MaxVersions {
			continue
		}
		slices.SortStableFunc(versions, func(a, b string) int {
			c, err := version.Compare(string(k.eco), a, b)
			if err != nil {
				return strings.Compare(a, b)
			}
			return c
		})
		first := &c.doc.Packages[groups[k][0]]
		v := c.violation(rule, first, fmt.Sprintf("%d versions of %s (at most %d allowed): %s", len(versions), k.name, r.MaxVersions, strings.Join(versions, ", ")),
			fmt.Sprintf("deduplicate (npm dedupe, yarn dedupe, pnpm dedupe) or move the dependents of %s to one version", k.name))
		v.Package = versionless(stripPURL(v.Package))
		v.Version = strings.Join(versions, ", ")
		v.Locations = locs
		emit(v)
	}
	return ""
}
