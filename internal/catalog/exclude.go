package catalog

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Exclusions are glob patterns of paths a walk skips before opening them,
// with Syft's --exclude semantics: patterns are relative to the walked root
// (a leading "./" or "/" is dropped), "*" matches within one path element
// and "**" across directories. A directory that matches is not descended
// into, so "./testdata/**" and "**/testdata" both skip every testdata tree
// below the root and "**/*.min.js" skips files by name anywhere.
type Exclusions struct {
	patterns []string
}

// NewExclusions compiles patterns; a malformed pattern is an error naming it.
func NewExclusions(patterns []string) (*Exclusions, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	e := &Exclusions{}
	for _, p := range patterns {
		q := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(p), "./"), "/")
		q = strings.TrimSuffix(q, "/")
		if q == "" {
			return nil, fmt.Errorf("exclude %q: an empty pattern would skip everything", p)
		}
		if !doublestar.ValidatePattern(q) {
			return nil, fmt.Errorf("exclude %q: malformed glob", p)
		}
		e.patterns = append(e.patterns, q)
	}
	return e, nil
}

// Patterns returns the patterns as compiled (relative, without "./").
func (e *Exclusions) Patterns() []string {
	if e == nil {
		return nil
	}
	return e.patterns
}

// Excluded reports whether the slash-separated path, relative to the walked
// root, is excluded. A nil *Exclusions excludes nothing.
func (e *Exclusions) Excluded(name string) bool {
	if e == nil || name == "." || name == "" {
		return false
	}
	for _, p := range e.patterns {
		if ok, _ := doublestar.Match(p, name); ok {
			return true
		}
	}
	return false
}
