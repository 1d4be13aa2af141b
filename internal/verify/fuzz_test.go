package verify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/sign"
)

// FuzzParseBundle feeds arbitrary bytes to the bundle reader and, when they
// parse, to verification: neither may panic, and nothing random verifies.
func FuzzParseBundle(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	kp, _ := sign.NewKeypair(key)
	b, _ := sign.Message(context.Background(), bytes.NewReader([]byte("artifact")), kp)
	msg, _ := sign.Marshal(b)
	f.Add(msg)
	d, _ := sign.DSSE(context.Background(), "application/vnd.in-toto+json", []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"x","predicate":{}}`), kp)
	dsse, _ := sign.Marshal(d)
	f.Add(dsse)
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1"}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"messageSignature":{}}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`))
	opts := Options{PublicKey: key.Public()}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundle(data)
		if err != nil {
			if !IsVerification(err) {
				t.Fatalf("parse error is not a verification failure: %v", err)
			}
			return
		}
		if _, err := Artifact(context.Background(), b, bytes.NewReader([]byte("other artifact")), opts); err == nil {
			t.Fatalf("a fuzzed bundle verified another artifact:\n%s", data)
		}
	})
}
