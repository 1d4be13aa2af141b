package store

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// Stored SBOMs are gzip-compressed: a JSON SBOM of 1,000 components is
// about a megabyte and shrinks about tenfold, which is most of what a
// release writes (and what SQLite's single writer spends its time on).
// Documents stored before are JSON, told apart by gzip's magic bytes,
// which no JSON document starts with.

func packSBOM(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(b)/8 + 64)
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, fmt.Errorf("compress SBOM: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress SBOM: %w", err)
	}
	return buf.Bytes(), nil
}

func unpackSBOM(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("stored SBOM: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, int64(limits.ServerSBOMBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("stored SBOM: %w", err)
	}
	if len(out) > limits.ServerSBOMBytes {
		return nil, fmt.Errorf("stored SBOM: larger than %d bytes", limits.ServerSBOMBytes)
	}
	return out, nil
}
