// Package schematest validates documents hallmark writes against the
// official JSON schemas of their standards (CycloneDX 1.6/1.7, SPDX 2.3,
// SARIF 2.1.0, OpenVEX, OSV), read at test time from ../shared/schemas with
// github.com/santhosh-tekuri/jsonschema/v6. The schemas are never copied into
// the repository; a test that needs them skips, saying why, when the shared
// directory is absent (CI always has it).
//
// Schemas reference each other by relative name (bom-1.7.schema.json refers
// to spdx.schema.json and jsf-0.82.schema.json next to its $id
// http://cyclonedx.org/schema/); every http(s) reference is resolved to the
// file of the same base name in the schemas directory, so validation never
// touches the network. Format assertions (date-time, iri-reference, ...) are
// on.
package schematest

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

// Schema files in ../shared/schemas.
const (
	CycloneDX16 = "bom-1.6.schema.json"
	CycloneDX17 = "bom-1.7.schema.json"
	SPDX23      = "spdx-2.3.schema.json"
	SARIF210    = "sarif-2.1.0.schema.json"
	OpenVEX     = "openvex.schema.json"
	OSV         = "osv.schema.json"
)

var (
	mu       sync.Mutex
	compiled = map[string]*jsonschema.Schema{}
)

// Dir returns the shared schemas directory, or skips the test.
func Dir(t testing.TB) string {
	t.Helper()
	return sharedtest.Path(t, "schemas")
}

// Schema returns the compiled schema of the named file in the shared schemas
// directory (one of the constants above), compiling it once per test binary.
// It skips the test when the shared directory is absent and fails it when the
// schema does not compile.
func Schema(t testing.TB, file string) *jsonschema.Schema {
	t.Helper()
	dir := Dir(t)
	mu.Lock()
	defer mu.Unlock()
	if s, ok := compiled[file]; ok {
		return s
	}
	s, err := compile(dir, file)
	if err != nil {
		t.Fatalf("compile schema %s: %v", file, err)
	}
	compiled[file] = s
	return s
}

func compile(dir, file string) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	local := dirLoader(dir)
	c.UseLoader(jsonschema.SchemeURLLoader{
		"file":  jsonschema.FileLoader{},
		"http":  local,
		"https": local,
	})
	return c.Compile(filepath.Join(dir, file))
}

// dirLoader resolves http(s) schema URLs to the file of the same base name in
// a directory.
type dirLoader string

func (d dirLoader) Load(u string) (any, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return nil, err
	}
	name := path.Base(pu.Path)
	if name == "" || name == "." || name == "/" || strings.Contains(name, "..") {
		return nil, fmt.Errorf("schema %s: no local file for it", u)
	}
	b, err := os.ReadFile(filepath.Join(string(d), name))
	if err != nil {
		return nil, fmt.Errorf("schema %s: not in %s: %w", u, d, err)
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// Check validates doc (JSON bytes) against the named schema file and returns
// the validation error, with every failing location, or nil.
func Check(t testing.TB, file string, doc []byte) error {
	t.Helper()
	s := Schema(t, file)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.Validate(v)
}

// Validate fails the test when doc does not validate against the named
// schema file. what names the document in the failure message.
func Validate(t testing.TB, file, what string, doc []byte) {
	t.Helper()
	if err := Check(t, file, doc); err != nil {
		t.Errorf("%s does not validate against %s:\n%v", what, file, err)
	}
}
