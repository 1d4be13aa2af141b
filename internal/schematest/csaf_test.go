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
	// The TC's examples are another project's files, read from a checkout
	// of github.com/oasis-tcs/csaf named by HALLMARK_CSAF_TC.
	var files []string
	if root := os.Getenv("HALLMARK_CSAF_TC"); root != "" {
		files, _ = filepath.Glob(filepath.Join(root, "csaf_2.0", "examples", "csaf", "csaf_vex", "*.json"))
		if len(files) == 0 {
			t.Fatalf("no CSAF VEX examples under HALLMARK_CSAF_TC=%s", root)
		}
	} else {
		t.Log("HALLMARK_CSAF_TC not set: the schema is checked on the provider metadata below only; the documents hallmark writes are validated in internal/vex")
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
