// Package dart catalogs Dart and Flutter packages from pubspec.lock, the
// lockfile `dart pub get` / `flutter pub get` writes
// (https://dart.dev/tools/pub/glossary#lockfile; format: the pub client's
// lib/src/lock_file.dart).
//
// A pubspec.lock lists every package of the resolution under "packages",
// keyed by name, with "dependency" ("direct main", "direct dev",
// "direct overridden" or "transitive"), "source" (hosted, git, path, sdk),
// "description" (per source) and "version". It records no edges, so no
// relationships are emitted, and a transitive package's scope cannot be
// known: only "direct dev" packages are marked ScopeDev, and packages
// reachable only from dev dependencies stay unscoped (pub's lockfile does
// not say which they are, and hallmark does not guess).
//
// Sources:
//   - hosted: the registry; description.sha256 (the archive's SHA-256, pub
//     2.x and later) becomes the package hash; a registry other than pub.dev
//     is kept as the purl qualifier repository_url.
//   - git: SourceKind "git", ResolvedURL the repository, purl qualifier
//     vcs_url "git+URL@resolved-ref", properties for ref, resolved-ref, path.
//   - path: SourceKind "path", ResolvedURL the path as written.
//   - sdk: packages shipped inside the Flutter (or Dart) SDK, such as
//     flutter, flutter_test and sky_engine. They are included: their code is
//     compiled into the app, and an inventory without the framework misleads.
//     pub writes the placeholder version "0.0.0" for them; hallmark uses the
//     SDK's version from the lockfile's "sdks" section when that is an exact
//     version (`flutter: "3.47.0"`), and otherwise leaves the version empty
//     and keeps the constraint as property hallmark:pub:sdk-constraint.
//
// pub workspaces (Dart 3.6+) write one pubspec.lock at the workspace root;
// the workspace members themselves are not listed in it and are not emitted.
package dart

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
	PropSource        = "hallmark:pub:source"
	PropDependency    = "hallmark:pub:dependency"
	PropGitRef        = "hallmark:pub:git-ref"
	PropGitCommit     = "hallmark:pub:git-resolved-ref"
	PropGitPath       = "hallmark:pub:git-path"
	PropSDK           = "hallmark:pub:sdk"
	PropSDKConstraint = "hallmark:pub:sdk-constraint"
)

// Cataloger reads pubspec.lock files.
type Cataloger struct{}

// New returns the pubspec.lock cataloger.
func New() Cataloger { return Cataloger{} }

// Name implements catalog.Cataloger.
func (Cataloger) Name() string { return "dart-pubspec-lock" }

// Claims implements catalog.Cataloger. Lockfiles inside pub's package
// cache (.pub-cache) or a .dart_tool directory belong to downloaded
// packages and are not claimed.
func (Cataloger) Claims(p string, mode fs.FileMode) bool {
	if path.Base(p) != "pubspec.lock" || !(mode.IsRegular() || mode == 0) {
		return false
	}
	s := "/" + p
	return !strings.Contains(s, "/.pub-cache/") && !strings.Contains(s, "/.dart_tool/")
}

// Catalog implements catalog.Cataloger.
func (Cataloger) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	return Parse(b, p)
}

// defaultHosts are the URLs of the public registry (pub.dartlang.org is its
// former name, still found in older lockfiles).
var defaultHosts = map[string]bool{
	"https://pub.dev": true, "https://pub.dartlang.org": true,
	"https://pub.dev/": true, "https://pub.dartlang.org/": true,
}

// Parse reads a pubspec.lock; p is the location recorded for the packages.
func Parse(b []byte, p string) (*catalog.Result, error) {
	root, err := yamldoc.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("parse pubspec.lock: %w", err)
	}
	res := &catalog.Result{}
	if root == nil {
		return res, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse pubspec.lock: top level is not a mapping (line %d)", root.Line)
	}
	w := yamldoc.NewWalker(yamldoc.Budget(len(b)))
	sdks := map[string]string{}
	w.Pairs(w.Get(root, "sdks"), func(k, v *yaml.Node) bool {
		if v.Kind == yaml.ScalarNode {
			sdks[k.Value] = v.Value
		}
		return true
	})
	pkgs := w.Get(root, "packages")
	if pkgs != nil && pkgs.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse pubspec.lock: packages is not a mapping (line %d)", pkgs.Line)
	}
	var bad []string
	w.Pairs(pkgs, func(k, v *yaml.Node) bool {
		pkg, err := readPackage(w, k, v, sdks)
		if err != nil {
			bad = append(bad, err.Error())
			return true
		}
		pkg.Locations = []sbom.Location{{Path: p, Line: k.Line}}
		res.Packages = append(res.Packages, pkg)
		return true
	})
	if err := w.Err(); err != nil {
		return res, fmt.Errorf("parse pubspec.lock: %w", err)
	}
	if len(bad) > 0 {
		more := ""
		if len(bad) > 3 {
			more = fmt.Sprintf(" (and %d more)", len(bad)-3)
			bad = bad[:3]
		}
		return res, fmt.Errorf("parse pubspec.lock: %s%s", strings.Join(bad, "; "), more)
	}
	return res, nil
}

func readPackage(w *yamldoc.Walker, k, v *yaml.Node, sdks map[string]string) (sbom.Package, error) {
	name := k.Value
	if k.Kind != yaml.ScalarNode || name == "" {
		return sbom.Package{}, fmt.Errorf("line %d: package without a name", k.Line)
	}
	if v.Kind != yaml.MappingNode {
		return sbom.Package{}, fmt.Errorf("line %d: package %s is not a mapping", k.Line, name)
	}
	version := w.Str(v, "version")
	source := w.Str(v, "source")
	dependency := w.Str(v, "dependency")
	desc := w.Get(v, "description")
	pkg := sbom.Package{
		Name:       name,
		Version:    version,
		Ecosystem:  sbom.EcosystemPub,
		Properties: map[string]string{PropSource: source},
	}
	if dependency != "" {
		pkg.Properties[PropDependency] = dependency
	}
	switch dependency {
	case "direct main", "direct overridden":
		pkg.Direct = true
	case "direct dev":
		pkg.Direct, pkg.Scope = true, sbom.ScopeDev
	}
	var qualifiers []string
	switch source {
	case "hosted":
		if h, ok := catalog.CheckHex(sbom.SHA256, w.Str(desc, "sha256")); ok {
			pkg.Hashes = []sbom.Hash{h}
		}
		if u := w.Str(desc, "url"); u != "" && !defaultHosts[u] {
			qualifiers = append(qualifiers, "repository_url", u)
		}
	case "git":
		if desc == nil || desc.Kind != yaml.MappingNode {
			// pub writes a bare URL for old git descriptions.
			if desc != nil && desc.Kind == yaml.ScalarNode {
				pkg.ResolvedURL = desc.Value
			}
		} else {
			pkg.ResolvedURL = w.Str(desc, "url")
			setProp(pkg.Properties, PropGitRef, w.Str(desc, "ref"))
			setProp(pkg.Properties, PropGitCommit, w.Str(desc, "resolved-ref"))
			if gp := w.Str(desc, "path"); gp != "." {
				setProp(pkg.Properties, PropGitPath, gp)
			}
		}
		pkg.SourceKind = "git"
		if pkg.ResolvedURL != "" {
			vcs := "git+" + pkg.ResolvedURL
			if c := pkg.Properties[PropGitCommit]; c != "" {
				vcs += "@" + c
			}
			qualifiers = append(qualifiers, "vcs_url", vcs)
		}
	case "path":
		pkg.SourceKind = "path"
		if desc != nil && desc.Kind == yaml.ScalarNode {
			pkg.ResolvedURL = desc.Value
		} else {
			pkg.ResolvedURL = w.Str(desc, "path")
		}
	case "sdk":
		sdk := ""
		if desc != nil && desc.Kind == yaml.ScalarNode {
			sdk = desc.Value
		}
		setProp(pkg.Properties, PropSDK, sdk)
		pkg.Version = ""
		if c := sdks[sdk]; exactVersion(c) {
			pkg.Version = c
		} else {
			setProp(pkg.Properties, PropSDKConstraint, c)
		}
	}
	pkg.PURL = purl.New(sbom.EcosystemPub, name, pkg.Version, qualifiers...)
	return pkg, nil
}

func setProp(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// exactVersion reports whether a pubspec SDK constraint names one version
// ("3.47.0") rather than a range (">=3.41.0 <4.0.0", "^3.5.0", "any").
func exactVersion(c string) bool {
	if c == "" || c == "any" {
		return false
	}
	return !strings.ContainsAny(c, "<>=^ ")
}
