package license

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/schematest"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, want string // want "" means invalid
		single   string
		refs     []string
	}{
		{in: "MIT", want: "MIT", single: "MIT"},
		{in: "mit", want: "MIT", single: "MIT"},
		{in: "apache-2.0", want: "Apache-2.0", single: "Apache-2.0"},
		{in: "GPL-2.0+", want: "GPL-2.0+"},
		{in: "GPL-2.0-or-later WITH Classpath-exception-2.0", want: "GPL-2.0-or-later WITH Classpath-exception-2.0"},
		{in: "gpl-3.0-only with gcc-exception-3.1", want: "GPL-3.0-only WITH GCC-exception-3.1"},
		{in: "(MIT OR Apache-2.0)", want: "MIT OR Apache-2.0"},
		{in: "MIT or Apache-2.0", want: "MIT OR Apache-2.0"},
		{in: "(MIT OR Apache-2.0) AND BSD-3-Clause", want: "(MIT OR Apache-2.0) AND BSD-3-Clause"},
		{in: "MIT AND (BSD-2-Clause AND ISC)", want: "MIT AND BSD-2-Clause AND ISC"},
		{in: "MIT OR Apache-2.0 AND ISC", want: "MIT OR Apache-2.0 AND ISC"},
		{in: "((MIT))", want: "MIT", single: "MIT"},
		{in: "LicenseRef-my-license", want: "LicenseRef-my-license", refs: []string{"LicenseRef-my-license"}},
		{in: "licenseref-x.1", want: "LicenseRef-x.1", refs: []string{"LicenseRef-x.1"}},
		{in: "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", want: "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2"},
		{in: "MIT AND LicenseRef-a OR LicenseRef-b", want: "MIT AND LicenseRef-a OR LicenseRef-b", refs: []string{"LicenseRef-a", "LicenseRef-b"}},
		{in: "LicenseRef-x WITH Classpath-exception-2.0", want: "LicenseRef-x WITH Classpath-exception-2.0", refs: []string{"LicenseRef-x"}},
		{in: "MIT License"},
		{in: "Apache 2.0"},
		{in: "MIT AND"},
		{in: "AND MIT"},
		{in: "(MIT"},
		{in: "MIT)"},
		{in: "()"},
		{in: ""},
		{in: "   "},
		{in: "MIT WITH"},
		{in: "MIT WITH MIT"},
		{in: "(MIT OR ISC) WITH Classpath-exception-2.0"},
		{in: "LicenseRef-"},
		{in: "LicenseRef-a_b"},
		{in: "DocumentRef-:LicenseRef-a"},
		{in: "Classpath-exception-2.0"},
		{in: strings.Repeat("(", 40) + "MIT" + strings.Repeat(")", 40)},
		{in: strings.Repeat("MIT AND ", 600) + "MIT"},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("Parse(%q) = %q, want an error", tt.in, e)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := e.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if got, _ := e.SingleID(); got != tt.single {
			t.Errorf("Parse(%q).SingleID() = %q, want %q", tt.in, got, tt.single)
		}
		if diff := cmp.Diff(tt.refs, e.Refs()); diff != "" {
			t.Errorf("Parse(%q).Refs() diff (-want +got):\n%s", tt.in, diff)
		}
		// The canonical form parses to itself.
		if e2, err := Parse(e.String()); err != nil || e2.String() != e.String() {
			t.Errorf("canonical form %q does not re-parse to itself (%v)", e, err)
		}
	}
}

func TestConjunctsAndAnd(t *testing.T) {
	e, err := Parse("MIT AND (ISC OR 0BSD) AND LicenseRef-x")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"MIT", "ISC OR 0BSD", "LicenseRef-x"}
	if diff := cmp.Diff(want, e.Conjuncts()); diff != "" {
		t.Errorf("Conjuncts diff (-want +got):\n%s", diff)
	}
	var parts []*Expression
	for _, s := range []string{"MIT OR ISC", "Apache-2.0", "BSD-2-Clause AND Zlib"} {
		p, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	if got, want := And(parts...).String(), "(MIT OR ISC) AND Apache-2.0 AND BSD-2-Clause AND Zlib"; got != want {
		t.Errorf("And = %q, want %q", got, want)
	}
}

func TestRef(t *testing.T) {
	tests := []struct{ in, want string }{
		{"MIT License", "LicenseRef-MIT-License"},
		{"  Custom / Proprietary (c) ACME  ", "LicenseRef-Custom-Proprietary-c-ACME"},
	}
	for _, tt := range tests {
		if got := Ref(tt.in); got != tt.want {
			t.Errorf("Ref(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, in := range []string{"©©©", strings.Repeat("x", 100), "a b", "GPL v2 or later"} {
		for _, r := range []string{Ref(in), HashedRef(in)} {
			if !Valid(r) {
				t.Errorf("Ref(%q) = %q is not a valid expression", in, r)
			}
		}
	}
	if got := Ref(strings.Repeat("x", 100)); len(got) != len("LicenseRef-")+64 {
		t.Errorf("Ref of long text = %q, want 64 characters after the prefix", got)
	}
}

// TestIDsInCycloneDXSchema checks that every license id this package accepts
// is in the license enum of the CycloneDX schemas, so that writing one as a
// CycloneDX license "id" validates.
func TestIDsInCycloneDXSchema(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(schematest.Dir(t), "spdx.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Enum []string }
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	enum := map[string]bool{}
	for _, id := range s.Enum {
		enum[id] = true
	}
	for _, id := range licenseIDs {
		if !enum[id] {
			t.Errorf("license id %q is not in the CycloneDX schema's spdx.schema.json enum", id)
		}
	}
	if len(licenseIDs) < 600 || len(exceptionIDs) < 40 {
		t.Errorf("license list too short: %d ids, %d exceptions", len(licenseIDs), len(exceptionIDs))
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"MIT", "(MIT OR Apache-2.0) AND ISC", "GPL-2.0+ WITH Classpath-exception-2.0",
		"LicenseRef-x", "DocumentRef-a:LicenseRef-b", "((", "MIT AND", "MIT License"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		c := e.String()
		e2, err := Parse(c)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", c, s, err)
		}
		if e2.String() != c {
			t.Fatalf("canonical form not stable: %q -> %q", c, e2.String())
		}
		_ = e.Conjuncts()
		_ = e.Refs()
	})
}
