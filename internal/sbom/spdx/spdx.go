// Package spdx encodes sbom.Documents as SPDX 2.3 JSON and reads SPDX 2.2
// and 2.3 JSON back, through the reference library github.com/spdx/tools-golang
// (its spdx/v2/v2_3 model and json reader and writer).
//
// Specification: https://spdx.github.io/spdx-spec/v2.3/
//
// What hallmark writes:
//
//   - creationInfo: creators "Tool: <name>-<version>" for Document.Tools and
//     "Organization: <author>" for Document.Authors, created (RFC 3339).
//   - a root package for the subject (Document.Name/Version, purpose
//     APPLICATION) that the document DESCRIBES.
//   - one package per model package: SPDXID from a stable digest of the
//     package ID, name, versionInfo, downloadLocation (the resolved URL or
//     NOASSERTION), filesAnalyzed false, licenseDeclared (a valid SPDX
//     expression, free text as LicenseRef- with hasExtractedLicensingInfos,
//     or NOASSERTION), licenseConcluded NOASSERTION, checksums, the purl as a
//     PACKAGE-MANAGER external reference, supplier ("Organization: X" or
//     NOASSERTION), primaryPackagePurpose LIBRARY (APPLICATION for GitHub
//     Actions), sourceInfo listing where the package was found, and OTHER
//     annotations carrying hallmark properties SPDX has no field for.
//   - relationships: root DEPENDS_ON each direct package and each package
//     DEPENDS_ON its dependencies; where the dependency's scope is dev, test
//     or optional the edge is written the other way round as
//     DEV_DEPENDENCY_OF, TEST_DEPENDENCY_OF or OPTIONAL_DEPENDENCY_OF, the
//     relationship types SPDX 2.3 has for them.
//
// Output is deterministic; documentNamespace ends in a UUID derived from the
// SHA-256 of the document written without it.
package spdx

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/hallmark-dev/hallmark/internal/jsonindent"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/interop"
	"github.com/hallmark-dev/hallmark/internal/sbom/license"
)

const (
	noAssertion = "NOASSERTION"
	rootID      = "RootPackage"
	// NamespacePrefix starts every documentNamespace hallmark writes.
	NamespacePrefix = "https://hallmark.dev/spdx/"
	// sourceInfoPrefix starts the sourceInfo that lists locations.
	sourceInfoPrefix = "hallmark found this package in: "
	// scannedPrefix starts the creation comment naming what was scanned.
	scannedPrefix = "hallmark scanned: "
	annotator     = "hallmark"
)

// Encode writes doc as SPDX 2.3 JSON. doc is not modified.
func Encode(w io.Writer, doc *sbom.Document) error {
	d := build(interop.Prepare(doc))
	prefix := NamespacePrefix + sanitize(d.DocumentName, 64) + "-"
	b, err := interop.EncodeStamped(
		func(uuid string) { d.DocumentNamespace = prefix + uuid },
		func(w io.Writer) error { return write(w, d) })
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// write encodes d as spdxjson.Write with two-space indentation and HTML not
// escaped does, the indentation done by jsonindent (a fraction of the cost of
// encoding/json's).
func write(w io.Writer, d *v2_3.Document) error {
	var buf bytes.Buffer
	if err := spdxjson.Write(d, &buf, spdxjson.EscapeHTML(false)); err != nil {
		return fmt.Errorf("spdx: encode: %w", err)
	}
	_, err := w.Write(jsonindent.Append(make([]byte, 0, buf.Len()*2), buf.Bytes(), "  "))
	return err
}

// sanitize keeps [A-Za-z0-9.-], replacing runs of anything else by one "-",
// and shortens the result to max bytes.
func sanitize(s string, max int) string {
	var b strings.Builder
	dash := false
	for i := 0; i < len(s) && b.Len() < max; i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' {
			b.WriteByte(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return "unnamed"
	}
	return out
}

// ElementID returns the SPDX identifier (without "SPDXRef-") hallmark gives
// a package: "Package-", its purl type or ecosystem, a readable form of its
// name, and the first 16 hex digits of the SHA-256 of its ID, which keeps
// it unique and stable.
func ElementID(p *sbom.Package) string {
	sum := sha256.Sum256([]byte(p.ID))
	kind := purl.Type(p.Ecosystem)
	if kind == "" {
		kind = string(p.Ecosystem)
	}
	if kind == "" {
		kind = "generic"
	}
	return "Package-" + sanitize(kind, 16) + "-" + sanitize(p.Name, 48) + "-" + hex.EncodeToString(sum[:8])
}

func nameOr(s string) string {
	if s == "" {
		return "unnamed"
	}
	return s
}

// relType returns the relationship from a dependent to a dependency of the
// given scope, and whether it is written from the dependency's side.
func relType(s sbom.Scope) (string, bool) {
	switch s {
	case sbom.ScopeDev:
		return common.TypeRelationshipDevDependencyOf, true
	case sbom.ScopeTest:
		return common.TypeRelationshipTestDependencyOf, true
	case sbom.ScopeOptional:
		return common.TypeRelationshipOptionalDependencyOf, true
	}
	return common.TypeRelationshipDependsOn, false
}

func build(doc *sbom.Document) *v2_3.Document {
	created := doc.Created.UTC().Format(time.RFC3339)
	ci := &v2_3.CreationInfo{Created: created}
	for _, t := range doc.Tools {
		name := t.Name
		if t.Version != "" {
			name += "-" + t.Version
		}
		ci.Creators = append(ci.Creators, common.Creator{CreatorType: "Tool", Creator: name})
	}
	for _, a := range doc.Authors {
		ci.Creators = append(ci.Creators, common.Creator{CreatorType: "Organization", Creator: a})
	}
	if len(ci.Creators) == 0 {
		ci.Creators = []common.Creator{{CreatorType: "Tool", Creator: "hallmark"}}
	}
	if doc.Source != "" {
		ci.CreatorComment = scannedPrefix + doc.Source
	}
	d := &v2_3.Document{
		SPDXVersion:    v2_3.Version,
		DataLicense:    v2_3.DataLicense,
		SPDXIdentifier: "DOCUMENT",
		DocumentName:   nameOr(doc.Name),
		CreationInfo:   ci,
	}
	root := &v2_3.Package{
		PackageName:             nameOr(doc.Name),
		PackageSPDXIdentifier:   rootID,
		PackageVersion:          doc.Version,
		PackageDownloadLocation: noAssertion,
		PackageSupplier:         &common.Supplier{Supplier: noAssertion},
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   "APPLICATION",
	}
	if s := doc.Subject; s.Type == "container" {
		root.PrimaryPackagePurpose = "CONTAINER"
		root.PackageName = nameOr(s.Name)
		root.PackageVersion = s.Version
		keys := make([]string, 0, len(s.Properties))
		for k := range s.Properties {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			root.Annotations = append(root.Annotations, v2_3.Annotation{
				Annotator:         common.Annotator{Annotator: "hallmark", AnnotatorType: "Tool"},
				AnnotationDate:    created,
				AnnotationType:    "OTHER",
				AnnotationComment: k + "=" + s.Properties[k],
			})
		}
	}
	d.Packages = append(d.Packages, root)
	d.Relationships = append(d.Relationships, &v2_3.Relationship{
		RefA:         common.MakeDocElementID("", "DOCUMENT"),
		RefB:         common.MakeDocElementID("", rootID),
		Relationship: common.TypeRelationshipDescribe,
	})

	ids := make(map[string]string, len(doc.Packages))
	for i := range doc.Packages {
		ids[doc.Packages[i].ID] = ElementID(&doc.Packages[i])
	}
	lic := &licenses{refs: map[string]string{}}
	var rels []*v2_3.Relationship
	relate := func(from, to string, scope sbom.Scope) {
		typ, reverse := relType(scope)
		a, b := from, to
		if reverse {
			a, b = to, from
		}
		rels = append(rels, &v2_3.Relationship{
			RefA:         common.MakeDocElementID("", a),
			RefB:         common.MakeDocElementID("", b),
			Relationship: typ,
		})
	}
	for i := range doc.Packages {
		p := &doc.Packages[i]
		sp := spdxPackage(p, ids[p.ID], lic, created)
		d.Packages = append(d.Packages, sp)
		if p.Direct {
			relate(rootID, ids[p.ID], p.Scope)
		}
	}
	for _, r := range doc.Relationships {
		relate(ids[r.From], ids[r.To], doc.Package(r.To).Scope)
	}
	slices.SortFunc(rels, func(x, y *v2_3.Relationship) int {
		return strings.Compare(
			string(x.RefA.ElementRefID)+"\x00"+x.Relationship+"\x00"+string(x.RefB.ElementRefID),
			string(y.RefA.ElementRefID)+"\x00"+y.Relationship+"\x00"+string(y.RefB.ElementRefID))
	})
	d.Relationships = append(d.Relationships, rels...)
	d.OtherLicenses = lic.others()
	return d
}

func spdxPackage(p *sbom.Package, id string, lic *licenses, created string) *v2_3.Package {
	sp := &v2_3.Package{
		PackageName:             nameOr(p.Name),
		PackageSPDXIdentifier:   common.ElementID(id),
		PackageVersion:          p.Version,
		PackageDownloadLocation: noAssertion,
		PackageSupplier:         &common.Supplier{Supplier: noAssertion},
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  lic.declared(p.Licenses),
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   "LIBRARY",
	}
	if p.Ecosystem == sbom.EcosystemGitHubActions {
		sp.PrimaryPackagePurpose = "APPLICATION"
	}
	if p.Supplier != "" {
		sp.PackageSupplier = &common.Supplier{SupplierType: "Organization", Supplier: p.Supplier}
	}
	var props [][2]string
	if p.ResolvedURL != "" {
		if interop.ValidURL(p.ResolvedURL) {
			sp.PackageDownloadLocation = p.ResolvedURL
		} else {
			props = append(props, [2]string{interop.PropResolvedURL, p.ResolvedURL})
		}
	}
	for _, h := range p.Hashes {
		if alg := interop.SPDXHashAlg(h.Algorithm); alg != "" && interop.ValidHash(h) {
			sp.PackageChecksums = append(sp.PackageChecksums, common.Checksum{Algorithm: common.ChecksumAlgorithm(alg), Value: strings.ToLower(h.Value)})
		}
	}
	if p.PURL != "" {
		sp.PackageExternalReferences = []*v2_3.PackageExternalReference{{
			Category: common.CategoryPackageManager,
			RefType:  common.TypePackageManagerPURL,
			Locator:  p.PURL,
		}}
	}
	if len(p.Locations) > 0 {
		locs := make([]string, len(p.Locations))
		for i, l := range p.Locations {
			locs[i] = interop.FormatLocation(l)
		}
		sp.PackageSourceInfo = sourceInfoPrefix + strings.Join(locs, ", ")
	}
	if p.Ecosystem != "" && (p.PURL == "" || purlEcosystem(p.PURL) != p.Ecosystem) {
		props = append(props, [2]string{interop.PropEcosystem, string(p.Ecosystem)})
	}
	if p.SourceKind != "" {
		props = append(props, [2]string{interop.PropSourceKind, p.SourceKind})
	}
	for k, v := range p.Properties {
		if name := interop.PropertyName(k); !interop.Reserved(name) {
			props = append(props, [2]string{name, v})
		}
	}
	slices.SortFunc(props, func(a, b [2]string) int {
		return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1])
	})
	for _, kv := range props {
		sp.Annotations = append(sp.Annotations, v2_3.Annotation{
			Annotator:         common.Annotator{AnnotatorType: "Tool", Annotator: annotator},
			AnnotationDate:    created,
			AnnotationType:    "OTHER",
			AnnotationComment: kv[0] + "=" + kv[1],
		})
	}
	return sp
}

func purlEcosystem(s string) sbom.Ecosystem {
	p, err := purl.Parse(s)
	if err != nil {
		return ""
	}
	return p.Ecosystem
}

// licenses collects the LicenseRef- identifiers a document uses.
type licenses struct {
	refs map[string]string // LicenseRef- id -> extracted text ("" when only referenced)
}

// declared returns the licenseDeclared value for a package's licenses.
func (l *licenses) declared(decl []string) string {
	var parts []*license.Expression
	for _, s := range decl {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		e, err := license.Parse(s)
		if err != nil || strings.Contains(e.String(), "DocumentRef-") {
			// Free text, or a reference to a document this one does not
			// name: a LicenseRef- of this document carrying the text.
			ref := license.Ref(s)
			if t, ok := l.refs[ref]; ok && t != s {
				ref = license.HashedRef(s)
			}
			l.refs[ref] = s
			e, _ = license.Parse(ref)
		} else {
			for _, r := range e.Refs() {
				if _, ok := l.refs[r]; !ok {
					l.refs[r] = ""
				}
			}
		}
		parts = append(parts, e)
	}
	if len(parts) == 0 {
		return noAssertion
	}
	return license.And(parts...).String()
}

func (l *licenses) others() []*v2_3.OtherLicense {
	var out []*v2_3.OtherLicense
	for ref, text := range l.refs {
		o := &v2_3.OtherLicense{LicenseIdentifier: ref, ExtractedText: text, LicenseName: text}
		if text == "" {
			o.ExtractedText = noAssertion
			o.LicenseName = strings.TrimPrefix(ref, "LicenseRef-")
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b *v2_3.OtherLicense) int { return strings.Compare(a.LicenseIdentifier, b.LicenseIdentifier) })
	return out
}
