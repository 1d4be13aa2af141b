package schematest

import (
	"strings"
	"testing"
)

func TestSchemasCompile(t *testing.T) {
	for _, f := range []string{CycloneDX16, CycloneDX17, SPDX23, SARIF210, OpenVEX, OSV} {
		t.Run(f, func(t *testing.T) { Schema(t, f) })
	}
}

// TestCheckRejects makes sure validation can fail: each document breaks one
// rule of its schema, including rules that live in a $ref'd file
// (spdx.schema.json's license id enum) and format assertions.
func TestCheckRejects(t *testing.T) {
	tests := []struct {
		name, schema, doc, want string
	}{
		{"cdx ok", CycloneDX17, `{"bomFormat":"CycloneDX","specVersion":"1.7","version":1}`, ""},
		{"cdx missing bomFormat", CycloneDX17, `{"specVersion":"1.7","version":1}`, "bomFormat"},
		{"cdx bad license id", CycloneDX16, `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
			"components":[{"type":"library","name":"x","licenses":[{"license":{"id":"Not-A-License"}}]}]}`, "licenses"},
		{"cdx good license id", CycloneDX16, `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
			"components":[{"type":"library","name":"x","licenses":[{"license":{"id":"Apache-2.0"}}]}]}`, ""},
		{"cdx bad timestamp", CycloneDX17, `{"bomFormat":"CycloneDX","specVersion":"1.7","version":1,"metadata":{"timestamp":"yesterday"}}`, "timestamp"},
		{"spdx missing name", SPDX23, `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT",
			"documentNamespace":"https://x/y","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: x"]}}`, "name"},
		{"not json", SPDX23, `{`, "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(t, tt.schema, []byte(tt.doc))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check: %v", err)
			case tt.want != "" && err == nil:
				t.Errorf("Check accepted an invalid document")
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("Check error %q does not mention %q", err, tt.want)
			}
		})
	}
}
