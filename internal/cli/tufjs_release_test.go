package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tuf-js (the TUF client of npm and Sigstore) downloads a release that
// hallmark release published into a product's delegated role: the whole
// supplier side as a user runs it, read by a second, independent client.
func TestTufJSReadsRelease(t *testing.T) {
	script, _ := filepath.Abs("../tuf/testdata/tuf-js/fetch.js")
	if _, err := os.Stat("../tuf/testdata/tuf-js/node_modules/tuf-js"); err != nil {
		if os.Getenv("CI_ENV") != "" {
			t.Fatal("tuf-js is not installed: .ci/setup.d/tuf-js.sh should have run npm ci")
		}
		t.Skip("tuf-js not installed (cd internal/tuf/testdata/tuf-js && npm ci)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	dir := t.TempDir()
	at := func(p string) string { return filepath.Join(dir, p) }
	for _, k := range []string{"root", "online", "team"} {
		if code, _, errs := runPW(t, "keys", "generate", "--out", at(k)); code != 0 {
			t.Fatalf("keys: %s", errs)
		}
	}
	steps := [][]string{
		{"tuf", "init", at("repo"), "--key", at("root.key"), "--online-key", at("online.key")},
		{"tuf", "delegate", at("repo"), "app", "--delegate-key", at("team.pub"), "--key", at("root.key"), "--online-key", at("online.key")},
	}
	for _, s := range steps {
		if code, out, errs := runPW(t, s...); code != 0 {
			t.Fatalf("%v: %s%s", s, out, errs)
		}
	}
	os.MkdirAll(at("src"), 0o755)
	os.WriteFile(at("src/go.mod"), []byte("module example.com/app\n\ngo 1.22\n"), 0o644)
	os.WriteFile(at("app"), []byte("the app, version 2"), 0o755)
	code, out, errs := runPW(t, "release", at("app"), "--product", "app", "--version", "2.0.0", "--key", at("team.key"), "--sbom-from", at("src"),
		"--builder-id", "https://ci.example.com/b", "--source-uri", "git+https://example.com/app", "--out", at("app-2.0.0"), "--repo", at("repo"), "--online-key", at("online.key"))
	if code != 0 {
		t.Fatalf("release: %s%s", out, errs)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(at("repo"))))
	defer srv.Close()
	work := t.TempDir()
	for _, target := range []string{"app/2.0.0/app", "app/2.0.0/app.cyclonedx.sigstore.json"} {
		cmd := exec.Command("node", script, srv.URL, at("repo/metadata/1.root.json"), filepath.Join(work, "metadata"), filepath.Join(work, "targets"), target)
		b, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(b), "downloaded "+target) {
			t.Fatalf("tuf-js %s: %v\n%s", target, err, b)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(work, "targets", "app")); string(b) != "the app, version 2" {
		t.Errorf("tuf-js downloaded %q", b)
	}
}
