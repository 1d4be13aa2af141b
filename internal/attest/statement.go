// Package attest builds in-toto attestations
// (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md):
// a Statement v1 binding subjects (artifact names and digests) to a typed
// predicate, ready to be signed in a DSSE envelope by package sign.
//
// Predicates are either given by the user (an SBOM, a VEX document, a scan
// result, anything custom) and carried byte for byte, or built here: SLSA
// Provenance v1 (https://slsa.dev/spec/v1.0/provenance) from the
// environment of the CI system running the build.
package attest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// StatementType is the in-toto Statement v1 type URI.
const StatementType = intoto.StatementTypeUri

// PayloadType is the DSSE payload type of in-toto statements.
const PayloadType = "application/vnd.in-toto+json"

// Predicate type URIs for each kind `hallmark attest --type` accepts. They
// are the URIs cosign uses for the same --type names, so that `cosign
// verify-blob-attestation --type cyclonedx` accepts hallmark's attestations
// and the reverse; vulns is the in-toto vulnerability predicate.
var predicateTypes = map[string]string{
	"slsa-provenance": "https://slsa.dev/provenance/v1",
	"slsaprovenance1": "https://slsa.dev/provenance/v1",
	"cyclonedx":       "https://cyclonedx.org/bom",
	"spdx":            "https://spdx.dev/Document",
	"spdxjson":        "https://spdx.dev/Document",
	"openvex":         "https://openvex.dev/ns",
	"vulns":           "https://in-toto.io/attestation/vulns/v0.1",
	"vuln":            "https://cosign.sigstore.dev/attestation/vuln/v1",
	"custom":          "https://cosign.sigstore.dev/attestation/v1",
}

// Kinds lists the --type names, sorted.
func Kinds() []string {
	k := make([]string, 0, len(predicateTypes))
	for name := range predicateTypes {
		k = append(k, name)
	}
	slices.Sort(k)
	return k
}

// PredicateType maps a --type name to its predicate type URI. A value that
// is already a URI (contains "://") is returned as is.
func PredicateType(kind string) (string, error) {
	if strings.Contains(kind, "://") {
		return kind, nil
	}
	if u, ok := predicateTypes[strings.ToLower(kind)]; ok {
		return u, nil
	}
	return "", fmt.Errorf("unknown attestation type %q (want one of %s, or a predicate type URI)", kind, strings.Join(Kinds(), ", "))
}

// Subject is an artifact the statement is about.
type Subject struct {
	Name   string
	Digest map[string]string // algorithm -> lower-case hex
}

type statementJSON struct {
	Type          string          `json:"_type"`
	Subject       []subjectJSON   `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

type subjectJSON struct {
	Name   string            `json:"name,omitempty"`
	Digest map[string]string `json:"digest"`
}

// Statement encodes an in-toto Statement v1. The predicate, a JSON object,
// is carried as given (compacted), so numbers and key order survive; the
// result is checked with the in-toto reference implementation's Validate.
func Statement(subjects []Subject, predicateType string, predicate []byte) ([]byte, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, predicate); err != nil {
		return nil, fmt.Errorf("predicate is not JSON: %w", err)
	}
	if compact.Len() == 0 || compact.Bytes()[0] != '{' {
		return nil, fmt.Errorf("predicate must be a JSON object")
	}
	st := statementJSON{Type: StatementType, PredicateType: predicateType, Predicate: compact.Bytes()}
	for _, s := range subjects {
		st.Subject = append(st.Subject, subjectJSON(s))
	}
	out, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	if _, err := ParseStatement(out); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseStatement decodes and validates an in-toto statement (v1, or v0.1 as
// cosign still writes).
func ParseStatement(b []byte) (*intoto.Statement, error) {
	var st intoto.Statement
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("not an in-toto statement: %w", err)
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("invalid in-toto statement: %w", err)
	}
	return &st, nil
}

// CheckPredicate makes sure a user-supplied predicate is what its kind says,
// catching the wrong file before it is signed: an SPDX document attested as
// CycloneDX would verify and mislead every consumer.
func CheckPredicate(predicateType string, predicate []byte) error {
	var m map[string]any
	if err := json.Unmarshal(predicate, &m); err != nil {
		return fmt.Errorf("predicate is not a JSON object: %w", err)
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	switch predicateType {
	case predicateTypes["cyclonedx"]:
		if str("bomFormat") != "CycloneDX" {
			return fmt.Errorf(`predicate is not a CycloneDX BOM (no "bomFormat": "CycloneDX")`)
		}
	case predicateTypes["spdx"]:
		if !strings.HasPrefix(str("spdxVersion"), "SPDX-") {
			return fmt.Errorf(`predicate is not an SPDX document (no "spdxVersion")`)
		}
	case predicateTypes["openvex"]:
		if !strings.HasPrefix(str("@context"), "https://openvex.dev/ns") {
			return fmt.Errorf(`predicate is not an OpenVEX document ("@context" is not https://openvex.dev/ns...)`)
		}
	case predicateTypes["vulns"]:
		if _, ok := m["scanner"].(map[string]any); !ok {
			return fmt.Errorf(`predicate is not an in-toto vulns predicate (no "scanner" object)`)
		}
	case predicateTypes["slsa-provenance"]:
		if _, ok := m["buildDefinition"].(map[string]any); !ok {
			return fmt.Errorf(`predicate is not SLSA Provenance v1 (no "buildDefinition" object)`)
		}
		if _, ok := m["runDetails"].(map[string]any); !ok {
			return fmt.Errorf(`predicate is not SLSA Provenance v1 (no "runDetails" object)`)
		}
	}
	return nil
}
