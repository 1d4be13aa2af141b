package spdx

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/sbomtest"
	"github.com/hallmark-dev/hallmark/internal/schematest"
)

func encode(t *testing.T, doc *sbom.Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, doc); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return buf.Bytes()
}

func TestEncodeValidates(t *testing.T) {
	schematest.Validate(t, schematest.SPDX23, "hard cases", encode(t, sbomtest.HardCases()))
	schematest.Validate(t, schematest.SPDX23, "empty document", encode(t, &sbom.Document{}))
}

func TestEncodeDeterministic(t *testing.T) {
	doc := sbomtest.HardCases()
	a := encode(t, doc)
	if b := encode(t, doc); !bytes.Equal(a, b) {
		t.Fatal("two encodings of one document differ")
	}
	shuffled := sbomtest.HardCases()
	for i, j := 0, len(shuffled.Packages)-1; i < j; i, j = i+1, j-1 {
		shuffled.Packages[i], shuffled.Packages[j] = shuffled.Packages[j], shuffled.Packages[i]
	}
	if c := encode(t, shuffled); !bytes.Equal(a, c) {
		t.Error("encoding depends on the order of packages")
	}
	if diff := cmp.Diff(sbomtest.HardCases(), doc, cmpopts.IgnoreUnexported(sbom.Document{})); diff != "" {
		t.Errorf("Encode modified its input (-before +after):\n%s", diff)
	}
	changed := sbomtest.HardCases()
	changed.Packages[3].Version += "-patched"
	if namespace(t, a) == namespace(t, encode(t, changed)) {
		t.Error("documentNamespace did not change when a package changed")
	}
}

func namespace(t *testing.T, b []byte) string {
	t.Helper()
	var d struct{ DocumentNamespace string }
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.DocumentNamespace, NamespacePrefix+"webshop-") {
		t.Fatalf("documentNamespace %q", d.DocumentNamespace)
	}
	return d.DocumentNamespace
}

type spdxDoc struct {
	CreationInfo struct{ Creators []string }
	Packages     []struct {
		Name             string
		SPDXID           string
		VersionInfo      string
		Supplier         string
		DownloadLocation string
		LicenseDeclared  string
		ExternalRefs     []struct{ ReferenceCategory, ReferenceType, ReferenceLocator string }
	}
	HasExtractedLicensingInfos []struct{ LicenseID, ExtractedText string }
	Relationships              []struct{ SpdxElementID, RelatedSpdxElement, RelationshipType string }
}

func TestEncodeContent(t *testing.T) {
	var d spdxDoc
	if err := json.Unmarshal(encode(t, sbomtest.HardCases()), &d); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Tool: hallmark-v0.1.0", "Organization: ACME Release Engineering"}, d.CreationInfo.Creators); diff != "" {
		t.Errorf("creators diff (-want +got):\n%s", diff)
	}
	byPURL := map[string]string{} // purl -> SPDXID
	type summary struct{ Name, Version, Supplier, Download, License string }
	got := map[string]summary{}
	ids := map[string]bool{}
	for _, p := range d.Packages {
		if ids[p.SPDXID] {
			t.Errorf("SPDXID %s used twice", p.SPDXID)
		}
		ids[p.SPDXID] = true
		for _, r := range p.ExternalRefs {
			if r.ReferenceCategory == "PACKAGE-MANAGER" && r.ReferenceType == "purl" {
				byPURL[r.ReferenceLocator] = p.SPDXID
				got[r.ReferenceLocator] = summary{p.Name, p.VersionInfo, p.Supplier, p.DownloadLocation, p.LicenseDeclared}
			}
		}
	}
	want := map[string]summary{
		"pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.17.1?type=jar": {"com.fasterxml.jackson.core:jackson-databind", "2.17.1",
			"Organization: FasterXML", "NOASSERTION", "Apache-2.0"},
		"pkg:npm/express@4.19.2": {"express", "4.19.2", "NOASSERTION", "https://registry.npmjs.org/express/-/express-4.19.2.tgz", "MIT"},
		"pkg:npm/%40acme/ui-kit@file:..%2Fui-kit": {"@acme/ui-kit", "", "NOASSERTION", "NOASSERTION",
			"LicenseRef-ACME-Proprietary-License-v2-see-LICENSE.txt"},
		"pkg:pypi/internal-tool":  {"internal-tool", "", "NOASSERTION", "NOASSERTION", "GPL-2.0+ AND GPL-3.0-or-later WITH GCC-exception-3.1"},
		"pkg:gem/rails@7.1.3.4":   {"rails", "7.1.3.4", "Organization: David Heinemeier Hansson", "NOASSERTION", "LicenseRef-Rails-Trademark AND MIT"},
		"pkg:npm/left-pad@1.3.0":  {"left-pad", "1.3.0", "NOASSERTION", "git+ssh://git@github.com/left-pad/left-pad.git#2fca6157a7a8d6a3e5e5d9e4f6bdbd0b6e1f52c1", "WTFPL OR MIT"},
		"pkg:cargo/serde@1.0.203": {"serde", "1.0.203", "NOASSERTION", "registry+https://github.com/rust-lang/crates.io-index", "MIT OR Apache-2.0"},
	}
	for p, w := range want {
		if diff := cmp.Diff(w, got[p]); diff != "" {
			t.Errorf("package %s diff (-want +got):\n%s", p, diff)
		}
	}
	wantOthers := map[string]string{
		"LicenseRef-ACME-Proprietary-License-v2-see-LICENSE.txt": "ACME Proprietary License v2 (see LICENSE.txt)",
		"LicenseRef-Rails-Trademark":                             "NOASSERTION",
	}
	gotOthers := map[string]string{}
	for _, o := range d.HasExtractedLicensingInfos {
		gotOthers[o.LicenseID] = o.ExtractedText
	}
	if diff := cmp.Diff(wantOthers, gotOthers); diff != "" {
		t.Errorf("hasExtractedLicensingInfos diff (-want +got):\n%s", diff)
	}
	rels := map[string]bool{}
	for _, r := range d.Relationships {
		rels[r.SpdxElementID+" "+r.RelationshipType+" "+r.RelatedSpdxElement] = true
	}
	for _, w := range []string{
		"SPDXRef-DOCUMENT DESCRIBES SPDXRef-RootPackage",
		"SPDXRef-RootPackage DEPENDS_ON " + byPURL["pkg:npm/express@4.19.2"],
		byPURL["pkg:npm/%40babel/core@7.24.5"] + " DEV_DEPENDENCY_OF SPDXRef-RootPackage",
		byPURL["pkg:maven/org.junit.jupiter/junit-jupiter@5.10.2"] + " TEST_DEPENDENCY_OF SPDXRef-RootPackage",
		byPURL["pkg:npm/fsevents@2.3.3"] + " OPTIONAL_DEPENDENCY_OF " + byPURL["pkg:npm/%40babel/core@7.24.5"],
		byPURL["pkg:npm/express@4.19.2"] + " DEPENDS_ON " + byPURL["pkg:npm/left-pad@1.3.0"],
	} {
		if !rels[w] {
			t.Errorf("relationship %q missing", w)
		}
	}
	if len(rels) != 1+13+6 {
		t.Errorf("%d relationships, want 20 (describes, 13 direct, 6 edges)", len(rels))
	}
}

func TestRoundTrip(t *testing.T) {
	want := sbomtest.HardCases()
	got, err := Decode(bytes.NewReader(encode(t, want)))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	// SPDX has no field for a tool's vendor.
	for i := range want.Tools {
		want.Tools[i].Vendor = ""
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(sbom.Document{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("model -> SPDX -> model diff (-want +got):\n%s", diff)
	}
}

func TestFreeTextCollision(t *testing.T) {
	doc := &sbom.Document{Name: "x"}
	doc.Add(sbom.Package{Name: "a", Version: "1", Licenses: []string{"Custom License"}},
		sbom.Package{Name: "b", Version: "1", Licenses: []string{"Custom  License!"}})
	b := encode(t, doc)
	schematest.Validate(t, schematest.SPDX23, "colliding license texts", b)
	got, err := Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"Custom License", "Custom  License!"} {
		if diff := cmp.Diff([]string{want}, got.Packages[i].Licenses); diff != "" {
			t.Errorf("package %s licenses diff (-want +got):\n%s", got.Packages[i].Name, diff)
		}
	}
}

func readFixture(t *testing.T, name string) *sbom.Document {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := Decode(f)
	if err != nil {
		t.Fatalf("Decode(%s): %v", name, err)
	}
	return doc
}

func TestDecodeFixtures(t *testing.T) {
	at := time.Date(2024, 6, 3, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		file string
		want *sbom.Document
	}{
		{"syft-2.3.json", &sbom.Document{
			Name:    "/src/webshop",
			Created: at.Add(11*time.Minute + 12*time.Second),
			Tools:   []sbom.Tool{{Name: "syft", Version: "1.5.0"}},
			Authors: []string{"Anchore, Inc"},
			Packages: []sbom.Package{
				{ID: "pkg:golang/github.com/spf13/cobra@v1.8.0", Name: "github.com/spf13/cobra", Version: "v1.8.0", Ecosystem: "Go",
					PURL: "pkg:golang/github.com/spf13/cobra@v1.8.0", Locations: []sbom.Location{{Path: "tools/go.mod"}}},
				{ID: "pkg:maven/org.apache.commons/commons-lang3@3.14.0", Name: "commons-lang3", Version: "3.14.0", Ecosystem: "Maven",
					PURL: "pkg:maven/org.apache.commons/commons-lang3@3.14.0", Licenses: []string{"Apache License, Version 2.0"},
					Hashes:    []sbom.Hash{{Algorithm: "SHA-1", Value: "1ed471194b02f2c6cb734a0cd6f6f107c673afae"}},
					Locations: []sbom.Location{{Path: "lib/commons-lang3-3.14.0.jar"}}},
				{ID: "pkg:npm/%40babel/code-frame@7.24.2", Name: "@babel/code-frame", Version: "7.24.2", Ecosystem: "npm",
					PURL: "pkg:npm/%40babel/code-frame@7.24.2", Licenses: []string{"MIT"}, Locations: []sbom.Location{{Path: "package-lock.json"}},
					Supplier:    "The Babel Team (https://babel.dev/team)",
					ResolvedURL: "https://registry.npmjs.org/@babel/code-frame/-/code-frame-7.24.2.tgz",
					Hashes: []sbom.Hash{{Algorithm: "SHA-512",
						Value: "f4e0b5a1c6cbb0e1a4a4a6bd2a8e5b3f0b8a4f6e8d0c2b4a6f8e0d2c4b6a8f0e2d4c6b8a0f2e4d6c8b0a2f4e6d8c0b2a4f6e8d0c2b4a6f8e0d2c4b6a8f0e2d4"}}},
				{ID: "pkg:npm/js-tokens@4.0.0", Name: "js-tokens", Version: "4.0.0", Ecosystem: "npm", PURL: "pkg:npm/js-tokens@4.0.0",
					Licenses: []string{"MIT"}, Locations: []sbom.Location{{Path: "package-lock.json"}}},
			},
			Relationships: []sbom.Relationship{{From: "pkg:npm/%40babel/code-frame@7.24.2", To: "pkg:npm/js-tokens@4.0.0"}},
		}},
		{"trivy-2.3.json", &sbom.Document{
			Name:    "billing-service",
			Created: at,
			Tools:   []sbom.Tool{{Name: "trivy", Version: "0.52.0"}},
			Authors: []string{"aquasecurity"},
			Packages: []sbom.Package{
				{ID: "pkg:npm/%40types/node@20.12.12", Name: "@types/node", Version: "20.12.12", Ecosystem: "npm",
					PURL: "pkg:npm/%40types/node@20.12.12", Direct: true},
				{ID: "pkg:npm/body-parser@1.20.2", Name: "body-parser", Version: "1.20.2", Ecosystem: "npm", PURL: "pkg:npm/body-parser@1.20.2"},
				{ID: "pkg:npm/express@4.19.2", Name: "express", Version: "4.19.2", Ecosystem: "npm", PURL: "pkg:npm/express@4.19.2",
					Licenses: []string{"MIT"}, Direct: true, Locations: []sbom.Location{{Path: "package-lock.json"}}},
			},
			Relationships: []sbom.Relationship{{From: "pkg:npm/express@4.19.2", To: "pkg:npm/body-parser@1.20.2"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := readFixture(t, tt.file)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(sbom.Document{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Decode(%s) diff (-want +got):\n%s", tt.file, diff)
			}
			schematest.Validate(t, schematest.SPDX23, tt.file+" re-encoded", encode(t, got))
		})
	}
}

const minimal = `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"x",
"documentNamespace":"https://x/y","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: t"]}`

func TestDecodeMalformed(t *testing.T) {
	pkgA := `"packages":[{"name":"a","SPDXID":"SPDXRef-a","versionInfo":"1","downloadLocation":"NOASSERTION"}]`
	tests := []struct{ name, in, want string }{
		{"empty", ``, "invalid"},
		{"not json", `SPDXVersion: SPDX-2.3`, "invalid"},
		{"truncated", minimal + `,"packages":[{"name":"a"`, "invalid"},
		{"array", `[]`, "invalid"},
		{"no version", `{"name":"x"}`, "spdxVersion"},
		{"version wrong type", `{"spdxVersion":2.3}`, "invalid"},
		{"old version", `{"spdxVersion":"SPDX-2.1"}`, "SPDX-2.1"},
		{"packages wrong type", minimal + `,"packages":{"a":1}}`, "invalid"},
		{"name wrong type", minimal + `,"packages":[{"name":1,"SPDXID":"SPDXRef-a"}]}`, "invalid"},
		{"bad SPDXID", minimal + `,"packages":[{"name":"a","SPDXID":"a"}]}`, "invalid"},
		{"bad created", strings.Replace(minimal, "2024-01-01T00:00:00Z", "yesterday", 1) + `}`, "created"},
		{"bad purl", minimal + `,"packages":[{"name":"a","SPDXID":"SPDXRef-a","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"npm:a"}]}]}`, "purl"},
		{"relationship to unknown id", minimal + `,` + pkgA + `,"relationships":[{"spdxElementId":"SPDXRef-a","relatedSpdxElement":"SPDXRef-ghost","relationshipType":"DEPENDS_ON"}]}`, "SPDXRef-ghost"},
		{"relationship from unknown id", minimal + `,` + pkgA + `,"relationships":[{"spdxElementId":"SPDXRef-ghost","relatedSpdxElement":"SPDXRef-a","relationshipType":"DEV_DEPENDENCY_OF"}]}`, "SPDXRef-ghost"},
		{"deep nesting", minimal + `,"comment":` + strings.Repeat("[", 20000) + `}`, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Decode(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("Decode accepted it: %+v", doc)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q is not ErrInvalid", err)
			}
		})
	}
}

func TestDecodeSpecialElements(t *testing.T) {
	in := minimal + `,"packages":[{"name":"a","SPDXID":"SPDXRef-a","versionInfo":"1","downloadLocation":"NOASSERTION"}],
	"relationships":[{"spdxElementId":"SPDXRef-a","relatedSpdxElement":"NOASSERTION","relationshipType":"DEPENDS_ON"},
	{"spdxElementId":"SPDXRef-a","relatedSpdxElement":"DocumentRef-other:SPDXRef-b","relationshipType":"DEPENDS_ON"}]}`
	doc, err := Decode(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Packages) != 1 || len(doc.Relationships) != 0 {
		t.Errorf("got %d packages and %d relationships, want 1 and 0", len(doc.Packages), len(doc.Relationships))
	}
}

func TestDecodeSPDX22(t *testing.T) {
	in := strings.Replace(minimal, "SPDX-2.3", "SPDX-2.2", 1) + `,"packages":[{"name":"lodash","SPDXID":"SPDXRef-p","versionInfo":"4.17.21",
	"downloadLocation":"https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz","licenseConcluded":"MIT","licenseDeclared":"NOASSERTION",
	"externalRefs":[{"referenceCategory":"PACKAGE_MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/lodash@4.17.21"}]}],
	"documentDescribes":["SPDXRef-p"]}`
	doc, err := Decode(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	// The one described package is the subject.
	if doc.Name != "lodash" || doc.Version != "4.17.21" || len(doc.Packages) != 0 {
		t.Errorf("got name %q version %q and %d packages", doc.Name, doc.Version, len(doc.Packages))
	}
	in = strings.Replace(in, `"documentDescribes":["SPDXRef-p"]`, `"documentDescribes":[]`, 1)
	doc, err = Decode(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []sbom.Package{{ID: "pkg:npm/lodash@4.17.21", Name: "lodash", Version: "4.17.21", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.21",
		Licenses: []string{"MIT"}, ResolvedURL: "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz"}}
	if diff := cmp.Diff(want, doc.Packages, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("SPDX 2.2 packages diff (-want +got):\n%s", diff)
	}
}

// TestDecodeEmptyCreator: a creator with a type but no name ("Organization:")
// is read as nothing, so that the document encodes again (found by
// FuzzDecode; the seed is testdata/fuzz/FuzzDecode/empty-creator).
func TestDecodeEmptyCreator(t *testing.T) {
	in := `{"spdxVersion":"SPDX-2.3","creationInfo":{"created":"2024-05-01T10:00:00Z","creators":["Organization:","Tool: ","Person: Jane Doe","Tool: syft-1.4.1"]}}`
	doc, err := Decode(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Jane Doe"}, doc.Authors); diff != "" {
		t.Errorf("authors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]sbom.Tool{{Name: "syft", Version: "1.4.1"}}, doc.Tools); diff != "" {
		t.Errorf("tools (-want +got):\n%s", diff)
	}
	var out bytes.Buffer
	if err := Encode(&out, doc); err != nil {
		t.Fatalf("Encode of the decoded document: %v", err)
	}
	if _, err := Decode(&out); err != nil {
		t.Fatalf("Decode of hallmark's own output: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, sbomtest.HardCases()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(minimal + `}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := Decode(bytes.NewReader(b))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Encode(&out, doc); err != nil {
			t.Fatalf("Encode of a decoded document: %v", err)
		}
		if _, err := Decode(&out); err != nil {
			t.Fatalf("Decode of hallmark's own output: %v\n%s", err, out.Bytes())
		}
	})
}
