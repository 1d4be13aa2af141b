package sign

import (
	"context"
	"fmt"
	"io"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	sigsign "github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hallmark-dev/hallmark/internal/digest"
)

// MediaType is the media type of the bundles this package writes.
const MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// InTotoPayloadType is the DSSE payload type of in-toto statements.
const InTotoPayloadType = "application/vnd.in-toto+json"

// digestContent is a sigstore-go sign.Content whose "pre-authentication
// encoding" is the artifact's digest, computed beforehand by streaming the
// artifact; the prehashed keypair signs it as is.
type digestContent struct{ digest []byte }

func (c *digestContent) PreAuthEncoding() []byte { return c.digest }

func (c *digestContent) Bundle(b *protobundle.Bundle, sig, dig []byte, alg protocommon.HashAlgorithm) {
	(&sigsign.PlainData{}).Bundle(b, sig, dig, alg)
}

// Message signs the artifact read from r: a message signature over its
// digest (SHA-256 for P-256 and RSA keys, SHA-384 for P-384, SHA-512 for
// P-521 and Ed25519ph), with the key's hint as verification material. r is
// streamed; memory use does not depend on its size.
func Message(ctx context.Context, r io.Reader, kp *Keypair) (*protobundle.Bundle, error) {
	pre, err := kp.prehashedKeypair()
	if err != nil {
		return nil, err
	}
	alg, err := digest.ParseAlgorithm(pre.details.GetProtoHashType().String())
	if err != nil {
		return nil, err
	}
	set, _, err := digest.Reader(ctx, r, alg)
	if err != nil {
		return nil, err
	}
	return MessageDigest(ctx, set[alg], pre)
}

// MessageDigest signs an artifact digest computed by the caller with the
// algorithm kp.DigestAlgorithm reports.
func MessageDigest(ctx context.Context, d []byte, kp *Keypair) (*protobundle.Bundle, error) {
	pre := kp
	if !kp.prehashed {
		var err error
		if pre, err = kp.prehashedKeypair(); err != nil {
			return nil, err
		}
	}
	b, err := sigsign.Bundle(&digestContent{digest: d}, pre, sigsign.BundleOptions{Context: ctx})
	if err != nil {
		return nil, fmt.Errorf("make bundle: %w", err)
	}
	return b, nil
}

// DSSE signs payload, of type payloadType, in a DSSE envelope inside a
// bundle.
func DSSE(ctx context.Context, payloadType string, payload []byte, kp *Keypair) (*protobundle.Bundle, error) {
	if kp.prehashed {
		return nil, fmt.Errorf("DSSE needs a keypair that hashes the envelope")
	}
	b, err := sigsign.Bundle(&sigsign.DSSEData{Data: payload, PayloadType: payloadType}, kp, sigsign.BundleOptions{Context: ctx})
	if err != nil {
		return nil, fmt.Errorf("make bundle: %w", err)
	}
	return b, nil
}

// Marshal encodes a bundle as the canonical protobuf JSON that Sigstore
// clients read.
func Marshal(b *protobundle.Bundle) ([]byte, error) {
	out, err := protojson.MarshalOptions{Multiline: false}.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode bundle: %w", err)
	}
	return append(out, '\n'), nil
}
