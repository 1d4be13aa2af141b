package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// record returns a small valid OSV record.
func record(id, eco, name, fixed string) string {
	return fmt.Sprintf(`{"schema_version":"1.6.0","id":%q,"modified":"2024-05-01T00:00:00Z","aliases":["CVE-2024-%s"],
"summary":"test advisory","affected":[{"package":{"ecosystem":%q,"name":%q},
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":%q}]}]}]}`, id, id[len(id)-4:], eco, name, fixed)
}

func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// exportDir writes an export layout: eco -> files.
func exportDir(t *testing.T, ecos map[string]map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for eco, files := range ecos {
		os.MkdirAll(filepath.Join(dir, eco), 0o755)
		if err := os.WriteFile(filepath.Join(dir, eco, "all.zip"), zipOf(t, files), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func lookupIDs(t *testing.T, db *DB, eco, name string) []string {
	t.Helper()
	recs, ok, err := db.Lookup(eco, name)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return nil
	}
	ids := []string{}
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestImportDirectoryAndLookup(t *testing.T) {
	src := exportDir(t, map[string]map[string]string{
		"npm": {
			"GHSA-0001-0001-0001.json": record("GHSA-0001-0001-0001", "npm", "left-pad", "1.3.0"),
			"GHSA-0002-0002-0002.json": record("GHSA-0002-0002-0002", "npm", "@scope/pkg", "2.0.0"),
			"bad.json":                 `{"id": "GHSA-x", "affected": [`,
			"noid.json":                `{"modified":"2024-01-01T00:00:00Z"}`,
			"README.txt":               "not a record",
		},
		"PyPI": {
			"PYSEC-2024-0001.json": record("PYSEC-2024-0001", "PyPI", "Django_Rest.framework", "3.0"),
		},
	})
	dbDir := t.TempDir()
	res, err := Update(context.Background(), Options{Dir: dbDir, Source: src})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range res.Ecosystems {
		got[e.Name] = fmt.Sprintf("%s advisories=%d skipped=%d packages=%d", e.Status, e.Meta.Advisories, e.Meta.Skipped, e.Meta.Packages)
	}
	want := map[string]string{
		"npm":  "updated advisories=2 skipped=2 packages=2",
		"PyPI": "updated advisories=1 skipped=0 packages=1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	db, err := Open(dbDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ids := lookupIDs(t, db, "npm", "@scope/pkg"); !cmp.Equal(ids, []string{"GHSA-0002-0002-0002"}) {
		t.Errorf("npm @scope/pkg = %v", ids)
	}
	// PEP 503 normalisation on both sides.
	if ids := lookupIDs(t, db, "PyPI", "django-rest-FRAMEWORK"); !cmp.Equal(ids, []string{"PYSEC-2024-0001"}) {
		t.Errorf("PyPI django-rest-framework = %v", ids)
	}
	if _, ok, _ := db.Lookup("Maven", "x:y"); ok {
		t.Error("Maven reported as imported")
	}
	if ids := lookupIDs(t, db, "npm", "right-pad"); len(ids) != 0 {
		t.Errorf("npm right-pad = %v", ids)
	}
	recs, _, _ := db.Lookup("npm", "left-pad")
	e, err := db.Advisory("npm", recs[0])
	if err != nil || e.ID != "GHSA-0001-0001-0001" || e.Summary != "test advisory" {
		t.Errorf("Advisory = %+v, %v", e, err)
	}

	// A second import of unchanged files costs nothing and keeps the data.
	res, err = Update(context.Background(), Options{Dir: dbDir, Source: src})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Ecosystems {
		if e.Status != Unchanged {
			t.Errorf("%s: %s, want unchanged", e.Name, e.Status)
		}
	}
}

func TestImportSingleZip(t *testing.T) {
	z := filepath.Join(t.TempDir(), "records.zip")
	os.WriteFile(z, zipOf(t, map[string]string{
		"a.json": record("GHSA-0001-0001-0001", "npm", "left-pad", "1.3.0"),
		"b.json": record("RUSTSEC-2024-0001", "crates.io", "smallvec", "1.0.0"),
	}), 0o644)
	dbDir := t.TempDir()
	res, err := Update(context.Background(), Options{Dir: dbDir, Source: z})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range res.Ecosystems {
		names = append(names, e.Name)
	}
	if diff := cmp.Diff([]string{"crates.io", "npm"}, names); diff != "" {
		t.Errorf("ecosystems (-want +got):\n%s", diff)
	}
}

// TestImportSingleZipInvalidRecords: invalid records of a single zip have no
// ecosystem; they are counted on the result and must not invent an
// ecosystem (they once became a section called "unknown").
func TestImportSingleZipInvalidRecords(t *testing.T) {
	z := filepath.Join(t.TempDir(), "records.zip")
	os.WriteFile(z, zipOf(t, map[string]string{
		"a.json":      record("GHSA-0001-0001-0001", "npm", "left-pad", "1.3.0"),
		"bad.json":    `{"id": "GHSA-x", "affected": [`,
		"noid.json":   `{"modified":"2024-01-01T00:00:00Z"}`,
		"noeco.json":  `{"schema_version":"1.6.0","id":"GHSA-9999-9999-9999","modified":"2024-01-01T00:00:00Z","affected":[]}`,
		"README.md":   "not a record",
		"nested/.git": "",
	}), 0o644)
	dbDir := t.TempDir()
	res, err := Update(context.Background(), Options{Dir: dbDir, Source: z})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Ecosystems {
		got = append(got, fmt.Sprintf("%s advisories=%d skipped=%d", e.Name, e.Meta.Advisories, e.Meta.Skipped))
	}
	if diff := cmp.Diff([]string{"npm advisories=1 skipped=0"}, got); diff != "" {
		t.Errorf("ecosystems (-want +got):\n%s", diff)
	}
	if res.Skipped != 3 || len(res.SkippedExamples) != 3 {
		t.Errorf("Skipped = %d %q, want 3 with 3 examples", res.Skipped, res.SkippedExamples)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "skipped 3 record(s)") || !strings.Contains(res.Warnings[0], "records.zip") {
		t.Errorf("Warnings = %q, want one naming the zip and the count", res.Warnings)
	}
	db, err := Open(dbDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var names []string
	for _, m := range db.Meta().Ecosystems {
		names = append(names, m.Name)
	}
	if diff := cmp.Diff([]string{"npm"}, names); diff != "" {
		t.Errorf("index ecosystems (-want +got):\n%s", diff)
	}

	// Nothing but invalid records: an error that says why, not an empty index.
	z2 := filepath.Join(t.TempDir(), "junk.zip")
	os.WriteFile(z2, zipOf(t, map[string]string{"bad.json": `{"id": 1}`}), 0o644)
	_, err = Update(context.Background(), Options{Dir: t.TempDir(), Source: z2})
	if err == nil || !strings.Contains(err.Error(), "1 record(s) skipped") || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("err = %v, want one naming the skipped record", err)
	}
}

func TestCorruptZipKeepsPreviousData(t *testing.T) {
	src := exportDir(t, map[string]map[string]string{
		"npm": {"a.json": record("GHSA-0001-0001-0001", "npm", "left-pad", "1.3.0")},
	})
	dbDir := t.TempDir()
	if _, err := Update(context.Background(), Options{Dir: dbDir, Source: src}); err != nil {
		t.Fatal(err)
	}
	// Truncate the export: the zip's central directory is gone.
	zp := filepath.Join(src, "npm", "all.zip")
	b, _ := os.ReadFile(zp)
	os.WriteFile(zp, b[:len(b)/2], 0o644)
	res, err := Update(context.Background(), Options{Dir: dbDir, Source: src})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Ecosystems[0]
	if r.Status != Failed || !r.Kept || !errors.Is(r.Err, ErrZip) || !strings.Contains(r.Err.Error(), zp) {
		t.Fatalf("result = %+v, want failed, kept, ErrZip naming %s", r, zp)
	}
	db, err := Open(dbDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ids := lookupIDs(t, db, "npm", "left-pad"); len(ids) != 1 {
		t.Errorf("previous data lost: %v", ids)
	}
}

func TestZipBombRefused(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("bomb.json")
	w.Write(bytes.Repeat([]byte(" "), 64<<20))
	zw.Close()
	z := filepath.Join(t.TempDir(), "bomb.zip")
	os.WriteFile(z, buf.Bytes(), 0o644)
	_, err := Update(context.Background(), Options{Dir: t.TempDir(), Source: z})
	if !errors.Is(err, ErrZip) || !strings.Contains(err.Error(), "zip bomb") {
		t.Fatalf("err = %v, want a zip bomb ErrZip", err)
	}
}

func TestCorruptIndex(t *testing.T) {
	src := exportDir(t, map[string]map[string]string{"npm": {"a.json": record("GHSA-0001-0001-0001", "npm", "left-pad", "1.3.0")}})
	dbDir := t.TempDir()
	if _, err := Update(context.Background(), Options{Dir: dbDir, Source: src}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dbDir, FileName)
	b, _ := os.ReadFile(p)
	for name, bad := range map[string][]byte{
		"truncated":  b[:len(b)-10],
		"empty":      {},
		"flipped":    append(append([]byte{}, b[:len(b)-30]...), append([]byte{'X'}, b[len(b)-29:]...)...),
		"not hmdb":   []byte("SQLite format 3\x00 and then some more bytes to pass the length check"),
		"only magic": magic[:],
	} {
		os.WriteFile(p, bad, 0o644)
		if _, err := Open(dbDir); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Open err = %v, want ErrCorrupt", name, err)
		}
	}
	// An update over a corrupt index rebuilds it with a warning.
	res, err := Update(context.Background(), Options{Dir: dbDir, Source: src, Force: true})
	if err != nil || len(res.Warnings) != 1 {
		t.Fatalf("Update = %+v, %v; want one warning", res, err)
	}
	if _, err := Open(dbDir); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.TempDir()); !errors.Is(err, ErrNoData) {
		t.Errorf("empty dir: err = %v, want ErrNoData", err)
	}
}

// mirror is an httptest OSV mirror with conditional GETs.
type mirror struct {
	zips     map[string][]byte
	requests atomic.Int64
	handler  func(w http.ResponseWriter, r *http.Request) bool // true: handled
}

func (m *mirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.requests.Add(1)
	if m.handler != nil && m.handler(w, r) {
		return
	}
	if r.URL.Path == "/ecosystems.txt" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		for e := range m.zips {
			fmt.Fprintln(w, e)
		}
		return
	}
	eco := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/all.zip")
	b, ok := m.zips[eco]
	if !ok {
		http.NotFound(w, r)
		return
	}
	etag := fmt.Sprintf(`"%x"`, len(b))
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/zip")
	w.Write(b)
}

func TestUpdateHTTPConditional(t *testing.T) {
	m := &mirror{zips: map[string][]byte{
		"GitHub Actions": zipOf(t, map[string]string{"a.json": record("GHSA-0003-0003-0003", "GitHub Actions", "Actions/Checkout", "4.0.0")}),
		"npm":            zipOf(t, map[string]string{"a.json": record("GHSA-0001-0001-0001", "npm", "left-pad", "1.3.0")}),
	}}
	srv := httptest.NewServer(m)
	defer srv.Close()
	dbDir := t.TempDir()
	var progress atomic.Int64
	res, err := Update(context.Background(), Options{Dir: dbDir, Source: srv.URL, Progress: func(Progress) { progress.Add(1) }})
	if err != nil || res.Failed() {
		t.Fatalf("Update = %+v, %v", res, err)
	}
	if progress.Load() == 0 {
		t.Error("no progress reported")
	}
	db, _ := Open(dbDir)
	if ids := lookupIDs(t, db, "GitHub Actions", "actions/checkout"); len(ids) != 1 {
		t.Errorf("GitHub Actions lookup (case-insensitive) = %v", ids)
	}
	db.Close()
	before := m.requests.Load()
	res, err = Update(context.Background(), Options{Dir: dbDir, Source: srv.URL, Ecosystems: []string{"npm"}})
	if err != nil || res.Ecosystems[0].Status != Unchanged {
		t.Fatalf("second update = %+v, %v; want unchanged", res, err)
	}
	if n := m.requests.Load() - before; n != 1 {
		t.Errorf("unchanged ecosystem cost %d requests, want 1", n)
	}
	db, _ = Open(dbDir)
	defer db.Close()
	if len(db.Meta().Ecosystems) != 2 {
		t.Errorf("ecosystems after partial update = %d, want 2 (the other one kept)", len(db.Meta().Ecosystems))
	}
}

func TestHostileMirrors(t *testing.T) {
	good := zipOf(t, map[string]string{"a.json": record("GHSA-0001-0001-0001", "npm", "left-pad", "1.3.0")})
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request) bool
		want    string
	}{
		{"wrong content type", func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>captive portal</html>"))
			return true
		}, `content type "text/html"`},
		{"huge announced", func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/zip")
			w.Header().Set("Content-Length", "100000000")
			w.WriteHeader(200)
			return true
		}, "bytes announced, limit"},
		{"huge streamed", func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/zip")
			for i := 0; i < 40; i++ {
				if _, err := w.Write(make([]byte, 64<<10)); err != nil {
					break
				}
				w.(http.Flusher).Flush()
			}
			return true
		}, "body over the limit"},
		{"redirect loop", func(w http.ResponseWriter, r *http.Request) bool {
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
			return true
		}, "redirects"},
		{"stalled", func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/zip")
			w.Header().Set("Content-Length", fmt.Sprint(len(good)))
			w.Write(good[:10])
			w.(http.Flusher).Flush()
			// Never another byte: only the client giving up ends this.
			<-r.Context().Done()
			return true
		}, "stalled"},
		{"truncated", func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/zip")
			w.Header().Set("Content-Length", fmt.Sprint(len(good)))
			w.Write(good[:len(good)/2])
			return true
		}, "npm/all.zip"},
		{"server error", func(w http.ResponseWriter, r *http.Request) bool {
			http.Error(w, "boom", http.StatusInternalServerError)
			return true
		}, "HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &mirror{handler: tt.handler}
			srv := httptest.NewServer(m)
			defer srv.Close()
			// Only the stalled mirror needs a short idle timeout; the others
			// get one no pause of a loaded machine reaches, so that their
			// outcome never depends on timing.
			idle := time.Hour
			if tt.want == "stalled" {
				idle = 200 * time.Millisecond
			}
			res, err := Update(context.Background(), Options{Dir: t.TempDir(), Source: srv.URL, Ecosystems: []string{"npm"},
				MaxDownload: 1 << 20, IdleTimeout: idle})
			if err != nil {
				t.Fatal(err)
			}
			r := res.Ecosystems[0]
			if r.Status != Failed || r.Err == nil || !strings.Contains(r.Err.Error(), tt.want) || !strings.Contains(r.Err.Error(), srv.URL) {
				t.Fatalf("result = %s %v; want failed naming %s and %q", r.Status, r.Err, srv.URL, tt.want)
			}
		})
	}
}

func TestCancelledUpdateLeavesIndex(t *testing.T) {
	src := exportDir(t, map[string]map[string]string{"npm": {"a.json": record("GHSA-0001-0001-0001", "npm", "left-pad", "1.3.0")}})
	dbDir := t.TempDir()
	if _, err := Update(context.Background(), Options{Dir: dbDir, Source: src}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dbDir, FileName))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Update(ctx, Options{Dir: dbDir, Source: src, Force: true}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	after, _ := os.ReadFile(filepath.Join(dbDir, FileName))
	if !bytes.Equal(before, after) {
		t.Error("a cancelled update changed the index")
	}
	if left := tempFiles(t, dbDir); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// tempFiles lists the files in a database directory other than the index
// and the lock file.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if e.Name() != FileName && e.Name() != LockName {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestDistributionFolders: osv.dev exports a distribution's records, every
// release's, in one folder named by the base ecosystem (Debian, Alpine,
// Ubuntu, AlmaLinux); a release asked for by name ("Debian:12") is fetched
// from there, and a stale per-release folder a listing still names is not
// fetched.
func TestDistributionFolders(t *testing.T) {
	m := &mirror{zips: map[string][]byte{
		"Debian": zipOf(t, map[string]string{
			"DEBIAN-CVE-2024-0001.json": record("DEBIAN-CVE-2024-0001", "Debian:12", "openssl", "3.0.15-1~deb12u1"),
			"DEBIAN-CVE-2024-0002.json": record("DEBIAN-CVE-2024-0002", "Debian:11", "openssl", "1.1.1w-0+deb11u2")}),
		"Alpine":    zipOf(t, map[string]string{"ALPINE-CVE-2024-0003.json": record("ALPINE-CVE-2024-0003", "Alpine:v3.20", "openssl", "3.3.2-r0")}),
		"Ubuntu":    zipOf(t, map[string]string{"UBUNTU-CVE-2024-0004.json": record("UBUNTU-CVE-2024-0004", "Ubuntu:22.04:LTS", "openssl", "3.0.2-0ubuntu1.18")}),
		"AlmaLinux": zipOf(t, map[string]string{"ALSA-2024:0005.json": record("ALSA-2024:0005", "AlmaLinux:9", "openssl-libs", "1:3.0.7-27.el9")}),
		"Debian:12": zipOf(t, map[string]string{"stale.json": record("DEBIAN-CVE-2020-0006", "Debian:12", "stale", "1.0-1")}),
	}}
	var fetched sync.Map
	m.handler = func(w http.ResponseWriter, r *http.Request) bool {
		fetched.Store(r.URL.Path, true)
		return false
	}
	srv := httptest.NewServer(m)
	defer srv.Close()

	dir := t.TempDir()
	res, err := Update(context.Background(), Options{Dir: dir, Source: srv.URL, Ecosystems: []string{"Debian:12", "Debian:11", "Alpine:v3.20", "Ubuntu:22.04:LTS", "AlmaLinux"}})
	if err != nil || res.Failed() {
		t.Fatalf("Update = %+v, %v", res, err)
	}
	var names []string
	for _, e := range res.Ecosystems {
		names = append(names, e.Name)
	}
	if want := []string{"AlmaLinux", "Alpine", "Debian", "Ubuntu"}; !slices.Equal(names, want) {
		t.Errorf("fetched %v, want %v", names, want)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ids := lookupIDs(t, db, "Debian:12", "openssl"); len(ids) != 2 {
		t.Errorf("Debian openssl = %v (the Debian folder holds both releases)", ids)
	}
	for eco, name := range map[string]string{"Alpine:v3.20": "openssl", "Ubuntu:22.04:LTS": "openssl", "AlmaLinux:9": "openssl-libs"} {
		if ids := lookupIDs(t, db, eco, name); len(ids) != 1 {
			t.Errorf("%s %s = %v", eco, name, ids)
		}
	}
	db.Close()

	// Everything the listing names: the stale per-release folder is not fetched.
	dir = t.TempDir()
	if res, err := Update(context.Background(), Options{Dir: dir, Source: srv.URL}); err != nil || res.Failed() {
		t.Fatalf("Update = %+v, %v", res, err)
	}
	if _, ok := fetched.Load("/Debian:12/all.zip"); ok {
		t.Error("the stale Debian:12 folder was fetched")
	}
	if _, ok := fetched.Load("/Debian/all.zip"); !ok {
		t.Error("the Debian folder was not fetched")
	}
}
