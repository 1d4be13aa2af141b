package scan_test

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// An Alpine record in the shape osv.dev publishes (https://osv.dev/list?ecosystem=Alpine):
// the package is the origin (source) package, ranges are ECOSYSTEM with apk versions.
const alpineRecord = `{
  "schema_version": "1.6.0",
  "id": "ALPINE-CVE-2024-5535",
  "modified": "2024-07-01T00:00:00Z",
  "published": "2024-06-27T11:15:24Z",
  "upstream": ["CVE-2024-5535"],
  "details": "Calling the OpenSSL API function SSL_select_next_proto with an empty supported client protocols buffer may cause a crash or memory contents to be sent to the peer.",
  "affected": [{
    "package": {"ecosystem": "Alpine:v3.20", "name": "openssl", "purl": "pkg:apk/alpine/openssl?arch=source"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.3.1-r1"}]}]
  }]
}`

// Alpine packages in a root filesystem are matched by their origin package
// with apk's version ordering: libcrypto3 3.3.0-r2 (from openssl) is
// affected, 3.3.1-r1 would not be; Alpine 3.19 records do not apply to 3.20.
func TestAlpineRootFS(t *testing.T) {
	root := t.TempDir()
	for p, body := range map[string]string{
		"etc/os-release": "ID=alpine\nVERSION_ID=3.20.0\nPRETTY_NAME=\"Alpine Linux v3.20\"\n",
		"lib/apk/db/installed": "P:libcrypto3\nV:3.3.0-r2\nA:x86_64\no:openssl\nL:Apache-2.0\n\n" +
			"P:libssl3\nV:3.3.1-r1\nA:x86_64\no:openssl\n\nP:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n",
	} {
		f := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(f), 0o755)
		os.WriteFile(f, []byte(body), 0o644)
	}
	zipPath := filepath.Join(t.TempDir(), "alpine.zip")
	zf, _ := os.Create(zipPath)
	zw := zip.NewWriter(zf)
	w, _ := zw.Create("ALPINE-CVE-2024-5535.json")
	w.Write([]byte(alpineRecord))
	zw.Close()
	zf.Close()
	dbDir := t.TempDir()
	if _, err := vulndb.Update(context.Background(), vulndb.Options{Dir: dbDir, Source: zipPath}); err != nil {
		t.Fatal(err)
	}
	db, err := scan.OpenDB(dbDir)
	if err != nil || db == nil {
		t.Fatalf("open db: %v", err)
	}
	defer db.Close()
	res, err := scan.Load(context.Background(), "dir:"+root, scan.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := scan.Match(res.Document, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	var hits []string
	for _, f := range m.Findings {
		hits = append(hits, m.Document.Package(f.PackageID).Name+" "+f.ID)
	}
	if len(hits) != 1 || hits[0] != "libcrypto3 ALPINE-CVE-2024-5535" {
		t.Errorf("findings = %v, want libcrypto3 only", hits)
	}
	if m.Checked != 3 {
		t.Errorf("checked %d of 3 (unchecked %v)", m.Checked, m.Unchecked)
	}
}
