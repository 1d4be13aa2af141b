package digest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

func TestReaderMatchesCrypto(t *testing.T) {
	// Sizes around the chunk boundaries.
	for _, n := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 17, 7 * ChunkSize} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*7 + i>>8)
		}
		s256, s384, s512 := sha256.Sum256(data), sha512.Sum384(data), sha512.Sum512(data)
		want := Set{SHA256: s256[:], SHA384: s384[:], SHA512: s512[:]}
		// A reader returning one byte at a time exercises short reads.
		var r io.Reader = bytes.NewReader(data)
		if n < 5000 {
			r = iotest.OneByteReader(r)
		}
		got, size, err := Reader(context.Background(), r, SHA256, SHA384, SHA512)
		if err != nil {
			t.Fatal(err)
		}
		if size != int64(n) {
			t.Errorf("size %d, want %d", size, n)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("n=%d diff (-want +got):\n%s", n, diff)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	if _, _, err := Reader(context.Background(), io.MultiReader(bytes.NewReader(make([]byte, 3*ChunkSize)), iotest.ErrReader(boom)), SHA256, SHA512); !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Reader(ctx, bytes.NewReader(make([]byte, 10)), SHA256); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, _, err := Reader(context.Background(), bytes.NewReader(nil), "md5"); err == nil {
		t.Error("md5 accepted")
	}
	if _, _, err := Reader(context.Background(), bytes.NewReader(nil)); err == nil {
		t.Error("no algorithm accepted")
	}
}

type zeroes struct{ n int64 }

func (z *zeroes) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

func benchDigest(b *testing.B, algs ...Algorithm) {
	const size = 256 << 20
	b.SetBytes(size)
	for b.Loop() {
		if _, _, err := Reader(context.Background(), &zeroes{size}, algs...); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSHA256(b *testing.B)       { benchDigest(b, SHA256) }
func BenchmarkSHA512(b *testing.B)       { benchDigest(b, SHA512) }
func BenchmarkSHA256SHA512(b *testing.B) { benchDigest(b, SHA256, SHA512) }

// BenchmarkPlainSHA256 is crypto/sha256 alone, the floor for BenchmarkSHA256.
func BenchmarkPlainSHA256(b *testing.B) {
	const size = 256 << 20
	b.SetBytes(size)
	buf := make([]byte, ChunkSize)
	for b.Loop() {
		h := sha256.New()
		if _, err := io.CopyBuffer(h, &zeroes{size}, buf); err != nil {
			b.Fatal(err)
		}
	}
}
