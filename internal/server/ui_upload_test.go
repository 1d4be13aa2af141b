package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/store/storetest"
)

// The web UI's upload form: a session's CSRF token is required, a broken
// SBOM is refused with the reason on the form (400, nothing stored), a
// viewer has no form.
func TestUIUploadBadInput(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		srv := server.New(server.Config{Store: st, DBDir: t.TempDir()})
		admin, _ := srv.Bootstrap(ctx, "")
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		login := (api{t, hs.URL}).browser
		c := login(admin)
		resp, err := c.Get(hs.URL + "/upload")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
		if resp.StatusCode != 200 || m == nil {
			t.Fatalf("upload page: %d %.300s", resp.StatusCode, page)
		}
		var lastHeader http.Header
		post := func(csrf string, sbom []byte) (int, string) {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			if csrf != "" {
				mw.WriteField("csrf", csrf)
			}
			mw.WriteField("product", "app")
			mw.WriteField("version", "1.0")
			fw, _ := mw.CreateFormFile("sbom", "app.cdx.json")
			fw.Write(sbom)
			mw.Close()
			resp, err := c.Post(hs.URL+"/upload", mw.FormDataContentType(), &b)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			lastHeader = resp.Header
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}
		good := []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"left-pad","version":"1.3.0","purl":"pkg:npm/left-pad@1.3.0"}]}`)
		if code, _ := post("", good); code != 403 {
			t.Errorf("no CSRF token: %d, want 403", code)
		}
		if code, _ := post("wrong", good); code != 403 {
			t.Errorf("wrong CSRF token: %d, want 403", code)
		}
		code, body := post(string(m[1]), []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":`))
		if code != 400 || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, `value="app"`) {
			t.Errorf("broken SBOM: %d %.500s", code, body)
		}
		// The error page is a page like the others: its headers are set.
		if lastHeader.Get("Content-Type") != "text/html; charset=utf-8" || lastHeader.Get("Cache-Control") != "no-store" {
			t.Errorf("error page headers: %v", lastHeader)
		}
		// Nothing stored: the product is created only with its release.
		if _, err := st.Product(ctx, "app"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a refused upload left the product behind (%v)", err)
		}
		code, body = post(string(m[1]), good)
		if code != 200 || !strings.Contains(body, "<h1>app 1.0</h1>") {
			t.Errorf("good upload: %d %.300s", code, body)
		}
		// An uploader of another team may not add a release of app.
		c = login((api{t, hs.URL}).token(admin, "uploader", "team-b"))
		resp, err = c.Get(hs.URL + "/upload")
		if err != nil {
			t.Fatal(err)
		}
		page, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		m = regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
		if m == nil {
			t.Fatalf("team-b upload page: %.300s", page)
		}
		if code, body := post(string(m[1]), good); code != 400 || !strings.Contains(body, "Your team cannot upload releases of app.") {
			t.Errorf("team-b upload to app: %d %.300s", code, body)
		}
		prod, err := st.Product(ctx, "app")
		if err != nil {
			t.Fatal(err)
		}
		if rs, _ := st.Releases(ctx, prod.ID); len(rs) != 1 {
			t.Errorf("app has %d releases after team-b's refused upload, want 1", len(rs))
		}
		// A viewer gets no upload form.
		resp, err = login((api{t, hs.URL}).token(admin, "viewer", "")).Get(hs.URL + "/upload")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("viewer GET /upload: %d, want 403", resp.StatusCode)
		}
	})
}
