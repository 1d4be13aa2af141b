// Package swift catalogs Swift Package Manager dependencies from
// Package.resolved, the pin file `swift package resolve` and Xcode write
// (SwiftPM, Sources/PackageGraph/PinsStore.swift and
// Sources/PackageGraph/ResolvedPackagesStore.swift).
//
// Three versions exist:
//
//	v1  {"object": {"pins": [{"package", "repositoryURL", "state": {"branch", "revision", "version"}}]}, "version": 1}
//	v2  {"pins": [{"identity", "kind", "location", "state": {...}}], "version": 2}
//	v3  v2 plus "originHash" (a digest of the manifests that were resolved)
//
// kind is remoteSourceControl (a git URL), localSourceControl (a git
// repository on disk) or registry (a package registry, SE-0292, identity
// "scope.name"). Packages use the OSV ecosystem SwiftURL: the name is the
// repository URL without scheme, user and ".git" suffix
// ("github.com/apple/swift-nio"), the purl pkg:swift/github.com/apple/swift-nio@2.65.0.
// Registry pins are named by their identity; local pins by their identity,
// with SourceKind "path".
//
// A pin on a branch or a bare revision has no version: the version is the
// commit, and property hallmark:swift:branch names the branch. The commit
// of every pin is kept as hallmark:swift:revision (a git object id, not a
// digest of the downloaded files, so not a package hash).
//
// Package.resolved records neither edges nor which pins the manifest asks
// for, so no relationships are emitted and Direct stays false.
package swift

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Property keys.
const (
	PropRevision = "hallmark:swift:revision"
	PropBranch   = "hallmark:swift:branch"
	PropKind     = "hallmark:swift:kind"
	PropIdentity = "hallmark:swift:identity"
)

// Cataloger reads Package.resolved files.
type Cataloger struct{}

// New returns the Package.resolved cataloger.
func New() Cataloger { return Cataloger{} }

// Name implements catalog.Cataloger.
func (Cataloger) Name() string { return "swift-package-resolved" }

// Claims implements catalog.Cataloger: Package.resolved at a package root or
// inside an Xcode project or workspace (xcshareddata/swiftpm), but not the
// copies inside SwiftPM's .build directory or Xcode's SourcePackages
// checkouts, which belong to the dependencies.
func (Cataloger) Claims(p string, mode fs.FileMode) bool {
	if path.Base(p) != "Package.resolved" || !(mode.IsRegular() || mode == 0) {
		return false
	}
	s := "/" + p
	return !strings.Contains(s, "/.build/") && !strings.Contains(s, "/SourcePackages/checkouts/")
}

// Catalog implements catalog.Cataloger.
func (Cataloger) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	return Parse(b, p)
}

type state struct {
	Branch   *string `json:"branch"`
	Revision *string `json:"revision"`
	Version  *string `json:"version"`
}

type pin struct {
	// v1
	Package       string `json:"package"`
	RepositoryURL string `json:"repositoryURL"`
	// v2, v3
	Identity string `json:"identity"`
	Kind     string `json:"kind"`
	Location string `json:"location"`

	State state `json:"state"`
}

type file struct {
	Version int   `json:"version"`
	Pins    []pin `json:"pins"`
	Object  *struct {
		Pins []pin `json:"pins"`
	} `json:"object"`
}

// Parse reads a Package.resolved; p is the location recorded for the
// packages.
func Parse(b []byte, p string) (*catalog.Result, error) {
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parse Package.resolved: %w", err)
	}
	pins := f.Pins
	switch f.Version {
	case 1:
		if f.Object != nil {
			pins = f.Object.Pins
		}
	case 2, 3:
	default:
		return nil, fmt.Errorf("parse Package.resolved: unknown version %d", f.Version)
	}
	res := &catalog.Result{}
	lines := lineFinder{b: b, line: 1}
	var bad []string
	for i, pn := range pins {
		pkg, err := readPin(pn)
		if err != nil {
			bad = append(bad, fmt.Sprintf("pin %d: %v", i+1, err))
			continue
		}
		loc := pn.Location
		if f.Version == 1 {
			loc = pn.RepositoryURL
		}
		pkg.Locations = []sbom.Location{{Path: p, Line: lines.find(loc, pkg.Properties[PropIdentity])}}
		res.Packages = append(res.Packages, pkg)
	}
	if len(bad) > 0 {
		more := ""
		if len(bad) > 3 {
			more = fmt.Sprintf(" (and %d more)", len(bad)-3)
			bad = bad[:3]
		}
		return res, fmt.Errorf("parse Package.resolved: %s%s", strings.Join(bad, "; "), more)
	}
	return res, nil
}

func readPin(pn pin) (sbom.Package, error) {
	kind, location, identity := pn.Kind, pn.Location, pn.Identity
	if pn.RepositoryURL != "" && location == "" {
		kind, location = "remoteSourceControl", pn.RepositoryURL
	}
	props := map[string]string{PropKind: kind}
	if identity != "" {
		props[PropIdentity] = identity
	}
	pkg := sbom.Package{Ecosystem: sbom.EcosystemSwiftURL, Properties: props}
	switch kind {
	case "remoteSourceControl":
		pkg.Name = urlName(location)
		if pkg.Name == "" {
			return pkg, fmt.Errorf("no repository URL")
		}
		pkg.ResolvedURL = location
	case "localSourceControl":
		pkg.Name, pkg.SourceKind, pkg.ResolvedURL = identity, "path", location
	case "registry":
		pkg.Name = identity
	default:
		return pkg, fmt.Errorf("unknown kind %q", truncate(kind))
	}
	if pkg.Name == "" {
		return pkg, fmt.Errorf("no identity")
	}
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	revision, branch := str(pn.State.Revision), str(pn.State.Branch)
	pkg.Version = str(pn.State.Version)
	if revision != "" {
		props[PropRevision] = revision
	}
	if branch != "" {
		props[PropBranch] = branch
	}
	if pkg.Version == "" {
		pkg.Version = revision
	}
	if pkg.Version == "" {
		return pkg, fmt.Errorf("%s: no version or revision", truncate(pkg.Name))
	}
	pkg.PURL = purl.New(sbom.EcosystemSwiftURL, pkg.Name, pkg.Version)
	return pkg, nil
}

// urlName turns a git URL into a SwiftURL package name: scheme, user info
// and a trailing ".git" or "/" removed, an scp-like "git@host:owner/repo"
// written host/owner/repo. It returns "" when nothing is left.
func urlName(u string) string {
	s := strings.TrimSpace(u)
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	} else if at := strings.IndexByte(s, '@'); at >= 0 {
		// scp-like: user@host:path
		if c := strings.IndexByte(s[at:], ':'); c > 0 {
			s = s[:at+c] + "/" + strings.TrimPrefix(s[at+c+1:], "/")
		}
	}
	if at := strings.IndexByte(s, '@'); at >= 0 && at < strings.IndexByte(s+"/", '/') {
		s = s[at+1:] // user info
	}
	s = strings.TrimSuffix(s, "/")
	s = strings.TrimSuffix(s, ".git")
	if host, rest, ok := strings.Cut(s, "/"); ok {
		// A port is not part of the package's name.
		if i := strings.IndexByte(host, ':'); i >= 0 {
			host = host[:i]
		}
		s = strings.ToLower(host) + "/" + rest
	}
	if s == "" || strings.HasPrefix(s, "/") {
		return ""
	}
	return s
}

// lineFinder finds the line of each pin by searching, from where the last
// pin was found, for its location (or identity) as a JSON string. Pins are
// written in order, so the whole search is one pass over the file. A value
// written with escapes is not found and gets line 0 (unknown).
type lineFinder struct {
	b    []byte
	off  int
	line int
}

func (l *lineFinder) find(values ...string) int {
	for _, v := range values {
		if v == "" {
			continue
		}
		q, err := json.Marshal(v)
		if err != nil {
			continue
		}
		i := bytes.Index(l.b[l.off:], q)
		if i < 0 {
			continue
		}
		l.line += bytes.Count(l.b[l.off:l.off+i], []byte{'\n'})
		l.off += i
		return l.line
	}
	return 0
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
