// Package sign makes Sigstore bundles
// (https://github.com/sigstore/protobuf-specs/blob/main/protos/sigstore_bundle.proto,
// media type application/vnd.dev.sigstore.bundle.v0.3+json) with a
// long-lived key: message signatures over an artifact's digest, and DSSE
// envelopes (https://github.com/secure-systems-lab/dsse) around in-toto
// statements.
//
// The bundle is assembled by the reference implementation,
// github.com/sigstore/sigstore-go/pkg/sign; this package supplies its
// Keypair over any crypto.Signer (a key file, and later a KMS or hardware
// key) and streams the artifact so that a 2 GB file costs constant memory.
// Bundles are signed offline: no transparency-log entry is requested, so
// verifiers must be told to expect none (cosign: --insecure-ignore-tlog).
package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/hallmark-dev/hallmark/internal/digest"
	"github.com/hallmark-dev/hallmark/internal/keys"
)

// Keypair implements sigstore-go's sign.Keypair over a crypto.Signer.
//
// A Keypair built by NewKeypair signs what it is given, hashing it first
// with the algorithm's hash (ECDSA, RSA) or not at all (pure Ed25519), as
// DSSE requires. The keypair returned by prehashed instead signs a digest it
// is given, for message signatures over a streamed artifact; for Ed25519
// that is Ed25519ph (RFC 8032 §5.1, SHA-512), the only Ed25519 variant a
// hashedrekord can carry.
type Keypair struct {
	signer    crypto.Signer
	details   signature.AlgorithmDetails
	hint      []byte
	prehashed bool
}

// NewKeypair wraps signer. It chooses the Sigstore algorithm from the key:
// ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512, RSA PKCS#1 v1.5
// 2048/3072/4096 with SHA-256, or Ed25519.
func NewKeypair(signer crypto.Signer) (*Keypair, error) {
	alg, err := algorithm(signer.Public(), false)
	if err != nil {
		return nil, err
	}
	details, err := signature.GetAlgorithmDetails(alg)
	if err != nil {
		return nil, err
	}
	hint, err := keys.Fingerprint(signer.Public())
	if err != nil {
		return nil, err
	}
	return &Keypair{signer: signer, details: details, hint: []byte(hint)}, nil
}

func algorithm(pub crypto.PublicKey, prehashed bool) (protocommon.PublicKeyDetails, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, nil
		case elliptic.P384():
			return protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384, nil
		case elliptic.P521():
			return protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512, nil
		}
		return 0, fmt.Errorf("unsupported ECDSA curve %s", k.Curve.Params().Name)
	case *rsa.PublicKey:
		switch k.N.BitLen() {
		case 2048:
			return protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256, nil
		case 3072:
			return protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_3072_SHA256, nil
		case 4096:
			return protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_4096_SHA256, nil
		}
		return 0, fmt.Errorf("unsupported RSA key size %d (want 2048, 3072 or 4096)", k.N.BitLen())
	case ed25519.PublicKey:
		if prehashed {
			return protocommon.PublicKeyDetails_PKIX_ED25519_PH, nil
		}
		return protocommon.PublicKeyDetails_PKIX_ED25519, nil
	}
	return 0, fmt.Errorf("unsupported key type %T", pub)
}

// prehashedKeypair returns a copy of k whose SignData takes a digest.
func (k *Keypair) prehashedKeypair() (*Keypair, error) {
	alg, err := algorithm(k.signer.Public(), true)
	if err != nil {
		return nil, err
	}
	details, err := signature.GetAlgorithmDetails(alg)
	if err != nil {
		return nil, err
	}
	return &Keypair{signer: k.signer, details: details, hint: k.hint, prehashed: true}, nil
}

// DigestAlgorithm is the digest a message signature by k is made over.
func (k *Keypair) DigestAlgorithm() (digest.Algorithm, error) {
	p, err := k.prehashedKeypair()
	if err != nil {
		return "", err
	}
	return digest.ParseAlgorithm(p.details.GetProtoHashType().String())
}

// GetHashAlgorithm implements sign.Keypair.
func (k *Keypair) GetHashAlgorithm() protocommon.HashAlgorithm {
	return k.details.GetProtoHashType()
}

// GetSigningAlgorithm implements sign.Keypair.
func (k *Keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return k.details.GetSignatureAlgorithm()
}

// GetHint implements sign.Keypair: base64 SHA-256 of the PKIX public key,
// as cosign writes it.
func (k *Keypair) GetHint() []byte { return k.hint }

// GetKeyAlgorithm implements sign.Keypair.
func (k *Keypair) GetKeyAlgorithm() string {
	switch k.details.GetKeyType() {
	case signature.ECDSA:
		return "ECDSA"
	case signature.RSA:
		return "RSA"
	case signature.ED25519:
		return "ED25519"
	}
	return ""
}

// GetPublicKey implements sign.Keypair.
func (k *Keypair) GetPublicKey() crypto.PublicKey { return k.signer.Public() }

// GetPublicKeyPem implements sign.Keypair.
func (k *Keypair) GetPublicKeyPem() (string, error) {
	b, err := cryptoutils.MarshalPublicKeyToPEM(k.signer.Public())
	return string(b), err
}

// SignData implements sign.Keypair. It returns the signature and what was
// signed: the digest of data, data itself for pure Ed25519, or data as given
// for a prehashed keypair (which must then be a digest of the right size).
func (k *Keypair) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	h := k.details.GetHashType()
	toSign := data
	if k.prehashed {
		if h == 0 || len(data) != h.Size() {
			return nil, nil, fmt.Errorf("prehashed signing: got %d bytes, want a %v digest", len(data), h)
		}
	} else if h != 0 {
		hh := h.New()
		hh.Write(data)
		toSign = hh.Sum(nil)
	}
	var opts crypto.SignerOpts = h
	if _, ok := k.signer.Public().(ed25519.PublicKey); ok && h != 0 {
		opts = &ed25519.Options{Hash: h} // Ed25519ph
	}
	sig, err := k.signer.Sign(rand.Reader, toSign, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("sign: %w", err)
	}
	return sig, toSign, nil
}
