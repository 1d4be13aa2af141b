package tuf

import (
	"crypto"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every rotation a repository lives through, seen by a client that has
// held root version 1 since the start: it walks every root version and
// still downloads, and the retired keys no longer publish.
func TestRotations(t *testing.T) {
	now := time.Now().UTC()
	k := newKeys(t)
	dir, _ := repoWithTarget(t, k, now)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	trusted := root(t, dir) // the customer's root, version 1
	cache := t.TempDir()    // and the customer's trusted state, kept across updates
	fetch := func(name string) (string, error) {
		dst := filepath.Join(t.TempDir(), "out")
		_, err := Fetch(ClientOptions{RepoURL: srv.URL, Root: trusted, CacheDir: cache, Now: now}, name, dst)
		b, _ := os.ReadFile(dst)
		return string(b), err
	}
	if got, err := fetch("app/1.0.0/app.bin"); err != nil || got != "release 1.0.0" {
		t.Fatalf("before: %q %v", got, err)
	}

	// Root 1 -> 2: a new root key.
	root2 := key(t)
	if err := Rotate(dir, Rotation{Role: "root", Signers: []crypto.Signer{k.Offline}, New: []crypto.Signer{root2}, Online: k.Online}, DefaultExpiries, now); err != nil {
		t.Fatal(err)
	}
	// Root 2 -> 3: two root keys, threshold 2; the second key's holder
	// signs on another machine, so version 3 waits, unseen by clients.
	root3a, root3b := key(t), key(t)
	err := Rotate(dir, Rotation{Role: "root", Signers: []crypto.Signer{root2}, New: []crypto.Signer{root3a}, Others: []crypto.PublicKey{root3b.Public()}, Threshold: 2, Online: k.Online}, DefaultExpiries, now)
	if !errors.Is(err, ErrStaged) {
		t.Fatalf("a root short of signatures: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "metadata", "3.root.json")); err == nil {
		t.Fatal("a staged root was published")
	}
	st, _ := Describe(dir, now)
	if !strings.Contains(st[0].Signatures, "version 3 staged") {
		t.Errorf("status does not show the staged root: %+v", st[0])
	}
	if err := Sign(dir, "root", []crypto.Signer{key(t)}, nil, DefaultExpiries, now); err == nil || !strings.Contains(err.Error(), "is not a key of role root") {
		t.Errorf("a stranger's key signed root: %v", err)
	}
	if err := Sign(dir, "root", []crypto.Signer{root3b}, nil, DefaultExpiries, now); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "metadata", "3.root.json")); err != nil {
		t.Fatal("root 3 not published once signed")
	}
	// Targets and online keys rotate under root 3 (two root signatures).
	newTargets, newOnline := key(t), key(t)
	rootKeys := []crypto.Signer{root3a, root3b}
	if err := Rotate(dir, Rotation{Role: "targets", Signers: rootKeys, New: []crypto.Signer{newTargets}, Online: k.Online}, DefaultExpiries, now); err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"snapshot", "timestamp"} {
		if err := Rotate(dir, Rotation{Role: role, Signers: rootKeys, New: []crypto.Signer{newOnline}, Online: k.Online}, DefaultExpiries, now); err != nil {
			t.Fatal(err)
		}
	}
	nk := Keys{Offline: newTargets, Online: newOnline}
	if err := Add(dir, nk, DefaultExpiries, now, []Target{{Name: "app/1.1.0/app.bin", Path: file(t, "release 1.1.0")}}); err != nil {
		t.Fatal(err)
	}
	if got, err := fetch("app/1.1.0/app.bin"); err != nil || got != "release 1.1.0" {
		t.Fatalf("after rotations, the client with root 1: %q %v", got, err)
	}
	if st, _ := Describe(dir, now); st[0].Version != 6 {
		t.Errorf("root version %d, want 6 (1, 2, 3, then targets, snapshot, timestamp)", st[0].Version)
	}
	// The retired keys: a root signed by the first root key alone is
	// staged, never published; targets signed by the old targets key are
	// refused by the client.
	if err := Rotate(dir, Rotation{Role: "root", Signers: []crypto.Signer{k.Offline}, New: []crypto.Signer{key(t)}, Online: newOnline}, DefaultExpiries, now); !errors.Is(err, ErrStaged) {
		t.Errorf("the retired root key: %v", err)
	}
	os.RemoveAll(filepath.Join(dir, "metadata", "staged"))
	evil := []Target{{Name: "app/6.6.6/app.bin", Path: file(t, "evil")}}
	if err := Add(dir, Keys{Offline: k.Offline, Online: newOnline}, DefaultExpiries, now, evil); err == nil || !strings.Contains(err.Error(), "is not a key of role targets") {
		t.Errorf("the retired targets key published: %v", err)
	}
	tg, err := loadTargets(dir)
	if err != nil {
		t.Fatal(err)
	}
	tg.Signed.Version++
	if err := addFiles(dir, tg, evil, nil); err != nil {
		t.Fatal(err)
	}
	if err := forge(dir, "targets", k.Offline, tg); err != nil {
		t.Fatal(err)
	}
	if err := publishSnapshot(dir, newOnline, DefaultExpiries, now, map[string]int64{"targets": tg.Signed.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := fetch("app/6.6.6/app.bin"); err == nil {
		t.Error("targets signed by the retired targets key were accepted")
	}
}

// A delegated role's key rotates: the old key can no longer publish, the
// client keeps downloading what the role published, re-signed.
func TestRotateDelegation(t *testing.T) {
	now := time.Now().UTC()
	k := newKeys(t)
	dir := t.TempDir()
	if err := Init(dir, k, DefaultExpiries, now); err != nil {
		t.Fatal(err)
	}
	old, fresh := key(t), key(t)
	if err := Delegate(dir, k, DefaultExpiries, now, Delegation{Role: "app", Paths: []string{"app/*/*"}, Keys: []crypto.PublicKey{old.Public()}, Threshold: 1}); err != nil {
		t.Fatal(err)
	}
	if err := AddToRole(dir, "app", Keys{Offline: old, Online: k.Online}, DefaultExpiries, now, []Target{{Name: "app/1.0.0/app", Path: file(t, "v1")}}); err != nil {
		t.Fatal(err)
	}
	if err := Rotate(dir, Rotation{Role: "app", Signers: []crypto.Signer{k.Offline}, New: []crypto.Signer{fresh}, Online: k.Online}, DefaultExpiries, now); err != nil {
		t.Fatal(err)
	}
	if err := AddToRole(dir, "app", Keys{Offline: old, Online: k.Online}, DefaultExpiries, now, []Target{{Name: "app/1.0.1/app", Path: file(t, "v1.0.1")}}); err == nil {
		t.Error("the retired delegation key still publishes")
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	dst := filepath.Join(t.TempDir(), "out")
	if _, err := Fetch(ClientOptions{RepoURL: srv.URL, Root: root(t, dir), Now: now}, "app/1.0.0/app", dst); err != nil {
		t.Fatalf("after the delegation's rotation: %v", err)
	}
}
