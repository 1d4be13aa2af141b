// Package digest computes the cryptographic digests of artifacts in one
// streaming pass: memory stays constant whatever the artifact's size, and
// each algorithm hashes on its own goroutine while the next chunk is read,
// so a file is digested with several algorithms in about the time of the
// slowest one.
//
// Algorithm names are the in-toto digest set names
// (https://github.com/in-toto/attestation/blob/main/spec/v1/digest_set.md):
// "sha256", "sha384", "sha512".
package digest

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
)

// Algorithm is an in-toto digest set algorithm name.
type Algorithm string

// Supported algorithms.
const (
	SHA256 Algorithm = "sha256"
	SHA384 Algorithm = "sha384"
	SHA512 Algorithm = "sha512"
)

// ParseAlgorithm accepts an in-toto name ("sha256") or the spelling used by
// Sigstore's protobuf HashAlgorithm ("SHA2_256").
func ParseAlgorithm(s string) (Algorithm, error) {
	switch s {
	case "sha256", "SHA2_256":
		return SHA256, nil
	case "sha384", "SHA2_384":
		return SHA384, nil
	case "sha512", "SHA2_512":
		return SHA512, nil
	}
	return "", fmt.Errorf("unsupported digest algorithm %q (want sha256, sha384 or sha512)", s)
}

// Hash returns the crypto.Hash of a.
func (a Algorithm) Hash() crypto.Hash {
	switch a {
	case SHA256:
		return crypto.SHA256
	case SHA384:
		return crypto.SHA384
	case SHA512:
		return crypto.SHA512
	}
	return 0
}

func (a Algorithm) new() (hash.Hash, error) {
	switch a {
	case SHA256:
		return sha256.New(), nil
	case SHA384:
		return sha512.New384(), nil
	case SHA512:
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("unsupported digest algorithm %q", string(a))
}

// Set holds the digests of one artifact, by algorithm.
type Set map[Algorithm][]byte

// Hex returns the lower-case hex digest for a, or "" when the set lacks it.
func (s Set) Hex(a Algorithm) string {
	if d, ok := s[a]; ok {
		return hex.EncodeToString(d)
	}
	return ""
}

// HexMap returns the set as an in-toto DigestSet (algorithm -> hex).
func (s Set) HexMap() map[string]string {
	m := make(map[string]string, len(s))
	for a, d := range s {
		m[string(a)] = hex.EncodeToString(d)
	}
	return m
}

// ChunkSize is the size of each read. 1 MiB amortises the goroutine
// hand-off and stays in L2/L3 cache.
const ChunkSize = 1 << 20

// chunks is how many buffers are in flight: one being read, the others being
// hashed.
const chunks = 3

type piece struct {
	b  []byte
	wg *sync.WaitGroup
}

// Reader digests everything r yields with each of algs, returning the digests
// and the number of bytes read. It stops early, with ctx's error, when ctx is
// cancelled.
func Reader(ctx context.Context, r io.Reader, algs ...Algorithm) (Set, int64, error) {
	if len(algs) == 0 {
		return nil, 0, fmt.Errorf("digest: no algorithm given")
	}
	hashers := make([]hash.Hash, len(algs))
	for i, a := range algs {
		h, err := a.new()
		if err != nil {
			return nil, 0, err
		}
		hashers[i] = h
	}
	feeds := make([]chan piece, len(hashers))
	var workers sync.WaitGroup
	for i, h := range hashers {
		feeds[i] = make(chan piece, chunks)
		workers.Add(1)
		go func() {
			defer workers.Done()
			for p := range feeds[i] {
				h.Write(p.b)
				p.wg.Done()
			}
		}()
	}
	var (
		bufs  [chunks][]byte
		inUse [chunks]sync.WaitGroup
		total int64
		rerr  error
	)
	for i := range bufs {
		bufs[i] = make([]byte, ChunkSize)
	}
	for i := 0; ; i = (i + 1) % chunks {
		if err := ctx.Err(); err != nil {
			rerr = err
			break
		}
		inUse[i].Wait()
		n, err := io.ReadFull(r, bufs[i])
		if n > 0 {
			total += int64(n)
			inUse[i].Add(len(feeds))
			for _, f := range feeds {
				f <- piece{bufs[i][:n], &inUse[i]}
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			rerr = err
			break
		}
	}
	for _, f := range feeds {
		close(f)
	}
	workers.Wait()
	if rerr != nil {
		return nil, total, rerr
	}
	set := make(Set, len(algs))
	for i, a := range algs {
		set[a] = hashers[i].Sum(nil)
	}
	return set, total, nil
}

// File digests the file at path; see Reader.
func File(ctx context.Context, path string, algs ...Algorithm) (Set, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	set, n, err := Reader(ctx, f, algs...)
	if err != nil {
		return nil, n, fmt.Errorf("read %s: %w", path, err)
	}
	return set, n, nil
}
