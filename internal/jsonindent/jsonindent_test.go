package jsonindent

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

// indentStd is what Append must equal: encoding/json's own indentation.
func indentStd(t testing.TB, src []byte, indent string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, src, "", indent); err != nil {
		t.Fatalf("json.Indent(%q): %v", src, err)
	}
	return buf.Bytes()
}

func TestAppend(t *testing.T) {
	tests := []struct{ name, src string }{
		{"empty object", `{}`},
		{"empty array", `[]`},
		{"scalar", `"a"`},
		{"number with newline", "12\n"},
		{"nested empties", `{"a":{},"b":[],"c":[{}],"d":[[]]}`},
		{"strings with punctuation", `{"k,:{}[]":"v,:{}[]","":""}`},
		{"escaped quotes", `{"a\"b":"c\\","d\\\"":"e\\\\","f":"\"\"\\"}`},
		{"unicode and html", `{"\u003c":"é✓\u2028","x":"<&>"}`},
		{"deep", `[[[[[[{"a":[1,2,{"b":null}]}]]]]]]`},
		{"literals", `[true,false,null,-1.5e+10,0]`},
		{"trailing newline", "{\"a\":[1,{\"b\":2}]}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, indent := range []string{"  ", "\t", ""} {
				want := indentStd(t, []byte(tt.src), indent)
				got := Append(nil, []byte(tt.src), indent)
				if diff := cmp.Diff(string(want), string(got)); diff != "" {
					t.Errorf("Append(%q, %q) diff (-json.Indent +Append):\n%s", tt.src, indent, diff)
				}
			}
		})
	}
}

func TestAppendKeepsDst(t *testing.T) {
	got := Append([]byte("x"), []byte(`[1]`), " ")
	if want := "x[\n 1\n]"; string(got) != want {
		t.Errorf("Append = %q, want %q", got, want)
	}
}

// TestEncodeMatchesEncoder compares Encode with json.Encoder on values of
// every JSON kind, with and without HTML escaping.
func TestEncodeMatchesEncoder(t *testing.T) {
	type inner struct {
		S []string          `json:"s,omitempty"`
		M map[string]string `json:"m"`
	}
	values := []any{
		map[string]any{"a": []any{1, "x<y>&z", nil, true, map[string]any{}}, "b": []int{}},
		[]inner{{S: []string{"\"quoted\"", `back\slash`, "tab\t"}}, {M: map[string]string{"k": "v"}}},
		"\u2028 line separator",
		42,
	}
	for _, v := range values {
		for _, escape := range []bool{true, false} {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(escape)
			enc.SetIndent("", "  ")
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := Encode(&got, v, "  ", escape); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("Encode(%#v, escapeHTML=%v) diff (-json.Encoder +Encode):\n%s", v, escape, diff)
			}
		}
	}
	if err := Encode(&bytes.Buffer{}, func() {}, "  ", false); err == nil {
		t.Error("Encode(func) succeeded, want json's unsupported type error")
	}
}

// TestAppendCorpus indents every JSON file of the shared corpus and schemas
// (real SBOMs, lockfiles, schemas: long strings, escapes, unicode), compacted
// first as encoding/json writes them.
func TestAppendCorpus(t *testing.T) {
	shared := sharedtest.Path(t, "")
	n := 0
	filepath.WalkDir(shared, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") || n >= 400 {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil || len(b) > 8<<20 || !json.Valid(b) {
			return nil
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			return nil
		}
		n++
		want := indentStd(t, compact.Bytes(), "  ")
		if got := Append(nil, compact.Bytes(), "  "); !bytes.Equal(got, want) {
			t.Errorf("%s: Append differs from json.Indent", p)
		}
		return nil
	})
	if n == 0 {
		t.Skip("no JSON files in the shared corpus")
	}
	t.Logf("%d files", n)
}

// FuzzAppend checks Append against json.Indent on every valid JSON input,
// compacted as encoding/json writes it.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,"b\"",{"c":{}}]}`, `"\\\\\""`, `[[],[{}],null]`, "1\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			t.Fatalf("json.Compact of valid JSON: %v", err)
		}
		want := indentStd(t, compact.Bytes(), "  ")
		if got := Append(nil, compact.Bytes(), "  "); !bytes.Equal(got, want) {
			t.Errorf("Append(%q)\n got %q\nwant %q", compact.Bytes(), got, want)
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	doc := map[string]any{}
	var list []any
	for i := range 2000 {
		list = append(list, map[string]any{"name": "package-" + strings.Repeat("x", i%20), "version": "1.2.3", "hashes": []string{"sha512-abc\"def"}, "n": i})
	}
	doc["components"] = list
	src, _ := json.Marshal(doc)
	b.Run("jsonindent", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		var dst []byte
		for b.Loop() {
			dst = Append(dst[:0], src, "  ")
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		var dst bytes.Buffer
		for b.Loop() {
			dst.Reset()
			json.Indent(&dst, src, "", "  ")
		}
	})
}
