// Package osv holds the Open Source Vulnerability format
// (https://ossf.github.io/osv-schema/, schema 1.x): the record types and a
// bounded, validating parser for records read from untrusted exports.
//
// Parse accepts what the schema requires for matching and rejects what would
// make matching wrong (a range with no events, an event with two keys, an
// affected entry without a package or ecosystem); fields hallmark does not
// use are kept as raw JSON where reports need them.
package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// Range types (https://ossf.github.io/osv-schema/#affectedrangestype-field).
const (
	RangeSemver    = "SEMVER"
	RangeEcosystem = "ECOSYSTEM"
	RangeGit       = "GIT"
)

// Severity types (https://ossf.github.io/osv-schema/#severitytype-field).
const (
	SeverityCVSSv2 = "CVSS_V2"
	SeverityCVSSv3 = "CVSS_V3"
	SeverityCVSSv4 = "CVSS_V4"
	SeverityUbuntu = "Ubuntu"
)

// Entry is one OSV record.
type Entry struct {
	SchemaVersion    string          `json:"schema_version,omitempty"`
	ID               string          `json:"id"`
	Modified         string          `json:"modified"`
	Published        string          `json:"published,omitempty"`
	Withdrawn        string          `json:"withdrawn,omitempty"`
	Aliases          []string        `json:"aliases,omitempty"`
	Related          []string        `json:"related,omitempty"`
	Upstream         []string        `json:"upstream,omitempty"`
	Summary          string          `json:"summary,omitempty"`
	Details          string          `json:"details,omitempty"`
	Severity         []Severity      `json:"severity,omitempty"`
	Affected         []Affected      `json:"affected,omitempty"`
	References       []Reference     `json:"references,omitempty"`
	Credits          json.RawMessage `json:"credits,omitempty"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Severity is a severity score in one scoring system.
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Package identifies the affected package.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Affected is one affected package with its ranges and versions.
type Affected struct {
	Package           Package         `json:"package"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Range is a range of affected versions, given as events.
type Range struct {
	Type             string          `json:"type"`
	Repo             string          `json:"repo,omitempty"`
	Events           []Event         `json:"events"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Event is one range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is a link about the advisory.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// ErrInvalid reports a record that is not valid OSV.
var ErrInvalid = errors.New("invalid OSV record")

// Parse decodes and validates one OSV record. Records over
// limits.OSVRecordBytes are refused.
func Parse(b []byte) (*Entry, error) {
	if len(b) > limits.OSVRecordBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrInvalid, len(b), limits.OSVRecordBytes)
	}
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrInvalid)
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return &e, nil
}

// Validate checks the parts of the schema that matching relies on.
func (e *Entry) Validate() error {
	if e.ID == "" {
		return fmt.Errorf("%w: no id", ErrInvalid)
	}
	if !validID(e.ID) {
		return fmt.Errorf("%w: id %q", ErrInvalid, truncate(e.ID))
	}
	if e.Modified == "" {
		return fmt.Errorf("%w: %s: no modified time", ErrInvalid, e.ID)
	}
	for i, a := range e.Affected {
		if err := a.validate(); err != nil {
			return fmt.Errorf("%w: %s: affected[%d]: %v", ErrInvalid, e.ID, i, err)
		}
	}
	return nil
}

func (a *Affected) validate() error {
	// The package may be absent when only GIT ranges locate the affected
	// code; half a package is an error.
	if a.Package.Ecosystem == "" && a.Package.Name != "" {
		return errors.New("package has a name but no ecosystem")
	}
	if a.Package.Name == "" && a.Package.Ecosystem != "" {
		return errors.New("package has an ecosystem but no name")
	}
	for i, r := range a.Ranges {
		switch r.Type {
		case RangeSemver, RangeEcosystem, RangeGit:
		default:
			return fmt.Errorf("ranges[%d]: unknown type %q", i, truncate(r.Type))
		}
		if len(r.Events) == 0 {
			return fmt.Errorf("ranges[%d]: no events", i)
		}
		for j, ev := range r.Events {
			n := 0
			for _, s := range []string{ev.Introduced, ev.Fixed, ev.LastAffected, ev.Limit} {
				if s != "" {
					n++
				}
			}
			if n != 1 {
				return fmt.Errorf("ranges[%d].events[%d]: %d keys set, want exactly one", i, j, n)
			}
		}
	}
	return nil
}

// validID accepts the OSV id grammar loosely: a prefix, a dash, and then
// letters, digits and the punctuation real databases use. It refuses
// whitespace, control characters and path separators, so that an id can
// name a file and appear in a terminal.
func validID(id string) bool {
	if len(id) > 256 || !strings.Contains(id, "-") {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':':
		default:
			return false
		}
	}
	return true
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// BaseEcosystem strips the release suffix of an ecosystem ("Debian:11" ->
// "Debian", "AlmaLinux:8" -> "AlmaLinux").
func BaseEcosystem(eco string) string {
	if i := strings.IndexByte(eco, ':'); i >= 0 {
		return eco[:i]
	}
	return eco
}

// IsMalicious reports whether the record is a malicious-package report
// (https://github.com/ossf/malicious-packages: MAL- ids).
func (e *Entry) IsMalicious() bool {
	if strings.HasPrefix(e.ID, "MAL-") {
		return true
	}
	for _, a := range e.Aliases {
		if strings.HasPrefix(a, "MAL-") {
			return true
		}
	}
	return false
}
