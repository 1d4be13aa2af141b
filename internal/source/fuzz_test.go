package source

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// FuzzSquash feeds arbitrary bytes to the layer reader as a layer, after a
// valid one: no panic, no entry outside the root, whatever the input.
func FuzzSquash(f *testing.F) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "a/b", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644},
		{Name: "a/.wh..wh..opq", Typeflag: tar.TypeReg},
		{Name: "a/.wh.b", Typeflag: tar.TypeReg},
		{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "../../a/b"},
		{Name: "h", Typeflag: tar.TypeLink, Linkname: "a/b"},
		{Name: "../x", Typeflag: tar.TypeReg},
	} {
		tw.WriteHeader(h)
		if h.Size > 0 {
			tw.Write([]byte("x"))
		}
	}
	tw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := newSquash(func(string, fs.FileMode) bool { return true })
		_ = s.applyLayer(0, bytes.NewReader(buf.Bytes()), "", 0)
		_ = s.applyLayer(1, bytes.NewReader(b), "", 0)
		for p := range s.entries {
			if !fs.ValidPath(p) {
				t.Fatalf("entry %q outside the root", p)
			}
		}
		m := s.fs()
		_, _ = fs.ReadFile(m, "l")
		_ = fs.WalkDir(m, ".", func(string, fs.DirEntry, error) error { return nil })

		// Through the hashing reader, skipping what is not wanted: the
		// right digest is never called tampered, a wrong one always is.
		sum := sha256.Sum256(b)
		sq := newSquash(func(name string, _ fs.FileMode) bool { return strings.Contains(name, "a") })
		if err := sq.applyLayer(0, bytes.NewReader(b), "sha256:"+hex.EncodeToString(sum[:]), int64(len(b))); errors.Is(err, ErrTampered) {
			t.Fatalf("the layer's own digest: %v", err)
		}
		sq = newSquash(func(string, fs.FileMode) bool { return false })
		if err := sq.applyLayer(0, bytes.NewReader(b), "sha256:"+strings.Repeat("0", 64), int64(len(b))); err == nil {
			t.Fatal("a wrong digest passed")
		}
	})
}

func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"a/b", "./a", "/etc/passwd", "../x", "a/../../b", "", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, ok := cleanName(s); ok && !fs.ValidPath(n) {
			t.Fatalf("cleanName(%q) = %q: not a valid path", s, n)
		}
	})
}
