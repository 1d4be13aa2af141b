// Package cocoapods catalogs iOS and macOS dependencies from Podfile.lock,
// the lockfile `pod install` writes (https://guides.cocoapods.org/using/using-cocoapods.html;
// format: Pod::Lockfile in the cocoapods-core gem, lib/cocoapods-core/lockfile.rb).
//
// A Podfile.lock is YAML with these sections:
//
//	PODS               every installed pod and subspec, "Name (1.2.3)", with its
//	                   dependencies "Other (~> 1.0)" when it has some
//	DEPENDENCIES       what the Podfile asks for: the direct dependencies
//	SPEC REPOS         which spec repository each pod came from ("trunk" is the CDN)
//	EXTERNAL SOURCES   pods from :git, :path or :podspec instead of a spec repo
//	CHECKOUT OPTIONS   the exact :commit (or :tag) a git pod was checked out at
//	SPEC CHECKSUMS     per pod, the SHA-1 of its podspec as JSON
//	PODFILE CHECKSUM   the SHA-1 of the Podfile
//	COCOAPODS          the version of CocoaPods that wrote the file
//
// A subspec ("Firebase/Core") is a part of its pod, built from the same
// source at the same version, so hallmark emits one package per pod
// (pkg:cocoapods/Firebase@10.18.0) with the subspecs used listed in property
// hallmark:cocoapods:subspecs, and edges between pods (a subspec's
// dependency is its pod's dependency; edges inside one pod are dropped).
//
// SPEC CHECKSUMS are kept as property hallmark:cocoapods:spec-checksum, not
// as a package hash: they digest the podspec (the package's metadata as
// CocoaPods serialises it), not the source archive or the files installed,
// so they cannot verify an artifact the way a hash in an SBOM promises.
//
// Podfile.lock has no notion of development dependencies (test targets use
// the same lock), so Scope is always empty.
package cocoapods

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/yamldoc"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Property keys.
const (
	PropSubspecs     = "hallmark:cocoapods:subspecs"
	PropSpecChecksum = "hallmark:cocoapods:spec-checksum"
	PropSpecRepo     = "hallmark:cocoapods:spec-repo"
	PropGitRef       = "hallmark:cocoapods:git-ref"
	PropGitCommit    = "hallmark:cocoapods:git-commit"
)

// Cataloger reads Podfile.lock files.
type Cataloger struct{}

// New returns the Podfile.lock cataloger.
func New() Cataloger { return Cataloger{} }

// Name implements catalog.Cataloger.
func (Cataloger) Name() string { return "cocoapods-podfile-lock" }

// Claims implements catalog.Cataloger. Pods/Manifest.lock, the copy
// CocoaPods keeps inside the Pods directory, is not claimed (it repeats
// Podfile.lock), nor are lockfiles shipped inside installed pods.
func (Cataloger) Claims(p string, mode fs.FileMode) bool {
	return path.Base(p) == "Podfile.lock" && (mode.IsRegular() || mode == 0) &&
		!strings.HasPrefix(p, "Pods/") && !strings.Contains(p, "/Pods/")
}

// Catalog implements catalog.Cataloger.
func (Cataloger) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	return Parse(b, p)
}

// defaultRepos are the names of the public spec repository: "trunk" (the
// CDN, CocoaPods 1.8+) and the git repository used before.
var defaultRepos = map[string]bool{
	"trunk": true, "https://github.com/cocoapods/specs.git": true, "https://github.com/CocoaPods/Specs.git": true,
	"https://cdn.cocoapods.org/": true,
}

// pod is one pod being assembled from its PODS entries.
type pod struct {
	pkg      sbom.Package
	subspecs []string
	deps     []string // root names
}

// Parse reads a Podfile.lock; p is the location recorded for the packages.
func Parse(b []byte, p string) (*catalog.Result, error) {
	root, err := yamldoc.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("parse Podfile.lock: %w", err)
	}
	res := &catalog.Result{}
	if root == nil {
		return res, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse Podfile.lock: top level is not a mapping (line %d)", root.Line)
	}
	w := yamldoc.NewWalker(yamldoc.Budget(len(b)))
	var (
		pods  []*pod
		byKey = map[[2]string]*pod{} // name, version
		byPod = map[string]*pod{}    // name (dependencies carry no version)
		bad   []string
	)
	podList := w.Get(root, "PODS")
	if podList != nil && podList.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("parse Podfile.lock: PODS is not a list (line %d)", podList.Line)
	}
	w.Items(podList, func(item *yaml.Node) bool {
		spec, deps := item, (*yaml.Node)(nil)
		if item.Kind == yaml.MappingNode && len(item.Content) == 2 {
			spec, deps = w.Resolve(item.Content[0]), item.Content[1]
		}
		if spec == nil || spec.Kind != yaml.ScalarNode {
			bad = append(bad, fmt.Sprintf("line %d: PODS entry is not \"Name (version)\"", item.Line))
			return true
		}
		name, version, ok := nameVersion(spec.Value)
		if !ok || version == "" {
			bad = append(bad, fmt.Sprintf("line %d: PODS entry %q is not \"Name (version)\"", spec.Line, truncate(spec.Value)))
			return true
		}
		rootName, sub, _ := strings.Cut(name, "/")
		key := [2]string{rootName, version}
		pd := byKey[key]
		if pd == nil {
			pd = &pod{pkg: sbom.Package{
				Name:       rootName,
				Version:    version,
				Ecosystem:  sbom.EcosystemCocoaPods,
				Locations:  []sbom.Location{{Path: p, Line: spec.Line}},
				Properties: map[string]string{},
			}}
			byKey[key] = pd
			byPod[rootName] = pd
			pods = append(pods, pd)
		}
		if sub != "" {
			pd.subspecs = append(pd.subspecs, sub)
		}
		w.Items(deps, func(d *yaml.Node) bool {
			if d.Kind != yaml.ScalarNode {
				return true
			}
			dn, _, ok := nameVersion(d.Value)
			if ok {
				dr, _, _ := strings.Cut(dn, "/")
				if dr != rootName {
					pd.deps = append(pd.deps, dr)
				}
			}
			return true
		})
		return true
	})

	// DEPENDENCIES: the Podfile's own requests.
	w.Items(w.Get(root, "DEPENDENCIES"), func(d *yaml.Node) bool {
		if d.Kind != yaml.ScalarNode {
			return true
		}
		if n, _, ok := nameVersion(d.Value); ok {
			r, _, _ := strings.Cut(n, "/")
			if pd := byPod[r]; pd != nil {
				pd.pkg.Direct = true
			}
		}
		return true
	})
	// SPEC REPOS: repository -> pods.
	w.Pairs(w.Get(root, "SPEC REPOS"), func(k, v *yaml.Node) bool {
		w.Items(v, func(n *yaml.Node) bool {
			if pd := byPod[n.Value]; pd != nil && n.Kind == yaml.ScalarNode && !defaultRepos[k.Value] {
				pd.pkg.Properties[PropSpecRepo] = k.Value
			}
			return true
		})
		return true
	})
	// EXTERNAL SOURCES, then CHECKOUT OPTIONS (the resolved commit).
	w.Pairs(w.Get(root, "EXTERNAL SOURCES"), func(k, v *yaml.Node) bool {
		if pd := byPod[k.Value]; pd != nil {
			external(w, &pd.pkg, v)
		}
		return true
	})
	w.Pairs(w.Get(root, "CHECKOUT OPTIONS"), func(k, v *yaml.Node) bool {
		if pd := byPod[k.Value]; pd != nil {
			if c := w.Str(v, ":commit"); c != "" {
				pd.pkg.Properties[PropGitCommit] = c
			}
			if pd.pkg.ResolvedURL == "" {
				external(w, &pd.pkg, v)
			}
		}
		return true
	})
	w.Pairs(w.Get(root, "SPEC CHECKSUMS"), func(k, v *yaml.Node) bool {
		if pd := byPod[k.Value]; pd != nil && v.Kind == yaml.ScalarNode {
			if h, ok := catalog.CheckHex(sbom.SHA1, v.Value); ok {
				pd.pkg.Properties[PropSpecChecksum] = h.Value
			}
		}
		return true
	})

	for _, pd := range pods {
		if len(pd.subspecs) > 0 {
			pd.pkg.Properties[PropSubspecs] = strings.Join(dedupe(pd.subspecs), ",")
		}
		var q []string
		if r := pd.pkg.Properties[PropSpecRepo]; r != "" {
			q = append(q, "repository_url", r)
		}
		if pd.pkg.SourceKind == "git" && pd.pkg.ResolvedURL != "" {
			vcs := "git+" + pd.pkg.ResolvedURL
			if c := pd.pkg.Properties[PropGitCommit]; c != "" {
				vcs += "@" + c
			}
			q = append(q, "vcs_url", vcs)
		}
		pd.pkg.PURL = purl.New(sbom.EcosystemCocoaPods, pd.pkg.Name, pd.pkg.Version, q...)
		pd.pkg.ID = pd.pkg.Key()
	}
	for _, pd := range pods {
		res.Packages = append(res.Packages, pd.pkg)
		for _, d := range dedupe(pd.deps) {
			if to := byPod[d]; to != nil {
				res.Relationships = append(res.Relationships, sbom.Relationship{From: pd.pkg.ID, To: to.pkg.ID})
			}
		}
	}
	if err := w.Err(); err != nil {
		return res, fmt.Errorf("parse Podfile.lock: %w", err)
	}
	if len(bad) > 0 {
		more := ""
		if len(bad) > 3 {
			more = fmt.Sprintf(" (and %d more)", len(bad)-3)
			bad = bad[:3]
		}
		return res, fmt.Errorf("parse Podfile.lock: %s%s", strings.Join(bad, "; "), more)
	}
	return res, nil
}

// external applies an EXTERNAL SOURCES / CHECKOUT OPTIONS entry
// ({":git": url, ":tag"|":branch"|":commit": ...}, {":path": dir} or
// {":podspec": path or URL}).
func external(w *yamldoc.Walker, p *sbom.Package, v *yaml.Node) {
	switch {
	case w.Str(v, ":git") != "":
		p.SourceKind, p.ResolvedURL = "git", w.Str(v, ":git")
		for _, k := range []string{":tag", ":branch", ":commit"} {
			if s := w.Str(v, k); s != "" {
				p.Properties[PropGitRef] = strings.TrimPrefix(k, ":") + ":" + s
				break
			}
		}
	case w.Str(v, ":path") != "":
		p.SourceKind, p.ResolvedURL = "path", w.Str(v, ":path")
	case w.Str(v, ":podspec") != "":
		p.ResolvedURL = w.Str(v, ":podspec")
		if strings.HasPrefix(p.ResolvedURL, "http://") || strings.HasPrefix(p.ResolvedURL, "https://") {
			p.SourceKind = "url"
		} else {
			p.SourceKind = "path"
		}
	case w.Str(v, ":http") != "":
		p.SourceKind, p.ResolvedURL = "url", w.Str(v, ":http")
	}
}

// nameVersion splits "Name (1.2.3)" or "Name (~> 1.0)" or "Name" into name
// and the parenthesised part.
func nameVersion(s string) (name, version string, ok bool) {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, " ("); i >= 0 {
		if !strings.HasSuffix(s, ")") {
			return "", "", false
		}
		name, version = s[:i], s[i+2:len(s)-1]
	} else {
		name = s
	}
	if name == "" || strings.ContainsAny(name, " \t()") || strings.HasPrefix(name, "/") {
		return "", "", false
	}
	return name, strings.TrimSpace(version), true
}

func dedupe(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
