// Package cyclonedx encodes sbom.Documents as CycloneDX JSON (1.7 by default,
// 1.6 on request) and reads CycloneDX JSON 1.2 to 1.7 back, through the
// reference library github.com/CycloneDX/cyclonedx-go.
//
// Specification: https://cyclonedx.org/docs/1.7/json/ (and /1.6/json/).
//
// What hallmark writes (NTIA minimum elements and what consumers such as
// Dependency-Track and Grype read):
//
//   - metadata: timestamp (Document.Created, RFC 3339), tools.components
//     (Document.Tools), authors, and the subject as metadata.component
//     (type application, named Document.Name).
//   - one component per package: type library (application for GitHub
//     Actions, which CI runs as programs), bom-ref = the package ID (its purl
//     when it has one), supplier, group and name split the way the
//     ecosystem's CycloneDX tools split them (Maven groupId, npm "@scope",
//     Packagist vendor and GitHub owner go to group; Go modules keep the
//     whole path as name), version, purl, licenses, hashes, scope,
//     externalReferences and hallmark:* properties (see package interop).
//   - dependencies: the subject dependsOn every direct package, each package
//     dependsOn its edges, and every component has an entry, even with no
//     dependencies, so that "none" is told from "unknown".
//
// Output is deterministic: components, dependencies and properties are
// sorted, and serialNumber is a UUID derived from the SHA-256 of the document
// written without it, so the same input gives byte-identical output.
package cyclonedx

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/hallmark-dev/hallmark/internal/jsonindent"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/interop"
	"github.com/hallmark-dev/hallmark/internal/sbom/license"
)

// Options control encoding.
type Options struct {
	// Version is the spec version, "1.7" (the default) or "1.6".
	Version string
}

func specVersion(v string) (cdx.SpecVersion, error) {
	switch v {
	case "", "1.7":
		return cdx.SpecVersion1_7, nil
	case "1.6":
		return cdx.SpecVersion1_6, nil
	}
	return 0, fmt.Errorf("cyclonedx: unsupported spec version %q (hallmark writes 1.7 and 1.6)", v)
}

// Encode writes doc as CycloneDX JSON. doc is not modified.
func Encode(w io.Writer, doc *sbom.Document, opts Options) error {
	sv, err := specVersion(opts.Version)
	if err != nil {
		return err
	}
	bom := build(interop.Prepare(doc), sv)
	b, err := interop.EncodeStamped(
		func(uuid string) { bom.SerialNumber = "urn:uuid:" + uuid },
		func(w io.Writer) error { return encodeBOM(w, bom, sv) })
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// encodeBOM writes bom as the library's pretty encoder does (two-space
// indentation, HTML not escaped), but has the library write compact JSON and
// indents that with jsonindent: encoding/json's own indentation pass costs
// more than the encoding itself.
func encodeBOM(w io.Writer, bom *cdx.BOM, sv cdx.SpecVersion) error {
	var buf bytes.Buffer
	if bom.Components != nil {
		buf.Grow(1024 * len(*bom.Components)) // about what a component takes
	}
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	enc.SetPretty(false).SetEscapeHTML(false)
	var err error
	if sv == cdx.SpecVersion1_7 {
		// build writes a 1.7 document already; EncodeVersion would deep-copy
		// it (through gob) only to convert it to the version it has.
		err = enc.Encode(bom)
	} else {
		err = enc.EncodeVersion(bom, sv)
	}
	if err != nil {
		return fmt.Errorf("cyclonedx: encode: %w", err)
	}
	_, err = w.Write(jsonindent.Append(make([]byte, 0, buf.Len()*2), buf.Bytes(), "  "))
	return err
}

// subjectRef returns the bom-ref of the metadata component: "subject:" and
// the document name, made unique against the package IDs.
func subjectRef(doc *sbom.Document) string {
	ref := "subject:" + cmpOr(doc.Name, "unnamed")
	for doc.Package(ref) != nil {
		ref += "#"
	}
	return ref
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func build(doc *sbom.Document, sv cdx.SpecVersion) *cdx.BOM {
	bom := cdx.NewBOM()
	bom.SpecVersion = sv
	root := subjectRef(doc)
	meta := &cdx.Metadata{
		Component: &cdx.Component{
			BOMRef:  root,
			Type:    cdx.ComponentTypeApplication,
			Name:    cmpOr(doc.Name, "unnamed"),
			Version: doc.Version,
		},
	}
	if !doc.Created.IsZero() {
		meta.Timestamp = doc.Created.UTC().Format(time.RFC3339)
	}
	if len(doc.Tools) > 0 {
		var tools []cdx.Component
		for _, t := range doc.Tools {
			c := cdx.Component{Type: cdx.ComponentTypeApplication, Name: t.Name, Version: t.Version}
			if t.Vendor != "" {
				c.Manufacturer = &cdx.OrganizationalEntity{Name: t.Vendor}
			}
			tools = append(tools, c)
		}
		meta.Tools = &cdx.ToolsChoice{Components: &tools}
	}
	if len(doc.Authors) > 0 {
		var authors []cdx.OrganizationalContact
		for _, a := range doc.Authors {
			authors = append(authors, cdx.OrganizationalContact{Name: a})
		}
		meta.Authors = &authors
	}
	if doc.Source != "" {
		meta.Properties = &[]cdx.Property{{Name: interop.PropSource, Value: doc.Source}}
	}
	if s := doc.Subject; s.Type == "container" {
		// The image: type container, version its manifest digest (or its
		// configuration digest), and its facts as properties, sorted.
		meta.Component.Type = cdx.ComponentTypeContainer
		meta.Component.Name = cmpOr(s.Name, meta.Component.Name)
		meta.Component.Version = s.Version
		if len(s.Properties) > 0 {
			var ps []cdx.Property
			for k, v := range s.Properties {
				ps = append(ps, cdx.Property{Name: k, Value: v})
			}
			slices.SortFunc(ps, func(a, b cdx.Property) int { return strings.Compare(a.Name, b.Name) })
			meta.Component.Properties = &ps
		}
	}
	bom.Metadata = meta

	comps := make([]cdx.Component, 0, len(doc.Packages))
	deps := make([]cdx.Dependency, 0, len(doc.Packages)+1)
	var direct []string
	lic := licenseMemo{sv: sv, m: map[string]cdx.Licenses{}}
	for i := range doc.Packages {
		p := &doc.Packages[i]
		comps = append(comps, component(p, sv, &lic))
		d := cdx.Dependency{Ref: p.ID}
		if on := doc.DependsOn(p.ID); len(on) > 0 {
			d.Dependencies = &on
		}
		deps = append(deps, d)
		if p.Direct {
			direct = append(direct, p.ID)
		}
	}
	slices.Sort(direct)
	rootDep := cdx.Dependency{Ref: root}
	if len(direct) > 0 {
		rootDep.Dependencies = &direct
	}
	deps = append(deps, rootDep)
	slices.SortFunc(deps, func(a, b cdx.Dependency) int { return strings.Compare(a.Ref, b.Ref) })
	if len(comps) > 0 {
		bom.Components = &comps
	}
	bom.Dependencies = &deps
	return bom
}

// SplitName returns the CycloneDX group and name of a package, split the way
// the ecosystem's own CycloneDX tools do (cyclonedx-maven-plugin,
// cyclonedx-node-npm, cyclonedx-php-composer; cdxgen for GitHub Actions).
func SplitName(eco sbom.Ecosystem, name string) (group, short string) {
	switch eco {
	case sbom.EcosystemMaven:
		if i := strings.IndexByte(name, ':'); i > 0 {
			return name[:i], name[i+1:]
		}
	case sbom.EcosystemNPM:
		if strings.HasPrefix(name, "@") {
			if i := strings.IndexByte(name, '/'); i > 0 {
				return name[:i], name[i+1:]
			}
		}
	case sbom.EcosystemPackagist, sbom.EcosystemGitHubActions:
		if i := strings.IndexByte(name, '/'); i > 0 {
			return name[:i], name[i+1:]
		}
	}
	return "", name
}

// JoinName is the inverse of SplitName.
func JoinName(eco sbom.Ecosystem, group, name string) string {
	switch {
	case group == "":
		return name
	case name == "":
		return group
	case eco == sbom.EcosystemMaven:
		return group + ":" + name
	}
	return group + "/" + name
}

var scopes = map[sbom.Scope]cdx.Scope{
	sbom.ScopeRequired: cdx.ScopeRequired,
	sbom.ScopeOptional: cdx.ScopeOptional,
	sbom.ScopeDev:      cdx.ScopeExcluded,
	sbom.ScopeTest:     cdx.ScopeExcluded,
}

// licenseMemo remembers the license choices of each distinct list of
// declared licenses: most packages of a project share a few licenses, and
// the (read-only) choices can be shared by the components that have them.
type licenseMemo struct {
	sv cdx.SpecVersion
	m  map[string]cdx.Licenses
}

func (lm *licenseMemo) get(decl []string) cdx.Licenses {
	key := strings.Join(decl, "\x00")
	l, ok := lm.m[key]
	if !ok {
		l = licenses(decl, lm.sv)
		lm.m[key] = l
	}
	return l
}

func component(p *sbom.Package, sv cdx.SpecVersion, lic *licenseMemo) cdx.Component {
	c := cdx.Component{
		BOMRef:     p.ID,
		Type:       cdx.ComponentTypeLibrary,
		Version:    p.Version,
		PackageURL: p.PURL,
		Scope:      scopes[p.Scope],
	}
	if p.Ecosystem == sbom.EcosystemGitHubActions {
		c.Type = cdx.ComponentTypeApplication
	}
	c.Group, c.Name = SplitName(p.Ecosystem, p.Name)
	if c.Name == "" {
		c.Name = cmpOr(p.Name, p.ID)
	}
	if p.Supplier != "" {
		c.Supplier = &cdx.OrganizationalEntity{Name: p.Supplier}
	}
	var hashes []cdx.Hash
	for _, h := range p.Hashes {
		if interop.ValidHash(h) {
			hashes = append(hashes, cdx.Hash{Algorithm: cdx.HashAlgorithm(h.Algorithm), Value: strings.ToLower(h.Value)})
		}
	}
	if len(hashes) > 0 {
		c.Hashes = &hashes
	}
	if l := lic.get(p.Licenses); len(l) > 0 {
		c.Licenses = &l
	}

	var props []cdx.Property
	add := func(name, value string) { props = append(props, cdx.Property{Name: name, Value: value}) }
	if p.ResolvedURL != "" {
		if interop.ValidURL(p.ResolvedURL) {
			typ := cdx.ERTypeDistribution
			if vcs(p) {
				typ = cdx.ERTypeVCS
			}
			c.ExternalReferences = &[]cdx.ExternalReference{{Type: typ, URL: p.ResolvedURL}}
		} else {
			add(interop.PropResolvedURL, p.ResolvedURL)
		}
	}
	add(interop.PropDirect, strconv.FormatBool(p.Direct))
	if p.Ecosystem != "" {
		add(interop.PropEcosystem, string(p.Ecosystem))
	}
	for _, l := range p.Locations {
		add(interop.PropLocation, interop.FormatLocation(l))
	}
	if p.Scope != sbom.ScopeRequired {
		add(interop.PropScope, string(p.Scope))
	}
	if p.SourceKind != "" {
		add(interop.PropSourceKind, p.SourceKind)
	}
	for k, v := range p.Properties {
		if name := interop.PropertyName(k); !interop.Reserved(name) {
			add(name, v)
		}
	}
	slices.SortFunc(props, func(a, b cdx.Property) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	c.Properties = &props
	return c
}

// vcs reports whether a package's resolved URL names a version control
// repository rather than a downloadable artifact.
func vcs(p *sbom.Package) bool {
	u := strings.ToLower(p.ResolvedURL)
	return p.SourceKind == "git" || strings.HasPrefix(u, "git+") || strings.HasPrefix(u, "git://") ||
		strings.HasPrefix(u, "hg+") || strings.HasPrefix(u, "svn+") || strings.HasPrefix(u, "bzr+")
}

// licenses turns declared licenses into CycloneDX license choices: a listed
// SPDX identifier as {license: {id}}, any other valid expression as
// {expression}, text that is no expression as {license: {name}}. CycloneDX
// 1.6 allows either license objects or one expression, so there, when any
// entry needs an expression and there are several, all are joined into one
// conjunction, free text becoming a LicenseRef-.
func licenses(decl []string, sv cdx.SpecVersion) cdx.Licenses {
	type entry struct {
		text string
		expr *license.Expression
	}
	var entries []entry
	needExpr := false
	for _, l := range decl {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		e, err := license.Parse(l)
		if err != nil {
			entries = append(entries, entry{text: l})
			continue
		}
		if _, ok := e.SingleID(); !ok {
			needExpr = true
		}
		entries = append(entries, entry{expr: e})
	}
	if sv < cdx.SpecVersion1_7 && needExpr && len(entries) > 1 {
		var all []*license.Expression
		for _, en := range entries {
			e := en.expr
			if e == nil {
				e, _ = license.Parse(license.Ref(en.text))
			}
			all = append(all, e)
		}
		return cdx.Licenses{{Expression: license.And(all...).String()}}
	}
	var out cdx.Licenses
	seen := map[string]bool{}
	for _, en := range entries {
		var lc cdx.LicenseChoice
		var key string
		switch {
		case en.expr == nil:
			lc, key = cdx.LicenseChoice{License: &cdx.License{Name: en.text}}, "n:"+en.text
		default:
			if id, ok := en.expr.SingleID(); ok {
				lc, key = cdx.LicenseChoice{License: &cdx.License{ID: id}}, "e:"+id
			} else {
				s := en.expr.String()
				lc, key = cdx.LicenseChoice{Expression: s}, "e:"+s
			}
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, lc)
		}
	}
	return out
}
