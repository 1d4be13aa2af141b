package vex

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/match"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Statement
		err  bool
	}{
		{"openvex 0.2.0 with subcomponents", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1","aliases":["GHSA-x"]},
"products":[{"@id":"pkg:oci/app","subcomponents":[{"@id":"pkg:npm/ws@7.5.9"}]}],"status":"not_affected","justification":"component_not_present"}]}`,
			[]Statement{{Vulnerability: "CVE-1", Aliases: []string{"GHSA-x"}, Products: []string{"pkg:npm/ws@7.5.9"}, Status: match.StatusNotAffected, Justification: "component_not_present", Source: "t"}}, false},
		{"openvex 0.0.1 strings", `{"@context":"https://openvex.dev/ns","statements":[{"vulnerability":"CVE-2","products":["pkg:npm/a@1.0.0"],"status":"fixed"}]}`,
			[]Statement{{Vulnerability: "CVE-2", Products: []string{"pkg:npm/a@1.0.0"}, Status: match.StatusFixed, Source: "t"}}, false},
		{"cyclonedx bom-ref and bom-link", `{"bomFormat":"CycloneDX","components":[{"bom-ref":"c1","purl":"pkg:npm/a@1.0.0"}],
"vulnerabilities":[{"id":"CVE-3","analysis":{"state":"false_positive","justification":"code_not_reachable"},"affects":[{"ref":"c1"},{"ref":"urn:cdx:3e671687/1#pkg:npm/b@2.0.0"}]},{"id":"CVE-4"}]}`,
			[]Statement{{Vulnerability: "CVE-3", Products: []string{"pkg:npm/a@1.0.0", "pkg:npm/b@2.0.0"}, Status: match.StatusNotAffected, Justification: "code_not_reachable", Source: "t"}}, false},
		{"unknown status", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"maybe"}]}`, nil, true},
		{"not_affected without justification", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"not_affected"}]}`, nil, true},
		{"unknown cdx state", `{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"ignored"}}]}`, nil, true},
		{"neither", `{"hello":1}`, nil, true},
		{"truncated", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[`, nil, true},
		{"wrong types", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":{"a":1}}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in), "t")
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNamesProduct(t *testing.T) {
	for _, tt := range []struct {
		prod, purl string
		want       bool
	}{
		{"pkg:npm/ws@7.5.9", "pkg:npm/ws@7.5.9", true},
		{"pkg:npm/ws", "pkg:npm/ws@7.5.9", true},
		{"pkg:npm/ws@7.5.8", "pkg:npm/ws@7.5.9", false},
		{"pkg:npm/ws", "pkg:npm/wss@1.0.0", false},
		{"pkg:npm/%40scope/x", "pkg:npm/%40scope/x@1.0.0?foo=bar", true},
	} {
		if got := namesProduct(Statement{Products: []string{tt.prod}}, "id", tt.purl); got != tt.want {
			t.Errorf("namesProduct(%q, %q) = %v, want %v", tt.prod, tt.purl, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"fixed"}]}`))
	f.Add([]byte(`{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"resolved"},"affects":[{"ref":"x"}]}]}`))
	f.Add([]byte(`{"document":{"csaf_version":"2.0","category":"csaf_vex"},"product_tree":{"full_product_names":[{"name":"a","product_id":"A","product_identification_helper":{"purl":"pkg:npm/a@1"}}]},
"vulnerabilities":[{"cve":"CVE-2024-0001","product_status":{"known_not_affected":["A"]},"flags":[{"label":"component_not_present","product_ids":["A"]}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		stmts, err := Parse(b, "fuzz")
		if err != nil {
			return
		}
		for _, s := range stmts {
			if s.Vulnerability == "" || s.Status == "" {
				t.Fatalf("statement without vulnerability or status: %+v", s)
			}
		}
	})
}
