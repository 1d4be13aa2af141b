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

	// The top-level targets move to two keys (a root rotation), one of them
	// signing on another machine: root 2 and the re-signed targets wait
	// together, and clients keep root 1 and the current targets meanwhile.
	t1, t2 := key(t), key(t)
	err = Rotate(dir, Rotation{Role: "targets", Signers: []crypto.Signer{k.Offline}, New: []crypto.Signer{t1}, Others: []crypto.PublicKey{t2.Public()}, Threshold: 2, Online: k.Online}, DefaultExpiries, now)
	if !errors.Is(err, ErrStaged) || !strings.Contains(err.Error(), "clients keep the current root and targets") {
		t.Fatalf("targets re-signed by one key of two: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "metadata", "2.root.json")); err == nil {
		t.Fatal("root 2 was published before its targets could be")
	}
	if got, err := fetch("app/1.0.0/app.bin"); err != nil || got != "release 1.0.0" {
		t.Fatalf("while the rotation waits: %q %v", got, err)
	}
	if s := status("targets"); !strings.Contains(s, "staged with root version 2: MISSING") {
		t.Errorf("targets status while the rotation waits: %q", s)
	}
	if err := Add(dir, Keys{Offline: t1, Online: k.Online}, DefaultExpiries, now, []Target{{Name: "app/1.1.0/app.bin", Path: file(t, "1.1.0")}}); err == nil || !strings.Contains(err.Error(), "staged") {
		t.Errorf("an add while targets waits: %v", err)
	}
	if err := Sign(dir, "targets", []crypto.Signer{k.Offline}, k.Online, DefaultExpiries, now); err == nil || !strings.Contains(err.Error(), "is not a key of role targets") {
		t.Errorf("the retiring targets key signed the new targets: %v", err)
	}
	if err := Sign(dir, "targets", []crypto.Signer{t2}, k.Online, DefaultExpiries, now); err != nil {
		t.Fatal(err)
	}
	if got, err := fetch("app/1.0.0/app.bin"); err != nil || got != "release 1.0.0" {
		t.Fatalf("root 2 and targets published together: %q %v", got, err)
	}
	if st, _ := Describe(dir, now); st[0].Version != 2 {
		t.Errorf("root version %d, want 2", st[0].Version)
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

// The targets key rotation completed on a machine without the online key
// is published, root and targets together, by the next refresh.
func TestTargetsRotationPublishedByRefresh(t *testing.T) {
	now := time.Now().UTC()
	k := newKeys(t)
	dir, srv := repoWithTarget(t, k, now)
	t1, t2 := key(t), key(t)
	err := Rotate(dir, Rotation{Role: "targets", Signers: []crypto.Signer{k.Offline}, New: []crypto.Signer{t1}, Others: []crypto.PublicKey{t2.Public()}, Threshold: 2, Online: k.Online}, DefaultExpiries, now)
	if !errors.Is(err, ErrStaged) {
		t.Fatal(err)
	}
	if err := Refresh(dir, k, DefaultExpiries, now); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "metadata", "2.root.json")); err == nil {
		t.Fatal("refresh published the rotation short of a targets signature")
	}
	if err := Sign(dir, "targets", []crypto.Signer{t2}, nil, DefaultExpiries, now); !errors.Is(err, ErrStaged) {
		t.Fatalf("complete without the online key: %v", err)
	}
	if err := Refresh(dir, k, DefaultExpiries, now); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "metadata", "staged", "targets.json")); err == nil {
		t.Error("the targets stayed staged")
	}
	dst := filepath.Join(t.TempDir(), "out")
	if _, err := Fetch(ClientOptions{RepoURL: srv.URL, Root: root(t, dir), Now: now}, "app/1.0.0/app.bin", dst); err != nil {
		t.Fatalf("after the refresh: %v", err)
	}
	if st, _ := Describe(dir, now); st[0].Version != 2 || st[1].Signatures != "ok" {
		t.Errorf("status after the refresh: %+v", st[:2])
	}
}
