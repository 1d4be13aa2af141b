package server_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallmark-dev/hallmark/internal/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/schematest"
	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/store/storetest"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// npmSBOM is the CycloneDX SBOM of npm/cli's real package-lock (1,036
// packages; ws 7.5.9 is affected by GHSA-3h5v-q93c-6h6q / CVE-2024-37890).
func npmSBOM(t testing.TB) []byte {
	t.Helper()
	res, err := scan.Load(context.Background(), sharedtest.Path(t, "corpus/npm/npm__cli/package-lock.json"), scan.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := cyclonedx.Encode(&b, res.Document, cyclonedx.Options{Version: "1.6"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func importDB(t testing.TB, dir string) {
	t.Helper()
	if _, err := vulndb.Update(context.Background(), vulndb.Options{Dir: dir, Source: sharedtest.Path(t, "osv"), Ecosystems: []string{"npm"}}); err != nil {
		t.Fatal(err)
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type api struct {
	t    *testing.T
	base string
}

func (a api) do(method, path, token string, body []byte, ctype string) (int, []byte) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.base+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// browser logs in with token and returns a client that keeps the session
// cookie (for every port of the host, as browsers do).
func (a api) browser(token string) *http.Client {
	a.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(a.base+"/login", url.Values{"token": {token}})
	if err != nil {
		a.t.Fatal(err)
	}
	resp.Body.Close()
	return c
}

// token makes an API token of role for team with the admin token.
func (a api) token(admin, role, team string) string {
	a.t.Helper()
	body, _ := json.Marshal(map[string]string{"name": role + team, "role": role, "team": team})
	code, b := a.do("POST", "/api/v1/tokens", admin, body, "application/json")
	var tok struct{ Token string }
	json.Unmarshal(b, &tok)
	if code != 201 || tok.Token == "" {
		a.t.Fatalf("token: %d %s", code, b)
	}
	return tok.Token
}

func TestServer(t *testing.T) {
	sb := npmSBOM(t)
	storetest.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dbDir := t.TempDir()
		clk := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
		srv := server.New(server.Config{Store: st, DBDir: dbDir, Now: clk.now})
		admin, err := srv.Bootstrap(ctx, "")
		if err != nil || admin == "" {
			t.Fatalf("bootstrap: %q %v", admin, err)
		}
		if again, _ := srv.Bootstrap(ctx, ""); again != "" {
			t.Error("a second start made another admin token")
		}
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		c := api{t, hs.URL}

		// No credentials, no access.
		if code, _ := c.do("GET", "/api/v1/products", "", nil, ""); code != 401 {
			t.Errorf("anonymous: %d", code)
		}

		// A webhook receiver that is down for its first two deliveries and
		// de-duplicates by event id.
		var mu sync.Mutex
		fails, seen, dup := 2, map[string]bool{}, 0
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mac := hmac.New(sha256.New, []byte("0123456789abcdef-secret"))
			mac.Write(b)
			if r.Header.Get("X-Hallmark-Signature-256") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
				t.Errorf("bad signature")
			}
			mu.Lock()
			defer mu.Unlock()
			if fails > 0 {
				fails--
				w.WriteHeader(503)
				return
			}
			id := r.Header.Get("X-Hallmark-Event-Id")
			if seen[id] {
				dup++
			}
			seen[id] = true
		}))
		defer recv.Close()

		// The release arrives before any vulnerability data: no findings.
		out, err := server.Push(ctx, http.DefaultClient, hs.URL, admin, "npm-cli", "10.9.0", sb, nil)
		if err != nil {
			t.Fatal(err)
		}
		var up struct {
			Release      store.Release
			OpenFindings int
		}
		json.Unmarshal(out, &up)
		if up.Release.Components != 1036 || up.OpenFindings != 0 {
			t.Fatalf("upload: %s", out)
		}
		wh, _ := json.Marshal(map[string]string{"product": "npm-cli", "url": recv.URL, "secret": "0123456789abcdef-secret"})
		if code, b := c.do("POST", "/api/v1/webhooks", admin, wh, "application/json"); code != 201 {
			t.Fatalf("webhook: %d %s", code, b)
		}

		// Data arrives: only the names it changes are re-matched, findings
		// appear, webhook events are queued.
		importDB(t, dbDir)
		n, err := srv.Rematch(ctx, false)
		if err != nil || n == 0 {
			t.Fatalf("rematch: %d %v", n, err)
		}
		if again, _ := srv.Rematch(ctx, false); again != 0 {
			t.Errorf("second delta re-match changed %d findings", again)
		}
		for range 6 {
			srv.Deliver(ctx)
			clk.add(10 * time.Minute)
		}
		mu.Lock()
		if len(seen) != n || dup != 0 {
			t.Errorf("webhooks: %d events received, %d changes, %d duplicates", len(seen), n, dup)
		}
		mu.Unlock()

		// Which releases are affected by CVE-2024-37890 (ws)? Which contain ws?
		code, b := c.do("GET", "/api/v1/affected?id=CVE-2024-37890", admin, nil, "")
		var aff server.AffectedAnswer
		json.Unmarshal(b, &aff)
		if code != 200 || len(aff.Releases) != 1 || aff.Releases[0].Findings[0].VEX != "affected" {
			t.Fatalf("affected: %d %s", code, b)
		}
		relID := aff.Releases[0].Release
		wsPURL := aff.Releases[0].Findings[0].Package
		code, b = c.do("GET", "/api/v1/components?purl=pkg:npm/ws", admin, nil, "")
		if code != 200 || !strings.Contains(string(b), `"version": "10.9.0"`) {
			t.Errorf("components: %d %s", code, b)
		}
		// A version range (purl-spec vers, npm's ordering): ws 7.5.9 is in
		// the advisory's affected range, not in the fixed line.
		for rng, want := range map[string]string{"vers:npm/>=7.0.0|<7.5.10": "7.5.9", "vers:npm/>=7.5.10|<8.0.0": "", "vers:npm/!=7.5.9|>=7.0.0": "8.18.0",
			"vers:npm/*": "7.5.9 8.18.0", "vers:npm/8.18.0": "8.18.0"} {
			code, b = c.do("GET", "/api/v1/components?purl=pkg:npm/ws&range="+url.QueryEscape(rng), admin, nil, "")
			var ans struct{ Releases []struct{ PURL string } }
			json.Unmarshal(b, &ans)
			var got []string
			for _, r := range ans.Releases {
				got = append(got, strings.TrimPrefix(r.PURL, "pkg:npm/ws@"))
			}
			slices.Sort(got)
			if code != 200 || strings.Join(got, " ") != want {
				t.Errorf("components in %s: %d %q, want %q", rng, code, got, want)
			}
		}
		for _, q := range []string{"purl=pkg:npm/ws&range=>=7.0.0", "purl=pkg:npm/ws&range=vers:pypi/>=1.0", "purl=pkg:npm/ws@7.5.9&range=vers:npm/*",
			"purl=pkg:npm/ws&range=vers:npm/>=x.y", "purl=pkg:cocoapods/ws&range=vers:cocoapods/>=1.0"} {
			if code, b := c.do("GET", "/api/v1/components?"+strings.ReplaceAll(strings.ReplaceAll(q, ">", "%3E"), "|", "%7C"), admin, nil, ""); code != 400 {
				t.Errorf("components?%s: %d %s, want 400", q, code, b)
			}
		}

		// Roles and teams: a viewer may not triage; team B's uploader may not
		// touch team A's product.
		viewer, otherTeam := c.token(admin, "viewer", ""), c.token(admin, "uploader", "team-b")
		tri, _ := json.Marshal(server.Triage{Vulnerability: aff.Releases[0].Findings[0].ID, Package: wsPURL, Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path"})
		if code, _ := c.do("POST", "/api/v1/releases/"+relID+"/vex", viewer, tri, "application/json"); code != 403 {
			t.Errorf("viewer triage: %d", code)
		}
		if _, err := server.Push(ctx, http.DefaultClient, hs.URL, otherTeam, "npm-cli", "10.9.1", sb, nil); err == nil || !strings.Contains(err.Error(), "403") {
			t.Errorf("other team's upload: %v", err)
		}
		if code, _ := c.do("GET", "/api/v1/products/npm-cli/releases", otherTeam, nil, ""); code != 403 {
			t.Errorf("other team reads: %d", code)
		}
		// The SBOM as pushed, to a viewer; not to another team.
		if code, b := c.do("GET", "/api/v1/releases/"+relID+"/sbom", viewer, nil, ""); code != 200 || !bytes.Equal(b, sb) {
			t.Errorf("sbom download: %d, %d bytes (pushed %d)", code, len(b), len(sb))
		}
		if code, _ := c.do("GET", "/api/v1/releases/"+relID+"/sbom", otherTeam, nil, ""); code != 403 && code != 404 {
			t.Errorf("other team's sbom download: %d", code)
		}
		// An admin triages: it leaves the open list.
		if code, b := c.do("POST", "/api/v1/releases/"+relID+"/vex", admin, tri, "application/json"); code != 201 {
			t.Fatalf("triage: %d %s", code, b)
		}
		code, b = c.do("GET", "/api/v1/affected?id=CVE-2024-37890", viewer, nil, "")
		if !strings.Contains(string(b), `"vexStatus": "not_affected"`) {
			t.Errorf("after triage: %d %s", code, b)
		}

		// Bad input: 400 with a reason, nothing stored.
		if code, b := c.do("POST", "/api/v1/products/x/releases/1", admin, []byte(`{"bomFormat": "CycloneDX", "components": [`), "application/json"); code != 400 || !strings.Contains(string(b), "bad_input") {
			t.Errorf("malformed: %d %s", code, b)
		}
		if _, err := st.Product(ctx, "x"); err == nil {
			t.Error("a refused upload created its product")
		}

		// Dependency-Track's API: upload with X-Api-Key, token, project, findings, metrics, delete.
		dt := func(method, path string, body []byte) (int, []byte) {
			req, _ := http.NewRequest(method, hs.URL+path, bytes.NewReader(body))
			req.Header.Set("X-Api-Key", admin)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, b
		}
		body, _ := json.Marshal(map[string]any{"projectName": "dt-app", "projectVersion": "2.0", "autoCreate": true, "bom": base64.StdEncoding.EncodeToString(sb)})
		code, b = dt("PUT", "/api/v1/bom", body)
		var tok struct{ Token string }
		json.Unmarshal(b, &tok)
		if code != 200 || tok.Token == "" {
			t.Fatalf("dt upload: %d %s", code, b)
		}
		if code, b := dt("GET", "/api/v1/bom/token/"+tok.Token, nil); code != 200 || !strings.Contains(string(b), `"processing": false`) {
			t.Errorf("dt token: %d %s", code, b)
		}
		code, b = dt("GET", "/api/v1/project?name=dt-app", nil)
		var projects []struct{ UUID, Name, Version string }
		json.Unmarshal(b, &projects)
		if code != 200 || len(projects) != 1 || projects[0].Version != "2.0" {
			t.Fatalf("dt project: %d %s", code, b)
		}
		code, b = dt("GET", "/api/v1/finding/project/"+projects[0].UUID, nil)
		if code != 200 || !strings.Contains(string(b), `"vulnId": "GHSA-3h5v-q93c-6h6q"`) {
			t.Errorf("dt findings: %d %.300s", code, b)
		}
		code, b = dt("GET", "/api/v1/metrics/project/"+projects[0].UUID+"/current", nil)
		if code != 200 || !strings.Contains(string(b), `"components": 1036`) {
			t.Errorf("dt metrics: %d %s", code, b)
		}
		if code, _ := dt("DELETE", "/api/v1/project/"+projects[0].UUID, nil); code != 204 {
			t.Errorf("dt delete: %d", code)
		}
		if code, _ := dt("GET", "/api/v1/project/"+projects[0].UUID, nil); code != 404 {
			t.Errorf("after delete: %d", code)
		}
	})
}

// The release's VEX today: OpenVEX with the triage recorded, valid against
// the OpenVEX schema; the diff between two releases.
func TestExportAndDiff(t *testing.T) {
	sb := npmSBOM(t)
	storetest.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dbDir := t.TempDir()
		importDB(t, dbDir)
		srv := server.New(server.Config{Store: st, DBDir: dbDir})
		admin, _ := srv.Bootstrap(ctx, "")
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		c := api{t, hs.URL}
		pushTwoReleases(t, hs.URL, admin, sb, func() {})
		code, b := c.do("GET", "/api/v1/affected?id=GHSA-3h5v-q93c-6h6q", admin, nil, "")
		var aff server.AffectedAnswer
		json.Unmarshal(b, &aff)
		if code != 200 || len(aff.Releases) != 1 || aff.Releases[0].Version != "1" {
			t.Fatalf("affected: %s", b)
		}
		tri, _ := json.Marshal(server.Triage{Vulnerability: "GHSA-3h5v-q93c-6h6q", Package: aff.Releases[0].Findings[0].Package, Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path"})
		c.do("POST", "/api/v1/releases/"+aff.Releases[0].Release+"/vex", admin, tri, "application/json")
		code, b = c.do("GET", "/api/v1/releases/"+aff.Releases[0].Release+"/vex?format=openvex", admin, nil, "")
		if code != 200 || !strings.Contains(string(b), `"not_affected"`) || !strings.Contains(string(b), "vulnerable_code_not_in_execute_path") {
			t.Errorf("openvex: %d %.400s", code, b)
		}
		schematest.Validate(t, "openvex.schema.json", "exported OpenVEX", b)
		code, b = c.do("GET", "/api/v1/products/npm-cli/diff?from=1&to=2", admin, nil, "")
		if code != 200 || !strings.Contains(string(b), `"from": "7.5.9, 8.18.0"`) || !strings.Contains(string(b), `"fixedVulnerabilities": [`) {
			t.Errorf("diff: %d %.600s", code, b)
		}
	})
}
