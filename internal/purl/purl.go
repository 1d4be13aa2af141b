// Package purl builds and reads package URLs
// (https://github.com/package-url/purl-spec) for the ecosystems hallmark
// catalogs, with each ecosystem's namespace and name rules, on top of the
// reference implementation github.com/package-url/packageurl-go.
package purl

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/hallmark-dev/hallmark/internal/distro"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Types maps each ecosystem to its purl type.
var types = map[sbom.Ecosystem]string{
	sbom.EcosystemNPM:           packageurl.TypeNPM,
	sbom.EcosystemPyPI:          packageurl.TypePyPi,
	sbom.EcosystemGo:            packageurl.TypeGolang,
	sbom.EcosystemCargo:         packageurl.TypeCargo,
	sbom.EcosystemRubyGems:      packageurl.TypeGem,
	sbom.EcosystemPackagist:     packageurl.TypeComposer,
	sbom.EcosystemNuGet:         packageurl.TypeNuget,
	sbom.EcosystemMaven:         packageurl.TypeMaven,
	sbom.EcosystemPub:           packageurl.TypePub,
	sbom.EcosystemHex:           packageurl.TypeHex,
	sbom.EcosystemSwiftURL:      packageurl.TypeSwift,
	sbom.EcosystemCocoaPods:     packageurl.TypeCocoapods,
	sbom.EcosystemGitHubActions: packageurl.TypeGithub,
}

// Type returns the purl type of an ecosystem, or "" when there is none.
func Type(eco sbom.Ecosystem) string { return types[eco] }

// Ecosystem returns the ecosystem of a purl type, or "" when hallmark does not
// know it.
func Ecosystem(purlType string) sbom.Ecosystem {
	for e, t := range types {
		if t == purlType {
			return e
		}
	}
	return ""
}

var pypiSep = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[-_.]+`) })

// NormalizePyPI returns a PyPI project name normalised as PEP 503 says:
// lower case, runs of "-", "_" and "." replaced by one "-".
func NormalizePyPI(name string) string {
	return pypiSep().ReplaceAllString(strings.ToLower(name), "-")
}

// New returns the purl of a package of the given ecosystem, name and version,
// splitting the name into namespace and name the way the ecosystem's purl type
// requires:
//
//   - npm "@scope/name": namespace "@scope" (percent-encoded as %40scope)
//   - Maven "group:artifact": namespace group
//   - Go module "a/b/c": namespace "a/b", name "c"
//   - Packagist "vendor/name", GitHub Actions "owner/repo": namespace before
//     the first slash (an action path such as owner/repo/sub keeps the rest
//     as a subpath)
//   - SwiftURL "github.com/owner/repo": namespace "github.com/owner"
//   - PyPI names are normalised (PEP 503)
//
// qualifiers are optional key=value pairs. It returns "" for an ecosystem
// without a purl type or an empty name.
func New(eco sbom.Ecosystem, name, version string, qualifiers ...string) string {
	typ := types[eco]
	if typ == "" || name == "" {
		return ""
	}
	var ns, subpath string
	switch eco {
	case sbom.EcosystemNPM:
		if strings.HasPrefix(name, "@") {
			if i := strings.IndexByte(name, '/'); i > 0 {
				ns, name = name[:i], name[i+1:]
			}
		}
	case sbom.EcosystemMaven:
		if i := strings.IndexByte(name, ':'); i >= 0 {
			ns, name = name[:i], name[i+1:]
		}
	case sbom.EcosystemGo, sbom.EcosystemSwiftURL:
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			ns, name = name[:i], name[i+1:]
		}
	case sbom.EcosystemPackagist:
		if i := strings.IndexByte(name, '/'); i >= 0 {
			ns, name = name[:i], name[i+1:]
		}
		ns, name = strings.ToLower(ns), strings.ToLower(name)
	case sbom.EcosystemGitHubActions:
		parts := strings.SplitN(name, "/", 3)
		if len(parts) >= 2 {
			ns, name = parts[0], parts[1]
		}
		if len(parts) == 3 {
			subpath = parts[2]
		}
		ns, name = strings.ToLower(ns), strings.ToLower(name)
	case sbom.EcosystemPyPI:
		name = NormalizePyPI(name)
	}
	var q packageurl.Qualifiers
	for i := 0; i+1 < len(qualifiers); i += 2 {
		if qualifiers[i+1] != "" {
			q = append(q, packageurl.Qualifier{Key: qualifiers[i], Value: qualifiers[i+1]})
		}
	}
	return packageurl.NewPackageURL(typ, ns, name, version, q, subpath).ToString()
}

// Parsed is a purl taken apart, with the name re-joined the way hallmark's
// model names packages of that ecosystem (the inverse of New).
type Parsed struct {
	Ecosystem  sbom.Ecosystem
	Type       string
	Name       string
	Version    string
	Qualifiers map[string]string
}

// Parse reads a purl. The ecosystem is "" when the type is not one hallmark
// knows; Name is then namespace/name.
func Parse(s string) (Parsed, error) {
	u, err := packageurl.FromString(s)
	if err != nil {
		return Parsed{}, fmt.Errorf("parse purl %q: %w", s, err)
	}
	p := Parsed{Type: u.Type, Version: u.Version, Ecosystem: Ecosystem(u.Type), Qualifiers: u.Qualifiers.Map()}
	switch {
	case u.Namespace == "":
		p.Name = u.Name
	case p.Ecosystem == sbom.EcosystemMaven:
		p.Name = u.Namespace + ":" + u.Name
	default:
		p.Name = u.Namespace + "/" + u.Name
	}
	if p.Ecosystem == sbom.EcosystemGitHubActions && u.Subpath != "" {
		p.Name += "/" + u.Subpath
	}
	if eco, ok := osEcosystem(u); ok {
		p.Ecosystem, p.Name = eco, u.Name
	}
	return p, nil
}

// OS package purl types: their ecosystem is the release's OSV ecosystem,
// from the "distro" qualifier (pkg:deb/debian/openssl@3.0.15-1~deb12u1?arch=amd64&distro=debian-12
// is "Debian:12"), or the distribution alone without it.
var osTypes = map[string]bool{"deb": true, "apk": true, "rpm": true}

func osEcosystem(u packageurl.PackageURL) (sbom.Ecosystem, bool) {
	if !osTypes[u.Type] {
		return "", false
	}
	rel := distro.Release{ID: strings.ToLower(u.Namespace)}
	if d := u.Qualifiers.Map()["distro"]; d != "" {
		// "debian-12", "ubuntu-24.04", "alpine-3.20.3",
		// "opensuse-leap-15.5"; Syft also writes codenames
		// ("debian-bookworm"), which carry no version.
		r := distro.ParsePURLDistro(d)
		if r.VersionID == "" && r.Ecosystem() == "" {
			id, _, _ := strings.Cut(d, "-")
			r = distro.Release{ID: id}
		}
		rel = r
	}
	if rel.ID == "redhat" {
		rel.ID = "rhel"
	}
	eco := rel.Ecosystem()
	if eco == "" {
		return "", false
	}
	return sbom.Ecosystem(eco), true
}
