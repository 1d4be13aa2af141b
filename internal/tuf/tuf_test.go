package tuf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newKeys(t *testing.T) Keys {
	a, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return Keys{Offline: a, Online: b}
}

// repoWithTarget publishes app.bin into a fresh repository served over
// loopback, as any static web server would.
func repoWithTarget(t *testing.T, k Keys, now time.Time) (dir string, srv *httptest.Server) {
	dir = t.TempDir()
	if err := Init(dir, k, DefaultExpiries, now); err != nil {
		t.Fatal(err)
	}
	art := filepath.Join(t.TempDir(), "app.bin")
	os.WriteFile(art, []byte("release 1.0.0"), 0o644)
	if err := Add(dir, k, DefaultExpiries, now, []Target{{Name: "app/1.0.0/app.bin", Path: art, Custom: map[string]any{"sbom": "app/1.0.0/sbom.cdx.json"}}}); err != nil {
		t.Fatal(err)
	}
	srv = httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return dir, srv
}

func root(t *testing.T, dir string) []byte {
	b, err := os.ReadFile(filepath.Join(dir, "metadata", "1.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPublishAndFetch(t *testing.T) {
	now := time.Now().UTC()
	k := newKeys(t)
	dir, srv := repoWithTarget(t, k, now)
	dst := filepath.Join(t.TempDir(), "app.bin")
	custom, err := Fetch(ClientOptions{RepoURL: srv.URL, Root: root(t, dir), CacheDir: t.TempDir()}, "app/1.0.0/app.bin", dst)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "release 1.0.0" || custom["sbom"] != "app/1.0.0/sbom.cdx.json" {
		t.Errorf("got %q, custom %v", b, custom)
	}
	st, err := Describe(dir, now)
	if err != nil || st[1].Version != 2 || st[1].Targets != 1 || st[3].Version != 2 {
		t.Errorf("status = %+v, %v", st, err)
	}
}

// The TUF attacks a client must refuse, each against a real repository.
func TestAttacks(t *testing.T) {
	now := time.Now().UTC()
	k := newKeys(t)
	fetchErr := func(dir string, srv *httptest.Server, cache string, at time.Time, trusted []byte) error {
		_, err := Fetch(ClientOptions{RepoURL: srv.URL, Root: trusted, CacheDir: cache, Now: at}, "app/1.0.0/app.bin", filepath.Join(t.TempDir(), "x"))
		return err
	}
	t.Run("arbitrary software: target bytes swapped on the server", func(t *testing.T) {
		dir, srv := repoWithTarget(t, k, now)
		matches, _ := filepath.Glob(filepath.Join(dir, "targets", "app", "1.0.0", "*.app.bin"))
		if len(matches) != 1 {
			t.Fatalf("%d copies of the target, want one (HASH.NAME: targets list SHA-256 only)", len(matches))
		}
		for _, m := range matches {
			os.WriteFile(m, []byte("release 1.0.0 with a trojan"), 0o644)
		}
		if err := fetchErr(dir, srv, t.TempDir(), time.Time{}, root(t, dir)); err == nil {
			t.Fatal("a swapped target was accepted")
		}
	})
	t.Run("freeze: expired timestamp", func(t *testing.T) {
		dir, srv := repoWithTarget(t, k, now)
		err := fetchErr(dir, srv, t.TempDir(), now.Add(48*time.Hour), root(t, dir))
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "expired") {
			t.Fatalf("freeze: %v", err)
		}
	})
	t.Run("rollback: an older timestamp after a newer one", func(t *testing.T) {
		dir, srv := repoWithTarget(t, k, now)
		cache := t.TempDir()
		old, _ := os.ReadFile(filepath.Join(dir, "metadata", "timestamp.json"))
		if err := Refresh(dir, k, DefaultExpiries, now); err != nil {
			t.Fatal(err)
		}
		if err := fetchErr(dir, srv, cache, time.Time{}, root(t, dir)); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "metadata", "timestamp.json"), old, 0o644)
		if err := fetchErr(dir, srv, cache, time.Time{}, root(t, dir)); err == nil {
			t.Fatal("rollback accepted")
		}
	})
	t.Run("wrong key: metadata of another repository's keys", func(t *testing.T) {
		dir, srv := repoWithTarget(t, k, now)
		otherDir, _ := repoWithTarget(t, newKeys(t), now)
		if err := fetchErr(dir, srv, t.TempDir(), time.Time{}, root(t, otherDir)); err == nil {
			t.Fatal("metadata signed by other keys accepted")
		}
	})
	t.Run("endless data: a target longer than its declared length", func(t *testing.T) {
		dir, srv := repoWithTarget(t, k, now)
		matches, _ := filepath.Glob(filepath.Join(dir, "targets", "app", "1.0.0", "*.app.bin"))
		for _, m := range matches {
			os.WriteFile(m, []byte("release 1.0.0"+strings.Repeat(" and more", 10_000)), 0o644)
		}
		err := fetchErr(dir, srv, t.TempDir(), time.Time{}, root(t, dir))
		if err == nil || !strings.Contains(err.Error(), "length") {
			t.Fatalf("a target longer than declared: %v", err)
		}
	})
	t.Run("rollback: a lower targets version (signed snapshot, online key stolen)", func(t *testing.T) {
		dir, srv := repoWithTarget(t, k, now)
		cache := t.TempDir()
		if err := fetchErr(dir, srv, cache, time.Time{}, root(t, dir)); err != nil {
			t.Fatal(err)
		}
		// The attacker holds the online key and publishes a snapshot that
		// points back at targets version 1 (before app.bin was added).
		if err := publishSnapshot(dir, k.Online, DefaultExpiries, now, map[string]int64{"targets": 1}); err != nil {
			t.Fatal(err)
		}
		err := fetchErr(dir, srv, cache, time.Time{}, root(t, dir))
		if err == nil || !strings.Contains(err.Error(), "targets") {
			t.Fatalf("targets rollback: %v", err)
		}
	})
	t.Run("corrupt local cache recovers from the trusted root", func(t *testing.T) {
		dir, srv := repoWithTarget(t, k, now)
		cache := t.TempDir()
		if err := fetchErr(dir, srv, cache, time.Time{}, root(t, dir)); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(cache, "metadata", "timestamp.json"), []byte("{truncated"), 0o644)
		if err := fetchErr(dir, srv, cache, time.Time{}, root(t, dir)); err != nil {
			t.Fatalf("after corruption: %v", err)
		}
	})
}

// The expiries chosen at init are kept and used by every later signature.
func TestRepoExpiries(t *testing.T) {
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	exp := Expiries{Root: 48 * time.Hour, Targets: 24 * time.Hour, Snapshot: 12 * time.Hour, Timestamp: time.Hour}
	k := newKeys(t)
	if err := Init(dir, k, exp, now); err != nil {
		t.Fatal(err)
	}
	got, err := RepoExpiries(dir)
	if err != nil || got != exp {
		t.Fatalf("RepoExpiries = %+v, %v", got, err)
	}
	if err := Refresh(dir, k, got, now); err != nil {
		t.Fatal(err)
	}
	st, _ := Describe(dir, now)
	if !st[3].Expires.Equal(now.Add(time.Hour)) || !st[0].Expires.Equal(now.Add(48*time.Hour)) {
		t.Errorf("expiries: %+v", st)
	}
	if d, _ := RepoExpiries(t.TempDir()); d != DefaultExpiries {
		t.Error("a repository without a record does not get the defaults")
	}
	os.WriteFile(filepath.Join(dir, configFile), []byte(`{"Timestamp":"-1h"}`), 0o644)
	if _, err := RepoExpiries(dir); err == nil {
		t.Error("a negative expiry was accepted")
	}
	if err := Init(t.TempDir(), k, Expiries{}, now); err == nil {
		t.Error("zero expiries accepted")
	}
}
