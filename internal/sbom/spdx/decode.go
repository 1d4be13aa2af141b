package spdx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/interop"
	"github.com/hallmark-dev/hallmark/internal/sbom/license"
)

// ErrInvalid is wrapped by every error about the content of a document (as
// opposed to an I/O error).
var ErrInvalid = errors.New("invalid SPDX document")

// Decode reads an SPDX JSON document (SPDX-2.2 or SPDX-2.3, as hallmark,
// Syft, Trivy or another tool wrote it) of at most limits.SBOMBytes.
//
// The package the document DESCRIBES, when there is exactly one, is the
// subject (Document.Name and Version); every other package with a purl or a
// version becomes a model package (Trivy's per-lockfile "application"
// packages, with neither, are skipped and pass directness through). The
// ecosystem comes from the PACKAGE-MANAGER purl; licenseDeclared (else
// licenseConcluded) is split at top-level AND, LicenseRef-s hallmark made from
// free text turned back into the text; DEPENDS_ON and the *_DEPENDENCY_OF
// relationships become edges, the subject's ones direct packages, and the
// dev/test/optional ones set the scope. A relationship naming an element the
// document does not have is an error.
func Decode(r io.Reader) (doc *sbom.Document, err error) {
	b, err := io.ReadAll(io.LimitReader(r, limits.SBOMBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limits.SBOMBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, limits.SBOMBytes)
	}
	var head struct {
		SPDXVersion *string `json:"spdxVersion"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if head.SPDXVersion == nil {
		return nil, fmt.Errorf("%w: no spdxVersion", ErrInvalid)
	}
	switch *head.SPDXVersion {
	case "SPDX-2.2", "SPDX-2.3":
	default:
		return nil, fmt.Errorf("%w: spdxVersion %q (hallmark reads SPDX-2.2 and SPDX-2.3 JSON)", ErrInvalid, *head.SPDXVersion)
	}
	// The reference library converts documents between versions through
	// reflection; a bug there must not take the program down.
	defer func() {
		if p := recover(); p != nil {
			doc, err = nil, fmt.Errorf("%w: the SPDX library failed on it: %v", ErrInvalid, p)
		}
	}()
	sd, err := spdxjson.Read(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return fromSPDX(sd)
}

type element int

const (
	elemUnknown element = iota
	elemDocument
	elemPackage
	elemSkipped // a package that is no model package
	elemFile
)

func fromSPDX(sd *v2_3.Document) (*sbom.Document, error) {
	doc := &sbom.Document{Name: sd.DocumentName}
	if ci := sd.CreationInfo; ci != nil {
		if ci.Created != "" {
			t, err := time.Parse(time.RFC3339, ci.Created)
			if err != nil {
				return nil, fmt.Errorf("%w: creationInfo.created %q is not an RFC 3339 date-time", ErrInvalid, ci.Created)
			}
			doc.Created = t.UTC()
		}
		for _, c := range ci.Creators {
			// "Organization:" with no name carries nothing (the SPDX
			// library accepts it but cannot write it back); skip it.
			if c.Creator == "" {
				continue
			}
			switch c.CreatorType {
			case "Tool":
				doc.Tools = append(doc.Tools, tool(c.Creator))
			case "Organization", "Person":
				doc.Authors = append(doc.Authors, c.Creator)
			}
		}
		if s, ok := strings.CutPrefix(ci.CreatorComment, scannedPrefix); ok {
			doc.Source = s
		}
	}

	kinds := map[common.ElementID]element{sd.SPDXIdentifier: elemDocument}
	for _, f := range sd.Files {
		if f != nil {
			kinds[f.FileSPDXIdentifier] = elemFile
		}
	}
	for _, s := range sd.Snippets {
		kinds[s.SnippetSPDXIdentifier] = elemFile
	}
	// The subject: the one package the document describes.
	var described []common.ElementID
	for _, r := range sd.Relationships {
		switch {
		case r.Relationship == common.TypeRelationshipDescribe && r.RefA.ElementRefID == sd.SPDXIdentifier && r.RefA.DocumentRefID == "":
			described = append(described, r.RefB.ElementRefID)
		case r.Relationship == common.TypeRelationshipDescribeBy && r.RefB.ElementRefID == sd.SPDXIdentifier && r.RefB.DocumentRefID == "":
			described = append(described, r.RefA.ElementRefID)
		}
	}
	var root common.ElementID
	ids := map[common.ElementID]string{} // SPDXID -> model package ID
	explicit := map[string]bool{}        // packages whose scope an annotation gave
	for _, sp := range sd.Packages {
		if sp == nil {
			continue
		}
		for _, f := range sp.Files {
			if f != nil {
				kinds[f.FileSPDXIdentifier] = elemFile
			}
		}
		if len(described) == 1 && sp.PackageSPDXIdentifier == described[0] {
			root = sp.PackageSPDXIdentifier
			kinds[root] = elemDocument
			doc.Name, doc.Version = sp.PackageName, sp.PackageVersion
			continue
		}
		p, ok, scoped, err := modelPackage(sp, sd.OtherLicenses)
		if err != nil {
			return nil, err
		}
		if !ok {
			kinds[sp.PackageSPDXIdentifier] = elemSkipped
			continue
		}
		kinds[sp.PackageSPDXIdentifier] = elemPackage
		ids[sp.PackageSPDXIdentifier] = p.Key()
		if scoped {
			explicit[p.Key()] = true
		}
		doc.Add(p)
	}

	check := func(i int, r *v2_3.Relationship, id common.DocElementID) (common.ElementID, bool, error) {
		if id.SpecialID != "" || id.DocumentRefID != "" {
			return "", false, nil // NONE, NOASSERTION, or an element of another document
		}
		if kinds[id.ElementRefID] == elemUnknown {
			return "", false, fmt.Errorf("%w: relationships[%d] (%s %s %s) names SPDXRef-%s, which is no element of the document",
				ErrInvalid, i, render(r.RefA), r.Relationship, render(r.RefB), id.ElementRefID)
		}
		return id.ElementRefID, true, nil
	}
	// Subject and skipped packages the subject depends on or contains pass
	// directness through.
	rootish := map[common.ElementID]bool{}
	if root != "" {
		rootish[root] = true
	}
	type edge struct {
		from, to common.ElementID
		scope    sbom.Scope
	}
	var edges []edge
	for i, r := range sd.Relationships {
		a, okA, err := check(i, r, r.RefA)
		if err != nil {
			return nil, err
		}
		b, okB, err := check(i, r, r.RefB)
		if err != nil {
			return nil, err
		}
		if !okA || !okB {
			continue
		}
		switch r.Relationship {
		case common.TypeRelationshipDependsOn:
			edges = append(edges, edge{a, b, sbom.ScopeRequired})
		case common.TypeRelationshipDependencyOf, common.TypeRelationshipRuntimeDependencyOf, common.TypeRelationshipProvidedDependencyOf:
			edges = append(edges, edge{b, a, sbom.ScopeRequired})
		case common.TypeRelationshipDevDependencyOf, common.TypeRelationshipBuildDependencyOf:
			edges = append(edges, edge{b, a, sbom.ScopeDev})
		case common.TypeRelationshipTestDependencyOf:
			edges = append(edges, edge{b, a, sbom.ScopeTest})
		case common.TypeRelationshipOptionalDependencyOf:
			edges = append(edges, edge{b, a, sbom.ScopeOptional})
		case common.TypeRelationshipContains:
			if a == root && root != "" && kinds[b] == elemSkipped {
				rootish[b] = true
			}
			continue
		default:
			continue
		}
		if a == root && root != "" && kinds[b] == elemSkipped {
			rootish[b] = true
		}
	}
	// Scopes from relationships: the most needed one wins.
	scopes := map[string]sbom.Scope{}
	for _, e := range edges {
		to, ok := ids[e.to]
		if !ok {
			continue
		}
		if s, seen := scopes[to]; !seen || e.scope.Rank() < s.Rank() {
			scopes[to] = e.scope
		}
		if rootish[e.from] {
			doc.Package(to).Direct = true
		} else if from, ok := ids[e.from]; ok {
			doc.Relate(sbom.Relationship{From: from, To: to})
		}
	}
	for id, s := range scopes {
		if !explicit[id] {
			doc.Package(id).Scope = s
		}
	}
	doc.Normalize()
	return doc, nil
}

func render(id common.DocElementID) string {
	switch {
	case id.SpecialID != "":
		return id.SpecialID
	case id.DocumentRefID != "":
		return "DocumentRef-" + string(id.DocumentRefID) + ":SPDXRef-" + string(id.ElementRefID)
	}
	return "SPDXRef-" + string(id.ElementRefID)
}

// tool reads a "Tool:" creator, "name-version" by convention: the version is
// what follows the last "-" when it starts with a digit or "v" and a digit.
func tool(s string) sbom.Tool {
	if i := strings.LastIndexByte(s, '-'); i > 0 && i < len(s)-1 {
		v := s[i+1:]
		if v[0] >= '0' && v[0] <= '9' || len(v) > 1 && v[0] == 'v' && v[1] >= '0' && v[1] <= '9' {
			return sbom.Tool{Name: s[:i], Version: v}
		}
	}
	return sbom.Tool{Name: s}
}

func assertion(s string) string {
	switch strings.TrimSpace(s) {
	case noAssertion, "NONE":
		return ""
	}
	return strings.TrimSpace(s)
}

// modelPackage converts one package. ok is false for a package that is none in the
// model's sense; scoped is true when an annotation gave its scope.
func modelPackage(sp *v2_3.Package, others []*v2_3.OtherLicense) (p sbom.Package, ok, scoped bool, err error) {
	p = sbom.Package{Name: sp.PackageName, Version: sp.PackageVersion}
	for _, ref := range sp.PackageExternalReferences {
		if ref != nil && ref.RefType == common.TypePackageManagerPURL && p.PURL == "" {
			p.PURL = ref.Locator
		}
	}
	hallmark := false
	for _, a := range sp.Annotations {
		name, value, found := strings.Cut(a.AnnotationComment, "=")
		if !found || a.Annotator.Annotator != annotator || !strings.Contains(name, ":") {
			continue
		}
		hallmark = true
		switch name {
		case interop.PropEcosystem:
			p.Ecosystem = sbom.Ecosystem(value)
		case interop.PropScope:
			p.Scope, scoped = interop.ScopeFromName(value), true
		case interop.PropSourceKind:
			p.SourceKind = value
		case interop.PropResolvedURL:
			p.ResolvedURL = value
		case interop.PropDirect, interop.PropLocation:
		default:
			if p.Properties == nil {
				p.Properties = map[string]string{}
			}
			p.Properties[name] = value
		}
	}
	if p.PURL == "" && p.Version == "" && !hallmark {
		return p, false, false, nil
	}
	if p.PURL != "" {
		pp, err := purl.Parse(p.PURL)
		if err != nil {
			return p, false, false, fmt.Errorf("%w: package SPDXRef-%s: %v", ErrInvalid, sp.PackageSPDXIdentifier, err)
		}
		if p.Ecosystem == "" {
			p.Ecosystem = pp.Ecosystem
		}
	}
	if sp.PackageSupplier != nil {
		p.Supplier = assertion(sp.PackageSupplier.Supplier)
	}
	if u := assertion(sp.PackageDownloadLocation); u != "" {
		p.ResolvedURL = u
	}
	for _, c := range sp.PackageChecksums {
		if alg := interop.ModelHashAlg(string(c.Algorithm)); alg != "" {
			p.Hashes = append(p.Hashes, sbom.Hash{Algorithm: alg, Value: strings.ToLower(c.Value)})
		}
	}
	decl := assertion(sp.PackageLicenseDeclared)
	if decl == "" {
		decl = assertion(sp.PackageLicenseConcluded)
	}
	if decl != "" {
		p.Licenses = declared(decl, others)
	}
	p.Locations = locations(sp.PackageSourceInfo)
	return p, true, scoped, nil
}

// declared splits a license expression at top-level AND and turns a
// LicenseRef- that was made from free text (license.Ref or HashedRef of its
// extracted text) back into the text.
func declared(s string, others []*v2_3.OtherLicense) []string {
	e, err := license.Parse(s)
	if err != nil {
		return []string{s}
	}
	text := map[string]string{}
	for _, o := range others {
		if o == nil || o.ExtractedText == "" || o.ExtractedText == noAssertion {
			continue
		}
		if license.Ref(o.ExtractedText) == o.LicenseIdentifier || license.HashedRef(o.ExtractedText) == o.LicenseIdentifier {
			text[o.LicenseIdentifier] = o.ExtractedText
		}
	}
	out := e.Conjuncts()
	for i, c := range out {
		if t, ok := text[c]; ok {
			out[i] = t
		}
	}
	return out
}

// locations reads the locations hallmark writes into sourceInfo, and the
// paths Syft ("acquired package info from ...: /a, /b") and Trivy
// ("package found in: a") write there.
func locations(info string) []sbom.Location {
	var list string
	if s, ok := strings.CutPrefix(info, sourceInfoPrefix); ok {
		list = s
	} else if s, ok := strings.CutPrefix(info, "package found in: "); ok { // Trivy
		list = s
	} else if strings.HasPrefix(info, "acquired package info from ") {
		if i := strings.Index(info, ": "); i > 0 {
			list = info[i+2:]
		}
	}
	if list == "" {
		return nil
	}
	var out []sbom.Location
	for _, l := range strings.Split(list, ", ") {
		if l = strings.TrimSpace(l); l != "" {
			loc := interop.ParseLocation(l)
			loc.Path = strings.TrimPrefix(loc.Path, "/")
			out = append(out, loc)
		}
	}
	return out
}
