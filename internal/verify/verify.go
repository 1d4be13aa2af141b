// Package verify checks Sigstore bundles against an artifact, a signer and
// expectations on what was attested, and says which check failed.
//
// All cryptographic and trust decisions — signatures, DSSE, certificate
// chains to the trusted root, SCTs, transparency-log inclusion proofs and
// signed entry timestamps, identity matching — are made by the reference
// implementation, github.com/sigstore/sigstore-go/pkg/verify
// (https://github.com/sigstore/architecture-docs/blob/main/client-spec.md).
// This package chooses its policy, streams the artifact once, and adds the
// checks sigstore-go leaves to callers: the DSSE payload type, the
// predicate type, and SLSA provenance expectations.
//
// Bundle media types v0.1, v0.2 and v0.3 are read, as the bundle spec
// requires of readers.
package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/hallmark-dev/hallmark/internal/attest"
	"github.com/hallmark-dev/hallmark/internal/digest"
	"github.com/hallmark-dev/hallmark/internal/keys"
	"github.com/hallmark-dev/hallmark/internal/limits"
)

// Options say what a bundle must prove. Exactly one of PublicKey and
// TrustedRoot-with-identity is the signer policy; conflicting or missing
// choices are refused by Verify before any work.
type Options struct {
	// PublicKey verifies bundles signed with a long-lived key.
	PublicKey crypto.PublicKey
	// TrustedRoot verifies keyless bundles offline: Fulcio CAs, Rekor and
	// CT log keys (a trusted_root.json). With PublicKey it additionally
	// requires a verified transparency-log entry.
	TrustedRoot root.TrustedMaterial
	// Identity / IdentityRegexp match the certificate's subject
	// alternative name; Issuer / IssuerRegexp its OIDC issuer. One of each
	// is required for keyless bundles.
	Identity, IdentityRegexp string
	Issuer, IssuerRegexp     string

	// PredicateType, when set, requires a DSSE attestation with this
	// predicate type (a URI or an attest --type name).
	PredicateType string
	// Provenance expectations (SLSA Provenance v1 or v0.2).
	SourceURI, SourceDigest, BuilderID string
}

// Result describes what was verified.
type Result struct {
	MediaType string
	// Kind is "message signature" or "attestation".
	Kind string
	// Signer is the key fingerprint (base64 SHA-256 of the PKIX key) or the
	// certificate's subject alternative name; Issuer its OIDC issuer.
	Signer, Issuer string
	// Statement is the verified in-toto statement of an attestation.
	Statement *intoto.Statement
	// Digests are the artifact digests computed while verifying.
	Digests digest.Set
	// Size is the artifact's size in bytes.
	Size int64
	// Timestamps are the verified times of signing (transparency log
	// integrated time, RFC 3161 timestamps).
	Timestamps []Timestamp
	// TlogIndex is the log index of each verified transparency-log entry.
	TlogIndex []int64
}

// Timestamp is one verified time of signing.
type Timestamp struct {
	Kind string // "Tlog" or "TimestampAuthority"
	URI  string
	Time time.Time
}

// ParseBundle reads a bundle of media type v0.1, v0.2 or v0.3. Any defect
// is a failed CheckBundle.
func ParseBundle(data []byte) (*bundle.Bundle, error) {
	if len(data) > limits.BundleBytes {
		return nil, fail(CheckBundle, "bundle larger than %d bytes", limits.BundleBytes)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fail(CheckBundle, "bundle is empty")
	}
	if trimmed[0] != '{' {
		return nil, fail(CheckBundle, "bundle is not JSON")
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(trimmed); err != nil {
		switch {
		case errors.Is(err, bundle.ErrUnsupportedMediaType):
			return nil, fail(CheckBundle, "unknown bundle media type %q (want application/vnd.dev.sigstore.bundle.v0.3+json, or v0.1/v0.2)", mediaTypeOf(trimmed))
		case errors.Is(err, bundle.ErrValidation):
			return nil, fail(CheckBundle, "invalid bundle: %v", err)
		}
		return nil, fail(CheckBundle, "malformed bundle (truncated or not a Sigstore bundle): %v", err)
	}
	return &b, nil
}

// mediaTypeOf digs the media type out of a bundle that failed to parse, for
// the error message only.
func mediaTypeOf(b []byte) string {
	var m struct {
		MediaType string `json:"mediaType"`
	}
	_ = jsonUnmarshal(b, &m)
	return m.MediaType
}

// ReadBundleFile reads and parses a bundle file. A missing or unreadable
// file is an input error; a malformed bundle a failed verification.
func ReadBundleFile(path string) (*bundle.Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limits.BundleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	b, err := ParseBundle(data)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", path, err)
	}
	return b, nil
}

// ReadTrustedRootFile reads a trusted_root.json.
func ReadTrustedRootFile(path string) (*root.TrustedRoot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limits.TrustedRootBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > limits.TrustedRootBytes {
		return nil, fmt.Errorf("trusted root %s: larger than %d bytes", path, limits.TrustedRootBytes)
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("trusted root %s: %w", path, err)
	}
	return tr, nil
}

func (o *Options) check() error {
	keyless := o.Identity != "" || o.IdentityRegexp != "" || o.Issuer != "" || o.IssuerRegexp != ""
	switch {
	case o.PublicKey != nil && keyless:
		return errors.New("give either a public key or a certificate identity and issuer, not both")
	case o.PublicKey == nil && !keyless:
		return errors.New("no signer to verify against: give a public key, or a certificate identity and issuer with a trusted root")
	case keyless && o.TrustedRoot == nil:
		return errors.New("keyless verification needs a trusted root (trusted_root.json)")
	case keyless && (o.Identity == "") == (o.IdentityRegexp == ""):
		return errors.New("give exactly one of certificate identity and certificate identity regexp")
	case keyless && (o.Issuer == "") == (o.IssuerRegexp == ""):
		return errors.New("give exactly one of certificate OIDC issuer and certificate OIDC issuer regexp")
	}
	return nil
}

// File verifies b against the artifact at path; see Artifact.
func File(ctx context.Context, b *bundle.Bundle, path string, o Options) (*Result, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Artifact(ctx, b, f, o)
}

// Artifact verifies b against the artifact read from r (streamed once, in
// constant memory). It returns an *Error naming the failed check when the
// bundle does not prove what o requires, and another error when
// verification could not run.
func Artifact(ctx context.Context, b *bundle.Bundle, r io.Reader, o Options) (*Result, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	res := &Result{MediaType: b.GetMediaType()}

	// What is signed, and which digests of the artifact it needs.
	var (
		algs  []digest.Algorithm
		stmt  *intoto.Statement
		isMsg bool
	)
	switch {
	case b.GetMessageSignature() != nil:
		isMsg = true
		res.Kind = "message signature"
		if o.PredicateType != "" || o.SourceURI != "" || o.SourceDigest != "" || o.BuilderID != "" {
			return nil, fail(CheckPredicateType, "bundle holds a message signature, not an attestation")
		}
		md := b.GetMessageSignature().GetMessageDigest()
		if md == nil {
			return nil, fail(CheckBundle, "message signature has no digest")
		}
		alg, err := digest.ParseAlgorithm(md.GetAlgorithm().String())
		if err != nil {
			return nil, fail(CheckBundle, "message digest: %v", err)
		}
		algs = []digest.Algorithm{alg}
	case b.GetDsseEnvelope() != nil:
		res.Kind = "attestation"
		env := b.GetDsseEnvelope()
		if pt := env.GetPayloadType(); pt != attest.PayloadType {
			return nil, fail(CheckPayloadType, "DSSE payload type is %q, not in-toto (%s)", pt, attest.PayloadType)
		}
		var err error
		if stmt, err = attest.ParseStatement(env.GetPayload()); err != nil {
			return nil, fail(CheckPayloadType, "%v", err)
		}
		if algs = subjectAlgorithms(stmt); len(algs) == 0 {
			return nil, fail(CheckDigest, "no statement subject has a sha256, sha384 or sha512 digest")
		}
	default:
		return nil, fail(CheckBundle, "bundle has neither a message signature nor a DSSE envelope")
	}

	// The signer policy.
	vc, err := b.VerificationContent()
	if err != nil {
		return nil, fail(CheckBundle, "verification material: %v", err)
	}
	var (
		tm       root.TrustedMaterial
		vopts    []sgverify.VerifierOption
		identity sgverify.PolicyOption
		summary  *certificate.Summary
	)
	if o.PublicKey != nil {
		if vc.PublicKey() == nil {
			return nil, fail(CheckMaterial, "bundle is signed with a certificate (keyless), not a key: verify it with a certificate identity and issuer")
		}
		ver, err := keyVerifier(o.PublicKey, isMsg)
		if err != nil {
			return nil, err
		}
		keyMaterial := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
			// The bundle's hint is unauthenticated; the caller's key
			// is the only one trusted, whatever the hint says.
			return root.NewExpiringKey(ver, time.Time{}, time.Time{}), nil
		})
		fp, err := keys.Fingerprint(o.PublicKey)
		if err != nil {
			return nil, err
		}
		res.Signer = "key SHA256:" + fp
		identity = sgverify.WithKey()
		if o.TrustedRoot != nil {
			tm = root.TrustedMaterialCollection{o.TrustedRoot, keyMaterial}
			vopts = append(vopts, sgverify.WithTransparencyLog(1), sgverify.WithIntegratedTimestamps(1))
		} else {
			// A key bundle is verified by its signature alone, as
			// `cosign verify-blob --insecure-ignore-tlog` does:
			// hallmark signs offline and writes no log entry.
			tm = keyMaterial
			vopts = append(vopts, sgverify.WithNoObserverTimestamps())
		}
	} else {
		cert := vc.Certificate()
		if cert == nil {
			return nil, fail(CheckMaterial, "bundle is signed with a key, not a certificate: verify it with the public key")
		}
		s, err := certificate.SummarizeCertificate(cert)
		if err != nil {
			return nil, fail(CheckCertificate, "read certificate: %v", err)
		}
		summary = &s
		res.Signer, res.Issuer = s.SubjectAlternativeName, s.Issuer
		id, err := sgverify.NewShortCertificateIdentity(o.Issuer, o.IssuerRegexp, o.Identity, o.IdentityRegexp)
		if err != nil {
			return nil, fmt.Errorf("certificate identity: %w", err)
		}
		identity = sgverify.WithCertificateIdentity(id)
		tm = o.TrustedRoot
		// Keyless certificates live minutes: the time of signing comes
		// from the transparency log (or an RFC 3161 timestamp), never
		// from the clock. The SCT proves the certificate was logged.
		vopts = append(vopts,
			sgverify.WithTransparencyLog(1),
			sgverify.WithObserverTimestamps(1),
			sgverify.WithSignedCertificateTimestamps(1))
	}
	v, err := sgverify.NewVerifier(tm, vopts...)
	if err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}

	// Stream the artifact once.
	set, n, err := digest.Reader(ctx, r, algs...)
	if err != nil {
		return nil, fmt.Errorf("read artifact: %w", err)
	}
	res.Digests, res.Size = set, n
	art := sgverify.WithArtifactDigest(string(algs[0]), set[algs[0]])
	if !isMsg {
		// One digest of an algorithm all subjects share is enough; report a mismatch ourselves first for a clear
		// message, then let sigstore-go decide.
		if !subjectMatches(stmt, set) {
			return nil, fail(CheckDigest, "artifact %s digest %s matches no subject of the statement (%s)", algs[0], set.Hex(algs[0]), subjectList(stmt))
		}
	} else if want := b.GetMessageSignature().GetMessageDigest().GetDigest(); !bytes.Equal(want, set[algs[0]]) {
		return nil, fail(CheckDigest, "artifact %s digest is %s, the bundle signs %s: the file is not the one signed", algs[0], set.Hex(algs[0]), hex.EncodeToString(want))
	}

	out, err := v.Verify(b, sgverify.NewPolicy(art, identity))
	if err != nil {
		return nil, classify(err, summary, o)
	}
	for _, ts := range out.VerifiedTimestamps {
		res.Timestamps = append(res.Timestamps, Timestamp{Kind: ts.Type, URI: ts.URI, Time: ts.Timestamp})
	}
	if o.TrustedRoot != nil {
		if entries, err := b.TlogEntries(); err == nil {
			for _, e := range entries {
				res.TlogIndex = append(res.TlogIndex, e.LogIndex())
			}
		}
	}
	if stmt != nil {
		res.Statement = stmt
		if err := checkStatement(stmt, o); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// keyVerifier loads the verifier for a caller's public key. Message
// signatures by Ed25519 keys are Ed25519ph (the only Ed25519 form a
// hashedrekord carries, and the one that allows streaming); DSSE uses pure
// Ed25519.
func keyVerifier(pub crypto.PublicKey, message bool) (signature.Verifier, error) {
	var opts []signature.LoadOption
	if _, ok := pub.(ed25519.PublicKey); ok && message {
		opts = append(opts, options.WithED25519ph())
	}
	v, err := signature.LoadDefaultVerifier(pub, opts...)
	if err != nil {
		return nil, fmt.Errorf("load public key: %w", err)
	}
	return v, nil
}

// subjectAlgorithms returns the digest algorithm to check the subjects
// with: the first of SHA-256 (hardware-accelerated on current CPUs, 3x
// faster than SHA-512 here), SHA-512, SHA-384 that every subject carries,
// or, failing that, that any subject carries. All three are
// collision-resistant; speed decides.
func subjectAlgorithms(st *intoto.Statement) []digest.Algorithm {
	order := []digest.Algorithm{digest.SHA256, digest.SHA512, digest.SHA384}
	for _, a := range order {
		all := len(st.GetSubject()) > 0
		for _, s := range st.GetSubject() {
			if _, ok := s.GetDigest()[string(a)]; !ok {
				all = false
			}
		}
		if all {
			return []digest.Algorithm{a}
		}
	}
	for _, a := range order {
		for _, s := range st.GetSubject() {
			if _, ok := s.GetDigest()[string(a)]; ok {
				return []digest.Algorithm{a}
			}
		}
	}
	return nil
}

func subjectMatches(st *intoto.Statement, set digest.Set) bool {
	for _, s := range st.GetSubject() {
		for a, d := range set {
			if strings.EqualFold(s.GetDigest()[string(a)], hex.EncodeToString(d)) {
				return true
			}
		}
	}
	return false
}

func subjectList(st *intoto.Statement) string {
	var names []string
	for _, s := range st.GetSubject() {
		names = append(names, fmt.Sprintf("%q", s.GetName()))
	}
	return strings.Join(names, ", ")
}

// classify turns sigstore-go's error into the check that failed. The
// prefixes are those of sigstore-go v1.3 (pkg/verify/signed_entity.go);
// the tests pin each one.
func classify(err error, s *certificate.Summary, o Options) error {
	msg := err.Error()
	has := func(p string) bool { return strings.HasPrefix(msg, p) }
	switch {
	case has("failed to verify log inclusion"):
		return &Error{CheckTlog, err}
	case has("failed to verify timestamps"):
		return &Error{CheckTimestamp, err}
	case has("failed to verify leaf certificate"):
		return &Error{CheckCertificate, fmt.Errorf("certificate does not chain to the trusted root at the time of signing (expired, not yet valid, or from an untrusted CA): %w", err)}
	case has("failed to verify signed certificate timestamp"):
		return &Error{CheckSCT, err}
	case has("expected key signature"):
		return &Error{CheckMaterial, err}
	case has("failed to verify signature"):
		if strings.Contains(msg, "digest") && strings.Contains(msg, "match") {
			return &Error{CheckDigest, err}
		}
		return &Error{CheckSignature, fmt.Errorf("signature does not verify with the given %s: %w", signerWord(o), err)}
	case has("failed to verify certificate identity"):
		if s != nil {
			if im, e := sgverify.NewIssuerMatcher(o.Issuer, o.IssuerRegexp); e == nil && im.Verify(*s) != nil {
				return fail(CheckIssuer, "certificate OIDC issuer is %q, want %s", s.Issuer, want(o.Issuer, o.IssuerRegexp))
			}
			return fail(CheckIdentity, "certificate identity is %q, want %s", s.SubjectAlternativeName, want(o.Identity, o.IdentityRegexp))
		}
		return &Error{CheckIdentity, err}
	}
	return &Error{CheckBundle, err}
}

func signerWord(o Options) string {
	if o.PublicKey != nil {
		return "public key"
	}
	return "certificate"
}

func want(exact, re string) string {
	if exact != "" {
		return fmt.Sprintf("%q", exact)
	}
	return fmt.Sprintf("a match of /%s/", re)
}
