package tuf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

func key(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return k
}

func file(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Two products, each delegated to its own team's key: each team publishes
// its own releases without the offline key, a team's key cannot publish the
// other product's paths, and the client refuses metadata that tries.
func TestDelegations(t *testing.T) {
	now := time.Now().UTC()
	k := newKeys(t)
	dir := t.TempDir()
	if err := Init(dir, k, DefaultExpiries, now); err != nil {
		t.Fatal(err)
	}
	teamA, teamB := key(t), key(t)
	for _, d := range []Delegation{
		{Role: "app-a", Paths: []string{"app-a/*/*"}, Keys: []crypto.PublicKey{teamA.Public()}, Threshold: 1},
		{Role: "app-b", Paths: []string{"app-b/*/*"}, Keys: []crypto.PublicKey{teamB.Public()}, Threshold: 1},
	} {
		if err := Delegate(dir, k, DefaultExpiries, now, d); err != nil {
			t.Fatal(err)
		}
	}
	online := k.Online
	if err := AddToRole(dir, "app-a", Keys{Offline: teamA, Online: online}, DefaultExpiries, now, []Target{{Name: "app-a/1.0.0/app", Path: file(t, "A 1.0.0")}}); err != nil {
		t.Fatal(err)
	}
	if err := AddToRole(dir, "app-b", Keys{Offline: teamB, Online: online}, DefaultExpiries, now, []Target{{Name: "app-b/2.0.0/app", Path: file(t, "B 2.0.0")}}); err != nil {
		t.Fatal(err)
	}
	if r, _ := RoleFor(dir, "app-a/1.0.1/app"); r != "app-a" {
		t.Errorf("RoleFor = %s", r)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	fetch := func(name string) (string, error) {
		dst := filepath.Join(t.TempDir(), "out")
		_, err := Fetch(ClientOptions{RepoURL: srv.URL, Root: root(t, dir), CacheDir: t.TempDir(), Now: now}, name, dst)
		b, _ := os.ReadFile(dst)
		return string(b), err
	}
	for name, want := range map[string]string{"app-a/1.0.0/app": "A 1.0.0", "app-b/2.0.0/app": "B 2.0.0"} {
		if got, err := fetch(name); err != nil || got != want {
			t.Fatalf("%s: %q %v", name, got, err)
		}
	}

	// Publishing refuses another product's key and paths outside the role.
	err := AddToRole(dir, "app-a", Keys{Offline: teamB, Online: online}, DefaultExpiries, now, []Target{{Name: "app-a/1.0.1/app", Path: file(t, "evil")}})
	if err == nil || !strings.Contains(err.Error(), "is not a key of role app-a") {
		t.Errorf("team B publishing into app-a: %v", err)
	}
	err = AddToRole(dir, "app-b", Keys{Offline: teamB, Online: online}, DefaultExpiries, now, []Target{{Name: "app-a/1.0.1/app", Path: file(t, "evil")}})
	if err == nil || !strings.Contains(err.Error(), "outside role app-b's paths") {
		t.Errorf("team B publishing app-a's path in its own role: %v", err)
	}

	// Attacks on the client, with the online key in the attacker's hands
	// too (a compromised server): metadata of role app-a signed by team B's
	// key, and an app-a path listed in role app-b.
	t.Run("app-a signed by team B", func(t *testing.T) {
		d := copyRepo(t, dir)
		ta, err := loadRole(d, "app-a")
		if err != nil {
			t.Fatal(err)
		}
		ta.Signed.Version++
		if err := addFiles(d, ta, []Target{{Name: "app-a/1.0.1/app", Path: file(t, "evil")}}, nil); err != nil {
			t.Fatal(err)
		}
		if err := forge(d, "app-a", teamB, ta); err != nil {
			t.Fatal(err)
		}
		if err := publishSnapshot(d, online, DefaultExpiries, now, map[string]int64{"app-a": ta.Signed.Version}); err != nil {
			t.Fatal(err)
		}
		s := httptest.NewServer(http.FileServer(http.Dir(d)))
		defer s.Close()
		_, err = Fetch(ClientOptions{RepoURL: s.URL, Root: root(t, d), Now: now}, "app-a/1.0.1/app", filepath.Join(t.TempDir(), "x"))
		if err == nil || !strings.Contains(err.Error(), "app-a") {
			t.Fatalf("client accepted app-a signed by team B: %v", err)
		}
	})
	t.Run("app-a path in app-b", func(t *testing.T) {
		d := copyRepo(t, dir)
		tb, err := loadRole(d, "app-b")
		if err != nil {
			t.Fatal(err)
		}
		tb.Signed.Version++
		if err := addFiles(d, tb, []Target{{Name: "app-a/9.9.9/app", Path: file(t, "evil")}}, nil); err != nil {
			t.Fatal(err)
		}
		if err := forge(d, "app-b", teamB, tb); err != nil {
			t.Fatal(err)
		}
		if err := publishSnapshot(d, online, DefaultExpiries, now, map[string]int64{"app-b": tb.Signed.Version}); err != nil {
			t.Fatal(err)
		}
		s := httptest.NewServer(http.FileServer(http.Dir(d)))
		defer s.Close()
		_, err = Fetch(ClientOptions{RepoURL: s.URL, Root: root(t, d), Now: now}, "app-a/9.9.9/app", filepath.Join(t.TempDir(), "x"))
		if err == nil || !strings.Contains(err.Error(), "not found") {
			t.Fatalf("client accepted an app-a path from role app-b: %v", err)
		}
	})
	if err := Delegate(dir, k, DefaultExpiries, now, Delegation{Role: metadata.SNAPSHOT, Paths: []string{"x/*"}, Keys: []crypto.PublicKey{teamA.Public()}, Threshold: 1}); err == nil {
		t.Error("a delegation named snapshot was accepted")
	}
}

// forge signs a targets role's metadata with key and writes it as
// VERSION.ROLE.json, bypassing the publisher's checks (an attacker's
// metadata).
func forge(dir, role string, key crypto.Signer, m *metadata.Metadata[metadata.TargetsType]) error {
	m.ClearSignatures()
	if err := signWith(m, key); err != nil {
		return err
	}
	return writeMeta(dir, fmt.Sprintf("%d.%s.json", m.Signed.Version, role), m)
}

// copyRepo copies a repository directory (metadata and targets).
func copyRepo(t *testing.T, src string) string {
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// A withdrawn target: clients that refresh no longer find it.
func TestRemove(t *testing.T) {
	now := time.Now().UTC()
	k := newKeys(t)
	dir, srv := repoWithTarget(t, k, now)
	if err := Remove(dir, "", Keys{Offline: key(t), Online: k.Online}, DefaultExpiries, now, []string{"app/1.0.0/app.bin"}); err == nil {
		t.Error("a stranger's key removed a target")
	}
	if err := Remove(dir, "", k, DefaultExpiries, now, []string{"app/9/none"}); err == nil {
		t.Error("removing an unknown target succeeded")
	}
	if err := Remove(dir, "", k, DefaultExpiries, now, []string{"app/1.0.0/app.bin"}); err != nil {
		t.Fatal(err)
	}
	_, err := Fetch(ClientOptions{RepoURL: srv.URL, Root: root(t, dir), Now: now}, "app/1.0.0/app.bin", filepath.Join(t.TempDir(), "x"))
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("a removed target: %v", err)
	}
}
