// Package assess checks a supplier's practice from its repository, offline:
// the checks OpenSSF Scorecard can make on local files (with Scorecard's
// meaning), and supply-chain checks only hallmark's own artifacts allow
// (SBOM and vulnerability gate in CI, signed releases with provenance, VEX,
// an authenticated update channel, committed lockfiles, no malicious or
// unpinned dependencies, no committed secrets). Each check has a stable
// id, a result, evidence (file and line), why it matters and how to fix it,
// and the framework tasks it evidences (NIST SSDF SP 800-218, the CISA
// Secure Software Development Attestation form, EU CRA Annex I, the ESF
// supplier guidance).
package assess

import (
	"context"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/limits"
)

// Result of a check.
type Result string

// Results.
const (
	Pass          Result = "pass"
	Fail          Result = "fail"
	Partial       Result = "partial"
	NotApplicable Result = "not-applicable"
	Unknown       Result = "unknown-offline"
)

// Evidence is where a check saw what it reports.
type Evidence struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Note string `json:"note"`
}

// Check is one check's outcome.
type Check struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Scorecard string     `json:"scorecard,omitempty"` // the Scorecard check of the same meaning
	Result    Result     `json:"result"`
	Score     int        `json:"score"` // 0-10, -1 when not scored
	Reason    string     `json:"reason"`
	Evidence  []Evidence `json:"evidence,omitempty"`
	Why       string     `json:"why"`
	Fix       string     `json:"fix"`
	Tasks     []string   `json:"frameworks"` // framework item ids (frameworks.go)
}

// Report is an assessment.
type Report struct {
	Schema string  `json:"schema"`
	Path   string  `json:"path"`
	Score  float64 `json:"score"` // mean of the scored checks, 0-10
	Checks []Check `json:"checks"`
}

// Schema identifies the JSON report (and the attestation predicate type).
const Schema = "https://hallmark.dev/assess/v1"

// Options configure an assessment.
type Options struct {
	// Release is a hallmark release manifest (JSON), for Signed-Releases.
	Release []byte
	// DBDir is the vulnerability store for the malicious-dependency check;
	// "" or an empty store makes that check unknown-offline.
	DBDir string
	// Exclude are globs of paths not to read.
	Exclude []string
}

// repo is the checked-out tree, read once.
type repo struct {
	root      string
	fsys      fs.FS
	files     []string // every regular file, slash paths
	workflows []*workflow
	problems  []Evidence
	ex        *catalog.Exclusions
}

// Run assesses the repository at root.
func Run(ctx context.Context, root string, o Options) (*Report, error) {
	ex, err := catalog.NewExclusions(o.Exclude)
	if err != nil {
		return nil, err
	}
	r := &repo{root: root, fsys: os.DirFS(root), ex: ex}
	if err := r.walk(ctx); err != nil {
		return nil, err
	}
	r.dropIgnored(ctx)
	r.readWorkflows()
	checks := []Check{
		r.binaryArtifacts(), r.dangerousWorkflow(), r.dependencyUpdateTool(), r.fuzzing(), r.license(),
		r.packaging(), r.pinnedDependencies(), r.sast(), r.securityPolicy(), r.tokenPermissions(), r.ciTests(),
		r.signedReleases(o.Release), r.sbomInCI(), r.vulnGate(), r.provenance(o.Release), r.vexPublished(o.Release),
		r.updateChannel(), r.lockfiles(), r.secrets(), r.secretsInHistory(ctx), r.dependencySources(ctx), r.malicious(ctx, o.DBDir),
	}
	for i := range checks {
		info := catalogue[checks[i].ID]
		checks[i].Name, checks[i].Scorecard, checks[i].Why, checks[i].Fix, checks[i].Tasks = info.Name, info.Scorecard, info.Why, info.Fix, info.Tasks
	}
	rep := &Report{Schema: Schema, Path: root, Checks: checks}
	n, sum := 0, 0
	for _, c := range checks {
		if c.Score >= 0 {
			n++
			sum += c.Score
		}
	}
	if n > 0 {
		rep.Score = float64(int(float64(sum)/float64(n)*10+0.5)) / 10
	}
	return rep, nil
}

// walk lists the tree's files, bounded, never following links out of it.
func (r *repo) walk(ctx context.Context) error {
	return fs.WalkDir(r.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			r.problems = append(r.problems, Evidence{File: p, Note: "not read: " + err.Error()})
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", ".hg", ".svn":
				if p != "." {
					return fs.SkipDir
				}
			}
			if r.ex.Excluded(p) {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || r.ex.Excluded(p) {
			return nil
		}
		if len(r.files) >= limits.AssessFiles {
			return fs.SkipAll
		}
		r.files = append(r.files, p)
		return nil
	})
}

// read returns a file's content, bounded; nil when unreadable or too big.
func (r *repo) read(p string) []byte {
	b, err := catalog.ReadFile(r.fsys, p)
	if err != nil || len(b) > limits.AssessFileBytes {
		return nil
	}
	return b
}

// find returns the files whose base name (case-insensitive) is one of names,
// sorted.
func (r *repo) find(match func(p string) bool) []string {
	var out []string
	for _, f := range r.files {
		if match(f) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

func baseIs(names ...string) func(string) bool {
	return func(p string) bool {
		b := strings.ToLower(path.Base(p))
		for _, n := range names {
			if b == n {
				return true
			}
		}
		return false
	}
}
