// Package sbom holds hallmark's neutral software bill of materials model: the
// packages found in a source, where they came from, and the dependency edges
// between them. Catalogers produce it; the cyclonedx and spdx sub-packages
// encode it and read it back; matching, policy and reports consume it.
//
// The model is deliberately small: it carries what the NTIA minimum elements
// and the later pipeline stages need, and nothing format-specific.
package sbom

import (
	"time"
)

// Ecosystem names a package ecosystem. The values are the OSV ecosystem names
// (https://ossf.github.io/osv-schema/#affectedpackage-field) so that a package
// can be matched against OSV data without translation. Ecosystems OSV does not
// know (CocoaPods) use the name of their package manager.
type Ecosystem string

// Ecosystems hallmark catalogs.
const (
	EcosystemNPM           Ecosystem = "npm"
	EcosystemPyPI          Ecosystem = "PyPI"
	EcosystemGo            Ecosystem = "Go"
	EcosystemCargo         Ecosystem = "crates.io"
	EcosystemRubyGems      Ecosystem = "RubyGems"
	EcosystemPackagist     Ecosystem = "Packagist"
	EcosystemNuGet         Ecosystem = "NuGet"
	EcosystemMaven         Ecosystem = "Maven"
	EcosystemPub           Ecosystem = "Pub"
	EcosystemHex           Ecosystem = "Hex"
	EcosystemSwiftURL      Ecosystem = "SwiftURL"
	EcosystemCocoaPods     Ecosystem = "CocoaPods"
	EcosystemGitHubActions Ecosystem = "GitHub Actions"
)

// Scope says when a package is needed. The zero value is a runtime
// (production) dependency.
type Scope string

// Scopes.
const (
	ScopeRequired Scope = ""         // needed at run time
	ScopeDev      Scope = "dev"      // development only (devDependencies, dev groups)
	ScopeTest     Scope = "test"     // tests only (Maven test scope, test groups)
	ScopeOptional Scope = "optional" // optional at run time (optionalDependencies, extras)
)

// Rank orders scopes from most to least needed; merging keeps the most needed.
func (s Scope) Rank() int {
	switch s {
	case ScopeRequired:
		return 0
	case ScopeOptional:
		return 1
	case ScopeTest:
		return 2
	default:
		return 3
	}
}

// Hash algorithms, spelled as CycloneDX spells them.
const (
	SHA1   = "SHA-1"
	SHA256 = "SHA-256"
	SHA384 = "SHA-384"
	SHA512 = "SHA-512"
	MD5    = "MD5"
)

// Hash is a digest recorded for a package, with Value in lower-case hex.
// Catalogers convert encodings such as npm's base64 SRI or go.sum's "h1:"
// to hex.
type Hash struct {
	Algorithm string `json:"alg"`
	Value     string `json:"value"`
}

// Location is where a package was found: a path relative to the scanned
// source (slash-separated) and, where the cataloger knows it cheaply, the
// 1-based line of the package's entry.
type Location struct {
	Path string `json:"path"`
	Line int    `json:"line,omitempty"`
}

// Package is one component found in the source.
type Package struct {
	// ID identifies the package within a Document. Catalogers may leave it
	// empty; Document.Add sets it to the purl (or a synthetic id when there is
	// no purl).
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Version   string    `json:"version"`
	Ecosystem Ecosystem `json:"ecosystem,omitempty"`
	// PURL is the package URL (https://github.com/package-url/purl-spec),
	// built with package purl.
	PURL string `json:"purl,omitempty"`
	// Licenses are declared licenses as SPDX expressions, as the source
	// states them (a license text that is no valid expression is kept as is).
	Licenses []string `json:"licenses,omitempty"`
	Hashes   []Hash   `json:"hashes,omitempty"`
	// Locations lists every file the package was found in.
	Locations []Location `json:"locations"`
	// Direct is true when a root project (or a workspace member) declares the
	// package itself, false for transitive packages.
	Direct bool  `json:"direct"`
	Scope  Scope `json:"scope,omitempty"`
	// Supplier is the organisation or person that supplies the package, where
	// the source says (e.g. Maven groupId owner, gem author). Often empty.
	Supplier string `json:"supplier,omitempty"`
	// ResolvedURL is where the package was (or will be) downloaded from, as
	// the lockfile records it (npm "resolved", a git URL, a file path).
	ResolvedURL string `json:"resolvedURL,omitempty"`
	// SourceKind says how the package is obtained when it is not the
	// ecosystem's registry: "git", "file", "link", "path", "url".
	SourceKind string `json:"sourceKind,omitempty"`
	// Properties carry cataloger-specific facts as namespaced key/value pairs
	// (e.g. "hallmark:actions:pinned" = "true"). They round-trip through
	// CycloneDX properties.
	Properties map[string]string `json:"properties,omitempty"`
}

// SetProperty sets the property k to v, creating the map on first use. An
// empty v sets nothing: a property says something or is absent.
func (p *Package) SetProperty(k, v string) {
	if v == "" {
		return
	}
	if p.Properties == nil {
		p.Properties = map[string]string{}
	}
	p.Properties[k] = v
}

// Relationship is a dependency edge: From depends on To (package IDs).
type Relationship struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Tool names a tool that produced or contributed to a document.
type Tool struct {
	Vendor  string `json:"vendor,omitempty"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// Document is a bill of materials for one source.
type Document struct {
	// Name and Version describe the subject (the scanned project or image).
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Source is what was scanned, as the user named it.
	Source string `json:"source,omitempty"`
	// Created is the document's timestamp (SOURCE_DATE_EPOCH when set).
	Created time.Time `json:"created"`
	Tools   []Tool    `json:"tools,omitempty"`
	Authors []string  `json:"authors,omitempty"`
	// Subject describes the scanned thing when it is more than a name: a
	// container image (type, digest, OS, labels). Zero for a directory.
	Subject Subject `json:"subject,omitzero"`

	Packages      []Package      `json:"packages"`
	Relationships []Relationship `json:"relationships"`

	index map[string]int // package ID -> index into Packages
}

// Subject is the SBOM's root component when it is an artifact of its own
// kind, such as a container image: CycloneDX metadata.component (type
// "container", version the manifest digest, properties), SPDX's described
// package with annotations.
type Subject struct {
	Type       string            `json:"type"` // "container"
	Name       string            `json:"name"`
	Version    string            `json:"version,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
}
