package tuf

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The conformance protocol's three commands against a real repository on
// loopback: init trusts the root without a request, refresh keeps the
// metadata under non-versioned names, download stores targets and does not
// fetch one again that is already there with the listed hashes, and stops
// at the first failing target.
func TestConformanceCommands(t *testing.T) {
	now := time.Now().UTC()
	k := newKeys(t)
	dir, _ := repoWithTarget(t, k, now)
	var requests atomic.Int64
	var targetRequests atomic.Int64
	fsrv := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if strings.HasPrefix(r.URL.Path, "/targets/") {
			targetRequests.Add(1)
		}
		fsrv.ServeHTTP(w, r)
	}))
	defer srv.Close()
	meta := t.TempDir()
	trusted := filepath.Join(t.TempDir(), "trusted_root.json")
	os.WriteFile(trusted, root(t, dir), 0o644)
	if err := ConformanceInit(meta, trusted); err != nil {
		t.Fatal(err)
	}
	if requests.Load() != 0 {
		t.Fatal("init made a request")
	}
	opts := ClientOptions{MetadataDir: meta, MetadataURL: srv.URL + "/metadata", TargetsURL: srv.URL + "/targets"}
	if err := ConformanceRefresh(opts); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"root.json", "timestamp.json", "snapshot.json", "targets.json"} {
		if _, err := os.Stat(filepath.Join(meta, f)); err != nil {
			t.Errorf("refresh did not keep %s: %v", f, err)
		}
	}
	targets := t.TempDir()
	if err := ConformanceDownload(opts, targets, []string{"app/1.0.0/app.bin"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(targets, "app%2F1.0.0%2Fapp.bin")); string(b) != "release 1.0.0" {
		t.Fatalf("downloaded %q", b)
	}
	if err := ConformanceDownload(opts, targets, []string{"app/1.0.0/app.bin"}); err != nil {
		t.Fatal(err)
	}
	if n := targetRequests.Load(); n != 1 {
		t.Errorf("%d target requests, want 1 (the second download is served from the target directory)", n)
	}
	err := ConformanceDownload(opts, targets, []string{"app/9.9.9/missing.bin", "app/1.0.0/app.bin"})
	if err == nil || !strings.Contains(err.Error(), "missing.bin") {
		t.Errorf("a missing target: %v", err)
	}
	if err := ConformanceRefresh(ClientOptions{MetadataDir: t.TempDir(), MetadataURL: srv.URL + "/metadata"}); err == nil {
		t.Error("refresh without init succeeded")
	}
}
