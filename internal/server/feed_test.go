package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-dev/hallmark/internal/keys"
	"github.com/hallmark-dev/hallmark/internal/schematest"
	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/sign"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/store/storetest"
	"github.com/hallmark-dev/hallmark/internal/verify"
	"github.com/hallmark-dev/hallmark/internal/vex"
)

// checkCSAF validates a document against the official CSAF 2.0 schema and
// runs the mandatory tests hallmark implements.
func checkCSAF(t *testing.T, what string, doc []byte) {
	t.Helper()
	schematest.ValidateCSAF(t, schematest.CSAF20, what, doc)
	probs, err := vex.CheckCSAF(doc)
	if err != nil || len(probs) > 0 {
		t.Errorf("%s: mandatory tests: %v %v", what, err, probs)
	}
}

// TestCSAFExportAndFeed: two releases of npm/cli, one with ws 7.5.9
// (GHSA-3h5v-q93c-6h6q) triaged not_affected. The CSAF export is schema
// valid, passes the mandatory tests, carries the triage as a flag and its
// history as revisions, and its Sigstore bundle verifies with the
// server's public key (and not for a changed document). The feed serves
// the same document with index.json, index.txt, changes.csv and hashes.
func TestCSAFExportAndFeed(t *testing.T) {
	sb := npmSBOM(t)
	k, err := keys.Generate(keys.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := sign.NewKeypair(k)
	if err != nil {
		t.Fatal(err)
	}
	storetest.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clk := &clock{t: mustTime("2026-11-02T08:00:00Z")}
		cfg := server.Config{Store: st, Now: clk.now, Advisories: server.AdvisoryConfig{
			Publisher: vex.CSAFPublisher{Name: "npm Example", Namespace: "https://npm.example"}, Signer: kp, EngineVersion: "test"}}
		admin, c := csafServer(t, &cfg)
		dbDir := cfg.DBDir
		pushTwoReleases(t, c.base, admin, sb, func() { clk.add(3600e9) })
		code, b := c.do("GET", "/api/v1/affected?id=CVE-2024-37890", admin, nil, "")
		var aff server.AffectedAnswer
		json.Unmarshal(b, &aff)
		if code != 200 || len(aff.Releases) != 1 {
			t.Fatalf("affected: %d %s", code, b)
		}
		relID, pkg := aff.Releases[0].Release, aff.Releases[0].Findings[0].Package
		clk.add(3600e9)
		tri, _ := json.Marshal(server.Triage{Vulnerability: "GHSA-3h5v-q93c-6h6q", Package: pkg, Status: "not_affected",
			Justification: "vulnerable_code_not_in_execute_path", Detail: "npm never starts a WebSocket server."})
		if code, b := c.do("POST", "/api/v1/releases/"+relID+"/vex", admin, tri, "application/json"); code != 201 {
			t.Fatalf("triage: %d %s", code, b)
		}

		code, doc := c.do("GET", "/api/v1/releases/"+relID+"/vex?format=csaf", admin, nil, "")
		if code != 200 {
			t.Fatalf("csaf: %d %s", code, doc)
		}
		checkCSAF(t, "CSAF export", doc)
		var d struct {
			Document struct {
				Tracking struct {
					Version         string `json:"version"`
					RevisionHistory []struct {
						Date, Summary string
					} `json:"revision_history"`
				} `json:"tracking"`
			} `json:"document"`
			Vulnerabilities []struct {
				CVE           string              `json:"cve"`
				ProductStatus map[string][]string `json:"product_status"`
				Flags         []struct {
					Label      string   `json:"label"`
					ProductIDs []string `json:"product_ids"`
				} `json:"flags"`
			} `json:"vulnerabilities"`
		}
		if err := json.Unmarshal(doc, &d); err != nil {
			t.Fatal(err)
		}
		wsID := vex.CSAFProductID("npm-cli", "1", pkg)
		found := false
		for _, v := range d.Vulnerabilities {
			if v.CVE != "CVE-2024-37890" {
				continue
			}
			found = true
			if len(v.ProductStatus["known_not_affected"]) != 1 || v.ProductStatus["known_not_affected"][0] != wsID ||
				len(v.Flags) != 1 || v.Flags[0].Label != "vulnerable_code_not_in_execute_path" {
				t.Errorf("CVE-2024-37890: %+v", v)
			}
		}
		if !found {
			t.Error("CVE-2024-37890 missing from the CSAF export")
		}
		rh := d.Document.Tracking.RevisionHistory
		if len(rh) != 2 || rh[0].Date != "2026-11-02T08:00:00.000Z" || rh[1].Date != "2026-11-02T10:00:00.000Z" ||
			!strings.Contains(rh[1].Summary, "not_affected") || d.Document.Tracking.Version != "2" {
			t.Errorf("revision history %+v", rh)
		}

		// Stable: the same store state, the same bytes, whatever the clock.
		clk.add(24 * 3600e9)
		if _, again := c.do("GET", "/api/v1/releases/"+relID+"/vex?format=csaf", admin, nil, ""); !bytes.Equal(doc, again) {
			t.Error("a second export differs")
		}
		code, bundle := c.do("GET", "/api/v1/releases/"+relID+"/vex?format=csaf&bundle=true", admin, nil, "")
		if code != 200 {
			t.Fatalf("bundle: %d %s", code, bundle)
		}
		verifyDoc(t, bundle, doc, kp, true)
		verifyDoc(t, bundle, bytes.Replace(doc, []byte("known_not_affected"), []byte("known_affected"), 1), kp, false)

		// The feed: the same document, listed and hashed.
		code, ib := c.do("GET", "/api/v1/products/npm-cli/advisories/index.json", admin, nil, "")
		var idx server.FeedIndex
		if err := json.Unmarshal(ib, &idx); code != 200 || err != nil {
			t.Fatalf("index.json: %d %v %s", code, err, ib)
		}
		var entry *server.FeedEntry
		for i := range idx.Documents {
			if idx.Documents[i].Version == "1" {
				entry = &idx.Documents[i]
			}
		}
		if entry == nil || entry.Path != "2026/hallmark-vex-npm-cli-1.json" || entry.Signature != entry.Path+".sigstore.json" {
			t.Fatalf("index.json: %s", ib)
		}
		_, fdoc := c.do("GET", "/api/v1/products/npm-cli/advisories/"+entry.Path, admin, nil, "")
		if !bytes.Equal(fdoc, doc) {
			t.Error("the feed's document differs from the export")
		}
		sum := sha256.Sum256(fdoc)
		_, s256 := c.do("GET", "/api/v1/products/npm-cli/advisories/"+entry.Path+".sha256", admin, nil, "")
		if string(s256) != hex.EncodeToString(sum[:])+"  hallmark-vex-npm-cli-1.json\n" || entry.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("sha256 file %q, index %s", s256, entry.SHA256)
		}
		_, fb := c.do("GET", "/api/v1/products/npm-cli/advisories/"+entry.Signature, admin, nil, "")
		verifyDoc(t, fb, fdoc, kp, true)
		_, txt := c.do("GET", "/api/v1/products/npm-cli/advisories/index.txt", admin, nil, "")
		if !strings.Contains(string(txt), entry.Path+"\n") {
			t.Errorf("index.txt %q", txt)
		}
		_, csv := c.do("GET", "/api/v1/products/npm-cli/advisories/changes.csv", admin, nil, "")
		if !strings.Contains(string(csv), `"`+entry.Path+`","2026-11-02T10:00:00.000Z"`) {
			t.Errorf("changes.csv %q", csv)
		}
		for _, bad := range []string{"../../../etc/passwd", "2026/nope.json", "provider-metadata.json"} {
			if code, _ := c.do("GET", "/api/v1/products/npm-cli/advisories/"+bad, admin, nil, ""); code != 404 {
				t.Errorf("%s: %d, want 404", bad, code)
			}
		}
		if code, _ := c.do("GET", "/api/v1/products/npm-cli/advisories/index.json", "", nil, ""); code != 401 {
			t.Errorf("anonymous feed: %d", code)
		}
		// A viewer of the product's team (no team: admin-made) reads it; a
		// viewer of another team does not.
		body, _ := json.Marshal(map[string]string{"name": "b", "role": "viewer", "team": "team-b"})
		_, tb := c.do("POST", "/api/v1/tokens", admin, body, "application/json")
		var tok struct{ Token string }
		json.Unmarshal(tb, &tok)
		for _, p := range []string{"/api/v1/products/npm-cli/advisories/index.json", "/api/v1/products/npm-cli/advisories/" + entry.Path,
			"/api/v1/releases/" + relID + "/vex?format=csaf"} {
			if code, _ := c.do("GET", p, tok.Token, nil, ""); code != 403 {
				t.Errorf("team-b viewer: %s: %d, want 403", p, code)
			}
		}

		// The export for a static host: provider-metadata.json too.
		p, _ := st.Product(ctx, "npm-cli")
		static := server.New(server.Config{Store: st, DBDir: dbDir, Advisories: server.AdvisoryConfig{
			Publisher: vex.CSAFPublisher{Name: "npm Example", Namespace: "https://npm.example"}, Signer: kp, EngineVersion: "test",
			BaseURL: "https://npm.example/.well-known/csaf"}})
		files, err := static.Feed(ctx, nil, []store.Product{*p})
		if err != nil {
			t.Fatal(err)
		}
		schematest.ValidateCSAF(t, schematest.CSAFProvider20, "provider-metadata.json", files[server.FeedProviderMetadata])
		// The same document but for its canonical URL.
		self := `"references": [
      {
        "category": "self",
        "summary": "Canonical URL",
        "url": "https://npm.example/.well-known/csaf/white/` + entry.Path + `"
      }
    ],
    `
		if got := bytes.Replace(files["white/"+entry.Path], []byte(self), nil, 1); !bytes.Equal(got, doc) {
			t.Errorf("Feed's document is not the API's with a canonical URL:\n%s", files["white/"+entry.Path])
		}
		for name, b := range files {
			if strings.HasSuffix(name, ".json") && strings.HasPrefix(name, "white/20") && !strings.HasSuffix(name, ".sigstore.json") {
				checkCSAF(t, name, b)
			}
		}
		plain := server.New(server.Config{Store: st, DBDir: dbDir, Advisories: server.AdvisoryConfig{BaseURL: "http://npm.example/csaf"}})
		if _, err := plain.Feed(ctx, nil, []store.Product{*p}); err == nil {
			t.Error("a plain-http base URL was accepted")
		}
	})
}

// csafServer starts a server of cfg (its DBDir set to fresh npm
// vulnerability data) on loopback for the test and returns it, its first
// admin token and a client.
func csafServer(t *testing.T, cfg *server.Config) (string, api) {
	t.Helper()
	cfg.DBDir = t.TempDir()
	importDB(t, cfg.DBDir)
	srv := server.New(*cfg)
	admin, err := srv.Bootstrap(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return admin, api{t, hs.URL}
}

// pushTwoReleases pushes npm/cli's SBOM as npm-cli 1 and, after between,
// as npm-cli 2 with ws 7.5.9 upgraded past GHSA-3h5v-q93c-6h6q's fix
// (8.18.0 is installed too).
func pushTwoReleases(t *testing.T, base, admin string, sb []byte, between func()) {
	t.Helper()
	ctx := context.Background()
	if _, err := server.Push(ctx, http.DefaultClient, base, admin, "npm-cli", "1", sb, nil); err != nil {
		t.Fatal(err)
	}
	between()
	sb2 := bytes.ReplaceAll(sb, []byte("ws@7.5.9"), []byte("ws@7.5.10"))
	sb2 = bytes.ReplaceAll(sb2, []byte(`"version": "7.5.9"`), []byte(`"version": "7.5.10"`))
	if _, err := server.Push(ctx, http.DefaultClient, base, admin, "npm-cli", "2", sb2, nil); err != nil {
		t.Fatal(err)
	}
}

func verifyDoc(t *testing.T, bundle, doc []byte, kp *sign.Keypair, want bool) {
	t.Helper()
	b, err := verify.ParseBundle(bundle)
	if err != nil {
		t.Fatalf("bundle: %v", err)
	}
	_, err = verify.Artifact(context.Background(), b, bytes.NewReader(doc), verify.Options{PublicKey: kp.GetPublicKey()})
	if (err == nil) != want {
		t.Errorf("verify: %v, want ok=%v", err, want)
	}
	if err != nil && !verify.IsVerification(err) {
		t.Errorf("verify failed to run rather than failing: %v", err)
	}
}

// A release without findings has no CSAF VEX document; a server without
// a key has no bundle.
func TestCSAFNoFindingsNoKey(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		srv := server.New(server.Config{Store: st, DBDir: t.TempDir()})
		admin, _ := srv.Bootstrap(ctx, "")
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		c := api{t, hs.URL}
		out, err := server.Push(ctx, http.DefaultClient, hs.URL, admin, "npm-cli", "1", npmSBOM(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		var up struct {
			Release struct{ ID string } `json:"release"`
		}
		json.Unmarshal(out, &up)
		code, b := c.do("GET", "/api/v1/releases/"+up.Release.ID+"/vex?format=csaf", admin, nil, "")
		if code != 404 || !strings.Contains(string(b), "no_vulnerabilities") {
			t.Errorf("no findings: %d %s", code, b)
		}
		code, b = c.do("GET", "/api/v1/products/npm-cli/advisories/index.json", admin, nil, "")
		if code != 200 || !strings.Contains(string(b), `"documents": []`) {
			t.Errorf("empty feed: %d %s", code, b)
		}
		// With vulnerability data the release has findings, still no bundle.
		dbDir := t.TempDir()
		importDB(t, dbDir)
		srv = server.New(server.Config{Store: st, DBDir: dbDir})
		hs2 := httptest.NewServer(srv.Handler())
		defer hs2.Close()
		c = api{t, hs2.URL}
		if _, err := server.Push(ctx, http.DefaultClient, hs2.URL, admin, "npm-cli", "2", npmSBOM(t), nil); err != nil {
			t.Fatal(err)
		}
		code, b = c.do("GET", "/api/v1/products/npm-cli/releases", admin, nil, "")
		var rels []struct{ ID, Version string }
		json.Unmarshal(b, &rels)
		for _, r := range rels {
			if r.Version != "2" {
				continue
			}
			code, doc := c.do("GET", "/api/v1/releases/"+r.ID+"/vex?format=csaf", admin, nil, "")
			if code != 200 {
				t.Fatalf("csaf: %d %s", code, doc)
			}
			checkCSAF(t, "unsigned export", doc)
			if code, b := c.do("GET", "/api/v1/releases/"+r.ID+"/vex?format=csaf&bundle=true", admin, nil, ""); code != 404 || !strings.Contains(string(b), "unsigned") {
				t.Errorf("bundle without a key: %d %s", code, b)
			}
			// The publisher defaults to the host the request came to.
			if !strings.Contains(string(doc), `"namespace": "https://127.0.0.1:`) {
				t.Errorf("default publisher: %.800s", doc)
			}
		}
		if code != 200 || len(rels) != 2 {
			t.Errorf("releases: %d %s", code, b)
		}
	})
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// A CSAF VEX document uploaded with a release (push --vex) is recorded as
// its triage, and the release's own CSAF export says the same.
func TestCSAFImport(t *testing.T) {
	sb := npmSBOM(t)
	storetest.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		admin, c := csafServer(t, &server.Config{Store: st})
		var supplier bytes.Buffer
		err := vex.WriteCSAF(&supplier, vex.CSAFInput{Publisher: vex.CSAFPublisher{Name: "Upstream", Namespace: "https://upstream.example"}, Product: "npm-cli",
			Releases: []vex.CSAFRelease{{Version: "10.9.0", Findings: []vex.CSAFFinding{{
				Vulnerability: "CVE-2024-37890", Component: vex.CSAFComponent{Ref: "pkg:npm/ws@7.5.9", Name: "ws", Version: "7.5.9", PURL: "pkg:npm/ws@7.5.9"},
				Triage: []vex.Triage{{Status: "not_affected", Justification: "vulnerable_code_cannot_be_controlled_by_adversary", Detail: "no untrusted peers"}}}}}}})
		if err != nil {
			t.Fatal(err)
		}
		out, err := server.Push(ctx, http.DefaultClient, c.base, admin, "npm-cli", "10.9.0", sb, supplier.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		var up struct {
			Release struct{ ID string } `json:"release"`
		}
		json.Unmarshal(out, &up)
		_, b := c.do("GET", "/api/v1/releases/"+up.Release.ID+"/findings", admin, nil, "")
		var fs []struct {
			VulnID, Package string
			VEX             struct{ Status, Justification string }
		}
		json.Unmarshal(b, &fs)
		triaged := 0
		for _, f := range fs {
			if f.Package == "pkg:npm/ws@7.5.9" && f.VulnID == "GHSA-3h5v-q93c-6h6q" {
				if f.VEX.Status != "not_affected" || f.VEX.Justification != "vulnerable_code_cannot_be_controlled_by_adversary" {
					t.Errorf("ws finding after a CSAF upload: %+v", f)
				}
				triaged++
			}
		}
		if triaged != 1 {
			t.Fatalf("ws finding not found: %.2000s", b)
		}
		code, doc := c.do("GET", "/api/v1/releases/"+up.Release.ID+"/vex?format=csaf", admin, nil, "")
		if code != 200 || !strings.Contains(string(doc), `"label": "vulnerable_code_cannot_be_controlled_by_adversary"`) {
			t.Errorf("export after import: %d %.600s", code, doc)
		}
		checkCSAF(t, "export after a CSAF import", doc)
	})
}

// Versions that CSAF's file name rule folds together (2.0 and 2_0): the
// first published keeps the name, the other is listed as skipped.
func TestCSAFSameName(t *testing.T) {
	sb := npmSBOM(t)
	storetest.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clk := &clock{t: mustTime("2026-11-02T08:00:00Z")}
		admin, c := csafServer(t, &server.Config{Store: st, Now: clk.now})
		for _, v := range []string{"2.0", "2_0"} {
			if _, err := server.Push(ctx, http.DefaultClient, c.base, admin, "npm-cli", v, sb, nil); err != nil {
				t.Fatal(err)
			}
			clk.add(3600e9)
		}
		code, b := c.do("GET", "/api/v1/products/npm-cli/advisories/index.json", admin, nil, "")
		var idx server.FeedIndex
		json.Unmarshal(b, &idx)
		if code != 200 || len(idx.Documents) != 1 || idx.Documents[0].Version != "2.0" || len(idx.Skipped) != 1 || !strings.Contains(idx.Skipped[0], "npm-cli 2_0") {
			t.Fatalf("index: %d %s", code, b)
		}
		code, doc := c.do("GET", "/api/v1/products/npm-cli/advisories/"+idx.Documents[0].Path, admin, nil, "")
		if code != 200 || !strings.Contains(string(doc), `"name": "2.0"`) {
			t.Errorf("document: %d %.300s", code, doc)
		}
	})
}
