package tuf

import (
	"crypto"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"
)

// A client that has walked to root 2 keeps trusting root 2, not the root 1
// its customer was given: whoever still holds the root key retired by the
// rotation (a stolen backup), and serves a chain of their own signed from
// root 1, is refused.
func TestRetiredRootKeyFork(t *testing.T) {
	now := time.Now().UTC()
	k := newKeys(t)
	dir, srv := repoWithTarget(t, k, now)
	trusted := root(t, dir) // root 1, as given to the customer
	cache := t.TempDir()
	fetch := func(url, name string) error {
		_, err := Fetch(ClientOptions{RepoURL: url, Root: trusted, CacheDir: cache, Now: now}, name, filepath.Join(t.TempDir(), "out"))
		return err
	}
	if err := fetch(srv.URL, "app/1.0.0/app.bin"); err != nil {
		t.Fatal(err)
	}
	fork := copyRepo(t, dir) // the attacker's copy, before the rotation

	// The supplier retires root key 1; the customer's client follows.
	if err := Rotate(dir, Rotation{Role: "root", Signers: []crypto.Signer{k.Offline}, New: []crypto.Signer{key(t)}, Online: k.Online}, DefaultExpiries, now); err != nil {
		t.Fatal(err)
	}
	if err := fetch(srv.URL, "app/1.0.0/app.bin"); err != nil {
		t.Fatal(err)
	}

	// The attacker, with the retired root key, rotates the online roles to
	// a key of theirs from root 1 (roots 2' and 3') and publishes.
	evil := key(t)
	for _, role := range []string{"snapshot", "timestamp"} {
		if err := Rotate(fork, Rotation{Role: role, Signers: []crypto.Signer{k.Offline}, New: []crypto.Signer{evil}, Online: k.Online}, DefaultExpiries, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := Add(fork, Keys{Offline: k.Offline, Online: evil}, DefaultExpiries, now, []Target{{Name: "app/6.6.6/app.bin", Path: file(t, "evil")}}); err != nil {
		t.Fatal(err)
	}
	evilSrv := httptest.NewServer(http.FileServer(http.Dir(fork)))
	defer evilSrv.Close()
	// A fresh client given root 1 cannot tell (the fork is a valid chain
	// from root 1): that is what the cached root is for.
	if _, err := Fetch(ClientOptions{RepoURL: evilSrv.URL, Root: trusted, Now: now}, "app/6.6.6/app.bin", filepath.Join(t.TempDir(), "out")); err != nil {
		t.Fatalf("the fork is not a valid chain from root 1, the test proves nothing: %v", err)
	}
	if err := fetch(evilSrv.URL, "app/6.6.6/app.bin"); err == nil {
		t.Fatal("a client that had root 2 accepted a chain signed from root 1 by the retired key")
	}
}
