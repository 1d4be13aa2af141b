// Package keys generates, writes and reads signing keys in the formats users
// of Sigstore tools already have:
//
//   - PEM "PUBLIC KEY" (PKIX) public keys, as cosign writes cosign.pub;
//   - PEM "PRIVATE KEY" (PKCS#8), "EC PRIVATE KEY" (SEC 1), "RSA PRIVATE KEY"
//     (PKCS#1) and "ENCRYPTED PRIVATE KEY" (PKCS#8 PBES2) private keys;
//   - cosign's encrypted private key, a PEM "ENCRYPTED SIGSTORE PRIVATE KEY"
//     (or the older "ENCRYPTED COSIGN PRIVATE KEY") whose body is the JSON of
//     go-securesystemslib/encrypted: PKCS#8 DER sealed with NaCl secretbox
//     under a key derived by scrypt from the password.
//
// hallmark writes its own private keys in cosign's encrypted format, so that
// the keys of a team moving between hallmark and cosign work in both. The
// decryption and encryption are the reference implementation's
// (github.com/secure-systems-lab/go-securesystemslib/encrypted), not ours.
package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// PEM block types of cosign's encrypted private keys.
const (
	EncryptedSigstoreType = "ENCRYPTED SIGSTORE PRIVATE KEY"
	encryptedCosignType   = "ENCRYPTED COSIGN PRIVATE KEY"
)

// ErrWrongPassword is returned when an encrypted key does not open with the
// password given.
var ErrWrongPassword = errors.New("wrong password")

// ErrNoPassword is returned when a key is encrypted and no password source
// is available.
var ErrNoPassword = errors.New("private key is encrypted: set HALLMARK_PASSWORD or run on a terminal to be asked")

// Type is a key type hallmark generates.
type Type string

// Key types for Generate.
const (
	ECDSAP256 Type = "ecdsa-p256"
	Ed25519   Type = "ed25519"
)

// Generate makes a new private key of type t.
func Generate(t Type) (crypto.Signer, error) {
	switch t {
	case ECDSAP256, "":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case Ed25519:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("unknown key type %q (want %s or %s)", string(t), ECDSAP256, Ed25519)
}

// MarshalEncrypted encodes priv as cosign does: PKCS#8 DER encrypted with
// password (scrypt + secretbox) in a PEM "ENCRYPTED SIGSTORE PRIVATE KEY"
// block. An empty password is refused: an unencrypted key belongs in a
// secret store, not on disk.
func MarshalEncrypted(priv crypto.Signer, password []byte) ([]byte, error) {
	if len(password) == 0 {
		return nil, errors.New("empty password: a private key is never written unencrypted")
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	sealed, err := encrypted.Encrypt(der, password)
	if err != nil {
		return nil, fmt.Errorf("encrypt private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: EncryptedSigstoreType, Bytes: sealed}), nil
}

// MarshalPublic encodes pub as a PEM "PUBLIC KEY" (PKIX) block.
func MarshalPublic(pub crypto.PublicKey) ([]byte, error) {
	return cryptoutils.MarshalPublicKeyToPEM(pub)
}

// PasswordFunc supplies the password of an encrypted key. It is called only
// when the key is encrypted.
type PasswordFunc func() ([]byte, error)

// ParsePrivate reads a private key in any of the formats in the package
// comment. password is asked only for encrypted keys; a password that does
// not open the key gives an error matching ErrWrongPassword.
func ParsePrivate(data []byte, password PasswordFunc) (crypto.Signer, error) {
	if len(data) > limits.KeyBytes {
		return nil, fmt.Errorf("key larger than %d bytes", limits.KeyBytes)
	}
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM-encoded private key")
	}
	if len(strings.TrimSpace(string(rest))) > 0 && pemBlockFollows(rest) {
		return nil, errors.New("more than one PEM block: give one private key per file")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case EncryptedSigstoreType, encryptedCosignType:
		key, err = parseCosign(block.Bytes, password)
	case "ENCRYPTED PRIVATE KEY":
		if password == nil {
			return nil, ErrNoPassword
		}
		var pw []byte
		if pw, err = password(); err != nil {
			return nil, err
		}
		key, err = cryptoutils.UnmarshalPEMToPrivateKey(pem.EncodeToMemory(block), cryptoutils.StaticPasswordFunc(pw))
		if err != nil && strings.Contains(err.Error(), "decrypt") {
			err = ErrWrongPassword
		}
	case "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY":
		if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, errors.New("legacy RFC 1423 encrypted PEM key (Proc-Type: 4,ENCRYPTED) is insecure and not read: convert it to PKCS#8")
		}
		key, err = cryptoutils.UnmarshalPEMToPrivateKey(pem.EncodeToMemory(block), nil)
	case "PUBLIC KEY":
		return nil, errors.New("this is a public key; signing needs the private key")
	default:
		return nil, fmt.Errorf("unknown PEM block %q: want a PKCS#8, SEC 1, PKCS#1 or cosign private key", block.Type)
	}
	if err != nil {
		return nil, err
	}
	return checkSigner(key)
}

func pemBlockFollows(rest []byte) bool {
	b, _ := pem.Decode(rest)
	return b != nil
}

func parseCosign(sealed []byte, password PasswordFunc) (any, error) {
	if password == nil {
		return nil, ErrNoPassword
	}
	pw, err := password()
	if err != nil {
		return nil, err
	}
	der, err := encrypted.Decrypt(sealed, pw)
	// scrypt's working memory (128·N·r bytes: 32 MB for cosign's
	// parameters, more for stronger ones) is garbage now, and it was live
	// at the collection it caused: left to the pacer, the heap would grow
	// to twice that before the next one, and a second key (release with
	// --repo opens two) would stack its own on top. Collecting here costs
	// under a millisecond on the small heap that is left.
	runtime.GC()
	if err != nil {
		// secretbox.Open fails only when the key derived from the
		// password does not authenticate the ciphertext. The library
		// does not export that error; its message is stable.
		if strings.Contains(err.Error(), "decryption failed") {
			return nil, ErrWrongPassword
		}
		return nil, fmt.Errorf("malformed encrypted key: %w", err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("encrypted key holds no PKCS#8 private key: %w", err)
	}
	return key, nil
}

// checkSigner accepts the key types Sigstore signs with.
func checkSigner(key any) (crypto.Signer, error) {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return k, nil
		}
		return nil, fmt.Errorf("unsupported ECDSA curve %s", k.Curve.Params().Name)
	case ed25519.PrivateKey:
		return k, nil
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA key of %d bits is too weak (at least 2048)", k.N.BitLen())
		}
		return k, nil
	}
	return nil, fmt.Errorf("unsupported private key type %T", key)
}

// ParsePublic reads a PEM "PUBLIC KEY" block, or the public key of a PEM
// "CERTIFICATE".
func ParsePublic(data []byte) (crypto.PublicKey, error) {
	if len(data) > limits.KeyBytes {
		return nil, fmt.Errorf("key larger than %d bytes", limits.KeyBytes)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM-encoded public key")
	}
	var pub any
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		pub = k
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		pub = c.PublicKey
	default:
		if strings.Contains(block.Type, "PRIVATE KEY") {
			return nil, errors.New("this is a private key; verification needs the public key (never hand out the private key)")
		}
		return nil, fmt.Errorf("unknown PEM block %q: want PUBLIC KEY", block.Type)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey, ed25519.PublicKey:
		return k, nil
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA key of %d bits is too weak (at least 2048)", k.N.BitLen())
		}
		return k, nil
	}
	return nil, fmt.Errorf("unsupported public key type %T", pub)
}

// Fingerprint is the Sigstore key hint: base64 (standard) of the SHA-256 of
// the PKIX DER public key, as cosign and sigstore-go write it.
func Fingerprint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// ReadPrivateFile reads a private key file; see ParsePrivate.
func ReadPrivateFile(path string, password PasswordFunc) (crypto.Signer, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivate(data, password)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	return k, nil
}

// ReadPublicFile reads a public key file; see ParsePublic.
func ReadPublicFile(path string) (crypto.PublicKey, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePublic(data)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	return k, nil
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limits.KeyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > limits.KeyBytes {
		return nil, fmt.Errorf("key %s: larger than %d bytes", path, limits.KeyBytes)
	}
	return data, nil
}

// WritePair writes prefix+".key" (encrypted, mode 0600) and prefix+".pub".
// Neither file may exist: keys are never overwritten.
func WritePair(prefix string, priv crypto.Signer, password []byte) (keyPath, pubPath string, err error) {
	privPEM, err := MarshalEncrypted(priv, password)
	if err != nil {
		return "", "", err
	}
	pubPEM, err := MarshalPublic(priv.Public())
	if err != nil {
		return "", "", err
	}
	keyPath, pubPath = prefix+".key", prefix+".pub"
	for _, p := range []string{keyPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", "", fmt.Errorf("%s exists: refusing to overwrite a key", p)
		}
	}
	if err := writeNew(keyPath, privPEM, 0o600); err != nil {
		return "", "", err
	}
	if err := writeNew(pubPath, pubPEM, 0o644); err != nil {
		os.Remove(keyPath)
		return "", "", err
	}
	return keyPath, pubPath, nil
}

// writeNew creates path exclusively with mode perm (never widened by a
// permissive umask after the fact: the mode is set at creation and checked).
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
