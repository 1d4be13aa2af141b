// Package interop holds the conventions the CycloneDX and SPDX codecs share,
// so that what one writes the other reads back the same way: the hallmark
// property names, how a location is written, how a document is prepared for
// deterministic output, content-derived UUIDs, and hash algorithm names.
package interop

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Property names hallmark writes on each component (CycloneDX properties;
// SPDX annotations for the ones SPDX has no field for). They follow the
// CycloneDX property taxonomy's advice to namespace names with the tool's
// name (https://github.com/CycloneDX/cyclonedx-property-taxonomy).
const (
	PropEcosystem   = "hallmark:ecosystem"
	PropLocation    = "hallmark:location" // one per location, "path" or "path:line"
	PropDirect      = "hallmark:direct"   // "true" or "false"
	PropScope       = "hallmark:scope"    // dev, test, optional; absent for runtime
	PropSourceKind  = "hallmark:source-kind"
	PropResolvedURL = "hallmark:resolved-url" // when no external reference can carry it
	PropSource      = "hallmark:source"       // document: what was scanned
)

// Reserved reports whether a property name is one of the names above, which
// the decoders turn back into model fields rather than Package.Properties.
func Reserved(name string) bool {
	switch name {
	case PropEcosystem, PropLocation, PropDirect, PropScope, PropSourceKind, PropResolvedURL:
		return true
	}
	return false
}

// PropertyName returns the name under which a Package.Properties key is
// written: keys are expected to be namespaced ("hallmark:npm:..."); a bare
// key gets the "hallmark:" namespace.
func PropertyName(key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return "hallmark:" + key
}

// FormatLocation writes a location as "path:line", or "path" when the line
// is unknown.
func FormatLocation(l sbom.Location) string {
	if l.Line > 0 {
		return l.Path + ":" + strconv.Itoa(l.Line)
	}
	return l.Path
}

// ParseLocation reads what FormatLocation wrote: a trailing ":N" with N a
// positive decimal number is the line.
func ParseLocation(s string) sbom.Location {
	if i := strings.LastIndexByte(s, ':'); i > 0 && i < len(s)-1 {
		if n, err := strconv.Atoi(s[i+1:]); err == nil && n > 0 && s[i+1] != '+' && s[i+1] != '0' {
			return sbom.Location{Path: s[:i], Line: n}
		}
	}
	return sbom.Location{Path: s}
}

// Prepare returns a normalized deep copy of doc (the caller's document is
// not modified): packages with the same ID merged, everything sorted.
func Prepare(doc *sbom.Document) *sbom.Document {
	out := &sbom.Document{
		Name:    doc.Name,
		Version: doc.Version,
		Source:  doc.Source,
		Created: doc.Created,
		Tools:   slices.Clone(doc.Tools),
		Authors: slices.Clone(doc.Authors),
		Subject: sbom.Subject{Type: doc.Subject.Type, Name: doc.Subject.Name, Version: doc.Subject.Version, Properties: maps.Clone(doc.Subject.Properties)},
	}
	for _, p := range doc.Packages {
		p.Licenses = slices.Clone(p.Licenses)
		p.Hashes = slices.Clone(p.Hashes)
		p.Locations = slices.Clone(p.Locations)
		p.Properties = maps.Clone(p.Properties)
		out.Add(p)
	}
	out.Relationships = slices.Clone(doc.Relationships)
	out.Normalize()
	for i := range out.Packages {
		p := &out.Packages[i]
		p.Licenses = slices.Compact(p.Licenses)
		p.Hashes = slices.Compact(p.Hashes)
		p.Locations = slices.Compact(p.Locations)
	}
	slices.SortFunc(out.Tools, func(a, b sbom.Tool) int {
		return strings.Compare(a.Vendor+"\x00"+a.Name+"\x00"+a.Version, b.Vendor+"\x00"+b.Name+"\x00"+b.Version)
	})
	out.Tools = slices.Compact(out.Tools)
	return out
}

// UUID returns an RFC 9562 version 8 (custom) UUID made from the SHA-256 of
// content, so that the same content always gets the same identifier.
func UUID(content []byte) string {
	sum := sha256.Sum256(content)
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80 // version 8
	b[8] = b[8]&0x3f | 0x80 // variant 10
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// hashAlgs maps the model's (CycloneDX) hash algorithm names to SPDX 2.3's.
var hashAlgs = map[string]string{
	sbom.MD5:      "MD5",
	sbom.SHA1:     "SHA1",
	sbom.SHA256:   "SHA256",
	sbom.SHA384:   "SHA384",
	sbom.SHA512:   "SHA512",
	"SHA3-256":    "SHA3-256",
	"SHA3-384":    "SHA3-384",
	"SHA3-512":    "SHA3-512",
	"BLAKE2b-256": "BLAKE2b-256",
	"BLAKE2b-384": "BLAKE2b-384",
	"BLAKE2b-512": "BLAKE2b-512",
	"BLAKE3":      "BLAKE3",
}

// hexLen is the length in hex digits of each algorithm's digest.
var hexLen = map[string]int{
	sbom.MD5: 32, sbom.SHA1: 40, sbom.SHA256: 64, sbom.SHA384: 96, sbom.SHA512: 128,
	"SHA3-256": 64, "SHA3-384": 96, "SHA3-512": 128,
	"BLAKE2b-256": 64, "BLAKE2b-384": 96, "BLAKE2b-512": 128, "BLAKE3": 64,
}

// SPDXHashAlg returns the SPDX 2.3 checksum algorithm name of a model hash
// algorithm, or "" when SPDX has none.
func SPDXHashAlg(alg string) string { return hashAlgs[alg] }

// ModelHashAlg returns the model (CycloneDX) name of an SPDX checksum
// algorithm, or "" when the model has none.
func ModelHashAlg(spdxAlg string) string {
	for m, s := range hashAlgs {
		if s == spdxAlg {
			return m
		}
	}
	return ""
}

// ValidHash reports whether h names a known algorithm and its value is hex of
// that algorithm's digest length, as the CycloneDX schema requires.
func ValidHash(h sbom.Hash) bool {
	n, ok := hexLen[h.Algorithm]
	if !ok || len(h.Value) != n {
		return false
	}
	for i := 0; i < len(h.Value); i++ {
		c := h.Value[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// ScopeFromName returns the model scope of a hallmark:scope value.
func ScopeFromName(s string) sbom.Scope {
	switch sbom.Scope(s) {
	case sbom.ScopeDev, sbom.ScopeTest, sbom.ScopeOptional:
		return sbom.Scope(s)
	}
	return sbom.ScopeRequired
}

// ValidURL reports whether s is an absolute URL that a JSON schema
// "iri-reference"/"uri" format accepts and that names where a package comes
// from (it has a scheme and no spaces or characters URLs may not hold).
func ValidURL(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n<>\"{}|\\^`") {
		return false
	}
	i := strings.Index(s, ":")
	if i <= 0 {
		return false
	}
	for j, c := range s[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// placeholderUUID stands in for a document's content-derived UUID while the
// document is encoded. It has the length of a real UUID.
const placeholderUUID = "00000000-0000-8000-8000-000000000000"

// EncodeStamped encodes a document whose identifier (a CycloneDX serial
// number, an SPDX document namespace) is the UUID of its own content. set
// stores an identifier in the document; encode writes the document. The
// document is encoded once, with a placeholder identifier whose bytes are
// then replaced by the UUID of the encoding. Only when the placeholder also
// occurs elsewhere in the content is it encoded again, the identifier then
// derived from the encoding without it.
func EncodeStamped(set func(uuid string), encode func(w io.Writer) error) ([]byte, error) {
	var buf bytes.Buffer
	set(placeholderUUID)
	if err := encode(&buf); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	ph := []byte(placeholderUUID)
	if i := bytes.Index(b, ph); i >= 0 && !bytes.Contains(b[i+len(ph):], ph) {
		copy(b[i:], UUID(b))
		return b, nil
	}
	set("")
	buf.Reset()
	if err := encode(&buf); err != nil {
		return nil, err
	}
	set(UUID(buf.Bytes()))
	buf.Reset()
	if err := encode(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
