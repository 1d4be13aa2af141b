package scan

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSourceDateEpoch(t *testing.T) {
	got, err := SourceDateEpoch("1700000000")
	if err != nil || !got.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("SourceDateEpoch = %v, %v", got, err)
	}
	if got, err := SourceDateEpoch(""); err != nil || !got.IsZero() {
		t.Fatalf("empty: %v, %v", got, err)
	}
	for _, bad := range []string{"-1", "x", "1.5"} {
		if _, err := SourceDateEpoch(bad); err == nil {
			t.Errorf("SourceDateEpoch(%q): no error", bad)
		}
	}
}

func TestDBDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if d, _ := DBDir("flag", env(map[string]string{"HALLMARK_DB": "env"})); d != "flag" {
		t.Errorf("flag lost to %q", d)
	}
	if d, _ := DBDir("", env(map[string]string{"HALLMARK_DB": "env"})); d != "env" {
		t.Errorf("env lost to %q", d)
	}
}

func TestOpenDBEmpty(t *testing.T) {
	db, err := OpenDB(filepath.Join(t.TempDir(), "none"))
	if err != nil || db != nil {
		t.Fatalf("OpenDB(missing) = %v, %v; want nil, nil", db, err)
	}
}

func TestReadBounded(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadBounded(p, 4); err == nil {
		t.Error("5 bytes under a 4-byte bound: no error")
	}
	if b, err := ReadBounded(p, 5); err != nil || string(b) != "12345" {
		t.Errorf("ReadBounded = %q, %v", b, err)
	}
}

func TestOpenGateBrokenPolicy(t *testing.T) {
	p := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(p, []byte("rules: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenGate(p, t.TempDir(), nil, os.Stderr); err == nil {
		t.Fatal("a broken policy opened")
	}
}
