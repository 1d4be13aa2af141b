package cyclonedx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/interop"
	"github.com/hallmark-dev/hallmark/internal/sbom/license"
)

// ErrInvalid is wrapped by every error about the content of a document (as
// opposed to an I/O error).
var ErrInvalid = errors.New("invalid CycloneDX document")

// skipTypes are component types that are not packages: the operating system
// and container Syft and Trivy describe, and files.
var skipTypes = map[cdx.ComponentType]bool{
	cdx.ComponentTypeFile:         true,
	cdx.ComponentTypeOS:           true,
	cdx.ComponentTypeContainer:    true,
	cdx.ComponentTypePlatform:     true,
	cdx.ComponentTypeDevice:       true,
	cdx.ComponentTypeDeviceDriver: true,
	cdx.ComponentTypeFirmware:     true,
}

// Decode reads a CycloneDX JSON document (spec versions 1.2 to 1.7), as
// hallmark or another tool (Syft, Trivy, cdxgen, the CycloneDX build
// plugins) wrote it, of at most limits.SBOMBytes.
//
// Components, nested ones included, become packages (files, operating
// systems and containers are skipped); the ecosystem comes from the
// hallmark:ecosystem property or the purl type; hallmark:* properties restore
// locations, scope, directness and source kind; other properties are kept in
// Package.Properties. Without hallmark:direct, a package is direct when the
// metadata component depends on it. A dependency naming a bom-ref that is in
// no component is an error. The metadata component gives Document.Name and
// Version.
func Decode(r io.Reader) (*sbom.Document, error) {
	b, err := io.ReadAll(io.LimitReader(r, limits.SBOMBytes+1))
	if err != nil {
		return nil, err
	}
	return DecodeBytes(b)
}

// DecodeBytes is Decode of a document already in memory.
func DecodeBytes(b []byte) (*sbom.Document, error) {
	if len(b) > limits.SBOMBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, limits.SBOMBytes)
	}
	// The document is decoded once; only when that fails is it read again
	// for its bomFormat and specVersion, to say which of them is wrong (a
	// first pass over every document cost a quarter of the decoding).
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(b), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		if herr := checkHead(b); herr != nil {
			return nil, herr
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if bom.BOMFormat != cdx.BOMFormat {
		return nil, fmt.Errorf("%w: bomFormat is not \"CycloneDX\"", ErrInvalid)
	}
	if bom.SpecVersion == 0 {
		return nil, fmt.Errorf("%w: no specVersion", ErrInvalid)
	}
	if bom.SpecVersion < cdx.SpecVersion1_2 {
		return nil, fmt.Errorf("%w: specVersion %q (hallmark reads JSON 1.2 to 1.7)", ErrInvalid, bom.SpecVersion.String())
	}
	return fromBOM(&bom)
}

// checkHead reports what is wrong with a document's bomFormat and
// specVersion, if anything.
func checkHead(b []byte) error {
	var head struct {
		BOMFormat   *string `json:"bomFormat"`
		SpecVersion *string `json:"specVersion"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if head.BOMFormat == nil || *head.BOMFormat != cdx.BOMFormat {
		return fmt.Errorf("%w: bomFormat is not \"CycloneDX\"", ErrInvalid)
	}
	if head.SpecVersion == nil {
		return fmt.Errorf("%w: no specVersion", ErrInvalid)
	}
	switch *head.SpecVersion {
	case "1.2", "1.3", "1.4", "1.5", "1.6", "1.7":
	default:
		return fmt.Errorf("%w: specVersion %q (hallmark reads JSON 1.2 to 1.7)", ErrInvalid, *head.SpecVersion)
	}
	return nil
}

func fromBOM(bom *cdx.BOM) (*sbom.Document, error) {
	doc := &sbom.Document{}
	rootRef := ""
	known := map[string]bool{} // every bom-ref, skipped components included
	if m := bom.Metadata; m != nil {
		if m.Timestamp != "" {
			t, err := time.Parse(time.RFC3339, m.Timestamp)
			if err != nil {
				return nil, fmt.Errorf("%w: metadata.timestamp %q is not an RFC 3339 date-time", ErrInvalid, m.Timestamp)
			}
			doc.Created = t.UTC()
		}
		if c := m.Component; c != nil {
			doc.Name, doc.Version = c.Name, c.Version
			if c.Group != "" {
				doc.Name = c.Group + "/" + c.Name
			}
			rootRef = c.BOMRef
			known[rootRef] = true
		}
		doc.Tools = tools(m.Tools)
		if m.Authors != nil {
			for _, a := range *m.Authors {
				if a.Name != "" {
					doc.Authors = append(doc.Authors, a.Name)
				} else if a.Email != "" {
					doc.Authors = append(doc.Authors, a.Email)
				}
			}
		}
		if m.Properties != nil {
			for _, p := range *m.Properties {
				if p.Name == interop.PropSource {
					doc.Source = p.Value
				}
			}
		}
	}

	refs := map[string]string{}  // bom-ref -> package ID
	skipped := map[string]bool{} // bom-refs of components that are no packages
	explicitDirect := map[string]bool{}
	var stack []cdx.Component
	if bom.Components != nil {
		stack = append(stack, *bom.Components...)
		slices.Reverse(stack)
	}
	if m := bom.Metadata; m != nil && m.Component != nil && m.Component.Components != nil {
		// Components nested in the subject are part of it.
		stack = append(stack, *m.Component.Components...)
	}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c.Components != nil {
			nested := slices.Clone(*c.Components)
			slices.Reverse(nested)
			stack = append(stack, nested...)
		}
		if c.BOMRef != "" {
			known[c.BOMRef] = true
		}
		if !isPackage(&c) {
			if c.BOMRef != "" {
				skipped[c.BOMRef] = true
			}
			continue
		}
		p, hasDirect, err := pkg(&c)
		if err != nil {
			return nil, err
		}
		id := p.Key()
		if c.BOMRef != "" {
			refs[c.BOMRef] = id
		}
		if hasDirect {
			explicitDirect[id] = true
		}
		doc.Add(p)
	}
	// Services are referable from dependencies too.
	if bom.Services != nil {
		for _, s := range *bom.Services {
			known[s.BOMRef] = true
		}
	}

	if bom.Dependencies != nil {
		// Components that are no packages but that the subject depends on
		// (Trivy's lockfile components, an image's operating system) pass
		// directness through: what they depend on is direct.
		transparent := map[string]bool{}
		for i, d := range *bom.Dependencies {
			if !known[d.Ref] {
				return nil, fmt.Errorf("%w: dependencies[%d] names bom-ref %q, which no component has", ErrInvalid, i, d.Ref)
			}
			if d.Dependencies == nil {
				continue
			}
			for _, on := range *d.Dependencies {
				if !known[on] {
					return nil, fmt.Errorf("%w: dependencies[%d] (%s) depends on bom-ref %q, which no component has", ErrInvalid, i, d.Ref, on)
				}
				if d.Ref == rootRef && rootRef != "" && skipped[on] {
					transparent[on] = true
				}
			}
		}
		for _, d := range *bom.Dependencies {
			if d.Dependencies == nil {
				continue
			}
			from, fromPkg := refs[d.Ref]
			for _, on := range *d.Dependencies {
				to, ok := refs[on]
				if !ok {
					continue
				}
				switch {
				case d.Ref == rootRef && rootRef != "" || transparent[d.Ref]:
					if p := doc.Package(to); p != nil && !explicitDirect[to] {
						p.Direct = true
					}
				case fromPkg:
					doc.Relate(sbom.Relationship{From: from, To: to})
				}
			}
		}
	}
	doc.Normalize()
	return doc, nil
}

func tools(tc *cdx.ToolsChoice) []sbom.Tool {
	if tc == nil {
		return nil
	}
	var out []sbom.Tool
	if tc.Tools != nil {
		for _, t := range *tc.Tools {
			out = append(out, sbom.Tool{Vendor: t.Vendor, Name: t.Name, Version: t.Version})
		}
	}
	if tc.Components != nil {
		for _, c := range *tc.Components {
			t := sbom.Tool{Name: c.Name, Version: c.Version, Vendor: c.Author}
			switch {
			case c.Manufacturer != nil && c.Manufacturer.Name != "":
				t.Vendor = c.Manufacturer.Name
			case c.Supplier != nil && c.Supplier.Name != "":
				t.Vendor = c.Supplier.Name
			case t.Vendor == "" && c.Group != "":
				t.Vendor = c.Group
			}
			out = append(out, t)
		}
	}
	if tc.Services != nil {
		for _, s := range *tc.Services {
			t := sbom.Tool{Name: s.Name, Version: s.Version}
			if s.Provider != nil {
				t.Vendor = s.Provider.Name
			}
			out = append(out, t)
		}
	}
	return out
}

// isPackage reports whether a component is a package: files, operating
// systems, containers and hardware are not, unless they have a purl, and
// neither is a component with no purl and no version that hallmark did not
// write (Trivy's lockfile components, Syft's file components).
func isPackage(c *cdx.Component) bool {
	if c.PackageURL != "" {
		return true
	}
	if skipTypes[c.Type] || c.Name == "" {
		return false
	}
	if c.Version != "" {
		return true
	}
	if c.Properties != nil {
		for _, p := range *c.Properties {
			if strings.HasPrefix(p.Name, "hallmark:") {
				return true
			}
		}
	}
	return false
}

// pkg converts one component. It reports whether the component said
// explicitly (hallmark:direct) whether it is direct.
func pkg(c *cdx.Component) (sbom.Package, bool, error) {
	p := sbom.Package{Version: c.Version, PURL: c.PackageURL}
	if p.PURL != "" {
		pp, err := purl.Parse(p.PURL)
		if err != nil {
			return p, false, fmt.Errorf("%w: component %q: %v", ErrInvalid, cmpOr(c.BOMRef, c.Name), err)
		}
		p.Ecosystem = pp.Ecosystem
		if c.Name == "" {
			p.Name, p.Version = pp.Name, pp.Version
		}
	}
	hasDirect, hasScope := false, false
	if c.Properties != nil {
		for _, pr := range *c.Properties {
			switch pr.Name {
			case interop.PropEcosystem:
				p.Ecosystem = sbom.Ecosystem(pr.Value)
			case interop.PropLocation:
				p.Locations = append(p.Locations, interop.ParseLocation(pr.Value))
			case interop.PropDirect:
				p.Direct, hasDirect = pr.Value == "true", true
			case interop.PropScope:
				p.Scope, hasScope = interop.ScopeFromName(pr.Value), true
			case interop.PropSourceKind:
				p.SourceKind = pr.Value
			case interop.PropResolvedURL:
				p.ResolvedURL = pr.Value
			default:
				// Syft records where it found a package as syft:location:N:path.
				if strings.HasPrefix(pr.Name, "syft:location:") && strings.HasSuffix(pr.Name, ":path") {
					p.Locations = append(p.Locations, sbom.Location{Path: strings.TrimPrefix(pr.Value, "/")})
					continue
				}
				if p.Properties == nil {
					p.Properties = map[string]string{}
				}
				if _, dup := p.Properties[pr.Name]; !dup {
					p.Properties[pr.Name] = pr.Value
				}
			}
		}
	}
	if c.Name != "" {
		p.Name = JoinName(p.Ecosystem, c.Group, c.Name)
	}
	if !hasScope {
		switch c.Scope {
		case cdx.ScopeOptional:
			p.Scope = sbom.ScopeOptional
		case cdx.ScopeExcluded:
			// Excluded from the runtime: the closest model scope is dev.
			p.Scope = sbom.ScopeDev
		}
	}
	if c.Supplier != nil {
		p.Supplier = c.Supplier.Name
	}
	if c.Hashes != nil {
		for _, h := range *c.Hashes {
			p.Hashes = append(p.Hashes, sbom.Hash{Algorithm: string(h.Algorithm), Value: strings.ToLower(h.Value)})
		}
	}
	if c.Licenses != nil {
		for _, l := range *c.Licenses {
			switch {
			case l.Expression != "":
				p.Licenses = append(p.Licenses, conjuncts(l.Expression)...)
			case l.License != nil && l.License.ID != "":
				p.Licenses = append(p.Licenses, l.License.ID)
			case l.License != nil && l.License.Name != "":
				p.Licenses = append(p.Licenses, l.License.Name)
			}
		}
	}
	if c.ExternalReferences != nil && p.ResolvedURL == "" {
		for _, er := range *c.ExternalReferences {
			if er.Type == cdx.ERTypeDistribution || er.Type == cdx.ERTypeVCS && p.SourceKind == "git" {
				p.ResolvedURL = er.URL
				break
			}
		}
	}
	return p, hasDirect, nil
}

// conjuncts splits a valid expression's top-level AND into its operands: a
// package declared under "A AND B" is declared under A and under B, and the
// model lists declared licenses separately. Invalid expressions are kept
// whole.
func conjuncts(s string) []string {
	e, err := license.Parse(s)
	if err != nil {
		return []string{s}
	}
	return e.Conjuncts()
}
