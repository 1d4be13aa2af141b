package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/store"
)

// hallmark release --server: the release's SBOM, VEX and signed manifest
// reach a real hallmark server (SQLite store), which lists the release.
func TestReleaseToServer(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hallmark.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := server.New(server.Config{Store: st, DBDir: t.TempDir()})
	admin, err := srv.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()

	dir := t.TempDir()
	at := func(p string) string { return filepath.Join(dir, p) }
	if code, _, errs := runPW(t, "keys", "generate", "--out", at("rel")); code != 0 {
		t.Fatalf("keys: %s", errs)
	}
	os.MkdirAll(at("src"), 0o755)
	os.WriteFile(at("src/go.mod"), []byte("module example.com/app\n\ngo 1.22\n\nrequire golang.org/x/text v0.3.0\n"), 0o644)
	os.WriteFile(at("app"), []byte("the app, version 1"), 0o755)
	args := []string{"release", at("app"), "--product", "app", "--version", "1.0.0", "--key", at("rel.key"), "--sbom-from", at("src"),
		"--builder-id", "https://ci.example.com/b", "--source-uri", "git+https://example.com/app", "--server", hs.URL}

	// A wrong token: the release is made, the upload refused, and it says so.
	code, _, errs := runPW(t, append(args, "--out", at("r1"), "--token", "not-a-token")...)
	if code != ExitError || !strings.Contains(errs, "released into "+at("r1")+", but the upload to") || !strings.Contains(errs, "401") {
		t.Fatalf("bad token: %d %s", code, errs)
	}
	code, out, errs := runPW(t, append(args, "--out", at("r2"), "--token", admin)...)
	if code != 0 || !strings.Contains(errs, "uploaded to "+hs.URL) {
		t.Fatalf("release --server: %d %s%s", code, out, errs)
	}
	req, _ := http.NewRequest(http.MethodGet, hs.URL+"/api/v1/products/app/releases", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var rels []struct{ Version string }
	if err := json.Unmarshal(b, &rels); err != nil {
		t.Fatalf("releases: %v %s", err, b)
	}
	if len(rels) != 1 || rels[0].Version != "1.0.0" {
		t.Fatalf("server lists %s", b)
	}
}
