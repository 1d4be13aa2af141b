// Package ruby catalogs RubyGems from Bundler's Gemfile.lock.
package ruby

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Property keys set on gems.
const (
	// PropPlatform is the platform of a platform-specific gem
	// ("x86_64-linux", "java").
	PropPlatform = "hallmark:gem:platform"
	// PropRevision is the commit a GIT gem is locked to.
	PropRevision = "hallmark:gem:revision"
	// PropBundledWith is the Bundler version that wrote the lockfile.
	PropBundledWith = "hallmark:gem:bundled-with"
)

// GemfileLock reads Bundler lockfiles
// (https://bundler.io/guides/gemfile_lock.html; the format is defined by
// Bundler's lockfile_parser.rb).
//
// Sections: GEM, GIT, PATH and PLUGIN SOURCE blocks hold "remote:" and
// (GIT) "revision:" lines and a "specs:" list of "name (version)" entries at
// four spaces, each followed by its dependencies at six; DEPENDENCIES lists
// what the Gemfile declares ("!" marks a gem from a GIT or PATH source);
// CHECKSUMS (Bundler 2.5+) holds "name (version) sha256=hex"; PLATFORMS,
// RUBY VERSION and BUNDLED WITH are metadata.
//
// Every spec entry is a package. A platform-specific entry such as
// "nokogiri (1.16.0-x86_64-linux)" has version 1.16.0 and the purl
// qualifier platform=x86_64-linux; a lockfile for several platforms lists
// each variant, and all are reported (only one is installed on a given
// machine, but the lockfile pins every one of them). GIT gems have
// SourceKind "git", PATH gems SourceKind "path" (for a gem developed in the
// repository, such as Rails' own components, these are the project's gems
// that the Gemfile depends on). Gems in DEPENDENCIES are Direct.
//
// The lockfile does not record Bundler groups; only the Gemfile does. When
// a Gemfile (gems.rb for gems.locked) sits beside the lockfile, its
// literal group declarations are read without executing it (see
// readGemfile) and each gem gets the Scope of the groups that reach it
// (see applyGroups). Without a readable Gemfile no Scope is set.
//
// Edges go from each spec to every locked variant of each gem it depends on
// (a dependency names a gem, not a platform).
type GemfileLock struct{}

// Name implements catalog.Cataloger.
func (GemfileLock) Name() string { return "gemfile-lock" }

// Claims implements catalog.Cataloger: Gemfile.lock and the lockfile of a
// gems.rb (gems.locked).
func (GemfileLock) Claims(p string, mode fs.FileMode) bool {
	b := path.Base(p)
	return b == "Gemfile.lock" || b == "gems.locked"
}

type spec struct {
	pkg  sbom.Package
	deps []string
}

// Catalog implements catalog.Cataloger.
func (GemfileLock) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	data, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	var (
		specs       []spec
		byName      = map[string][]int{}
		direct      = map[string]bool{}
		checksums   = map[string][]sbom.Hash{} // "name (version[-platform])" -> hashes
		section     string
		sourceKind  string
		remote      string
		revision    string
		inSpecs     bool
		bundledWith string
		problems    []string
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if text == "" {
			continue
		}
		if text[0] != ' ' { // a section header
			section, inSpecs, remote, revision = text, false, "", ""
			switch section {
			case "GEM":
				sourceKind = ""
			case "GIT":
				sourceKind = "git"
			case "PATH":
				sourceKind = "path"
			case "PLUGIN SOURCE":
				sourceKind = "plugin"
			}
			continue
		}
		indent := len(text) - len(strings.TrimLeft(text, " "))
		body := strings.TrimSpace(text)
		switch section {
		case "GEM", "GIT", "PATH", "PLUGIN SOURCE":
			switch {
			case indent == 2 && body == "specs:":
				inSpecs = true
			case indent == 2:
				k, v, _ := strings.Cut(body, ": ")
				switch k {
				case "remote":
					remote = v
				case "revision":
					revision = v
				}
			case indent == 4 && inSpecs:
				name, version, ok := nameVersion(body)
				if !ok {
					problems = append(problems, fmt.Sprintf("line %d: bad spec %q", line, body))
					continue
				}
				specs = append(specs, spec{pkg: gemPackage(p, line, name, version, sourceKind, remote, revision)})
				byName[name] = append(byName[name], len(specs)-1)
			case indent == 6 && inSpecs && len(specs) > 0:
				name, _, _ := strings.Cut(body, " ")
				specs[len(specs)-1].deps = append(specs[len(specs)-1].deps, name)
			}
		case "DEPENDENCIES":
			if indent == 2 {
				name, _, _ := strings.Cut(body, " ")
				direct[strings.TrimSuffix(name, "!")] = true
			}
		case "CHECKSUMS":
			if indent == 2 {
				if i := strings.Index(body, ") "); i > 0 {
					checksums[body[:i+1]] = parseChecksums(body[i+2:])
				}
			}
		case "BUNDLED WITH":
			bundledWith = body
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read Gemfile.lock: %w", err)
	}
	if len(specs) == 0 && len(direct) == 0 && !bytes.Contains(data, []byte("\nPLATFORMS")) && !bytes.HasPrefix(data, []byte("GEM")) {
		return nil, fmt.Errorf("not a Gemfile.lock: no GEM, GIT, PATH or DEPENDENCIES section")
	}

	res := &catalog.Result{Packages: make([]sbom.Package, 0, len(specs))}
	for i := range specs {
		pk := &specs[i].pkg
		pk.Direct = direct[pk.Name]
		key := pk.Name + " (" + pk.Version
		if pl := pk.Properties[PropPlatform]; pl != "" {
			key += "-" + pl
		}
		pk.Hashes = checksums[key+")"]
		pk.SetProperty(PropBundledWith, bundledWith)
		res.Packages = append(res.Packages, *pk)
	}
	if groups, ok := readGemfile(fsys, gemfileFor(p)); ok {
		applyGroups(res.Packages, specs, direct, groups)
	}
	for i, s := range specs {
		for _, d := range s.deps {
			for _, j := range byName[d] {
				res.Relationships = append(res.Relationships, sbom.Relationship{From: res.Packages[i].ID, To: res.Packages[j].ID})
			}
		}
	}
	if len(problems) > 0 {
		return res, fmt.Errorf("%d unreadable entries (first: %s)", len(problems), problems[0])
	}
	return res, nil
}

// nameVersion splits "name (version)" into name and version.
func nameVersion(s string) (name, version string, ok bool) {
	name, rest, ok := strings.Cut(s, " (")
	if !ok || !strings.HasSuffix(rest, ")") || name == "" {
		return "", "", false
	}
	version = strings.TrimSuffix(rest, ")")
	if version == "" || strings.ContainsAny(version, " ,") {
		return "", "", false
	}
	return name, version, true
}

func gemPackage(p string, line int, name, version, sourceKind, remote, revision string) sbom.Package {
	// A RubyGems version has no "-": one here starts the platform
	// (RubyGems turns a "-" in a version into ".pre.").
	version, platform, _ := strings.Cut(version, "-")
	pkg := sbom.Package{
		Name:      name,
		Version:   version,
		Ecosystem: sbom.EcosystemRubyGems,
		PURL:      purl.New(sbom.EcosystemRubyGems, name, version, "platform", platform),
		Locations: []sbom.Location{{Path: p, Line: line}},
	}
	pkg.SetProperty(PropPlatform, platform)
	switch sourceKind {
	case "git":
		pkg.SourceKind, pkg.ResolvedURL = "git", remote
		if revision != "" {
			pkg.SetProperty(PropRevision, revision)
		}
	case "path":
		pkg.SourceKind, pkg.ResolvedURL = "path", remote
	case "plugin":
		pkg.ResolvedURL = remote
	default:
		if remote != "" && !isRubyGemsOrg(remote) {
			pkg.ResolvedURL = remote
			pkg.PURL = purl.New(sbom.EcosystemRubyGems, name, version, "platform", platform, "repository_url", remote)
		}
	}
	pkg.ID = pkg.Key()
	return pkg
}

func isRubyGemsOrg(remote string) bool {
	r := strings.TrimSuffix(remote, "/")
	return r == "https://rubygems.org" || r == "http://rubygems.org" || r == "https://index.rubygems.org"
}

// parseChecksums reads "sha256=hex[,alg=hex...]".
func parseChecksums(s string) []sbom.Hash {
	var out []sbom.Hash
	for _, f := range strings.Split(s, ",") {
		alg, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			continue
		}
		var a string
		switch alg {
		case "sha256":
			a = sbom.SHA256
		case "sha512":
			a = sbom.SHA512
		default:
			continue
		}
		if h, ok := catalog.CheckHex(a, v); ok {
			out = append(out, h)
		}
	}
	return out
}
