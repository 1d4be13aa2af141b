package cyclonedx

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

var versions = []struct{ version, schema string }{
	{"1.7", schematest.CycloneDX17},
	{"1.6", schematest.CycloneDX16},
	{"", schematest.CycloneDX17},
}

func encode(t *testing.T, doc *sbom.Document, version string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, doc, Options{Version: version}); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return buf.Bytes()
}

func TestEncodeValidates(t *testing.T) {
	for _, v := range versions {
		t.Run("v"+v.version, func(t *testing.T) {
			b := encode(t, sbomtest.HardCases(), v.version)
			schematest.Validate(t, v.schema, "hard cases", b)
			empty := encode(t, &sbom.Document{}, v.version)
			schematest.Validate(t, v.schema, "empty document", empty)
			var got struct{ SpecVersion string }
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if want := cmpOr(v.version, "1.7"); got.SpecVersion != want {
				t.Errorf("specVersion = %q, want %q", got.SpecVersion, want)
			}
		})
	}
}

func TestEncodeRejectsVersion(t *testing.T) {
	if err := Encode(&bytes.Buffer{}, &sbom.Document{}, Options{Version: "1.5"}); err == nil {
		t.Error("Encode accepted spec version 1.5")
	}
}

func TestEncodeDeterministic(t *testing.T) {
	doc := sbomtest.HardCases()
	a := encode(t, doc, "")
	b := encode(t, doc, "")
	if !bytes.Equal(a, b) {
		t.Fatal("two encodings of one document differ")
	}
	// Package order in the input does not matter.
	shuffled := sbomtest.HardCases()
	for i, j := 0, len(shuffled.Packages)-1; i < j; i, j = i+1, j-1 {
		shuffled.Packages[i], shuffled.Packages[j] = shuffled.Packages[j], shuffled.Packages[i]
	}
	shuffled.Relationships = append(shuffled.Relationships[1:], shuffled.Relationships[0])
	if c := encode(t, shuffled, ""); !bytes.Equal(a, c) {
		t.Error("encoding depends on the order of packages and relationships")
	}
	// Encoding leaves the document as it was.
	if diff := cmp.Diff(sbomtest.HardCases(), doc, cmpopts.IgnoreUnexported(sbom.Document{})); diff != "" {
		t.Errorf("Encode modified its input (-before +after):\n%s", diff)
	}
	// Changing one package changes the serial number.
	changed := sbomtest.HardCases()
	changed.Packages[3].Version += "-patched"
	if serial(t, a) == serial(t, encode(t, changed, "")) {
		t.Error("serial number did not change when a package changed")
	}
	if serial(t, a) == serial(t, encode(t, doc, "1.6")) {
		t.Error("1.6 and 1.7 documents share a serial number")
	}
}

func serial(t *testing.T, b []byte) string {
	t.Helper()
	var d struct{ SerialNumber string }
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.SerialNumber, "urn:uuid:") {
		t.Fatalf("serialNumber %q", d.SerialNumber)
	}
	return d.SerialNumber
}

// TestEncodeContent checks the fields other tools read, on the hard cases.
func TestEncodeContent(t *testing.T) {
	var bom struct {
		Metadata struct {
			Timestamp string
			Component struct {
				BOMRef string `json:"bom-ref"`
				Type   string
				Name   string
			}
		}
		Components []struct {
			BOMRef   string `json:"bom-ref"`
			Type     string
			Group    string
			Name     string
			Version  string
			Scope    string
			PURL     string
			Supplier *struct{ Name string }
			Licenses []json.RawMessage
			External []struct{ Type, URL string }   `json:"externalReferences"`
			Props    []struct{ Name, Value string } `json:"properties"`
		}
		Dependencies []struct {
			Ref       string
			DependsOn []string
		}
	}
	if err := json.Unmarshal(encode(t, sbomtest.HardCases(), "1.7"), &bom); err != nil {
		t.Fatal(err)
	}
	if bom.Metadata.Timestamp != "2024-05-17T12:30:00Z" || bom.Metadata.Component.Name != "webshop" || bom.Metadata.Component.Type != "application" {
		t.Errorf("metadata = %+v", bom.Metadata)
	}
	type summary struct {
		Type, Group, Name, Version, Scope, Supplier, Licenses, External string
	}
	got := map[string]summary{}
	props := map[string][]string{}
	for _, c := range bom.Components {
		s := summary{Type: c.Type, Group: c.Group, Name: c.Name, Version: c.Version, Scope: c.Scope}
		if c.Supplier != nil {
			s.Supplier = c.Supplier.Name
		}
		var ls []string
		for _, l := range c.Licenses {
			var c bytes.Buffer
			if err := json.Compact(&c, l); err != nil {
				t.Fatal(err)
			}
			ls = append(ls, c.String())
		}
		s.Licenses = strings.Join(ls, " ")
		for _, e := range c.External {
			s.External += e.Type + "=" + e.URL
		}
		got[c.BOMRef] = s
		if c.BOMRef != c.PURL && c.PURL != "" {
			t.Errorf("bom-ref %q is not the purl %q", c.BOMRef, c.PURL)
		}
		for _, p := range c.Props {
			props[c.BOMRef] = append(props[c.BOMRef], p.Name+"="+p.Value)
		}
	}
	want := map[string]summary{
		"pkg:npm/%40babel/core@7.24.5": {Type: "library", Group: "@babel", Name: "core", Version: "7.24.5", Scope: "excluded",
			Licenses: `{"license":{"id":"MIT"}}`},
		"pkg:maven/io.netty/netty-transport-native-epoll@4.1.109.Final?classifier=linux-x86_64&type=jar": {Type: "library",
			Group: "io.netty", Name: "netty-transport-native-epoll", Version: "4.1.109.Final", Scope: "required", Licenses: `{"license":{"id":"Apache-2.0"}}`},
		"pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.17.1?type=jar": {Type: "library", Group: "com.fasterxml.jackson.core",
			Name: "jackson-databind", Version: "2.17.1", Scope: "required", Supplier: "FasterXML", Licenses: `{"license":{"id":"Apache-2.0"}}`},
		"pkg:github/github/codeql-action@v3#init": {Type: "application", Group: "github", Name: "codeql-action/init", Version: "v3", Scope: "required"},
		"pkg:golang/github.com/Azure/azure-sdk-for-go/sdk/azcore@v1.11.1": {Type: "library", Name: "github.com/Azure/azure-sdk-for-go/sdk/azcore",
			Version: "v1.11.1", Scope: "required"},
		"pkg:npm/fsevents@2.3.3": {Type: "library", Name: "fsevents", Version: "2.3.3", Scope: "optional", Licenses: `{"license":{"id":"MIT"}}`},
		"pkg:npm/left-pad@1.3.0": {Type: "library", Name: "left-pad", Version: "1.3.0", Scope: "required", Licenses: `{"expression":"WTFPL OR MIT"}`,
			External: "vcs=git+ssh://git@github.com/left-pad/left-pad.git#2fca6157a7a8d6a3e5e5d9e4f6bdbd0b6e1f52c1"},
		"pkg:npm/express@4.19.2": {Type: "library", Name: "express", Version: "4.19.2", Scope: "required", Licenses: `{"license":{"id":"MIT"}}`,
			External: "distribution=https://registry.npmjs.org/express/-/express-4.19.2.tgz"},
		"pkg:npm/%40acme/ui-kit@file:..%2Fui-kit": {Type: "library", Group: "@acme", Name: "ui-kit", Scope: "required",
			Licenses: `{"license":{"name":"ACME Proprietary License v2 (see LICENSE.txt)"}}`},
		"pkg:pypi/internal-tool": {Type: "library", Name: "internal-tool", Scope: "required",
			Licenses: `{"expression":"GPL-2.0+"} {"expression":"GPL-3.0-or-later WITH GCC-exception-3.1"}`},
		"pkg:gem/rails@7.1.3.4": {Type: "library", Name: "rails", Version: "7.1.3.4", Scope: "required", Supplier: "David Heinemeier Hansson",
			Licenses: `{"expression":"LicenseRef-Rails-Trademark"} {"license":{"id":"MIT"}}`},
	}
	for ref, w := range want {
		if diff := cmp.Diff(w, got[ref]); diff != "" {
			t.Errorf("component %s diff (-want +got):\n%s", ref, diff)
		}
	}
	wantProps := map[string][]string{
		"pkg:github/actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11": {"hallmark:direct=true", "hallmark:ecosystem=GitHub Actions",
			"hallmark:github-actions:pinned=true", "hallmark:github-actions:ref-comment=v4.1.1", "hallmark:location=.github/workflows/ci.yml:14"},
		"pkg:npm/%40acme/ui-kit@file:..%2Fui-kit": {"hallmark:direct=true", "hallmark:ecosystem=npm", "hallmark:location=package-lock.json:10",
			"hallmark:resolved-url=../ui-kit", "hallmark:source-kind=file"},
		"pkg:maven/org.junit.jupiter/junit-jupiter@5.10.2": {"hallmark:direct=true", "hallmark:ecosystem=Maven", "hallmark:location=pom.xml:70", "hallmark:scope=test"},
	}
	for ref, w := range wantProps {
		if diff := cmp.Diff(w, props[ref]); diff != "" {
			t.Errorf("properties of %s diff (-want +got):\n%s", ref, diff)
		}
	}

	deps := map[string][]string{}
	for _, d := range bom.Dependencies {
		deps[d.Ref] = d.DependsOn
	}
	if len(deps) != len(bom.Components)+1 {
		t.Errorf("%d dependency entries for %d components and the subject", len(deps), len(bom.Components))
	}
	for _, c := range bom.Components {
		if _, ok := deps[c.BOMRef]; !ok {
			t.Errorf("component %s has no dependencies entry", c.BOMRef)
		}
	}
	if diff := cmp.Diff([]string{"pkg:npm/%40acme/ui-kit@file:..%2Fui-kit", "pkg:npm/left-pad@1.3.0"}, deps["pkg:npm/express@4.19.2"]); diff != "" {
		t.Errorf("express dependsOn diff (-want +got):\n%s", diff)
	}
	root := deps[bom.Metadata.Component.BOMRef]
	if len(root) != 13 || !containsAll(root, "pkg:npm/express@4.19.2", "pkg:github/github/codeql-action@v3#init", "pkg:npm/%40babel/core@7.24.5") ||
		containsAll(root, "pkg:npm/fsevents@2.3.3") {
		t.Errorf("subject dependsOn = %q, want the 13 direct packages", root)
	}
}

func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, l := range list {
			found = found || l == w
		}
		if !found {
			return false
		}
	}
	return true
}

func TestRoundTrip(t *testing.T) {
	for _, v := range []string{"1.7", "1.6"} {
		t.Run(v, func(t *testing.T) {
			want := sbomtest.HardCases()
			got, err := Decode(bytes.NewReader(encode(t, want, v)))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(sbom.Document{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("model -> CycloneDX %s -> model diff (-want +got):\n%s", v, diff)
			}
		})
	}
}

// Test1_6MixedLicenses: CycloneDX 1.6 cannot mix license objects and an
// expression, so free text joins the expression as a LicenseRef-.
func Test1_6MixedLicenses(t *testing.T) {
	doc := &sbom.Document{Name: "x"}
	doc.Add(sbom.Package{Name: "a", Version: "1", Licenses: []string{"Custom License", "MIT OR ISC"}})
	b := encode(t, doc, "1.6")
	schematest.Validate(t, schematest.CycloneDX16, "mixed licenses", b)
	if !bytes.Contains(b, []byte(`"expression": "LicenseRef-Custom-License AND (MIT OR ISC)"`)) {
		t.Errorf("1.6 output lacks the joined expression:\n%s", b)
	}
	b = encode(t, doc, "1.7")
	schematest.Validate(t, schematest.CycloneDX17, "mixed licenses", b)
	if !bytes.Contains(b, []byte(`"name": "Custom License"`)) || !bytes.Contains(b, []byte(`"expression": "MIT OR ISC"`)) {
		t.Errorf("1.7 output does not keep the license name and expression apart:\n%s", b)
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

func TestDecodeMalformed(t *testing.T) {
	deep := strings.Repeat(`{"components":[`, 6000)
	tests := []struct{ name, in, want string }{
		{"empty", ``, "invalid"},
		{"not json", `hello`, "invalid"},
		{"truncated", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a"`, "invalid"},
		{"array", `[1,2]`, "invalid"},
		{"no bomFormat", `{"specVersion":"1.6"}`, "bomFormat"},
		{"wrong bomFormat", `{"bomFormat":"SPDX","specVersion":"1.6"}`, "bomFormat"},
		{"bomFormat wrong type", `{"bomFormat":1,"specVersion":"1.6"}`, "invalid"},
		{"no specVersion", `{"bomFormat":"CycloneDX"}`, "specVersion"},
		{"old specVersion", `{"bomFormat":"CycloneDX","specVersion":"1.1"}`, "1.1"},
		{"components wrong type", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":{"a":1}}`, "invalid"},
		{"name wrong type", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":7}]}`, "invalid"},
		{"bad timestamp", `{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"timestamp":"last tuesday"}}`, "timestamp"},
		{"bad purl", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","purl":"not a purl"}]}`, "purl"},
		{"unknown dependency ref", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","bom-ref":"a"}],
			"dependencies":[{"ref":"a","dependsOn":["ghost"]}]}`, `"ghost"`},
		{"unknown dependency entry", `{"bomFormat":"CycloneDX","specVersion":"1.6","dependencies":[{"ref":"ghost"}]}`, `"ghost"`},
		{"deep nesting", `{"bomFormat":"CycloneDX","specVersion":"1.6",` + deep, "invalid"},
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

func TestDecodeHugeArray(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[`)
	const n = 50000
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"type":"library","name":"p`)
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(`","version":"1.0.`)
		b.WriteString(string(rune('0' + i%10)))
		b.WriteString(`","bom-ref":"r`)
		b.WriteString(strings.Repeat("y", i%3))
		b.WriteString(`"}`)
	}
	b.WriteString(`]}`)
	doc, err := Decode(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Packages) != 70 {
		t.Errorf("%d packages, want the 70 distinct name@version pairs", len(doc.Packages))
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
	if err := Encode(&buf, sbomtest.HardCases(), Options{}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.4","metadata":{"tools":[{"vendor":"a","name":"b"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := Decode(bytes.NewReader(b))
		if err != nil {
			return
		}
		// Whatever was read must encode to a valid document and read back.
		var out bytes.Buffer
		if err := Encode(&out, doc, Options{}); err != nil {
			t.Fatalf("Encode of a decoded document: %v", err)
		}
		if _, err := Decode(&out); err != nil {
			t.Fatalf("Decode of hallmark's own output: %v\n%s", err, out.Bytes())
		}
	})
}

func TestDecodeFixtures(t *testing.T) {
	created := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	tests := []struct {
		file string
		want *sbom.Document
	}{
		{"syft-1.6.json", &sbom.Document{
			Name:    "/src/webshop",
			Created: created("2024-06-03T08:11:12Z"),
			Tools:   []sbom.Tool{{Vendor: "anchore", Name: "syft", Version: "1.5.0"}},
			Packages: []sbom.Package{
				{ID: "pkg:golang/github.com/spf13/cobra@v1.8.0", Name: "github.com/spf13/cobra", Version: "v1.8.0", Ecosystem: "Go",
					PURL: "pkg:golang/github.com/spf13/cobra@v1.8.0", Locations: []sbom.Location{{Path: "tools/go.mod"}},
					Properties: map[string]string{"syft:package:foundBy": "go-module-file-cataloger", "syft:package:type": "go-module"}},
				{ID: "pkg:maven/org.apache.commons/commons-lang3@3.14.0", Name: "org.apache.commons:commons-lang3", Version: "3.14.0", Ecosystem: "Maven",
					PURL: "pkg:maven/org.apache.commons/commons-lang3@3.14.0", Licenses: []string{"Apache License, Version 2.0"},
					Hashes:     []sbom.Hash{{Algorithm: "SHA-1", Value: "1ed471194b02f2c6cb734a0cd6f6f107c673afae"}},
					Locations:  []sbom.Location{{Path: "lib/commons-lang3-3.14.0.jar"}},
					Properties: map[string]string{"syft:package:type": "java-archive"}},
				{ID: "pkg:pypi/requests@2.32.3", Name: "requests", Version: "2.32.3", Ecosystem: "PyPI", PURL: "pkg:pypi/requests@2.32.3",
					Licenses: []string{"Apache-2.0"}, Locations: []sbom.Location{{Path: "requirements.txt"}, {Path: "services/api/requirements.txt"}},
					Properties: map[string]string{"syft:package:foundBy": "python-package-cataloger", "syft:package:type": "python"}},
				{ID: "pkg:npm/%40babel/code-frame@7.24.2", Name: "@babel/code-frame", Version: "7.24.2", Ecosystem: "npm",
					PURL: "pkg:npm/%40babel/code-frame@7.24.2", Licenses: []string{"MIT"}, Locations: []sbom.Location{{Path: "package-lock.json"}},
					ResolvedURL: "https://registry.npmjs.org/@babel/code-frame/-/code-frame-7.24.2.tgz",
					Properties: map[string]string{"syft:package:foundBy": "javascript-lock-cataloger", "syft:package:language": "javascript",
						"syft:package:metadataType": "javascript-npm-package-lock-entry", "syft:package:type": "npm"}},
				{ID: "pkg:npm/js-tokens@4.0.0", Name: "js-tokens", Version: "4.0.0", Ecosystem: "npm", PURL: "pkg:npm/js-tokens@4.0.0",
					Licenses: []string{"MIT"}, Locations: []sbom.Location{{Path: "package-lock.json"}},
					Properties: map[string]string{"syft:package:foundBy": "javascript-lock-cataloger", "syft:package:type": "npm"}},
			},
			Relationships: []sbom.Relationship{{From: "pkg:npm/%40babel/code-frame@7.24.2", To: "pkg:npm/js-tokens@4.0.0"}},
		}},
		{"trivy-1.6.json", &sbom.Document{
			Name:    "billing-service",
			Created: created("2024-06-03T08:00:00Z"),
			Tools:   []sbom.Tool{{Vendor: "aquasecurity", Name: "trivy", Version: "0.52.0"}},
			Packages: []sbom.Package{
				{ID: "pkg:npm/%40types/node@20.12.12", Name: "@types/node", Version: "20.12.12", Ecosystem: "npm", PURL: "pkg:npm/%40types/node@20.12.12",
					Direct: true, Properties: map[string]string{"aquasecurity:trivy:Dev": "true", "aquasecurity:trivy:PkgID": "@types/node@20.12.12", "aquasecurity:trivy:PkgType": "npm"}},
				{ID: "pkg:npm/body-parser@1.20.2", Name: "body-parser", Version: "1.20.2", Ecosystem: "npm", PURL: "pkg:npm/body-parser@1.20.2",
					Licenses: []string{"MIT"}, Properties: map[string]string{"aquasecurity:trivy:PkgID": "body-parser@1.20.2", "aquasecurity:trivy:PkgType": "npm"}},
				{ID: "pkg:npm/express@4.19.2", Name: "express", Version: "4.19.2", Ecosystem: "npm", PURL: "pkg:npm/express@4.19.2",
					Licenses: []string{"MIT"}, Direct: true, Properties: map[string]string{"aquasecurity:trivy:PkgID": "express@4.19.2", "aquasecurity:trivy:PkgType": "npm"}},
			},
			Relationships: []sbom.Relationship{{From: "pkg:npm/express@4.19.2", To: "pkg:npm/body-parser@1.20.2"}},
		}},
		{"nested-1.4.json", &sbom.Document{
			Name:    "com.acme/orders",
			Version: "1.4.0",
			Created: created("2023-11-02T09:30:00Z"),
			Tools:   []sbom.Tool{{Vendor: "OWASP Foundation", Name: "CycloneDX Maven plugin", Version: "2.7.9"}},
			Packages: []sbom.Package{
				{ID: "pkg:maven/org.junit.jupiter/junit-jupiter-api@5.10.2?type=jar", Name: "org.junit.jupiter:junit-jupiter-api", Version: "5.10.2",
					Ecosystem: "Maven", PURL: "pkg:maven/org.junit.jupiter/junit-jupiter-api@5.10.2?type=jar", Licenses: []string{"EPL-2.0"},
					Direct: true, Scope: sbom.ScopeDev},
				{ID: "pkg:maven/org.springframework.boot/spring-boot@3.2.5?type=jar", Name: "org.springframework.boot:spring-boot", Version: "3.2.5",
					Ecosystem: "Maven", PURL: "pkg:maven/org.springframework.boot/spring-boot@3.2.5?type=jar", Licenses: []string{"Apache-2.0"},
					Hashes: []sbom.Hash{{Algorithm: "SHA-256", Value: "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"}}, Direct: true},
				{ID: "pkg:maven/org.springframework/spring-core@6.1.6?type=jar", Name: "org.springframework:spring-core", Version: "6.1.6",
					Ecosystem: "Maven", PURL: "pkg:maven/org.springframework/spring-core@6.1.6?type=jar", Licenses: []string{"Apache-2.0", "BSD-3-Clause"}},
			},
			Relationships: []sbom.Relationship{{From: "pkg:maven/org.springframework.boot/spring-boot@3.2.5?type=jar", To: "pkg:maven/org.springframework/spring-core@6.1.6?type=jar"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := readFixture(t, tt.file)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(sbom.Document{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Decode(%s) diff (-want +got):\n%s", tt.file, diff)
			}
			// What hallmark read, it writes as a valid document.
			schematest.Validate(t, schematest.CycloneDX17, tt.file+" re-encoded", encode(t, got, "1.7"))
		})
	}
}
