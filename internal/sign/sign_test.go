package sign_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/sign"
	"github.com/hallmark-dev/hallmark/internal/verify"
)

// TestKeyTypes signs a message and a DSSE statement with every supported
// key type and verifies both with sigstore-go (through package verify),
// and refuses them for another artifact.
func TestKeyTypes(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 3072)
	artifact := []byte(strings.Repeat("release bytes ", 100000))
	stmt := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` +
		sha256Hex(artifact) + `"}}],"predicateType":"https://example.com/p","predicate":{"k":"v"}}`)
	for _, tt := range []struct {
		name   string
		signer crypto.Signer
		alg    string
	}{
		{"ECDSA P-256", p256, "sha256"}, {"ECDSA P-384", p384, "sha384"}, {"ECDSA P-521", p521, "sha512"},
		{"Ed25519 (ph for messages)", ed, "sha512"}, {"RSA 3072", rsaKey, "sha256"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kp, err := sign.NewKeypair(tt.signer)
			if err != nil {
				t.Fatal(err)
			}
			if a, _ := kp.DigestAlgorithm(); string(a) != tt.alg {
				t.Errorf("digest algorithm %s, want %s", a, tt.alg)
			}
			msg, err := sign.Message(context.Background(), bytes.NewReader(artifact), kp)
			if err != nil {
				t.Fatal(err)
			}
			env, err := sign.DSSE(context.Background(), sign.InTotoPayloadType, stmt, kp)
			if err != nil {
				t.Fatal(err)
			}
			for name, pb := range map[string][]byte{"message": must(sign.Marshal(msg)), "dsse": must(sign.Marshal(env))} {
				bundle, err := verify.ParseBundle(pb)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				o := verify.Options{PublicKey: tt.signer.Public()}
				if _, err := verify.Artifact(context.Background(), bundle, bytes.NewReader(artifact), o); err != nil {
					t.Errorf("%s: %v", name, err)
				}
				if _, err := verify.Artifact(context.Background(), bundle, bytes.NewReader(artifact[1:]), o); verify.CheckOf(err) != verify.CheckDigest {
					t.Errorf("%s for another artifact: %v", name, err)
				}
			}
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
