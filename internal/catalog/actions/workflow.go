// Package actions catalogs the actions and reusable workflows a GitHub
// repository's CI runs: every `uses:` of a workflow file
// (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax)
// and of a composite action's action.yml
// (https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax).
//
// A reference owner/repo[/path]@ref becomes a package of ecosystem
// "GitHub Actions" named owner/repo, version ref, purl
// pkg:github/owner/repo@ref (with #path for an action in a sub-directory or a
// reusable workflow). Property hallmark:actions:pinned says whether ref is a
// full 40-hex commit SHA (the only immutable reference), and
// hallmark:actions:ref keeps the ref as written.
//
// A SHA-pinned reference with a trailing version comment, the form
// Dependabot, Renovate, pin-github-action and ratchet write
// (`@08c6903c... # v5.0.0`, `# tag=v4.1.1`, `# pin@v4`,
// `# ratchet:actions/checkout@v4`; else, as Syft does, the first x.y.z in
// the comment), takes its version from the comment: version v5.0.0 and purl
// pkg:github/actions/checkout@v5.0.0, the SHA kept in hallmark:actions:ref,
// so that the action can be matched against advisories. The comment is also
// kept as hallmark:actions:version-comment. A SHA without such a comment
// keeps the SHA as its version: it cannot be matched offline.
//
// References that name no third-party code are skipped: local actions and
// workflows ("./path"), references with no "@ref", and references built from
// expressions ("${{ ... }}"), whose target is only known at run time.
// Container images run as steps ("docker://image:tag") are third-party code:
// they are recorded as packages of the pseudo-ecosystem "Docker" with a
// pkg:docker purl, so that inventories and pinning policies see them, while
// no OSV ecosystem claims them.
package actions

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"sync"

	packageurl "github.com/package-url/packageurl-go"
	yaml "go.yaml.in/yaml/v3"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/yamldoc"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// EcosystemDocker marks container images run by workflow steps. OSV has no
// such ecosystem; like CocoaPods, it carries the name of the tool.
const EcosystemDocker sbom.Ecosystem = "Docker"

// Property keys.
const (
	PropPinned         = "hallmark:actions:pinned"
	PropVersionComment = "hallmark:actions:version-comment"
	PropPath           = "hallmark:actions:path"
	PropRef            = "hallmark:actions:ref"  // the ref as written: a SHA, a tag or a branch
	PropKind           = "hallmark:actions:kind" // "action", "reusable-workflow", "docker"
)

// Cataloger reads workflow files and action metadata files.
type Cataloger struct{}

// New returns the GitHub Actions cataloger.
func New() Cataloger { return Cataloger{} }

// Name implements catalog.Cataloger.
func (Cataloger) Name() string { return "github-actions" }

// Claims implements catalog.Cataloger: *.yml and *.yaml directly inside a
// .github/workflows directory (GitHub ignores sub-directories), and
// action.yml / action.yaml anywhere; nothing inside node_modules.
func (Cataloger) Claims(p string, mode fs.FileMode) bool {
	if !mode.IsRegular() && mode != 0 {
		return false
	}
	dir, base := path.Split(p)
	ext := path.Ext(base)
	if ext != ".yml" && ext != ".yaml" {
		return false
	}
	if catalog.InNodeModules(p) {
		return false
	}
	if base == "action.yml" || base == "action.yaml" {
		return true
	}
	return dir == ".github/workflows/" || strings.HasSuffix(dir, "/.github/workflows/")
}

// Catalog implements catalog.Cataloger.
func (Cataloger) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	return Parse(b, p)
}

// Parse reads a workflow or action metadata file; p is the location
// recorded for the packages.
func Parse(b []byte, p string) (*catalog.Result, error) {
	root, err := yamldoc.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("parse workflow: %w", err)
	}
	res := &catalog.Result{}
	if root == nil {
		return res, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse workflow: top level is not a mapping (line %d)", root.Line)
	}
	w := yamldoc.NewWalker(yamldoc.Budget(len(b)))
	r := reader{w: w, path: p, res: res}
	// Workflow: jobs.<id>.uses and jobs.<id>.steps[].uses.
	w.Pairs(w.Get(root, "jobs"), func(_, job *yaml.Node) bool {
		r.use(w.Get(job, "uses"), "reusable-workflow")
		r.steps(w.Get(job, "steps"))
		return true
	})
	// Action metadata: runs.steps[].uses (composite) and runs.image (docker).
	if runs := w.Get(root, "runs"); runs != nil {
		r.steps(w.Get(runs, "steps"))
		if img := w.Get(runs, "image"); img != nil && img.Kind == yaml.ScalarNode && strings.HasPrefix(img.Value, "docker://") {
			r.use(img, "docker")
		}
	}
	if err := w.Err(); err != nil {
		return res, fmt.Errorf("parse workflow: %w", err)
	}
	return res, nil
}

type reader struct {
	w    *yamldoc.Walker
	path string
	res  *catalog.Result
}

func (r *reader) steps(s *yaml.Node) {
	r.w.Items(s, func(step *yaml.Node) bool {
		r.use(r.w.Get(step, "uses"), "action")
		return true
	})
}

var sha1Hex = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-fA-F]{40}$`) })

// use records the reference in scalar n, if it names third-party code.
func (r *reader) use(n *yaml.Node, kind string) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return
	}
	ref := strings.TrimSpace(n.Value)
	if ref == "" || strings.Contains(ref, "${{") || strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "../") {
		return
	}
	loc := []sbom.Location{{Path: r.path, Line: n.Line}}
	if img, ok := strings.CutPrefix(ref, "docker://"); ok {
		if p, ok := dockerPackage(img); ok {
			p.Locations = loc
			r.res.Packages = append(r.res.Packages, p)
		}
		return
	}
	name, version, ok := strings.Cut(ref, "@")
	if !ok || version == "" || strings.ContainsAny(version, " \t") {
		return
	}
	parts := strings.SplitN(name, "/", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" || parts[0] == "." || parts[0] == ".." || strings.ContainsAny(name, " \t\\") {
		return
	}
	pinned := sha1Hex().MatchString(version)
	props := map[string]string{PropPinned: fmt.Sprint(pinned), PropKind: kind, PropRef: version}
	if len(parts) == 3 {
		props[PropPath] = parts[2]
	}
	if c := versionComment(n.LineComment); c != "" {
		props[PropVersionComment] = c
	}
	if v := commentTag(n.LineComment); pinned && v != "" {
		version = v
	}
	if kind == "action" && len(parts) == 3 && strings.HasPrefix(parts[2], ".github/workflows/") {
		props[PropKind] = "reusable-workflow"
	}
	r.res.Packages = append(r.res.Packages, sbom.Package{
		Name:       parts[0] + "/" + parts[1],
		Version:    version,
		Ecosystem:  sbom.EcosystemGitHubActions,
		PURL:       purl.New(sbom.EcosystemGitHubActions, name, version),
		Locations:  loc,
		Direct:     true,
		Properties: props,
	})
}

// versionComment returns the first word of a line comment, without the
// prefixes pinning tools write: "# v4.1.1" -> "v4.1.1", "# tag=v4" -> "v4"
// (Renovate), "# pin@v4" -> "v4" (pin-github-action),
// "# ratchet:actions/checkout@v4" -> "v4" (ratchet); or "".
func versionComment(c string) string {
	c = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c), "#"))
	f := strings.Fields(c)
	if len(f) == 0 {
		return ""
	}
	v := strings.TrimPrefix(f[0], "tag=")
	if i := strings.LastIndexByte(v, '@'); i >= 0 {
		v = v[i+1:]
	}
	if len(v) > 128 {
		return ""
	}
	return v
}

// commentTag returns the release a pinned SHA's comment names: its first
// word when that is a release tag (v4, v4.1.1), else, as Syft does, the
// first x.y.z version anywhere in the comment ("# release v4.2.2"); or "".
func commentTag(c string) string {
	if v := versionComment(c); versionLike().MatchString(v) {
		return v
	}
	if len(c) > 256 {
		return ""
	}
	return semverIn().FindString(c)
}

// versionLike matches the release tags a version comment names: v4, 4.1,
// v4.1.1, v2.0.0-beta.1 (a leading v optional).
var versionLike = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^v?[0-9]+(\.[0-9]+){0,3}([-+][0-9A-Za-z.+-]+)?$`)
})

// semverIn finds a version x.y.z inside a comment, with Syft's pattern.
var semverIn = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`v?[0-9]+\.[0-9]+\.[0-9]+`) })

var sha256Digest = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^sha256:[0-9a-f]{64}$`) })

// dockerPackage reads an image reference (registry/repo:tag@sha256:digest).
func dockerPackage(img string) (sbom.Package, bool) {
	img = strings.TrimSpace(img)
	if img == "" || strings.ContainsAny(img, " \t") {
		return sbom.Package{}, false
	}
	repo, digest, _ := strings.Cut(img, "@")
	tag := ""
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo, tag = repo[:i], repo[i+1:]
	}
	if repo == "" {
		return sbom.Package{}, false
	}
	registry := ""
	if i := strings.IndexByte(repo, '/'); i > 0 && (strings.ContainsAny(repo[:i], ".:") || repo[:i] == "localhost") {
		registry, repo = repo[:i], repo[i+1:]
	}
	version := tag
	if digest != "" {
		version = digest
	}
	if version == "" {
		version = "latest"
	}
	ns, name := "", repo
	if i := strings.LastIndexByte(repo, '/'); i >= 0 {
		ns, name = repo[:i], repo[i+1:]
	}
	var q packageurl.Qualifiers
	if registry != "" {
		q = append(q, packageurl.Qualifier{Key: "repository_url", Value: registry})
	}
	if digest != "" && tag != "" {
		q = append(q, packageurl.Qualifier{Key: "tag", Value: tag})
	}
	full := repo
	if registry != "" {
		full = registry + "/" + repo
	}
	return sbom.Package{
		Name:      full,
		Version:   version,
		Ecosystem: EcosystemDocker,
		PURL:      packageurl.NewPackageURL(packageurl.TypeDocker, ns, name, version, q, "").ToString(),
		Direct:    true,
		Properties: map[string]string{
			PropPinned: fmt.Sprint(sha256Digest().MatchString(digest)),
			PropKind:   "docker",
		},
	}, true
}
