package keys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

func pw(s string) PasswordFunc { return func() ([]byte, error) { return []byte(s), nil } }

func TestGenerateWriteRead(t *testing.T) {
	for _, typ := range []Type{ECDSAP256, Ed25519} {
		t.Run(string(typ), func(t *testing.T) {
			priv, err := Generate(typ)
			if err != nil {
				t.Fatal(err)
			}
			prefix := filepath.Join(t.TempDir(), "k")
			keyPath, pubPath, err := WritePair(prefix, priv, []byte("s3cret"))
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(keyPath)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("key mode %v, want 0600", st.Mode().Perm())
			}
			data, _ := os.ReadFile(keyPath)
			if !strings.HasPrefix(string(data), "-----BEGIN "+EncryptedSigstoreType+"-----") {
				t.Errorf("key is not in cosign's format:\n%s", data)
			}
			got, err := ReadPrivateFile(keyPath, pw("s3cret"))
			if err != nil {
				t.Fatal(err)
			}
			pub, err := ReadPublicFile(pubPath)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := Fingerprint(got.Public())
			b, _ := Fingerprint(pub)
			if a != b {
				t.Error("private and public key do not match")
			}
			if _, err := ReadPrivateFile(keyPath, pw("wrong")); !errors.Is(err, ErrWrongPassword) {
				t.Errorf("wrong password: %v", err)
			}
			if _, _, err := WritePair(prefix, priv, []byte("x")); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
				t.Errorf("overwrite: %v", err)
			}
			if _, err := ReadPrivateFile(keyPath, nil); !errors.Is(err, ErrNoPassword) {
				t.Errorf("no password: %v", err)
			}
		})
	}
}

func TestEmptyPasswordRefused(t *testing.T) {
	priv, _ := Generate(ECDSAP256)
	if _, err := MarshalEncrypted(priv, nil); err == nil {
		t.Error("an empty password was accepted")
	}
}

// TestCosignKey reads the key cosign v3.1.3 generated.
func TestCosignKey(t *testing.T) {
	key := sharedtest.Path(t, "sigstore/cosign/cosign.key")
	priv, err := ReadPrivateFile(key, pw("hallmark-test"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ReadPublicFile(sharedtest.Path(t, "sigstore/cosign/cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := Fingerprint(priv.Public())
	b, _ := Fingerprint(pub)
	if a != b || b != "s5bnwcjA0DmqEZejKvAE+nf7yh5Nf9/Mzw80ZWBbyd8=" {
		t.Errorf("fingerprints %s %s", a, b)
	}
	_, err = ReadPrivateFile(key, pw("hallmark-tesT"))
	if !errors.Is(err, ErrWrongPassword) || !strings.HasSuffix(err.Error(), ": wrong password") {
		t.Errorf("wrong password: %v", err)
	}
}

func TestPlainFormats(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	sec1, _ := x509.MarshalECPrivateKey(ec)
	tests := []struct {
		name string
		data []byte
		err  string
	}{
		{"PKCS#8 ECDSA P-384", pkcs8(ec), ""},
		{"PKCS#8 Ed25519", pkcs8(ed), ""},
		{"PKCS#8 RSA 2048", pkcs8(rsaKey), ""},
		{"SEC 1", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), ""},
		{"PKCS#1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), ""},
		{"weak RSA", pkcs8(weak), "too weak"},
		{"public key", []byte("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEn1BJ92DLXdvKMJzcLnk5R8l06sFj\nV3+TzLKHZmdjyDMOjQwqXsGbG0uU6sylv6yGqbH9P3KzTwCfLQ+Mc0SuUw==\n-----END PUBLIC KEY-----\n"), "this is a public key"},
		{"not PEM", []byte("hello"), "not a PEM-encoded private key"},
		{"legacy encrypted", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: sec1}), "legacy RFC 1423"},
		{"unknown block", pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: []byte{1}}), "unknown PEM block"},
		{"garbage DER", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{0x30, 0x03, 1, 2}}), "asn1"},
		{"garbage cosign JSON", pem.EncodeToMemory(&pem.Block{Type: EncryptedSigstoreType, Bytes: []byte(`{"kdf":`)}), "malformed encrypted key"},
		{"huge", make([]byte, 100<<10), "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePrivate(tt.data, pw("x"))
			if tt.err == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("got %v, want error containing %q", err, tt.err)
			}
		})
	}
}

// TestCosignFormatRoundTrip: what hallmark writes, the reference
// implementation decrypts (so cosign reads it).
func TestCosignFormatRoundTrip(t *testing.T) {
	priv, _ := Generate(ECDSAP256)
	data, err := MarshalEncrypted(priv, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	der, err := encrypted.Decrypt(block.Bytes, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParsePKCS8PrivateKey(der); err != nil {
		t.Fatal(err)
	}
}

func FuzzParsePrivate(f *testing.F) {
	priv, _ := Generate(ECDSAP256)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: EncryptedSigstoreType, Bytes: []byte(`{"kdf":{"name":"scrypt","params":{"N":2,"r":1,"p":1},"salt":"AA=="},"cipher":{"name":"nacl/secretbox","nonce":"AA=="},"ciphertext":"AA=="}`)}))
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\n\n-----END EC PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePrivate(data, pw("pw"))
		if err == nil && k == nil {
			t.Fatal("nil key without error")
		}
	})
}

func FuzzParsePublic(f *testing.F) {
	priv, _ := Generate(Ed25519)
	p, _ := MarshalPublic(priv.Public())
	f.Add(p)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePublic(data)
		if err == nil && k == nil {
			t.Fatal("nil key without error")
		}
	})
}
