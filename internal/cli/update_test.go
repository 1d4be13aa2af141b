package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runPW(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string {
		switch k {
		case "HALLMARK_PASSWORD":
			return "test-password"
		case "HALLMARK_DB":
			return filepath.Join(t.TempDir(), "nodb")
		}
		return ""
	}}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	code := ExitOK
	if err := root.Execute(); err != nil {
		code = ExitError
		if ee, ok := err.(*exitError); ok {
			code = ee.code
		}
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

// Supplier: keys, a TUF repository, a release published into it. Customer:
// hallmark update over a static web server on loopback, verifying the
// target's signature and provenance before installing; a wrong key refuses.
func TestReleaseRepoUpdate(t *testing.T) {
	dir := t.TempDir()
	at := func(p string) string { return filepath.Join(dir, p) }
	for _, k := range []string{"rel", "online"} {
		if code, _, errs := runPW(t, "keys", "generate", "--out", at(k)); code != 0 {
			t.Fatalf("keys: %s", errs)
		}
	}
	if code, _, errs := runPW(t, "tuf", "init", at("repo"), "--key", at("rel.key"), "--online-key", at("online.key")); code != 0 {
		t.Fatalf("tuf init: %s", errs)
	}
	os.MkdirAll(at("src"), 0o755)
	os.WriteFile(at("src/go.mod"), []byte("module example.com/app\n\ngo 1.22\n"), 0o644)
	os.WriteFile(at("app"), []byte("the app, version 1"), 0o755)
	code, out, errs := runPW(t, "release", at("app"), "--product", "app", "--version", "1.0.0", "--key", at("rel.key"), "--sbom-from", at("src"),
		"--builder-id", "https://ci.example.com/b", "--source-uri", "git+https://example.com/app", "--out", at("app-1.0.0"), "--repo", at("repo"), "--online-key", at("online.key"))
	if code != 0 {
		t.Fatalf("release: %s%s", out, errs)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(at("repo"))))
	defer srv.Close()
	root := at("repo/metadata/1.root.json")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	code, _, errs = runPW(t, "update", "--repo", srv.URL, "--root", root, "app/1.0.0/app", "--to", at("installed"), "--key", at("rel.pub"), "--builder-id", "https://ci.example.com/b")
	if code != 0 || !strings.Contains(errs, "verified against the repository's signed metadata, its signature and provenance") {
		t.Fatalf("update: %d %s", code, errs)
	}
	if b, _ := os.ReadFile(at("installed/app")); string(b) != "the app, version 1" {
		t.Errorf("installed %q", b)
	}
	// An offline site: the same update from a local copy of the repository.
	code, _, errs = runPW(t, "update", "--repo", at("repo"), "--root", root, "app/1.0.0/app", "--to", at("offline"), "--key", at("rel.pub"), "--builder-id", "https://ci.example.com/b")
	if b, _ := os.ReadFile(at("offline/app")); code != 0 || string(b) != "the app, version 1" {
		t.Fatalf("update from a directory: %d %s", code, errs)
	}
	// The online key's public half is not the supplier's signing key.
	os.Remove(at("installed/app"))
	code, _, errs = runPW(t, "update", "--repo", srv.URL, "--root", root, "app/1.0.0/app", "--to", at("installed"), "--key", at("online.pub"))
	if code != ExitFindings || !strings.Contains(errs, "update refused: signature") {
		t.Errorf("wrong key: %d %s", code, errs)
	}
	if _, err := os.Stat(at("installed/app")); err == nil {
		t.Error("a refused update was installed")
	}
	// The signature verifies, the provenance names another builder: the
	// checks read the file together, each must still decide on its own.
	code, _, errs = runPW(t, "update", "--repo", srv.URL, "--root", root, "app/1.0.0/app", "--to", at("installed"), "--key", at("rel.pub"), "--builder-id", "https://ci.example.com/other")
	if code != ExitFindings || !strings.Contains(errs, "update refused: slsa-provenance") {
		t.Errorf("provenance from another builder: %d %s", code, errs)
	}
	if _, err := os.Stat(at("installed/app")); err == nil {
		t.Error("an update with the wrong provenance was installed")
	}
}
