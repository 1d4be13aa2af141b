package catalog

import (
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

var sriAlgorithms = map[string]string{
	"sha1":   sbom.SHA1,
	"sha256": sbom.SHA256,
	"sha384": sbom.SHA384,
	"sha512": sbom.SHA512,
}

var hexLen = map[string]int{sbom.SHA1: 40, sbom.SHA256: 64, sbom.SHA384: 96, sbom.SHA512: 128, sbom.MD5: 32}

// ParseSRI reads a Subresource Integrity string ("sha512-<base64>", as npm,
// yarn and pnpm record it; several space-separated values are allowed) into
// hex hashes. Values it cannot read are skipped.
func ParseSRI(s string) []sbom.Hash {
	var out []sbom.Hash
	for _, f := range strings.Fields(s) {
		alg, b64, ok := strings.Cut(f, "-")
		if !ok {
			continue
		}
		if h, ok := HexHash(sriAlgorithms[strings.ToLower(alg)], b64, base64.StdEncoding); ok {
			out = append(out, h)
		}
	}
	return out
}

// HexHash decodes an encoded digest of the given algorithm to a hex Hash,
// checking its length. It returns false for an unknown algorithm, bad
// encoding or wrong length.
func HexHash(alg, encoded string, enc *base64.Encoding) (sbom.Hash, bool) {
	n, ok := hexLen[alg]
	if !ok {
		return sbom.Hash{}, false
	}
	b, err := enc.DecodeString(encoded)
	if err != nil {
		return sbom.Hash{}, false
	}
	if len(b)*2 != n {
		return sbom.Hash{}, false
	}
	return sbom.Hash{Algorithm: alg, Value: hex.EncodeToString(b)}, true
}

// CheckHex returns a Hash for a hex digest of the given algorithm, lower-cased,
// or false when it is not valid hex of the right length.
func CheckHex(alg, value string) (sbom.Hash, bool) {
	n, ok := hexLen[alg]
	if !ok || len(value) != n {
		return sbom.Hash{}, false
	}
	if _, err := hex.DecodeString(value); err != nil {
		return sbom.Hash{}, false
	}
	return sbom.Hash{Algorithm: alg, Value: strings.ToLower(value)}, true
}
