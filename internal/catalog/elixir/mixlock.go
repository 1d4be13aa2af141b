// Package elixir catalogs Elixir and Erlang packages from mix.lock, the
// lockfile Mix writes (https://hexdocs.pm/mix/Mix.Tasks.Deps.html; the
// entries are written by Hex, https://github.com/hexpm/hex, lib/hex/scm.ex,
// and by Mix.SCM.Git).
//
// A mix.lock is an Elixir map literal from dependency (application) name to
// a tuple:
//
//	{:hex, :package, "version", "inner checksum", [build tools], [deps], "repo", "outer checksum"}
//	{:git, "url", "commit", [branch: "main" | tag: ... | ref: ... | sparse: ... | submodules: ...]}
//
// Hex before 0.20 wrote six- or seven-element hex tuples without the outer
// checksum. The outer checksum is the SHA-256 of the release tarball, which
// is what `mix deps.get` verifies, so it becomes the package hash; the inner
// checksum (of the tarball's contents) is kept as property
// hallmark:hex:inner-checksum. Each dep {:app, "requirement", [hex: :pkg,
// repo: "hexpm", optional: bool]} becomes an edge to the lock entry named
// app; optional dependencies that were not fetched have no entry and no edge.
// A repo "hexpm:org" is a private organisation: the purl namespace is org.
//
// The lock does not say which dependencies mix.exs declares, nor their
// environment (only: :dev). hallmark infers Direct: an entry no other hex
// entry depends on, or that others depend on only optionally (Mix fetches an
// optional dependency only when the project itself asks for it), must be
// declared by the project. Git dependencies record no requirements in the
// lock, so a package needed only by a git dependency is also counted direct.
// Scope is ScopeOptional for entries not reachable from those roots through
// non-optional edges ("no one needs it otherwise"), empty otherwise.
//
// When a mix.exs sits beside the mix.lock, hallmark reads the literal
// dependency declarations of its deps function (mixexs.go: a bounded
// scanner; mix.exs is never executed) and replaces the inference: Direct is
// "declared in deps", and Scope follows the lock's non-optional edges from
// the declarations: reachable from a dependency with no only: (or one whose
// only: includes :prod) that is neither optional: true nor runtime: false →
// runtime; otherwise from an optional: true one → ScopeOptional (it ships to
// the library's users, who may enable it); otherwise from a runtime: false
// one with no only: (build tools such as esbuild or tailwind: they run at
// build time and are not part of the release) or from one whose only: names
// :dev, :docs or several environments → ScopeDev; otherwise from only: :test
// → ScopeTest. A declared runtime: false dependency carries the property
// hallmark:hex:runtime=false. Entries no declaration reaches (what only a
// path: dependency needs, or stale entries `mix deps.unlock --unused` would
// drop) keep the lock-only inference, and are not Direct. An umbrella's
// root mix.exs (apps_path:) declares only the shared tools, not the apps'
// dependencies, so it is not used.
//
// Git dependencies have no version in the lock: the version is the locked
// commit, SourceKind "git", the purl carries vcs_url.
package elixir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Property keys.
const (
	PropInnerChecksum = "hallmark:hex:inner-checksum"
	PropBuildTools    = "hallmark:hex:build-tools"
	PropRepo          = "hallmark:hex:repo"
	PropApp           = "hallmark:hex:app"
	PropGitRef        = "hallmark:hex:git-ref"
	PropRuntime       = "hallmark:hex:runtime"
)

// Cataloger reads mix.lock files.
type Cataloger struct{}

// New returns the mix.lock cataloger.
func New() Cataloger { return Cataloger{} }

// Name implements catalog.Cataloger.
func (Cataloger) Name() string { return "elixir-mix-lock" }

// Claims implements catalog.Cataloger. The mix.lock files of fetched
// dependencies (under a deps/ directory, Mix's deps_path) are not the
// project's and are not claimed.
func (Cataloger) Claims(p string, mode fs.FileMode) bool {
	return path.Base(p) == "mix.lock" && (mode.IsRegular() || mode == 0) &&
		!strings.HasPrefix(p, "deps/") && !strings.Contains(p, "/deps/")
}

// Catalog implements catalog.Cataloger.
func (Cataloger) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	exs, err := catalog.ReadFile(fsys, path.Join(path.Dir(p), "mix.exs"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Parse(b, p)
		}
		res, perr := Parse(b, p)
		return res, errors.Join(fmt.Errorf("read mix.exs (scopes inferred from mix.lock alone): %w", err), perr)
	}
	return ParseProject(b, exs, p)
}

// ParseProject reads a mix.lock with the mix.exs beside it (nil when there
// is none); p is the location recorded for the packages. A mix.exs without
// a literal deps list is ignored, and the lock alone decides.
func ParseProject(lock, exs []byte, p string) (*catalog.Result, error) {
	var decls []declared
	if exs != nil && !strings.Contains(string(exs), "apps_path:") {
		decls, _ = parseMixExs(string(exs))
	}
	return parse(lock, p, decls)
}

type dep struct {
	app      string
	optional bool
}

type entry struct {
	pkg  sbom.Package
	deps []dep
}

// Parse reads a mix.lock alone; p is the location recorded for the packages.
func Parse(b []byte, p string) (*catalog.Result, error) { return parse(b, p, nil) }

func parse(b []byte, p string, decls []declared) (*catalog.Result, error) {
	root, err := parseTerm(string(b))
	if err != nil {
		return nil, fmt.Errorf("parse mix.lock: %w", err)
	}
	if root.kind != kindMap {
		return nil, fmt.Errorf("parse mix.lock: not a map (line %d)", root.line)
	}
	var (
		entries []entry
		byApp   = map[string]int{}
		bad     []string
	)
	for i, k := range root.keys {
		app := k.text()
		e, err := readEntry(app, root.items[i])
		if err != nil {
			bad = append(bad, fmt.Sprintf("line %d: %s: %v", k.line, app, err))
			continue
		}
		e.pkg.Locations = []sbom.Location{{Path: p, Line: k.line}}
		e.pkg.ID = e.pkg.Key()
		byApp[app] = len(entries)
		entries = append(entries, e)
	}

	res := &catalog.Result{}
	incoming := make([]int, len(entries))    // edges into each entry
	optIncoming := make([]int, len(entries)) // optional ones among them
	for _, e := range entries {
		for _, d := range e.deps {
			j, ok := byApp[d.app]
			if !ok {
				continue
			}
			incoming[j]++
			if d.optional {
				optIncoming[j]++
			}
			res.Relationships = append(res.Relationships, sbom.Relationship{From: e.pkg.ID, To: entries[j].pkg.ID})
		}
	}
	// Required: reachable from the entries nobody depends on through
	// non-optional edges.
	required := make([]bool, len(entries))
	var queue []int
	for i := range entries {
		if incoming[i] == 0 {
			required[i] = true
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, d := range entries[i].deps {
			if j, ok := byApp[d.app]; ok && !d.optional && !required[j] {
				required[j] = true
				queue = append(queue, j)
			}
		}
	}
	var level []scopeLevel
	if len(decls) > 0 {
		level = declaredScopes(entries, byApp, decls)
	}
	for i := range entries {
		e := &entries[i]
		if level == nil {
			e.pkg.Direct = incoming[i] == optIncoming[i]
		}
		if level == nil || level[i] == lvUnreached {
			if !required[i] {
				e.pkg.Scope = sbom.ScopeOptional
			}
		} else {
			e.pkg.Scope = level[i].scope()
		}
		res.Packages = append(res.Packages, e.pkg)
	}
	if len(bad) > 0 {
		more := ""
		if len(bad) > 3 {
			more = fmt.Sprintf(" (and %d more)", len(bad)-3)
			bad = bad[:3]
		}
		return res, fmt.Errorf("parse mix.lock: %s%s", strings.Join(bad, "; "), more)
	}
	return res, nil
}

func readEntry(app string, v term) (entry, error) {
	if app == "" {
		return entry{}, fmt.Errorf("entry without a name")
	}
	if v.kind != kindTuple || len(v.items) == 0 || v.items[0].kind != kindAtom {
		return entry{}, fmt.Errorf("not a {:scm, ...} tuple")
	}
	switch scm := v.items[0].s; scm {
	case "hex":
		return readHex(app, v.items)
	case "git":
		return readGit(app, v.items)
	default:
		return entry{}, fmt.Errorf("unknown source %q", truncate(scm))
	}
}

// readHex reads {:hex, :name, "version", "inner", [tools], [deps], "repo", "outer"}
// and its shorter, older forms.
func readHex(app string, it []term) (entry, error) {
	if len(it) < 3 || it[1].text() == "" || it[2].kind != kindString || it[2].s == "" {
		return entry{}, fmt.Errorf("hex entry needs a package name and version")
	}
	name, version := it[1].text(), it[2].s
	props := map[string]string{}
	if name != app {
		props[PropApp] = app
	}
	e := entry{pkg: sbom.Package{Name: name, Version: version, Ecosystem: sbom.EcosystemHex, Properties: props}}
	if len(it) > 3 {
		if h, ok := catalog.CheckHex(sbom.SHA256, it[3].text()); ok {
			props[PropInnerChecksum] = h.Value
		}
	}
	if len(it) > 4 && it[4].kind == kindList {
		var tools []string
		for _, t := range it[4].items {
			if s := t.text(); s != "" {
				tools = append(tools, s)
			}
		}
		if len(tools) > 0 {
			props[PropBuildTools] = strings.Join(tools, ",")
		}
	}
	if len(it) > 5 && it[5].kind == kindList {
		for _, d := range it[5].items {
			// {:app, "requirement", [hex: :pkg, repo: "hexpm", optional: false]}
			if d.kind != kindTuple || len(d.items) < 1 || d.items[0].text() == "" {
				return entry{}, fmt.Errorf("bad dependency in %s (line %d)", name, d.line)
			}
			var opts term
			if len(d.items) > 2 {
				opts = d.items[2]
			}
			e.deps = append(e.deps, dep{app: d.items[0].text(), optional: opts.keyword("optional").s == "true"})
		}
	}
	repo := "hexpm"
	if len(it) > 6 && it[6].text() != "" {
		repo = it[6].text()
	}
	if repo != "hexpm" {
		props[PropRepo] = repo
	}
	if len(it) > 7 {
		if h, ok := catalog.CheckHex(sbom.SHA256, it[7].text()); ok {
			e.pkg.Hashes = []sbom.Hash{h}
		}
	}
	if org, ok := strings.CutPrefix(repo, "hexpm:"); ok && org != "" {
		// A private organisation on hex.pm: the purl namespace.
		e.pkg.PURL = packageurl.NewPackageURL(packageurl.TypeHex, org, name, version, nil, "").ToString()
	} else {
		var q []string
		if repo != "hexpm" {
			// A self-hosted repository, named in the project's config.
			q = []string{"repository_url", repo}
		}
		e.pkg.PURL = purl.New(sbom.EcosystemHex, name, version, q...)
	}
	return e, nil
}

// readGit reads {:git, "url", "commit", [opts]}.
func readGit(app string, it []term) (entry, error) {
	if len(it) < 3 || it[1].kind != kindString || it[1].s == "" || it[2].kind != kindString || it[2].s == "" {
		return entry{}, fmt.Errorf("git entry needs a URL and a commit")
	}
	url, commit := it[1].s, it[2].s
	props := map[string]string{}
	if len(it) > 3 {
		for _, k := range []string{"branch", "tag", "ref"} {
			if v := it[3].keyword(k).text(); v != "" {
				props[PropGitRef] = k + ":" + v
				break
			}
		}
	}
	return entry{pkg: sbom.Package{
		Name:        app,
		Version:     commit,
		Ecosystem:   sbom.EcosystemHex,
		PURL:        purl.New(sbom.EcosystemHex, app, commit, "vcs_url", "git+"+url+"@"+commit),
		ResolvedURL: url,
		SourceKind:  "git",
		Properties:  props,
	}}, nil
}

// scopeLevel orders what reaches an entry, most needed first.
type scopeLevel int

const (
	lvUnreached scopeLevel = iota
	lvTest
	lvDev
	lvOptional
	lvRuntime
)

func (l scopeLevel) scope() sbom.Scope {
	switch l {
	case lvTest:
		return sbom.ScopeTest
	case lvDev:
		return sbom.ScopeDev
	case lvOptional:
		return sbom.ScopeOptional
	}
	return sbom.ScopeRequired
}

// rootLevel is the level a declaration gives the entry it names.
func (d declared) rootLevel() scopeLevel {
	switch {
	case d.onlySet && !slices.Contains(d.only, "prod"):
		if len(d.only) == 1 && d.only[0] == "test" {
			return lvTest
		}
		return lvDev
	case d.noRun:
		return lvDev
	case d.optional:
		return lvOptional
	}
	return lvRuntime
}

// declaredScopes marks the declared entries Direct (and runtime: false ones
// with PropRuntime) and returns, for every entry, the most needed level of
// the declarations reaching it through non-optional lock edges.
func declaredScopes(entries []entry, byApp map[string]int, decls []declared) []scopeLevel {
	root := make([]scopeLevel, len(entries))
	for _, d := range decls {
		i, ok := byApp[d.app]
		if !ok {
			continue // a path: dependency, or an optional one not fetched
		}
		entries[i].pkg.Direct = true
		if d.noRun {
			entries[i].pkg.Properties[PropRuntime] = "false"
		}
		root[i] = max(root[i], d.rootLevel())
	}
	level := make([]scopeLevel, len(entries))
	for lv := lvRuntime; lv > lvUnreached; lv-- {
		var queue []int
		for i := range entries {
			if root[i] == lv && level[i] == lvUnreached {
				level[i] = lv
				queue = append(queue, i)
			}
		}
		for len(queue) > 0 {
			i := queue[0]
			queue = queue[1:]
			for _, d := range entries[i].deps {
				if j, ok := byApp[d.app]; ok && !d.optional && level[j] == lvUnreached {
					level[j] = lv
					queue = append(queue, j)
				}
			}
		}
	}
	return level
}
