package tuf

import (
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Threshold signing of a delegated role and of the top-level targets: a
// version signed by fewer keys than the threshold waits, unseen by
// clients, until tuf sign on another machine adds the missing signatures;
// the online key then publishes it (tuf sign --online-key or tuf refresh).
func TestThresholdSigning(t *testing.T) {
	now := time.Now().UTC()
	k := newKeys(t)
	dir, srv := repoWithTarget(t, k, now)
	cache := t.TempDir() // a customer holding root 1 throughout
	fetch := func(name string) (string, error) {
		dst := filepath.Join(t.TempDir(), "out")
		_, err := Fetch(ClientOptions{RepoURL: srv.URL, Root: root(t, dir), CacheDir: cache, Now: now}, name, dst)
		b, _ := os.ReadFile(dst)
		return string(b), err
	}
	status := func(role string) string {
		st, err := Describe(dir, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st {
			if s.Role == role {
				return s.Signatures
			}
		}
		t.Fatalf("no role %s in status", role)
		return ""
	}

	// A product whose releases need two of its team's keys.
	a, b := key(t), key(t)
	if err := Delegate(dir, k, DefaultExpiries, now, Delegation{Role: "app2", Paths: []string{"app2/*/*"}, Keys: []crypto.PublicKey{a.Public(), b.Public()}, Threshold: 2}); err != nil {
		t.Fatal(err)
	}
	team := func(s crypto.Signer) Keys { return Keys{Offline: s, Online: k.Online} }
	err := AddToRole(dir, "app2", team(a), DefaultExpiries, now, []Target{{Name: "app2/1.0.0/app", Path: file(t, "two keys")}})
	if !errors.Is(err, ErrStaged) {
		t.Fatalf("one key of two published: %v", err)
	}
	if _, err := fetch("app2/1.0.0/app"); err == nil {
		t.Fatal("the client downloaded a target of a version short of signatures")
	}
	if s := status("app2"); !strings.Contains(s, "version 1 staged: MISSING") {
		t.Errorf("status of the staged role: %q", s)
	}
	if err := AddToRole(dir, "app2", team(b), DefaultExpiries, now, []Target{{Name: "app2/1.0.1/app", Path: file(t, "other")}}); err == nil || !strings.Contains(err.Error(), "staged, waiting for signatures") {
		t.Errorf("a second version while one waits: %v", err)
	}
	if err := Sign(dir, "app2", []crypto.Signer{key(t)}, k.Online, DefaultExpiries, now); err == nil || !strings.Contains(err.Error(), "is not a key of role app2") {
		t.Errorf("a stranger's key signed app2: %v", err)
	}
	if err := Sign(dir, "app2", []crypto.Signer{k.Offline}, k.Online, DefaultExpiries, now); err == nil || !strings.Contains(err.Error(), "is not a key of role app2") {
		t.Errorf("the top-level targets key signed app2 in the team's place: %v", err)
	}
	// The same key again does not count twice.
	if err := Sign(dir, "app2", []crypto.Signer{a}, k.Online, DefaultExpiries, now); !errors.Is(err, ErrStaged) {
		t.Errorf("one key signing twice met a threshold of 2: %v", err)
	}
	// The second key, on a machine without the online key: complete, but
	// published only by the next refresh.
	if err := Sign(dir, "app2", []crypto.Signer{b}, nil, DefaultExpiries, now); !errors.Is(err, ErrStaged) || !strings.Contains(err.Error(), "has its signatures") {
		t.Errorf("complete without the online key: %v", err)
	}
	if s := status("app2"); !strings.Contains(s, "signed, waits for tuf refresh") {
		t.Errorf("status of the complete staged role: %q", s)
	}
	if _, err := fetch("app2/1.0.0/app"); err == nil {
		t.Fatal("published before the online key signed snapshot and timestamp")
	}
	if err := Refresh(dir, k, DefaultExpiries, now); err != nil {
		t.Fatal(err)
	}
	if got, err := fetch("app2/1.0.0/app"); err != nil || got != "two keys" {
		t.Fatalf("after refresh: %q %v", got, err)
	}
	if s := status("app2"); s != "ok" {
		t.Errorf("status after publishing: %q", s)
	}

	// The top-level targets with two keys (a root rotation), one of them
	// signing on another machine with the online key at hand.
	t1, t2 := key(t), key(t)
	err = Rotate(dir, Rotation{Role: "targets", Signers: []crypto.Signer{k.Offline}, New: []crypto.Signer{t1}, Others: []crypto.PublicKey{t2.Public()}, Threshold: 2, Online: k.Online}, DefaultExpiries, now)
	if !errors.Is(err, ErrStaged) || !strings.Contains(err.Error(), "clients refuse updates until then") {
		t.Fatalf("targets re-signed by one key of two: %v", err)
	}
	// Root 2 is published at once; until the second key signs, clients
	// refuse the targets the new keys have not signed (fail safe: no
	// update rather than one under the retired key).
	if _, err := fetch("app/1.0.0/app.bin"); err == nil || !strings.Contains(err.Error(), "not enough signatures") {
		t.Fatalf("root 2 with targets short of signatures: %v", err)
	}
	if err := Add(dir, Keys{Offline: t1, Online: k.Online}, DefaultExpiries, now, []Target{{Name: "app/1.1.0/app.bin", Path: file(t, "1.1.0")}}); err == nil || !strings.Contains(err.Error(), "staged") {
		t.Errorf("an add while targets waits: %v", err)
	}
	if err := Sign(dir, "targets", []crypto.Signer{t2}, k.Online, DefaultExpiries, now); err != nil {
		t.Fatal(err)
	}
	if got, err := fetch("app/1.0.0/app.bin"); err != nil || got != "release 1.0.0" {
		t.Fatalf("targets re-signed by both keys: %q %v", got, err)
	}
	if err := Add(dir, Keys{Offline: t1, Online: k.Online}, DefaultExpiries, now, []Target{{Name: "app/1.1.0/app.bin", Path: file(t, "1.1.0")}}); !errors.Is(err, ErrStaged) {
		t.Fatalf("one targets key of two: %v", err)
	}
	if err := Sign(dir, "targets", []crypto.Signer{t2}, k.Online, DefaultExpiries, now); err != nil {
		t.Fatal(err)
	}
	if got, err := fetch("app/1.1.0/app.bin"); err != nil || got != "1.1.0" {
		t.Fatalf("targets with both signatures: %q %v", got, err)
	}
	if got, err := fetch("app2/1.0.0/app"); err != nil || got != "two keys" {
		t.Fatalf("the delegated role under the new targets: %q %v", got, err)
	}
	if s := status("targets"); s != "ok" {
		t.Errorf("targets status: %q", s)
	}
}
