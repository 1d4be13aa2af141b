package match

import (
	"fmt"
	"regexp"
	"slices"
	"sync"

	"github.com/hallmark-dev/hallmark/internal/osv"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/version"
)

// propActionsRef is the ref a workflow wrote (internal/catalog/actions).
const propActionsRef = "hallmark:actions:ref"

var commitSHA = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-fA-F]{40}$`) })

// releaseLine is a GitHub Action named by a moving tag: every release in
// [lower, upper) may be the one the tag points at today.
type releaseLine struct {
	lower, upper string
	note         string
}

// actionsRef decides how a GitHub Actions package can be matched: exactly
// (a release tag, or a commit SHA whose version comment names one), as a
// release line (a moving major or minor tag such as @v4), or not at all,
// with the reason (a SHA without version comment, a branch).
func actionsRef(p *sbom.Package, pv string) (*releaseLine, string) {
	ref := p.Properties[propActionsRef]
	if ref == "" {
		ref = pv
	}
	if commitSHA().MatchString(pv) {
		return nil, fmt.Sprintf("pinned to commit %s without a version comment: the release it is cannot be known offline; write the tag beside it (uses: %s@%s # v1.2.3), as Dependabot and Renovate do", shortSHA(pv), p.Name, pv)
	}
	if _, err := version.Strict(version.EcosystemActions, pv); err != nil {
		return nil, fmt.Sprintf("ref %q is a branch or not a release tag: it can point at any commit; pin a commit SHA with its version comment (uses: %s@<sha> # v1.2.3)", pv, p.Name)
	}
	lower, upper, ok := version.MovingTag(pv)
	if !ok {
		return nil, ""
	}
	how := "moving tag @" + ref
	if commitSHA().MatchString(ref) {
		how = fmt.Sprintf("commit %s, whose comment names only the release line %s", shortSHA(ref), pv)
	}
	return &releaseLine{lower: lower, upper: upper, note: fmt.Sprintf(
		"possibly affected (%s): a release of that line is affected and which one it names today is unknown offline; pin the action to a full commit SHA of a fixed release with its version comment (uses: %s@<sha> # vX.Y.Z)", how, p.Name)}, ""
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// affects reports whether any release of the line is affected: the least
// affected version of an interval that meets [lower, upper) is lower itself
// or an event or listed version inside it, so those are the only versions
// to try.
func (l *releaseLine) affects(id, eco string, aff []osv.Affected) (bool, []string, error) {
	lo, err := version.Parse(eco, l.lower)
	if err != nil {
		return false, nil, err
	}
	up, err := version.Parse(eco, l.upper)
	if err != nil {
		return false, nil, err
	}
	cands := []string{l.lower}
	inLine := func(s string) {
		if v, err := version.Parse(eco, s); err == nil && v.Compare(lo) > 0 && v.Compare(up) < 0 {
			cands = append(cands, s)
		}
	}
	for _, a := range aff {
		for _, r := range a.Ranges {
			for _, e := range r.Events {
				for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected} {
					if s != "" && s != "0" {
						inLine(s)
					}
				}
			}
		}
		for _, s := range a.Versions {
			inLine(s)
		}
	}
	hit := false
	var fixed []string
	for _, c := range cands {
		v, err := version.Parse(eco, c)
		if err != nil {
			return false, nil, err
		}
		h, f, err := affects(id, eco, aff, c, v)
		if err != nil {
			return false, nil, err
		}
		if h {
			hit = true
			for _, x := range f {
				if !slices.Contains(fixed, x) {
					fixed = append(fixed, x)
				}
			}
		}
	}
	return hit, fixed, nil
}
