package verify

import (
	"errors"
	"fmt"
)

// Check names one verification step. A failed verification says which.
type Check string

// The checks, in the order they run.
const (
	CheckBundle        Check = "bundle"           // the bundle is a well-formed Sigstore bundle of a known version
	CheckMaterial      Check = "key"              // the bundle is signed the way the caller expects (key or certificate)
	CheckPayloadType   Check = "payload type"     // a DSSE envelope carries an in-toto statement
	CheckTlog          Check = "transparency log" // inclusion proof / signed entry timestamp verify against the trusted root
	CheckTimestamp     Check = "timestamp"        // a verified time exists for the signature
	CheckCertificate   Check = "certificate"      // the certificate chains to the trusted root at signing time
	CheckSCT           Check = "certificate transparency"
	CheckSignature     Check = "signature"       // the signature verifies with the key or certificate
	CheckDigest        Check = "artifact digest" // the signed digest / statement subject matches the artifact
	CheckIdentity      Check = "identity"        // the certificate's subject alternative name
	CheckIssuer        Check = "issuer"          // the certificate's OIDC issuer
	CheckPredicateType Check = "predicate type"
	CheckProvenance    Check = "provenance"
)

// Error is a failed verification: the artifact, bundle or signer is not
// what the caller required. Errors of any other type mean verification could
// not be run (unreadable file, bad options).
type Error struct {
	Check Check
	Err   error
}

func (e *Error) Error() string { return fmt.Sprintf("%s check failed: %v", e.Check, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

func fail(c Check, format string, args ...any) error {
	return &Error{Check: c, Err: fmt.Errorf(format, args...)}
}

// IsVerification reports whether err is a failed verification (as opposed
// to a failure to run it).
func IsVerification(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// CheckOf returns the check that failed, or "" when err is not a
// verification failure.
func CheckOf(err error) Check {
	var e *Error
	if errors.As(err, &e) {
		return e.Check
	}
	return ""
}
