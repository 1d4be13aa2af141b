package version

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"sync"

	"github.com/google/osv-scalibr/semantic"
	"golang.org/x/mod/semver"
)

// EcosystemActions is OSV's ecosystem of GitHub Actions.
const EcosystemActions = "GitHub Actions"

// actionsRE is what GHSA writes as versions of GitHub Actions: release tags
// with an optional leading "v" and one to four numeric parts ("41", "v3",
// "2.2.0", "v4.1.1"), optionally a semver pre-release and build.
var actionsRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^v?([0-9]+(?:\.[0-9]+){0,3})(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$`)
})

// actionsVersion orders GitHub Actions release tags: numeric parts compared
// as numbers, a missing part counting as 0 ("41" = "v41.0.0"), a
// pre-release before its release with semver's rules, build metadata
// ignored. GitHub Actions versions are git tags, so there is no tool whose
// ordering this copies; it is what GHSA's ranges for the ecosystem mean.
type actionsVersion struct {
	parts []*big.Int
	pre   string
}

// Parts returns how many numeric parts the tag names ("v4" 1, "v4.1" 2).
func actionsParts(s string) int {
	m := actionsRE().FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	return strings.Count(m[1], ".") + 1
}

func parseActions(s string) (actionsVersion, error) {
	m := actionsRE().FindStringSubmatch(s)
	if m == nil {
		return actionsVersion{}, fmt.Errorf("%w %q: not a release tag (v4, 2.2.0, v4.1.1)", ErrInvalid, s)
	}
	var v actionsVersion
	for _, p := range strings.Split(m[1], ".") {
		n, _ := new(big.Int).SetString(p, 10)
		v.parts = append(v.parts, n)
	}
	v.pre = m[2]
	return v, nil
}

func (v actionsVersion) compare(w actionsVersion) int {
	for i := range max(len(v.parts), len(w.parts)) {
		a, b := big.NewInt(0), big.NewInt(0)
		if i < len(v.parts) {
			a = v.parts[i]
		}
		if i < len(w.parts) {
			b = w.parts[i]
		}
		if c := a.Cmp(b); c != 0 {
			return c
		}
	}
	switch {
	case v.pre == w.pre:
		return 0
	case v.pre == "":
		return 1
	case w.pre == "":
		return -1
	}
	return semver.Compare("v0.0.0-"+v.pre, "v0.0.0-"+w.pre)
}

// Compare implements semantic.Version.
func (v actionsVersion) Compare(w semantic.Version) (int, error) {
	o, ok := w.(actionsVersion)
	if !ok {
		return 0, semantic.ErrNotSameEcosystem
	}
	return v.compare(o), nil
}

// CompareStr implements semantic.Version.
func (v actionsVersion) CompareStr(s string) (int, error) {
	o, err := parseActions(s)
	if err != nil {
		return 0, err
	}
	return v.compare(o), nil
}

// MovingTag reports whether an Actions ref names a release line rather than
// one release: "v4" (every 4.x) or "v4.1" (every 4.1.x), tags that action
// authors move to each new release. It returns the next line's first
// version as the exclusive upper bound ("v4" -> "5", "v4.1" -> "4.2").
func MovingTag(ref string) (lower, upper string, ok bool) {
	n := actionsParts(ref)
	if n == 0 || n > 2 {
		return "", "", false
	}
	m := actionsRE().FindStringSubmatch(ref)
	if m[2] != "" {
		return "", "", false
	}
	parts := strings.Split(m[1], ".")
	last, _ := new(big.Int).SetString(parts[len(parts)-1], 10)
	next := append(append([]string{}, parts[:len(parts)-1]...), new(big.Int).Add(last, big.NewInt(1)).String())
	return m[1], strings.Join(next, "."), true
}
