package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/keys"
	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/sign"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/vex"
)

// BenchmarkCSAF measures the advisory exports over one product with R
// releases of npm/cli's real lockfile (1,036 components; R =
// $HALLMARK_BENCH_CSAF_RELEASES, default 20), each with its findings from
// the shared OSV snapshot, signed with a P-256 key, on SQLite, through the
// HTTP API: one release's CSAF document, one feed file (a document of the
// feed), and the product's index.json (every release's document built,
// hashed and signed).
func BenchmarkCSAF(b *testing.B) {
	n := 20
	if v, err := strconv.Atoi(os.Getenv("HALLMARK_BENCH_CSAF_RELEASES")); err == nil && v > 0 {
		n = v
	}
	sb := npmSBOM(b)
	ctx := context.Background()
	st, err := store.Open(ctx, b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	dbDir := b.TempDir()
	importDB(b, dbDir)
	k, _ := keys.Generate(keys.ECDSAP256)
	kp, _ := sign.NewKeypair(k)
	srv := server.New(server.Config{Store: st, DBDir: dbDir, Advisories: server.AdvisoryConfig{
		Publisher: vex.CSAFPublisher{Name: "npm Example", Namespace: "https://npm.example"}, Signer: kp}})
	admin, _ := srv.Bootstrap(ctx, "")
	var last *store.Release
	for i := range n {
		if last, err = srv.Ingest(ctx, server.Upload{Product: "npm-cli", Version: fmt.Sprintf("10.%d.0", i), AutoCreate: true, SBOM: sb}); err != nil {
			b.Fatal(err)
		}
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	get := func(b *testing.B, path string) {
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	b.Run("release-document", func(b *testing.B) {
		for b.Loop() {
			get(b, "/api/v1/releases/"+last.ID+"/vex?format=csaf")
		}
	})
	b.Run("feed-document", func(b *testing.B) {
		for b.Loop() {
			get(b, "/api/v1/products/npm-cli/advisories/"+fmt.Sprint(last.Created.Year())+"/"+vex.CSAFFilename(vex.CSAFTrackingID("npm-cli", last.Version)))
		}
	})
	b.Run(fmt.Sprintf("index-%d-releases", n), func(b *testing.B) {
		for b.Loop() {
			get(b, "/api/v1/products/npm-cli/advisories/index.json")
		}
	})
}
