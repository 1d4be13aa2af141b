package tuf

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A second, independent TUF client reads hallmark's repository: tuf-js,
// the client npm and Sigstore use (testdata/tuf-js, installed by
// .ci/setup.d/tuf-js.sh with npm ci from the committed lockfile).
func TestTufJSInterop(t *testing.T) {
	if _, err := os.Stat("testdata/tuf-js/node_modules/tuf-js"); err != nil {
		if os.Getenv("CI_ENV") != "" {
			t.Fatal("tuf-js is not installed: .ci/setup.d/tuf-js.sh should have run npm ci")
		}
		t.Skip("tuf-js not installed (cd internal/tuf/testdata/tuf-js && npm ci)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	dir, srv := repoWithTarget(t, newKeys(t), time.Now().UTC())
	work := t.TempDir()
	cmd := exec.Command("node", "testdata/tuf-js/fetch.js", srv.URL, filepath.Join(dir, "metadata", "1.root.json"),
		filepath.Join(work, "metadata"), filepath.Join(work, "targets"), "app/1.0.0/app.bin")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tuf-js: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "downloaded app/1.0.0/app.bin 13 bytes") {
		t.Errorf("tuf-js: %s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(work, "targets", "app.bin")); string(b) != "release 1.0.0" {
		t.Errorf("tuf-js downloaded %q", b)
	}
}
