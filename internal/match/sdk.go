package match

import (
	"fmt"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// SDKPackage is a package that ships inside an SDK rather than from a
// registry (flutter, flutter_test, sky_engine in pubspec.lock: "source:
// sdk"). It is matched at the SDK's version when the lockfile states one:
// exactly, or as the lower bound of the lockfile's SDK constraint, which
// Reason then says.
type SDKPackage struct {
	PackageID string `json:"package"`
	SDK       string `json:"sdk"`
	// Version is the version matched, "" when none is known (then the
	// package is not checked).
	Version string `json:"version,omitempty"`
	// LowerBound says Version is the least the lockfile allows, not the
	// SDK actually used: a finding may be fixed in the SDK installed.
	LowerBound bool   `json:"lowerBound,omitempty"`
	Reason     string `json:"reason"`
}

// SDK properties the catalogers set (internal/catalog/dart: pubspec.lock's
// "source: sdk" packages and its "sdks:" section).
const (
	propPubSDK           = "hallmark:pub:sdk"
	propPubSDKConstraint = "hallmark:pub:sdk-constraint"
)

// sdkProvided returns how an SDK-provided package is matched, or nil when p
// is not one.
func sdkProvided(p *sbom.Package) *SDKPackage {
	sdk, ok := p.Properties[propPubSDK]
	if !ok {
		return nil
	}
	if sdk == "" {
		sdk = "SDK"
	}
	s := &SDKPackage{PackageID: p.ID, SDK: sdk}
	c := p.Properties[propPubSDKConstraint]
	switch {
	case p.Version != "":
		s.Version = p.Version
		s.Reason = fmt.Sprintf("provided by the %s SDK, matched at the SDK version %s the lockfile states", sdk, p.Version)
	case lowerBound(c) != "":
		s.Version, s.LowerBound = lowerBound(c), true
		s.Reason = fmt.Sprintf("provided by the %s SDK; the lockfile only constrains it (%s): matched at the lower bound %s, the SDK in use may be newer", sdk, c, s.Version)
	case c != "":
		s.Reason = fmt.Sprintf("provided by the %s SDK; its constraint %q has no lower bound: not checked", sdk, c)
	default:
		s.Reason = fmt.Sprintf("provided by the %s SDK; the lockfile states no SDK version: not checked", sdk)
	}
	return s
}

// lowerBound returns the least version a pub constraint allows: X of
// ">=X", "^X" or an exact "X"; "" for anything else (">X", "any").
func lowerBound(c string) string {
	for _, f := range strings.Fields(c) {
		switch {
		case strings.HasPrefix(f, ">="):
			return strings.TrimPrefix(f, ">=")
		case strings.HasPrefix(f, "^"):
			return strings.TrimPrefix(f, "^")
		case f != "" && f[0] >= '0' && f[0] <= '9':
			return f
		}
	}
	return ""
}
