package source

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"os"
	"testing"
)

// TestHashingReader: whatever mix of reads and forward seeks consumes the
// stream, the bytes read are the source's and the digest is the whole
// source's, across chunk boundaries; a seek past the end stops there.
func TestHashingReader(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var chunks [][]byte // reused from reader to reader, as layers do
	for _, size := range []int{0, 1, 511, hashChunk - 1, hashChunk, hashChunk + 1, 3*hashChunk + 12345} {
		src := make([]byte, size)
		for i := range src {
			src[i] = byte(rng.Uint32())
		}
		want := sha256.Sum256(src)
		for round := range 4 {
			r := newHashingReader(bytes.NewReader(src), chunks, int64(size))
			pos := 0
			buf := make([]byte, 700)
			for pos < size {
				if round > 0 && rng.IntN(2) == 0 {
					n := rng.IntN(2*hashChunk/(round+1) + 1)
					got, err := r.Seek(int64(n), io.SeekCurrent)
					if err != nil {
						t.Fatal(err)
					}
					pos = min(pos+n, size)
					if got != int64(pos) {
						t.Fatalf("size %d: Seek to %d, at %d", size, pos, got)
					}
					continue
				}
				n, err := r.Read(buf[:1+rng.IntN(len(buf))])
				if !bytes.Equal(buf[:n], src[pos:pos+n]) {
					t.Fatalf("size %d: bytes %d..%d differ", size, pos, pos+n)
				}
				pos += n
				if err != nil && err != io.EOF {
					t.Fatal(err)
				}
			}
			if n, err := r.Read(buf); n != 0 || err != io.EOF {
				t.Fatalf("size %d: after the end: %d, %v", size, n, err)
			}
			if got := r.sum(); !bytes.Equal(got, want[:]) {
				t.Fatalf("size %d round %d: digest differs", size, round)
			}
			chunks = r.release()
			if len(chunks) > hashChunks || size > 0 && len(chunks) == 0 {
				t.Fatalf("size %d: %d chunks released", size, len(chunks))
			}
		}
	}
}

// TestCountingReaderSeekLimit: skipping counts toward the layer limit.
func TestCountingReaderSeekLimit(t *testing.T) {
	h := newHashingReader(bytes.NewReader(make([]byte, 10000)), nil, 0)
	defer h.release()
	c := &countingReader{r: h, max: 4096}
	if _, err := c.Seek(5000, io.SeekCurrent); err == nil {
		t.Fatal("a seek past the limit passed")
	}
}

// TestKeepExecutable: which executables the squash keeps for catalogers.
func TestKeepExecutable(t *testing.T) {
	self, err := os.Executable() // a Go binary: .go.buildinfo
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if !keepExecutable(goBin) {
		t.Error("a Go test binary is not kept")
	}
	for _, p := range []string{"/bin/sh", "/usr/bin/env"} { // C programs
		if b, err := os.ReadFile(p); err == nil && bytes.HasPrefix(b, []byte("\x7fELF")) && keepExecutable(b) {
			t.Errorf("%s is kept", p)
		}
	}
	if !keepExecutable([]byte("#!/bin/sh\necho hi\n")) {
		t.Error("a script is not kept")
	}
	// Not ELF (or ELF without section headers): the bytes are scanned.
	if !keepExecutable(append([]byte("MZ\x90\x00 junk "), buildInfoMagic...)) || keepExecutable([]byte("MZ\x90\x00 junk")) {
		t.Error("scanning a non-ELF file")
	}
	if keepExecutable([]byte("\x7fELF truncated")) {
		t.Error("a truncated ELF header is kept")
	}
}
