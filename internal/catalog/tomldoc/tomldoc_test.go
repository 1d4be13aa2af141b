package tomldoc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

// fixtures are the TOML documents hallmark's catalogers read, written for
// their tests in the real formats.
var fixtures = []string{
	"../python/testdata/poetry-v1/poetry.lock",
	"../python/testdata/poetry-v1/pyproject.toml",
	"../python/testdata/uv-workspace/uv.lock",
	"../python/testdata/pdm/pdm.lock",
	"../python/testdata/pdm/pyproject.toml",
	"../python/testdata/pipenv/Pipfile",
	"../rust/testdata/v1/Cargo.lock",
	"../rust/testdata/v2/Cargo.lock",
	"../rust/testdata/v3git/Cargo.lock",
}

// corpus are real lockfiles of public projects (../shared/corpus).
var corpus = []string{
	"corpus/cargo/BurntSushi__ripgrep/Cargo.lock",
	"corpus/cargo/astral-sh__ruff/Cargo.lock",
	"corpus/poetry/Textualize__textual/poetry.lock",
	"corpus/poetry/python-poetry__poetry/poetry.lock",
	"corpus/uv/pallets__flask/uv.lock",
	"corpus/uv/pydantic__pydantic/uv.lock",
}

// TestDecodeRealDocuments: every real document passes the depth check and
// decodes to exactly what toml.Decode gives.
func TestDecodeRealDocuments(t *testing.T) {
	paths := append([]string(nil), fixtures...)
	for _, c := range corpus {
		paths = append(paths, sharedtest.Path(t, c))
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var got, want map[string]any
		if _, err := Decode(b, &got); err != nil {
			t.Errorf("%s: %v", filepath.Base(filepath.Dir(p)), err)
			continue
		}
		if _, err := toml.Decode(string(b), &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: Decode differs from toml.Decode (-want +got):\n%s", p, diff)
		}
	}
}

func TestCheckDepth(t *testing.T) {
	n := limits.TOMLDepth
	dotted := func(k int) string { return strings.TrimSuffix(strings.Repeat("a.", k), ".") }
	for _, tt := range []struct {
		name, doc string
		deep      bool
	}{
		{"empty", "", false},
		{"flat", "a = 1\nb = 'x'\n", false},
		{"cargo package", "version = 3\n\n[[package]]\nname = \"a\"\ndependencies = [\n \"b 1.0.0\",\n]\n", false},
		{"uv inline tables", "[[package]]\nsource = { registry = \"https://pypi.org/simple\" }\nwheels = [\n    { url = \"u\", hash = \"sha256:00\", size = 1 },\n]\n", false},
		{"dotted key at the limit", dotted(n) + " = 1\n", false},
		{"dotted key over the limit", dotted(n+1) + " = 1\n", true},
		{"header at the limit", "[" + dotted(n-1) + "]\nx = 1\n", false},
		{"header over the limit", "[" + dotted(n) + "]\nx = 1\n", true},
		{"array table header over the limit", "[[" + dotted(n) + "]]\nx = 1\n", true},
		{"header plus key", "[" + dotted(n/2) + "]\n" + dotted(n/2+1) + " = 1\n", true},
		{"a later header resets", "[" + dotted(n-1) + "]\n[b]\n" + dotted(n-1) + " = 1\n", false},
		{"nested arrays at the limit", "a = " + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + "\n", false},
		{"nested arrays over the limit", "a = " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n", true},
		{"multi-line nested arrays", "a = [\n" + strings.Repeat("[\n", n) + strings.Repeat("]\n", n) + "]\n", true},
		{"nested inline tables", "a = " + strings.Repeat("{b = ", n) + "1" + strings.Repeat("}", n) + "\n", true},
		{"dotted key in an inline table", "a = { " + dotted(n) + " = 1 }\n", true},
		{"dotted key after a comma", "a = { x = 1, " + dotted(n) + " = 1 }\n", true},
		{"siblings do not add up", "a = [" + strings.Repeat("[1], ", 2*n) + "]\n", false},
		{"brackets in strings", "a = \"" + strings.Repeat("[{", 2*n) + "\"\nb = '" + strings.Repeat("[", 2*n) + "'\n", false},
		{"dots in quoted keys", "\"" + dotted(2*n) + "\" = 1\n['" + dotted(2*n) + "']\n", false},
		{"brackets in multi-line strings", "a = \"\"\"\n" + strings.Repeat("[", 2*n) + "\n\"\"\"\nb = '''" + strings.Repeat("{", 2*n) + "'''\n", false},
		{"escaped quote", `a = "\"` + strings.Repeat("[", 2*n) + `"` + "\n", false},
		{"brackets in comments", "# " + strings.Repeat("[", 2*n) + "\na = [ # " + strings.Repeat("[", 2*n) + "\n 1 ]\n", false},
		{"structure after a multi-line string", "a = \"\"\"x\"\"\"\"\"\nb = " + strings.Repeat("[", n) + "\n", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDepth([]byte(tt.doc))
			if got := errors.Is(err, ErrTooDeep); got != tt.deep {
				t.Errorf("CheckDepth = %v, want too deep: %v", err, tt.deep)
			}
		})
	}
}

// TestDecodeRefusesSlowDocuments: documents on which BurntSushi/toml spends
// minutes (see the package comment) are refused before decoding. Without the
// check this test runs for hours; it needs no clock to fail.
func TestDecodeRefusesSlowDocuments(t *testing.T) {
	for name, doc := range map[string]string{
		"dotted key":          strings.Repeat("a.", 1<<20) + "a = 1\n",
		"nested inline table": "a = " + strings.Repeat("{b=", 1<<18) + "1" + strings.Repeat("}", 1<<18) + "\n",
		"table header":        "[" + strings.Repeat("a.", 1<<20) + "a]\n",
		"nested arrays":       "a = " + strings.Repeat("[", 1<<22) + strings.Repeat("]", 1<<22) + "\n",
	} {
		var v map[string]any
		if _, err := Decode([]byte(doc), &v); !errors.Is(err, ErrTooDeep) {
			t.Errorf("%s: err = %v, want ErrTooDeep", name, err)
		}
	}
}

// mapDepth is the number of nested tables in a decoded value.
func mapDepth(v any) int {
	d := 0
	switch v := v.(type) {
	case map[string]any:
		for _, c := range v {
			d = max(d, 1+mapDepth(c))
		}
	case []map[string]any:
		for _, c := range v {
			d = max(d, mapDepth(c))
		}
	case []any:
		for _, c := range v {
			d = max(d, mapDepth(c))
		}
	}
	return d
}

// FuzzDecode: Decode never panics, and what it accepts has no key deeper
// than limits.TOMLDepth, i.e. the scan never underestimates the nesting
// the decoder sees.
func FuzzDecode(f *testing.F) {
	for _, p := range fixtures {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("a = \"\"\"x\"\"\"\"\"\nb = { c.d = [1, {e = 'f'}] }\n['g.h'.i]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var v map[string]any
		if _, err := Decode(b, &v); err != nil {
			return
		}
		if d := mapDepth(v); d > limits.TOMLDepth {
			t.Fatalf("accepted a document %d tables deep", d)
		}
	})
}
