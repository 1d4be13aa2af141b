package policy

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// integrityRule is kind "integrity": how components were obtained.
//
//   - require-hash: every package resolved from a registry or a URL
//     carries an integrity hash (sbom.Package.Hashes, or yarn Berry's
//     cache checksum). Local packages (workspace links, paths) are part of
//     the source tree and git packages are identified by their commit, so
//     neither needs one; npm bundled dependencies ship inside their
//     parent's tarball, whose integrity covers them; GitHub Actions are
//     checked by pin-actions.
//   - require-https: resolved URLs use https (git over ssh is accepted); an
//     http:// or git:// URL can be tampered with in transit.
//   - registries: resolved URLs of registry packages come from these hosts
//     ("*" globs). Omitted, each ecosystem's public registries are allowed
//     (DefaultRegistries); a host outside them is how dependency confusion
//     shows up.
//   - pin-actions: GitHub Actions (and docker:// steps) are pinned to a
//     full commit SHA (digest), read from the catalog property
//     hallmark:actions:pinned.
type integrityRule struct {
	RequireHash, RequireHTTPS, PinActions bool
	Registries                            []string // nil: DefaultRegistries

	registries []*regexp.Regexp
}

// DefaultRegistries are the hosts each ecosystem's public registry serves
// packages from.
var DefaultRegistries = map[sbom.Ecosystem][]string{
	sbom.EcosystemNPM:       {"registry.npmjs.org", "registry.yarnpkg.com"},
	sbom.EcosystemPyPI:      {"files.pythonhosted.org", "pypi.org", "pypi.python.org"},
	sbom.EcosystemCargo:     {"crates.io", "static.crates.io", "index.crates.io"},
	sbom.EcosystemGo:        {"proxy.golang.org"},
	sbom.EcosystemRubyGems:  {"rubygems.org", "index.rubygems.org"},
	sbom.EcosystemPackagist: {"repo.packagist.org", "api.github.com", "codeload.github.com", "gitlab.com", "bitbucket.org"},
	sbom.EcosystemNuGet:     {"api.nuget.org", "www.nuget.org"},
	sbom.EcosystemMaven:     {"repo.maven.apache.org", "repo1.maven.org", "plugins.gradle.org"},
	sbom.EcosystemPub:       {"pub.dev", "pub.dartlang.org"},
	sbom.EcosystemHex:       {"repo.hex.pm", "hex.pm"},
}

const (
	propPinned = "hallmark:actions:pinned" // internal/catalog/actions.PropPinned
	propKind   = "hallmark:actions:kind"
	propYarn   = "hallmark:yarn:checksum"
	// propYarnConditions is npm.PropConditions (not imported: policy reads
	// properties, not catalogers).
	propYarnConditions = "hallmark:yarn:conditions"
	// propBundled marks an npm bundled dependency, which ships inside its
	// parent's tarball and is covered by the parent's integrity
	// (internal/catalog/npm.PropBundled).
	propBundled = "hallmark:npm:bundled"
)

func (d *decoder) integrity(m *mapping) (checker, error) {
	r := &integrityRule{}
	var err error
	if r.RequireHash, err = m.boolean("require-hash", true); err != nil {
		return nil, err
	}
	if r.RequireHTTPS, err = m.boolean("require-https", true); err != nil {
		return nil, err
	}
	if r.PinActions, err = m.boolean("pin-actions", true); err != nil {
		return nil, err
	}
	if r.Registries, _, err = m.strList("registries"); err != nil {
		return nil, err
	}
	for _, h := range r.Registries {
		r.registries = append(r.registries, glob(strings.ToLower(h)))
	}
	if !r.RequireHash && !r.RequireHTTPS && !r.PinActions && r.Registries == nil {
		return nil, d.errf(m.node, "%s: every integrity check is switched off", m.what)
	}
	return r, nil
}

func (*integrityRule) keys() string        { return "require-hash, require-https, registries, pin-actions" }
func (*integrityRule) needsFindings() bool { return false }

func isLocal(p *sbom.Package) bool {
	return p.SourceKind == "link" || p.SourceKind == "path" || p.SourceKind == "file" && !strings.HasSuffix(p.ResolvedURL, ".tgz") && !strings.HasSuffix(p.ResolvedURL, ".tar.gz")
}

func isAction(p *sbom.Package) bool {
	_, ok := p.Properties[propPinned]
	return ok || p.Ecosystem == sbom.EcosystemGitHubActions
}

func (r *integrityRule) allowedHost(eco sbom.Ecosystem, host string) (bool, []string) {
	host = strings.ToLower(host)
	if r.Registries != nil {
		for _, re := range r.registries {
			if re.MatchString(host) {
				return true, r.Registries
			}
		}
		return false, r.Registries
	}
	hosts, ok := DefaultRegistries[eco]
	if !ok {
		return true, nil // no known registry: only the scheme is checked
	}
	for _, h := range hosts {
		if host == h {
			return true, hosts
		}
	}
	return false, hosts
}

// hashFix says how to get integrity hashes recorded, per lockfile.
func hashFix(p *sbom.Package) string {
	file := ""
	if len(p.Locations) > 0 {
		file = path.Base(p.Locations[0].Path)
	}
	switch {
	case file == "package-lock.json" || file == "npm-shrinkwrap.json":
		return "regenerate package-lock.json with a current npm (npm install --package-lock-only) so that it records integrity"
	case file == "yarn.lock":
		return "re-resolve the entry (remove it from yarn.lock and run yarn install) so that it records a checksum"
	case strings.HasPrefix(file, "requirements") || strings.HasSuffix(file, ".txt"):
		return "pin hashes (pip-compile --generate-hashes, or uv pip compile --generate-hashes) and install with --require-hashes"
	case file == "pom.xml" || strings.HasSuffix(file, ".gradle") || strings.HasSuffix(file, ".lockfile"):
		return "enable dependency verification (Gradle verification-metadata.xml, Maven checksum policy) so that hashes are recorded"
	}
	return "regenerate the lockfile with a tool version that records a hash for every package"
}

func (r *integrityRule) evaluate(c *evalContext, rule *Rule, pkgs []int, emit func(Violation)) string {
	for _, i := range pkgs {
		p := &c.doc.Packages[i]
		if isAction(p) {
			if r.PinActions && p.Properties[propPinned] != "true" {
				ref := p.Name + "@" + p.Version
				fix := fmt.Sprintf("pin to the full commit SHA the reference points at, keeping the tag as a comment (uses: %s@<40-hex SHA> # %s); pinact or Dependabot can do it", p.Name, p.Version)
				if p.Properties[propKind] == "docker" {
					ref = "docker://" + p.Name + ":" + p.Version
					fix = fmt.Sprintf("pin the image by digest (docker://%s@sha256:<digest>)", p.Name)
				}
				emit(c.violation(rule, p, fmt.Sprintf("uses %s: not pinned to a full commit SHA", ref), fix))
			}
			continue
		}
		if isLocal(p) {
			continue
		}
		if p.ResolvedURL != "" && (p.SourceKind == "" || p.SourceKind == "url" || p.SourceKind == "git") {
			if v, ok := r.checkURL(c, rule, p); ok {
				emit(v)
			}
		}
		if r.RequireHash && p.SourceKind != "git" && len(p.Hashes) == 0 && p.Properties[propYarn] == "" && p.Properties[propBundled] != "true" {
			where := "the lockfile"
			if len(p.Locations) > 0 {
				where = p.Locations[0].Path
			}
			fact, fix := "no integrity hash recorded in "+where, hashFix(p)
			if cond := p.Properties[propYarnConditions]; cond != "" {
				fact += " (platform-conditional entry, " + cond + ": Yarn checksums only packages it fetched)"
				fix = "list every platform you ship for in supportedArchitectures (.yarnrc.yml) and run yarn install, so that Yarn fetches and checksums these packages"
			}
			emit(c.violation(rule, p, fact, fix))
		}
	}
	return ""
}

func (r *integrityRule) checkURL(c *evalContext, rule *Rule, p *sbom.Package) (Violation, bool) {
	raw := p.ResolvedURL
	u, err := url.Parse(strings.TrimPrefix(raw, "git+"))
	if err != nil || u.Scheme == "" {
		if p.SourceKind == "git" {
			return Violation{}, false // scp-like git@host:path, ssh
		}
		return c.violation(rule, p, fmt.Sprintf("resolved from %q, which is not a URL", raw), "re-resolve the package from the registry"), true
	}
	shown := u.Scheme + "://" + u.Host
	scheme := strings.ToLower(u.Scheme)
	if r.RequireHTTPS && (scheme == "http" || scheme == "git") {
		fix := fmt.Sprintf("re-resolve %s over https (fix the registry URL in the package manager's configuration, then regenerate the lockfile)", p.Name)
		return c.violation(rule, p, "resolved from "+shown+" (not https)", fix), true
	}
	if p.SourceKind != "" {
		return Violation{}, false // git and URL dependencies: hygiene's concern
	}
	if ok, hosts := r.allowedHost(p.Ecosystem, u.Hostname()); !ok {
		fix := fmt.Sprintf("re-resolve %s from an allowed registry (%s), or add the host to the rule's registries if it is your own mirror", p.Name, strings.Join(hosts, ", "))
		return c.violation(rule, p, "resolved from "+shown+", which is not an allowed registry", fix), true
	}
	return Violation{}, false
}
