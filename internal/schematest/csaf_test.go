package schematest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The official CSAF VEX examples validate; a document without its
// mandatory tracking does not: the schema is the real one and strict.
func TestCSAFSchema(t *testing.T) {
	files, _ := filepath.Glob("../vex/testdata/csaf/examples/*.json")
	if len(files) == 0 {
		t.Fatal("no CSAF examples in ../vex/testdata/csaf/examples")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ValidateCSAF(t, CSAF20, f, b)
		bad := strings.Replace(string(b), `"tracking"`, `"trackingX"`, 1)
		if CheckCSAF(t, CSAF20, []byte(bad)) == nil {
			t.Errorf("%s without tracking validates", f)
		}
	}
	provider := `{"canonical_url":"https://example.com/.well-known/csaf/provider-metadata.json","last_updated":"2024-01-01T00:00:00Z",
"list_on_CSAF_aggregators":false,"metadata_version":"2.0","mirror_on_CSAF_aggregators":false,"role":"csaf_provider",
"publisher":{"category":"vendor","name":"Example","namespace":"https://example.com"},
"distributions":[{"directory_url":"https://example.com/.well-known/csaf/white/"}]}`
	ValidateCSAF(t, CSAFProvider20, "provider-metadata", []byte(provider))
	if CheckCSAF(t, CSAFProvider20, []byte(strings.Replace(provider, `"csaf_provider"`, `"csaf_nobody"`, 1))) == nil {
		t.Error("provider metadata with an unknown role validates")
	}
}
