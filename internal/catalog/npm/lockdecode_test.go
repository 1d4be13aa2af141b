package npm

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

// TestEntryFieldsComplete keeps decodeEntry's member names in step with
// lockEntry's JSON tags: a field added to the struct but not to the direct
// reader would otherwise be silently dropped.
func TestEntryFieldsComplete(t *testing.T) {
	var tags []string
	typ := reflect.TypeFor[lockEntry]()
	for i := range typ.NumField() {
		tags = append(tags, strings.Split(typ.Field(i).Tag.Get("json"), ",")[0])
	}
	if diff := cmp.Diff(tags, entryFields); diff != "" {
		t.Errorf("entryFields differ from lockEntry's tags (-tags +entryFields):\n%s", diff)
	}
}

// unmarshalEntry is the reference decodeEntry must equal.
func unmarshalEntry(v []byte) (lockEntry, error) {
	var e lockEntry
	err := json.Unmarshal(v, &e)
	return e, err
}

var entryCmp = cmp.AllowUnexported(lockEntry{}, license{})

func checkEntry(t *testing.T, v []byte) {
	t.Helper()
	want, wantErr := unmarshalEntry(v)
	var got lockEntry
	gotErr := decodeEntry(v, &got)
	if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
		t.Fatalf("decodeEntry(%s) error %v, json.Unmarshal %v", v, gotErr, wantErr)
	}
	if diff := cmp.Diff(want, got, entryCmp); diff != "" {
		t.Errorf("decodeEntry(%s) differs from json.Unmarshal (-want +got):\n%s", v, diff)
	}
}

func TestDecodeEntry(t *testing.T) {
	for _, v := range []string{
		`{}`,
		`null`,
		`{"version":"1.0.0","resolved":"https://registry.npmjs.org/a/-/a-1.0.0.tgz","integrity":"sha512-AAAA","dev":true,"optional":false,"license":"MIT","dependencies":{"b":"^1","c":"2"}}`,
		`{"name":"bar","version":"1.0.0","link":true,"peer":true,"inBundle":true,"devOptional":true}`,
		`{"license":{"type":"ISC"},"peerDependencies":{"x":null},"optionalDependencies":null}`,
		`{"license":["MIT",{"type":"BSD"}],"devDependencies":{}}`,
		`{"license":null,"version":null,"dev":null}`,
		`{ "version" : "1" , "dependencies" : { "a" : "1" } , "engines": {"node": ">=18"}, "bin": {"x": "y"}, "funding": [{"url":"u"}], "cpu": ["x64"] }`,
		`{"version":"caf\u00e9","name":"\"q\""}`,
		`{"Version":"1.0.0"}`,
		`{"VERSION":"1.0.0","version":"2"}`,
		`{"versıon":"1"}`,
		`{"\u0076ersion":"1"}`,
		`{"version":"1","version":"2"}`,
		`{"dependencies":{"a":"1"},"dependencies":{"b":"2"}}`,
		`{"version":1}`,
		`{"dev":"yes"}`,
		`{"dependencies":{"a":1}}`,
		`{"dependencies":["a"]}`,
		`[1]`,
		`"x"`,
		`{"version":"bad utf8 ` + "\xff" + `"}`,
		`{"dependencies":{"k\"":"v"}}`,
		`{"license":"  MIT  ","license2":"x"}`,
		`{"license":"MIT","license":"ISC"}`,
	} {
		checkEntry(t, []byte(v))
	}
}

// TestDecodePackagesCorpus decodes every entry of the corpus package locks
// both ways.
func TestDecodePackagesCorpus(t *testing.T) {
	for _, rel := range []string{"corpus/npm/npm__cli/package-lock.json", "corpus/npm/BookStackApp__BookStack/package-lock.json", "corpus/npm/phoenixframework__phoenix/package-lock.json"} {
		b, err := os.ReadFile(sharedtest.Path(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		var top struct {
			Packages map[string]json.RawMessage `json:"packages"`
		}
		if err := json.Unmarshal(b, &top); err != nil {
			t.Fatal(err)
		}
		for k, v := range top.Packages {
			t.Run(rel+"/"+k, func(t *testing.T) { checkEntry(t, v) })
		}
	}
}

// TestDecodeLockLines checks decodePackages's keys and line numbers against
// a token-by-token reading with encoding/json's Decoder.
func TestDecodeLockLines(t *testing.T) {
	b, err := os.ReadFile(sharedtest.Path(t, "corpus/npm/npm__cli/package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	entries, _, err := decodeLock(b)
	if err != nil {
		t.Fatal(err)
	}
	type kl struct {
		Key  string
		Line int
	}
	var got []kl
	for _, e := range entries {
		got = append(got, kl{e.key, e.line})
	}
	// Reference: the key of each entry sits on the line where its "key": is.
	var want []kl
	for i, line := range bytes.Split(b, []byte("\n")) {
		l := string(line)
		if strings.HasPrefix(l, `    "`) && strings.HasSuffix(l, `": {`) && !strings.HasPrefix(l, `      `) {
			want = append(want, kl{strings.TrimSuffix(strings.TrimPrefix(l, `    "`), `": {`), i + 1})
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys and lines (-want +got):\n%s", diff)
	}
}

// FuzzDecodeEntry checks decodeEntry against json.Unmarshal on every valid
// JSON value.
func FuzzDecodeEntry(f *testing.F) {
	for _, s := range []string{`{"version":"1","dependencies":{"a":"1"},"dev":true,"license":"MIT"}`, `{"Version":"1"}`, `{"license":[{"type":"MIT"}]}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		var compact bytes.Buffer
		json.Compact(&compact, bytes.TrimSpace(b))
		for _, v := range [][]byte{bytes.TrimSpace(b), compact.Bytes()} {
			checkEntry(t, v)
		}
	})
}

// TestDecodeLockValidMatchesStream compares the direct walk with the
// Decoder-based reference on every package lock fixture and corpus file.
func TestDecodeLockValidMatchesStream(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*/package-lock.json")
	more, _ := filepath.Glob("testdata/*/npm-shrinkwrap.json")
	paths = append(paths, more...)
	if corpus, err := filepath.Glob(filepath.Join(sharedtest.Path(t, "corpus"), "*", "*", "package-lock.json")); err == nil {
		paths = append(paths, corpus...)
	}
	docs := map[string][]byte{
		"empty packages":   []byte(`{"packages":{}}`),
		"two packages":     []byte(`{"packages":{"node_modules/a":{"version":"1"}},"packages":{"node_modules/b":{"version":"2"}}}`),
		"v1":               []byte(`{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","requires":{"b":"1"}},"b":{"version":"1.0.0"}}}`),
		"v1 null":          []byte(`{"dependencies":null}`),
		"neither":          []byte(`{"name":"x"}`),
		"escaped keys":     []byte("{\"pack\\u0061ges\":{\"node_modules/\\u0061\":{\"version\":\"1\"}},\n\"x\":[1,{\"y\":\"}\"}]}"),
		"fallback entries": []byte(`{"packages":{"":{"Version":"1"},"node_modules/a":{"version":1}}}`),
		"packages null":    []byte(`{"packages":null}`),
		"not an object":    []byte(`[1]`),
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs[p] = b
	}
	for name, b := range docs {
		if !json.Valid(b) {
			t.Errorf("%s: not valid JSON", name)
			continue
		}
		wantE, wantV1, wantErr := decodeLockStream(b)
		gotE, gotV1, gotErr := decodeLockValid(b)
		if (wantErr == nil) != (gotErr == nil) {
			t.Errorf("%s: error %v, stream reference %v", name, gotErr, wantErr)
			continue
		}
		if wantErr != nil {
			continue
		}
		if diff := cmp.Diff(wantE, gotE, entryCmp, cmp.AllowUnexported(located{})); diff != "" {
			t.Errorf("%s: entries (-stream +valid):\n%s", name, diff)
		}
		if diff := cmp.Diff(wantV1, gotV1); diff != "" {
			t.Errorf("%s: v1 tree (-stream +valid):\n%s", name, diff)
		}
	}
}

// FuzzDecodeLock checks the direct walk against the Decoder-based reference
// on every valid JSON document.
func FuzzDecodeLock(f *testing.F) {
	f.Add([]byte(`{"lockfileVersion":3,"packages":{"":{"dependencies":{"a":"1"}},"node_modules/a":{"version":"1.0.0","license":"MIT"}}}`))
	f.Add([]byte(`{"dependencies":{"a":{"version":"1","dependencies":{"b":{"version":"2"}}}}}`))
	f.Add([]byte(`{"packages":{"node_modules/a":{"Version":"1","version":"2"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		wantE, wantV1, wantErr := decodeLockStream(b)
		gotE, gotV1, gotErr := decodeLockValid(b)
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("error %v, stream reference %v", gotErr, wantErr)
		}
		if wantErr != nil {
			return
		}
		if diff := cmp.Diff(wantE, gotE, entryCmp, cmp.AllowUnexported(located{})); diff != "" {
			t.Errorf("entries (-stream +valid):\n%s", diff)
		}
		if diff := cmp.Diff(wantV1, gotV1); diff != "" {
			t.Errorf("v1 tree (-stream +valid):\n%s", diff)
		}
	})
}
