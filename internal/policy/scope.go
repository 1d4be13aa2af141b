package policy

import (
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Scope selects the packages a rule applies to. The zero Scope selects
// every package.
type Scope struct {
	// Ecosystems are OSV ecosystem names (npm, PyPI, Go, crates.io, "GitHub
	// Actions", ...), matched case-insensitively.
	Ecosystems []string
	// Names are glob patterns over package names ("*" matches any run of
	// characters, "/" included; "?" one character). A package matches
	// when any pattern does; Exclude removes packages again.
	Names   []string
	Exclude []string
	// DirectOnly keeps packages the project declares itself.
	DirectOnly bool
	// Scopes are "prod" (runtime), "dev", "test" and "optional".
	Scopes []string

	names, exclude []*regexp.Regexp
}

// scopeName is a package's scope as policies spell it.
func scopeName(s sbom.Scope) string {
	if s == sbom.ScopeRequired {
		return "prod"
	}
	return string(s)
}

// Matches reports whether p is in the scope.
func (s *Scope) Matches(p *sbom.Package) bool {
	if s.DirectOnly && !p.Direct {
		return false
	}
	if len(s.Ecosystems) > 0 && !containsFold(s.Ecosystems, string(p.Ecosystem)) {
		return false
	}
	if len(s.Scopes) > 0 && !contains(s.Scopes, scopeName(p.Scope)) {
		return false
	}
	if len(s.names) > 0 && !anyMatch(s.names, p.Name) {
		return false
	}
	return !anyMatch(s.exclude, p.Name)
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// glob compiles a glob pattern ("*" any run, "?" one character) into an
// anchored regular expression.
func glob(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

var scopeNames = []string{"prod", "dev", "test", "optional"}

const scopeKeys = "ecosystems, names, exclude, direct, scopes"

func (d *decoder) scope(n *yaml.Node) (Scope, error) {
	var s Scope
	m, err := d.mapping(n, "scope")
	if err != nil {
		return s, err
	}
	if s.Ecosystems, _, err = m.strList("ecosystems"); err != nil {
		return s, err
	}
	if s.Names, _, err = m.strList("names"); err != nil {
		return s, err
	}
	if s.Exclude, _, err = m.strList("exclude"); err != nil {
		return s, err
	}
	if s.DirectOnly, err = m.boolean("direct", false); err != nil {
		return s, err
	}
	var sn []*yaml.Node
	if s.Scopes, sn, err = m.strList("scopes"); err != nil {
		return s, err
	}
	for i, sc := range s.Scopes {
		if !contains(scopeNames, sc) {
			return s, d.errf(sn[i], "scope: unknown package scope %q (known: %s)", sc, strings.Join(scopeNames, ", "))
		}
	}
	for _, p := range s.Names {
		s.names = append(s.names, glob(p))
	}
	for _, p := range s.Exclude {
		s.exclude = append(s.exclude, glob(p))
	}
	return s, m.done(scopeKeys)
}
