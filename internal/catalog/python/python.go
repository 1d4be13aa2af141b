// Package python catalogs Python packages: pinned requirements files
// (requirements.txt), the lockfiles of Poetry (poetry.lock), Pipenv
// (Pipfile.lock), uv (uv.lock) and PDM (pdm.lock), and installed packages
// (*.dist-info/METADATA, *.egg-info/PKG-INFO).
//
// Every package is in the PyPI ecosystem; its purl name is normalised as
// PEP 503 says (purl.New does it) while Name keeps the spelling of the file.
// Facts without a field in the model are properties under
// "hallmark:python:*" (marker, extras, groups, constraint, index-url).
package python

import (
	"bytes"
	"regexp"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Property keys.
const (
	propMarker     = "hallmark:python:marker"     // PEP 508 environment marker
	propExtras     = "hallmark:python:extras"     // extras requested, comma-separated
	propConstraint = "hallmark:python:constraint" // version specifier of an unpinned requirement
	propGroups     = "hallmark:python:groups"     // lockfile groups/categories, comma-separated
	propIndexURL   = "hallmark:python:index-url"  // package index named by the file
	propEditable   = "hallmark:python:editable"   // "true" for editable installs
	propSource     = "hallmark:python:source"     // requirements file that declared it (for -r includes)
)

// Catalogers returns the Python catalogers.
func Catalogers() []catalog.Cataloger {
	return []catalog.Cataloger{
		Requirements{}, PoetryLock{}, PipfileLock{}, UVLock{}, PDMLock{}, Installed{},
	}
}

// newPackage returns a PyPI package found at path:line.
func newPackage(name, version, file string, line int) sbom.Package {
	p := sbom.Package{
		Name:      name,
		Version:   version,
		Ecosystem: sbom.EcosystemPyPI,
		PURL:      purl.New(sbom.EcosystemPyPI, name, version),
		Locations: []sbom.Location{{Path: file, Line: line}},
	}
	p.ID = p.Key()
	return p
}

var hashAlgorithms = map[string]string{
	"sha256": sbom.SHA256,
	"sha384": sbom.SHA384,
	"sha512": sbom.SHA512,
	"sha1":   sbom.SHA1,
	"md5":    sbom.MD5,
}

// parseHash reads a pip-style "alg:hex" digest ("sha256:3f2a..."), as
// requirements files, Poetry, Pipenv, uv and PDM record them.
func parseHash(s string) (sbom.Hash, bool) {
	alg, hexv, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return sbom.Hash{}, false
	}
	return catalog.CheckHex(hashAlgorithms[strings.ToLower(alg)], hexv)
}

// addHash adds a digest to p unless it is unreadable or already there.
func addHash(p *sbom.Package, s string) {
	if h, ok := parseHash(s); ok && !slices.Contains(p.Hashes, h) {
		p.Hashes = append(p.Hashes, h)
	}
}

// requirement is a PEP 508 dependency specification
// (https://packaging.python.org/en/latest/specifications/dependency-specifiers/).
type requirement struct {
	Name      string
	Extras    []string
	Specifier string // e.g. "==1.2.3" or ">=1,<2"; "" when none
	URL       string // for "name @ url"
	Marker    string
}

var reqName = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?`)

// parseRequirement reads a PEP 508 requirement. It also accepts the older
// parenthesised form "name (>=1.0)" of Requires-Dist. It returns false when
// the string does not start with a project name.
func parseRequirement(s string) (requirement, bool) {
	var r requirement
	s = strings.TrimSpace(s)
	// The marker follows the first ";" outside a URL; a URL requirement
	// needs a space before the ";" (PEP 508), which also holds for specifiers.
	if i := strings.Index(s, ";"); i >= 0 {
		if !strings.Contains(s[:i], "@") || i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') {
			r.Marker = strings.TrimSpace(s[i+1:])
			s = strings.TrimSpace(s[:i])
		}
	}
	name := reqName.FindString(s)
	if name == "" {
		return r, false
	}
	r.Name = name
	rest := strings.TrimSpace(s[len(name):])
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return r, false
		}
		for _, e := range strings.Split(rest[1:end], ",") {
			if e = strings.TrimSpace(e); e != "" {
				r.Extras = append(r.Extras, e)
			}
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	if u, ok := strings.CutPrefix(rest, "@"); ok {
		u = strings.TrimSpace(u)
		if i := strings.IndexAny(u, " \t"); i >= 0 {
			if m, ok := strings.CutPrefix(strings.TrimSpace(u[i:]), ";"); ok && r.Marker == "" {
				r.Marker = strings.TrimSpace(m)
			}
			u = u[:i]
		}
		r.URL = u
		return r, u != ""
	}
	rest = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(rest, "("), ")"))
	r.Specifier = strings.Join(strings.Fields(rest), "")
	return r, true
}

// pinnedVersion returns the version of an exact pin ("==1.2.3" or
// "===1.2.3"), or "" when the specifier allows more than one version
// (a range, a wildcard "==1.*", several clauses).
func pinnedVersion(spec string) string {
	v, ok := strings.CutPrefix(spec, "===")
	if !ok {
		v, ok = strings.CutPrefix(spec, "==")
	}
	if !ok || v == "" || strings.ContainsAny(v, ",*<>=!~") {
		return ""
	}
	return v
}

// tableLines returns the 1-based line numbers of every line of a TOML file
// that is exactly the array-of-tables header hdr (e.g. "[[package]]"), in
// order. BurntSushi/toml does not report positions of array elements, so the
// n-th decoded element is paired with the n-th header; a header inside a
// multi-line string would throw the pairing off, so callers check the counts
// match and otherwise leave lines out.
func tableLines(data []byte, hdr string) []int {
	var out []int
	line := 1
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var l []byte
		if i < 0 {
			l, data = data, nil
		} else {
			l, data = data[:i], data[i+1:]
		}
		if string(bytes.TrimSpace(l)) == hdr {
			out = append(out, line)
		}
		line++
	}
	return out
}

// edgeSet collects unique dependency edges.
type edgeSet struct {
	seen map[sbom.Relationship]bool
	list []sbom.Relationship
}

func (e *edgeSet) add(from, to string) {
	if from == "" || to == "" || from == to {
		return
	}
	r := sbom.Relationship{From: from, To: to}
	if e.seen == nil {
		e.seen = map[sbom.Relationship]bool{}
	}
	if !e.seen[r] {
		e.seen[r] = true
		e.list = append(e.list, r)
	}
}

// scopeForGroups maps dependency group names of a lockfile to a scope:
// a package in the main/default group is a runtime dependency; one only in
// groups that are all named for tests is ScopeTest; anything else (dev,
// docs, lint, typing, ...) is ScopeDev.
func scopeForGroups(groups []string, main ...string) sbom.Scope {
	if len(groups) == 0 {
		return sbom.ScopeRequired
	}
	test := true
	for _, g := range groups {
		if slices.Contains(main, g) {
			return sbom.ScopeRequired
		}
		if !isTestGroup(g) {
			test = false
		}
	}
	if test {
		return sbom.ScopeTest
	}
	return sbom.ScopeDev
}

func isTestGroup(g string) bool {
	switch strings.ToLower(g) {
	case "test", "tests", "testing", "pytest":
		return true
	}
	return false
}
