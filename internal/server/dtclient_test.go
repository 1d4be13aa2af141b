package server_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/store/storetest"
)

// The real Dependency-Track client, the npm package @dependency-track/bom
// (installed by .ci/setup.d/dependency-track-client.sh), runs every command
// it has against hallmark serve: upload, findings, score, metrics, delete,
// on both backends.
func TestDependencyTrackClient(t *testing.T) {
	bin, _ := filepath.Abs("testdata/dt-client/node_modules/.bin/dependency-track")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI_ENV") != "" {
			t.Fatal("@dependency-track/bom is not installed: .ci/setup.d/dependency-track-client.sh should have run npm ci")
		}
		t.Skip("@dependency-track/bom not installed (cd internal/server/testdata/dt-client && npm ci)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	sbomFile := filepath.Join(t.TempDir(), "bom.json")
	os.WriteFile(sbomFile, npmSBOM(t), 0o644)
	storetest.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		dbDir := t.TempDir()
		importDB(t, dbDir)
		srv := server.New(server.Config{Store: st, DBDir: dbDir})
		key, err := srv.Bootstrap(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		run := func(args ...string) string {
			t.Helper()
			args = append(args, "--apiKey", key, "--dependencyTrackBaseUrl", hs.URL, "--projectName", "npm-cli", "--projectVersion", "10.9.0")
			cmd := exec.Command(bin, args...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("dependency-track %s: %v\n%s", args[0], err, out)
			}
			return string(out)
		}
		if out := run("-u", sbomFile); !strings.Contains(out, "Bom file uploaded") {
			t.Errorf("-u: %s", out)
		}
		run("-f")
		if out := run("-m"); !strings.Contains(out, `"components": 1036`) || !strings.Contains(out, `"inheritedRiskScore"`) {
			t.Errorf("-m: %s", out)
		}
		// -s (score) is broken in the client itself, whatever the server: its
		// bin/dependency-track logs an undefined variable (`console.log(resp.
		// inheritedRiskScore)` after an un-awaited call). The score it would
		// print is served: metrics above carry inheritedRiskScore.
		cmd := exec.Command(bin, "-s", "--apiKey", key, "--dependencyTrackBaseUrl", hs.URL, "--projectName", "npm-cli", "--projectVersion", "10.9.0")
		if out, _ := cmd.CombinedOutput(); !strings.Contains(string(out), "resp is not defined") {
			t.Errorf("-s: the client's known bug did not show; update this test: %s", out)
		}
		if out := run("-d"); !strings.Contains(out, "has been deleted") {
			t.Errorf("-d: %s", out)
		}
		if ps, _ := st.Products(context.Background()); len(ps) != 1 {
			t.Errorf("products after delete: %v", ps)
		}
	})
}
