package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/store/storetest"
)

// chromium finds Debian's chromium (.ci/setup.d/chromium.sh installs it).
func chromium(t *testing.T) string {
	for _, p := range []string{os.Getenv("HALLMARK_TEST_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI_ENV") != "" {
		t.Fatal("chromium is not installed: .ci/setup.d/chromium.sh should have installed it")
	}
	t.Skip("chromium not installed (apt-get install chromium)")
	return ""
}

// The web UI walked in a real browser: log in with a token, see a release's
// findings, triage one as not_affected, see it leave the open list.
// Screenshots of the pages go to $HALLMARK_TEST_ARTIFACTS (or the test's
// temporary directory).
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	sb := npmSBOM(t)
	storetest.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dbDir := t.TempDir()
		srv := server.New(server.Config{Store: st, DBDir: dbDir})
		admin, _ := srv.Bootstrap(ctx, "")
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		// An earlier release pushed with the API before any vulnerability
		// data, and a webhook receiver that is down: when the data
		// arrives, the re-match's events wait in the delivery log.
		if _, err := server.Push(ctx, http.DefaultClient, hs.URL, admin, "npm-cli", "10.8.0", sb, nil); err != nil {
			t.Fatal(err)
		}
		down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
		defer down.Close()
		wh, _ := json.Marshal(map[string]string{"product": "npm-cli", "url": down.URL, "secret": "0123456789abcdef-secret"})
		if code, b := (api{t, hs.URL}).do("POST", "/api/v1/webhooks", admin, wh, "application/json"); code != 201 {
			t.Fatalf("webhook: %d %s", code, b)
		}
		importDB(t, dbDir)
		if n, err := srv.Rematch(ctx, false); err != nil || n == 0 {
			t.Fatalf("rematch: %d %v", n, err)
		}
		srv.Deliver(ctx)
		shots := os.Getenv("HALLMARK_TEST_ARTIFACTS")
		if shots == "" {
			shots = t.TempDir()
		}
		os.MkdirAll(shots, 0o755)

		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 900))
		actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
		defer cancel()
		bctx, cancel := chromedp.NewContext(actx)
		defer cancel()

		// Start the browser on bctx itself: the first Run ties the browser's
		// life to its context, and the steps' contexts end.
		if _, err := chromedp.Run(bctx, chromedp.Navigate("about:blank")); err != nil {
			t.Fatalf("start chromium: %v", err)
		}
		// A step that never completes (a page that did not come) fails
		// the test with what the browser shows instead of hanging it.
		step := func(what string, a chromedp.Action[chromedp.Void]) {
			t.Helper()
			sctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
			defer cancel()
			if _, err := chromedp.Run(sctx, a); err != nil {
				page, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.location.href + "\n" + document.body.innerText`))
				t.Fatalf("browser: %s: %v\npage: %.2000s", what, err, page)
			}
		}
		shot := func() []byte {
			t.Helper()
			b, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			return b
		}
		text := func(sel string) string {
			t.Helper()
			s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
			if err != nil {
				t.Fatalf("text %s: %v", sel, err)
			}
			return s
		}
		form := `form[data-vuln="GHSA-3h5v-q93c-6h6q"]`
		step("open", chromedp.Navigate(hs.URL+"/"))
		step("login page", chromedp.WaitVisible(chromedp.CSS(`#token`))) // sent to the login page
		step("type token", chromedp.SendKeys(chromedp.CSS(`#token`), admin))
		step("log in", chromedp.Submit(chromedp.CSS(`#token`)))
		step("dashboard", chromedp.WaitVisible(chromedp.CSS(`svg[role="img"]`)))
		dash := shot()
		// Upload a release from the browser: the SBOM file through the
		// form, then its findings.
		sbFile := filepath.Join(t.TempDir(), "npm-cli-10.9.0.cdx.json")
		os.WriteFile(sbFile, sb, 0o644)
		step("upload page", chromedp.Click(chromedp.CSS(`a[href="/upload"]`)))
		step("upload form", chromedp.WaitVisible(chromedp.CSS(`#up-sbom`)))
		step("product name", chromedp.SendKeys(chromedp.CSS(`#up-product`), "npm-cli"))
		step("version", chromedp.SendKeys(chromedp.CSS(`#up-version`), "10.9.0"))
		step("SBOM file", chromedp.SetUploadFiles(chromedp.CSS(`#up-sbom`), []string{sbFile}))
		step("upload", chromedp.Submit(chromedp.CSS(`#up-version`)))
		step("findings", chromedp.WaitVisible(chromedp.CSS(`#open-findings`)))
		if h1 := text(`h1`); h1 != "npm-cli 10.9.0" {
			t.Fatalf("after the upload: page %q", h1)
		}
		release := shot()
		if !strings.Contains(text(`#open-findings`), "GHSA-3h5v-q93c-6h6q") {
			t.Fatal("the ws finding is not in the open list")
		}
		step("status", chromedp.SetValue(chromedp.CSS(form+` select[name="status"]`), "not_affected"))
		step("justification", chromedp.SetValue(chromedp.CSS(form+` select[name="justification"]`), "vulnerable_code_not_in_execute_path"))
		step("detail", chromedp.SendKeys(chromedp.CSS(form+` input[name="detail"]`), "ws server unused"))
		step("record", chromedp.Submit(chromedp.CSS(form+` button`)))
		// The closed table is on the page before the triage too: wait for its
		// first row, which only the reloaded page has.
		step("reloaded", chromedp.WaitVisible(chromedp.CSS(`#closed-findings tbody tr`)))
		openText, closedText := text(`#open-findings`), text(`#closed-findings`)
		after := shot()
		if strings.Contains(openText, "GHSA-3h5v-q93c-6h6q") || !strings.Contains(closedText, "GHSA-3h5v-q93c-6h6q") || !strings.Contains(closedText, "not_affected") {
			t.Errorf("after triage: open %q closed %q", openText, closedText)
		}
		if !strings.Contains(closedText, "history (1)") {
			t.Errorf("the triage history is not on the page: %q", closedText)
		}
		// The release's components, filtered.
		step("components", chromedp.Click(chromedp.CSS(`#components-link`)))
		step("component list", chromedp.WaitVisible(chromedp.CSS(`#components`)))
		step("filter", chromedp.SendKeys(chromedp.CSS(`#q`), "pkg:npm/ws@"))
		step("apply", chromedp.Submit(chromedp.CSS(`#q`)))
		step("filtered", chromedp.WaitVisible(chromedp.CSS(`#components-count[data-q="pkg:npm/ws@"]`)))
		if got, list := text(`#components-count`), text(`#components`); !strings.HasPrefix(got, "2 of 1036 components") || !strings.Contains(list, "pkg:npm/ws@7.5.9") {
			t.Errorf("components filtered by ws: %q\n%s", got, list)
		}
		step("release again", chromedp.Click(chromedp.CSS(`h1 a`)))
		step("release page", chromedp.WaitVisible(chromedp.CSS(`#dl-csaf`)))
		// The release page's CSAF download, opened with the browser's
		// session, carries the triage just recorded.
		href, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('#dl-csaf').href`))
		if err != nil {
			t.Fatalf("CSAF link: %v", err)
		}
		step("open CSAF", chromedp.Navigate(href))
		body, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
		if err != nil {
			t.Fatalf("CSAF page: %v", err)
		}
		var csaf struct {
			Document        struct{ Category string } `json:"document"`
			Vulnerabilities []struct {
				IDs []struct {
					Text string `json:"text"`
				} `json:"ids"`
				ProductStatus map[string][]string `json:"product_status"`
			} `json:"vulnerabilities"`
		}
		if err := json.Unmarshal([]byte(body), &csaf); err != nil || csaf.Document.Category != "csaf_vex" {
			t.Fatalf("CSAF download: %+v, %v: %.200q", csaf, err, body)
		}
		triaged := false
		for _, v := range csaf.Vulnerabilities {
			for _, id := range v.IDs {
				triaged = triaged || id.Text == "GHSA-3h5v-q93c-6h6q" && len(v.ProductStatus["known_not_affected"]) > 0
			}
		}
		if !triaged {
			t.Errorf("CSAF download: GHSA-3h5v-q93c-6h6q not known_not_affected: %+v", csaf.Vulnerabilities)
		}
		// The delivery log, from the header's link (admins only).
		step("back", chromedp.Navigate(hs.URL+"/"))
		step("notifications", chromedp.Click(chromedp.CSS(`a[href="/notifications"]`)))
		step("log", chromedp.WaitVisible(chromedp.CSS(`#deliveries tbody tr.delivery-pending`)))
		notif := shot()
		if logText := text(`#deliveries`); !strings.Contains(logText, down.URL) || !strings.Contains(logText, "receiver answered 503") ||
			!strings.Contains(logText, "new: GHSA-3h5v-q93c-6h6q in pkg:npm/ws@7.5.9 (npm-cli 10.8.0)") {
			t.Errorf("delivery log: %q", logText)
		}
		if rt := text(`#receivers`); !strings.Contains(rt, "product npm-cli") {
			t.Errorf("receivers: %q", rt)
		}
		name := filepath.Base(t.Name())
		for file, b := range map[string][]byte{"dashboard": dash, "release": release, "triaged": after, "notifications": notif} {
			os.WriteFile(filepath.Join(shots, "ui-"+name+"-"+file+".png"), b, 0o644)
		}
	})
}
