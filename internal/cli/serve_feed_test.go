package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/keys"
	"github.com/hallmark-dev/hallmark/internal/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/schematest"
	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/vex"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// hallmark serve export-feed writes the CSAF provider tree of a store
// holding one release of npm/cli (ws 7.5.9 triaged not_affected by a VEX
// upload); the documents validate, their bundles verify with hallmark
// verify, and a second export replaces the tree with the same documents.
// npmCLIStore makes a server store under dir/data holding npm/cli's real
// lockfile as release npm-cli 10.9.0, matched against the shared OSV
// snapshot, with vexDoc (may be nil) uploaded beside it; it returns the
// data directory.
func npmCLIStore(t *testing.T, dir string, vexDoc []byte) string {
	t.Helper()
	ctx := context.Background()
	res, err := scan.Load(ctx, sharedtest.Path(t, "corpus/npm/npm__cli/package-lock.json"), scan.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var sb bytes.Buffer
	if err := cyclonedx.Encode(&sb, res.Document, cyclonedx.Options{Version: "1.6"}); err != nil {
		t.Fatal(err)
	}
	data, dbDir := filepath.Join(dir, "data"), filepath.Join(dir, "db")
	if _, err := vulndb.Update(ctx, vulndb.Options{Dir: dbDir, Source: sharedtest.Path(t, "osv"), Ecosystems: []string{"npm"}}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(data, 0o700)
	st, err := store.Open(ctx, filepath.Join(data, "hallmark.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := server.New(server.Config{Store: st, DBDir: dbDir})
	if _, err := srv.Ingest(ctx, server.Upload{Product: "npm-cli", Version: "10.9.0", AutoCreate: true, SBOM: sb.Bytes(), VEX: vexDoc}); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestServeExportFeed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	openvex := `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2026-01-01T00:00:00Z","version":1,
"statements":[{"vulnerability":{"name":"GHSA-3h5v-q93c-6h6q"},"products":[{"@id":"pkg:npm/ws@7.5.9"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}`
	data := npmCLIStore(t, dir, []byte(openvex))

	k, err := keys.Generate(keys.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	keyPath, pubPath, err := keys.WritePair(filepath.Join(dir, "release"), k, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "site", ".well-known", "csaf") // its parents are made
	export := func() {
		t.Helper()
		var o, errb bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &o, stderr: &errb, getenv: func(k string) string {
			if k == keys.PasswordEnv {
				return "correct horse"
			}
			return ""
		}}
		root := newRoot(e)
		root.SetArgs([]string{"serve", "export-feed", "--data", data, "--out", out, "--csaf-base-url", "https://npm.example/.well-known/csaf",
			"--csaf-publisher", "npm Example", "--csaf-namespace", "https://npm.example", "--signing-key", keyPath})
		if err := root.ExecuteContext(ctx); err != nil {
			t.Fatalf("export-feed: %v\n%s", err, errb.String())
		}
		if !strings.Contains(errb.String(), "wrote 1 CSAF documents of 1 products") {
			t.Errorf("stderr: %s", errb.String())
		}
	}
	export()
	pm, err := os.ReadFile(filepath.Join(out, "provider-metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	schematest.ValidateCSAF(t, schematest.CSAFProvider20, "provider-metadata.json", pm)
	txt, _ := os.ReadFile(filepath.Join(out, "white", "index.txt"))
	paths := strings.Fields(string(txt))
	if len(paths) != 1 {
		t.Fatalf("index.txt: %q", txt)
	}
	docPath := filepath.Join(out, "white", filepath.FromSlash(paths[0]))
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	schematest.ValidateCSAF(t, schematest.CSAF20, paths[0], doc)
	if probs, err := vex.CheckCSAF(doc); err != nil || len(probs) > 0 {
		t.Errorf("mandatory tests: %v %v", err, probs)
	}
	schematest.BSIValidateCSAF(t, map[string][]byte{paths[0]: doc})
	if !strings.Contains(string(doc), `"label": "vulnerable_code_not_in_execute_path"`) {
		t.Error("the uploaded VEX's triage is not in the document")
	}
	if code, _, errs := run(t, "verify", docPath, "--bundle", docPath+".sigstore.json", "--key", pubPath); code != ExitOK {
		t.Errorf("hallmark verify: %d %s", code, errs)
	}
	var idx server.FeedIndex
	ib, _ := os.ReadFile(filepath.Join(out, "white", "index.json"))
	if err := json.Unmarshal(ib, &idx); err != nil || len(idx.Documents) != 1 || idx.Documents[0].Path != paths[0] {
		t.Errorf("index.json: %v %s", err, ib)
	}
	// A stale file disappears; the document stays the same bytes.
	os.WriteFile(filepath.Join(out, "stale.json"), []byte("{}"), 0o644)
	export()
	if _, err := os.Stat(filepath.Join(out, "stale.json")); !os.IsNotExist(err) {
		t.Error("the tree was not replaced")
	}
	if again, _ := os.ReadFile(docPath); !bytes.Equal(doc, again) {
		t.Error("a second export changed the document")
	}
	if code, _, errs := run(t, "serve", "export-feed", "--data", data, "--out", out, "--csaf-base-url", "https://x.example/csaf",
		"--csaf-namespace", "https://x.example", "--product", "nope"); code != ExitError || !strings.Contains(errs, `no product "nope"`) {
		t.Errorf("unknown product: %d %s", code, errs)
	}
	if code, _, errs := run(t, "serve", "export-feed", "--data", data, "--out", out, "--csaf-base-url", "http://x.example/csaf",
		"--csaf-namespace", "https://x.example"); code != ExitError || !strings.Contains(errs, "https") {
		t.Errorf("http base URL: %d %s", code, errs)
	}
}
