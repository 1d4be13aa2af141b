package schematest

import (
	"bytes"
	"embed"
	"fmt"
	"net/url"
	"path"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The CSAF 2.0 schemas are not in ../shared/schemas: they are committed
// under testdata/csaf (OASIS CSAF TC, with FIRST's CVSS schemas they
// reference; testdata/csaf/SOURCES.md names the commit and licences) and
// embedded, so every test binary validates CSAF offline.
const (
	// CSAF20 is the CSAF 2.0 document schema
	// (https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json).
	CSAF20 = "csaf_json_schema.json"
	// CSAFProvider20 is the CSAF 2.0 provider-metadata.json schema.
	CSAFProvider20 = "provider_json_schema.json"
)

//go:embed testdata/csaf/*.json
var csafSchemas embed.FS

var (
	csafMu       sync.Mutex
	csafCompiled = map[string]*jsonschema.Schema{}
)

// csafLoader resolves the CSAF and CVSS schema URLs to the embedded files
// of the same base name (cvss-v3.1.json?20211103 -> cvss-v3.1.json).
type csafLoader struct{}

func (csafLoader) Load(u string) (any, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return nil, err
	}
	b, err := csafSchemas.ReadFile("testdata/csaf/" + path.Base(pu.Path))
	if err != nil {
		return nil, fmt.Errorf("schema %s: not embedded: %w", u, err)
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// CSAFSchema returns the compiled embedded CSAF schema file (CSAF20 or
// CSAFProvider20), with format assertions on. It never skips.
func CSAFSchema(t testing.TB, file string) *jsonschema.Schema {
	t.Helper()
	csafMu.Lock()
	defer csafMu.Unlock()
	if s, ok := csafCompiled[file]; ok {
		return s
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseLoader(jsonschema.SchemeURLLoader{"http": csafLoader{}, "https": csafLoader{}})
	s, err := c.Compile("https://docs.oasis-open.org/csaf/csaf/v2.0/" + file)
	if err != nil {
		t.Fatalf("compile CSAF schema %s: %v", file, err)
	}
	csafCompiled[file] = s
	return s
}

// CheckCSAF validates doc against the named embedded CSAF schema and
// returns the validation error, or nil.
func CheckCSAF(t testing.TB, file string, doc []byte) error {
	t.Helper()
	s := CSAFSchema(t, file)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.Validate(v)
}

// ValidateCSAF fails the test when doc does not validate against the named
// embedded CSAF schema.
func ValidateCSAF(t testing.TB, file, what string, doc []byte) {
	t.Helper()
	if err := CheckCSAF(t, file, doc); err != nil {
		t.Errorf("%s does not validate against %s:\n%v", what, file, err)
	}
}
