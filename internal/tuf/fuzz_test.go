package tuf

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLocalCache: whatever bytes the customer's local metadata cache holds
// (a disk error, an interrupted write, an attacker with write access to the
// cache but no signing key), the client against an honest repository
// neither panics nor fails: unverifiable local metadata is set aside and the
// workflow starts again from the trusted root (go-tuf issue #40 and
// python-tuf #2669 are the failure this guards against).
func FuzzLocalCache(f *testing.F) {
	now := time.Now().UTC()
	k := Keys{Offline: key(f), Online: key(f)}
	dir := f.TempDir()
	if err := Init(dir, k, DefaultExpiries, now); err != nil {
		f.Fatal(err)
	}
	art := filepath.Join(f.TempDir(), "app.bin")
	if err := os.WriteFile(art, []byte("release 1.0.0"), 0o644); err != nil {
		f.Fatal(err)
	}
	if err := Add(dir, k, DefaultExpiries, now, []Target{{Name: "app/1.0.0/app.bin", Path: art}}); err != nil {
		f.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	f.Cleanup(srv.Close)
	trusted, err := os.ReadFile(filepath.Join(dir, "metadata", "1.root.json"))
	if err != nil {
		f.Fatal(err)
	}
	// Seeds: the metadata a first update leaves in the cache.
	seed := f.TempDir()
	if _, err := Fetch(ClientOptions{RepoURL: srv.URL, Root: trusted, CacheDir: seed, Now: now}, "app/1.0.0/app.bin", filepath.Join(f.TempDir(), "x")); err != nil {
		f.Fatal(err)
	}
	roles := []string{"root", "timestamp", "snapshot", "targets"}
	for i, role := range roles {
		b, err := os.ReadFile(filepath.Join(seed, "metadata", role+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)            // valid metadata of the role
		f.Add(uint8(i), b[:len(b)/2]) // an interrupted write
		f.Add(uint8(i), []byte{})
	}
	f.Add(uint8(1), []byte(`{"signed":{"_type":"timestamp","version":99999,"spec_version":"1.0.31","expires":"2099-01-01T00:00:00Z","meta":{"snapshot.json":{"version":99999}}},"signatures":[]}`))
	f.Add(uint8(3), []byte("\x00\xff{[\"signed\""))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		cache := t.TempDir()
		if err := os.MkdirAll(filepath.Join(cache, "metadata"), 0o755); err != nil {
			t.Fatal(err)
		}
		role := roles[int(which)%len(roles)]
		if err := os.WriteFile(filepath.Join(cache, "metadata", role+".json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(t.TempDir(), "app.bin")
		if _, err := Fetch(ClientOptions{RepoURL: srv.URL, Root: trusted, CacheDir: cache, Now: now}, "app/1.0.0/app.bin", dst); err != nil {
			t.Fatalf("local %s.json of %d bytes: %v", role, len(data), err)
		}
		if b, _ := os.ReadFile(dst); string(b) != "release 1.0.0" {
			t.Fatalf("downloaded %q", b)
		}
	})
}
