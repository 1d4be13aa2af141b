// Package version orders package versions the way each ecosystem does, for
// evaluating OSV ranges (https://ossf.github.io/osv-schema/#evaluation).
//
// The orderings are osv-scalibr's semantic package (the OSV team's
// comparators, also used by osv-scanner): node-semver rules for npm and
// crates.io, PEP 440 for PyPI, Maven's ComparableVersion, RubyGems,
// NuGet, Composer, Pub, Hex, dpkg, apk and rpm. This package adds what a
// matcher needs around them: a per-ecosystem validity check (so that a
// version that is not one, such as a git URL in a lockfile, makes the package
// unchecked instead of silently comparing as garbage), Go's "go1.22" and
// "+incompatible" spellings checked with golang.org/x/mod/semver, and a
// length bound.
package version

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/google/osv-scalibr/semantic"
	"golang.org/x/mod/semver"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// MaxLen is the longest version string accepted.
const MaxLen = 256

// ErrUnsupported reports an ecosystem whose ordering hallmark does not know.
var ErrUnsupported = errors.New("no version ordering for ecosystem")

// ErrInvalid reports a string that is not a version in its ecosystem.
var ErrInvalid = errors.New("invalid version")

// Version is a parsed version; compare it only with versions parsed for the
// same ecosystem.
type Version struct {
	v   semantic.Version
	eco string
}

// semverRE is the semver 2.0.0 grammar (https://semver.org/#is-there-a-suggested-regular-expression-regex-to-use-to-check-a-semver-string)
// with an optional leading "v" or "=", as node-semver accepts.
var semverRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[v=]?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
})

// pep440RE is PEP 440's version grammar (the VERSION_PATTERN of
// https://packaging.python.org/en/latest/specifications/version-specifiers/#appendix-parsing-version-strings-with-regular-expressions),
// case-insensitive, with surrounding whitespace already refused.
var pep440RE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)^v?(?:(?:[0-9]+)!)?(?:[0-9]+(?:\.[0-9]+)*)(?:[-_\.]?(?:alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?:[0-9]+)?)?(?:(?:-(?:[0-9]+))|(?:[-_\.]?(?:post|rev|r)[-_\.]?(?:[0-9]+)?))?(?:[-_\.]?(?:dev)[-_\.]?(?:[0-9]+)?)?(?:\+(?:[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?$`)
})

// Supported reports whether versions of the OSV ecosystem eco can be ordered.
func Supported(eco string) bool {
	b := base(eco)
	if b == EcosystemActions {
		return true
	}
	if _, err := parse(b, "0", false); err == nil {
		return true
	}
	_, err := semantic.Parse("0", b)
	return !errors.Is(err, semantic.ErrUnsupportedEcosystem)
}

func base(eco string) string {
	if i := strings.IndexByte(eco, ':'); i >= 0 {
		eco = eco[:i]
	}
	if o, ok := sameOrdering[eco]; ok {
		return o
	}
	return eco
}

// sameOrdering maps OSV ecosystems osv-scalibr does not name to the one
// whose ordering their versions follow: CleanStart publishes Alpine-style
// apk packages ("1.20.1-r0").
var sameOrdering = map[string]string{"CleanStart": "Alpine"}

// Canonical rewrites spellings of a version that its ecosystem treats as
// equal to the form OSV records use: Go's "go1.22.1" toolchain versions
// become "1.22.1".
func Canonical(eco, s string) string {
	if base(eco) == "Go" && strings.HasPrefix(s, "go") && len(s) > 2 && s[2] >= '0' && s[2] <= '9' {
		return s[2:]
	}
	return s
}

// Parse parses s as a version of the OSV ecosystem eco with the
// ecosystem's own lenient rules (those osv-scanner applies to advisory
// data), refusing only the empty string, whitespace and control characters.
// Use Strict for versions read from a lockfile or SBOM.
func Parse(eco, s string) (Version, error) {
	return parse(eco, s, false)
}

// parsed caches successful parses: parsing is most of the cost of
// matching (osv-scalibr's PyPI parser runs regular expressions and big
// integers), and the same range events and package versions recur in
// every document matched. Versions are values, safe to share.
var parsed struct {
	sync.Mutex
	m map[parseKey]Version
}

type parseKey struct {
	strict bool
	eco, s string
}

func parse(eco, s string, strict bool) (Version, error) {
	b := base(eco)
	k := parseKey{strict, b, s}
	parsed.Lock()
	v, ok := parsed.m[k]
	parsed.Unlock()
	if ok {
		return v, nil
	}
	var err error
	if strict {
		v, err = parseStrict(eco, s)
	} else {
		v, err = parseLenient(eco, s)
	}
	if err != nil {
		return v, err
	}
	parsed.Lock()
	if parsed.m == nil || len(parsed.m) >= limits.VersionCacheEntries {
		parsed.m = make(map[parseKey]Version, 1024)
	}
	parsed.m[k] = v
	parsed.Unlock()
	return v, nil
}

func parseLenient(eco, s string) (Version, error) {
	if len(s) > MaxLen {
		return Version{}, fmt.Errorf("%w: %d bytes, limit %d", ErrInvalid, len(s), MaxLen)
	}
	if s == "" {
		return Version{}, fmt.Errorf("%w: empty", ErrInvalid)
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f {
			return Version{}, fmt.Errorf("%w %q: space or control character", ErrInvalid, s)
		}
	}
	b := base(eco)
	if b == EcosystemActions {
		a, err := parseActions(s)
		if err != nil {
			return Version{}, err
		}
		return Version{v: a, eco: b}, nil
	}
	v, err := semantic.Parse(s, b)
	if err != nil {
		if errors.Is(err, semantic.ErrUnsupportedEcosystem) {
			return Version{}, fmt.Errorf("%w %q", ErrUnsupported, eco)
		}
		return Version{}, fmt.Errorf("%w %q: %v", ErrInvalid, s, err)
	}
	return Version{v: v, eco: b}, nil
}

// Strict parses s like Parse and also requires it to be a well-formed
// version of the ecosystem: semver for npm and crates.io, a module version
// for Go (with or without the leading "v"), no whitespace anywhere. A
// lockfile entry that fails (a git URL, a path, "latest") cannot be matched
// against version ranges.
func Strict(eco, s string) (Version, error) {
	return parse(eco, s, true)
}

func parseStrict(eco, s string) (Version, error) {
	switch base(eco) {
	case "npm", "crates.io":
		if len(s) <= MaxLen && !semverRE().MatchString(s) {
			return Version{}, fmt.Errorf("%w %q: not semver", ErrInvalid, s)
		}
	case "PyPI":
		if len(s) <= MaxLen && !pep440RE().MatchString(s) {
			return Version{}, fmt.Errorf("%w %q: not a PEP 440 version", ErrInvalid, s)
		}
	case "Go":
		g := s
		if !strings.HasPrefix(g, "v") {
			g = "v" + g
		}
		if len(s) <= MaxLen && !semver.IsValid(g) {
			return Version{}, fmt.Errorf("%w %q: not a Go module version", ErrInvalid, s)
		}
	}
	return parseLenient(eco, s)
}

// Compare returns -1, 0 or +1 as v is less than, equal to or greater than w.
// Both must come from Parse with the same ecosystem.
func (v Version) Compare(w Version) int {
	if v.v == nil || w.v == nil || v.eco != w.eco {
		panic("version: Compare of versions from different ecosystems or zero Version")
	}
	c, err := v.v.Compare(w.v)
	if err != nil {
		// Only ErrNotSameEcosystem, excluded above.
		panic(err)
	}
	return c
}

// Compare parses a and b as versions of eco and compares them.
func Compare(eco, a, b string) (int, error) {
	va, err := Parse(eco, a)
	if err != nil {
		return 0, err
	}
	vb, err := Parse(eco, b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}
