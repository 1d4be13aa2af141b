package attest

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	provenance "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Build types hallmark records. GitHub Actions builds use the build type
// GitHub and npm publish with (so that verifiers that know it understand
// hallmark's provenance too); the others are hallmark's, documented at the
// URI.
const (
	BuildTypeGitHubActions = "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1"
	BuildTypeGitLabCI      = "https://github.com/hallmark-dev/hallmark/blob/main/docs/buildtypes/gitlab-ci/v1.md"
	BuildTypeGeneric       = "https://github.com/hallmark-dev/hallmark/blob/main/docs/buildtypes/generic/v1.md"
)

// Build describes a build for SLSA Provenance v1. FromEnv fills it from a CI
// system's environment; flags override any field.
type Build struct {
	// CI names the CI system detected ("github-actions", "gitlab-ci") or
	// is empty.
	CI        string
	BuildType string
	BuilderID string
	// InvocationID identifies this run (a URL to it where there is one).
	InvocationID string
	StartedOn    time.Time
	FinishedOn   time.Time
	// External parameters are the inputs an outside party controls (the
	// workflow, its ref); internal ones are set by the builder.
	External map[string]any
	Internal map[string]any
	// SourceURI is the source repository ("git+https://host/org/repo@ref"
	// form in resolvedDependencies), SourceDigest its commit.
	SourceURI    string
	SourceRef    string
	SourceCommit string
	// Dependencies are further resolved inputs, e.g. SBOM components.
	Dependencies []*intoto.ResourceDescriptor
}

// FromEnv detects GitHub Actions or GitLab CI from getenv and describes the
// running build. It reports false when no known CI system is detected; the
// caller must then give at least a builder id.
func FromEnv(getenv func(string) string) (Build, bool) {
	switch {
	case getenv("GITHUB_ACTIONS") == "true":
		return fromGitHub(getenv), true
	case getenv("GITLAB_CI") == "true":
		return fromGitLab(getenv), true
	}
	return Build{BuildType: BuildTypeGeneric}, false
}

// fromGitHub follows the GitHub Actions workflow build type
// (https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1)
// as npm's provenance fills it.
func fromGitHub(getenv func(string) string) Build {
	server := cmp.Or(getenv("GITHUB_SERVER_URL"), "https://github.com")
	repo := getenv("GITHUB_REPOSITORY")
	repoURL := server + "/" + repo
	// GITHUB_WORKFLOW_REF is "owner/repo/.github/workflows/x.yml@refs/heads/main".
	path, ref := "", getenv("GITHUB_REF")
	if wf := getenv("GITHUB_WORKFLOW_REF"); wf != "" {
		p, r, _ := strings.Cut(strings.TrimPrefix(wf, repo+"/"), "@")
		path = p
		if r != "" {
			ref = r
		}
	}
	runner := "github-hosted"
	if env := getenv("RUNNER_ENVIRONMENT"); env != "" {
		runner = env
	}
	b := Build{
		CI:        "github-actions",
		BuildType: BuildTypeGitHubActions,
		BuilderID: "https://github.com/actions/runner/" + runner,
		External: map[string]any{
			"workflow": map[string]any{"ref": ref, "repository": repoURL, "path": path},
		},
		Internal: map[string]any{
			"github": map[string]any{
				"event_name":          getenv("GITHUB_EVENT_NAME"),
				"repository_id":       getenv("GITHUB_REPOSITORY_ID"),
				"repository_owner_id": getenv("GITHUB_REPOSITORY_OWNER_ID"),
				"runner_environment":  getenv("RUNNER_ENVIRONMENT"),
			},
		},
		SourceURI:    repoURL,
		SourceRef:    ref,
		SourceCommit: getenv("GITHUB_SHA"),
	}
	if id := getenv("GITHUB_RUN_ID"); id != "" {
		b.InvocationID = fmt.Sprintf("%s/actions/runs/%s/attempts/%s", repoURL, id, cmp.Or(getenv("GITHUB_RUN_ATTEMPT"), "1"))
	}
	return b
}

// fromGitLab reads GitLab CI's predefined variables
// (https://docs.gitlab.com/ci/variables/predefined_variables/).
func fromGitLab(getenv func(string) string) Build {
	server := cmp.Or(getenv("CI_SERVER_URL"), "https://gitlab.com")
	project := getenv("CI_PROJECT_URL")
	if project == "" {
		project = server + "/" + getenv("CI_PROJECT_PATH")
	}
	ref := getenv("CI_COMMIT_REF_NAME")
	if ref != "" && !strings.HasPrefix(ref, "refs/") {
		if getenv("CI_COMMIT_TAG") != "" {
			ref = "refs/tags/" + ref
		} else {
			ref = "refs/heads/" + ref
		}
	}
	b := Build{
		CI:           "gitlab-ci",
		BuildType:    BuildTypeGitLabCI,
		InvocationID: getenv("CI_JOB_URL"),
		External: map[string]any{
			"pipeline": map[string]any{
				"ref":        ref,
				"repository": project,
				"path":       cmp.Or(getenv("CI_CONFIG_PATH"), ".gitlab-ci.yml"),
				"source":     getenv("CI_PIPELINE_SOURCE"),
				"job":        getenv("CI_JOB_NAME"),
			},
		},
		Internal: map[string]any{
			"gitlab": map[string]any{
				"project_id":  getenv("CI_PROJECT_ID"),
				"pipeline_id": getenv("CI_PIPELINE_ID"),
				"job_id":      getenv("CI_JOB_ID"),
				"runner_id":   getenv("CI_RUNNER_ID"),
			},
		},
		SourceURI:    project,
		SourceRef:    ref,
		SourceCommit: getenv("CI_COMMIT_SHA"),
	}
	if id := getenv("CI_RUNNER_ID"); id != "" {
		b.BuilderID = fmt.Sprintf("%s/%s/-/runners/%s", server, getenv("CI_PROJECT_PATH"), id)
	} else {
		b.BuilderID = server + "/gitlab-org/gitlab-runner"
	}
	if t, err := time.Parse(time.RFC3339, getenv("CI_JOB_STARTED_AT")); err == nil {
		b.StartedOn = t
	}
	return b
}

// SBOMDependencies turns an SBOM's packages into resolved dependencies: the
// purl as URI, the recorded hashes as the digest set. Packages without a
// purl are named instead. The order is stable (by URI, then name).
func SBOMDependencies(doc *sbom.Document) []*intoto.ResourceDescriptor {
	var out []*intoto.ResourceDescriptor
	for _, p := range doc.Packages {
		rd := &intoto.ResourceDescriptor{Uri: p.PURL}
		if p.PURL == "" {
			rd.Name = strings.TrimSpace(p.Name + " " + p.Version)
			if rd.Name == "" {
				continue
			}
		}
		for _, h := range p.Hashes {
			// Digests the SBOM got wrong are dropped, not signed.
			if alg := inTotoAlgorithm(h.Algorithm); alg != "" && validHex(h.Value, hexLen[alg]) {
				if rd.Digest == nil {
					rd.Digest = map[string]string{}
				}
				rd.Digest[alg] = strings.ToLower(h.Value)
			}
		}
		out = append(out, rd)
	}
	slices.SortFunc(out, func(a, b *intoto.ResourceDescriptor) int {
		return cmp.Or(cmp.Compare(a.Uri, b.Uri), cmp.Compare(a.Name, b.Name))
	})
	return slices.CompactFunc(out, func(a, b *intoto.ResourceDescriptor) bool {
		return a.Uri == b.Uri && a.Name == b.Name && maps.Equal(a.Digest, b.Digest)
	})
}

var hexLen = map[string]int{"sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128, "md5": 32}

func validHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// inTotoAlgorithm maps the SBOM model's algorithm names to in-toto digest
// set names.
func inTotoAlgorithm(a string) string {
	switch a {
	case sbom.SHA1:
		return "sha1"
	case sbom.SHA256:
		return "sha256"
	case sbom.SHA384:
		return "sha384"
	case sbom.SHA512:
		return "sha512"
	case sbom.MD5:
		return "md5"
	}
	return ""
}

// Provenance encodes b as a SLSA Provenance v1 predicate, validated by the
// in-toto reference implementation.
func (b Build) Provenance() ([]byte, error) {
	if b.BuilderID == "" {
		return nil, fmt.Errorf("provenance needs a builder id: run in GitHub Actions or GitLab CI, or give --builder-id")
	}
	ext := b.External
	if len(ext) == 0 {
		// Outside a known CI system the source is the build's external
		// input; SLSA requires externalParameters to be complete.
		ext = map[string]any{}
		if b.SourceURI != "" {
			src := map[string]any{"uri": gitURI(b.SourceURI, b.SourceRef)}
			if b.SourceCommit != "" {
				src["digest"] = map[string]any{"gitCommit": strings.ToLower(b.SourceCommit)}
			}
			ext["source"] = src
		}
	}
	if len(ext) == 0 {
		return nil, fmt.Errorf("provenance needs external parameters: give --source-uri or --external KEY=VALUE")
	}
	extpb, err := structpb.NewStruct(ext)
	if err != nil {
		return nil, fmt.Errorf("external parameters: %w", err)
	}
	def := &provenance.BuildDefinition{
		BuildType:          cmp.Or(b.BuildType, BuildTypeGeneric),
		ExternalParameters: extpb,
	}
	if len(b.Internal) > 0 {
		if def.InternalParameters, err = structpb.NewStruct(b.Internal); err != nil {
			return nil, fmt.Errorf("internal parameters: %w", err)
		}
	}
	if b.SourceURI != "" || b.SourceCommit != "" {
		src := &intoto.ResourceDescriptor{Uri: gitURI(b.SourceURI, b.SourceRef)}
		if b.SourceCommit != "" {
			src.Digest = map[string]string{"gitCommit": strings.ToLower(b.SourceCommit)}
		}
		if src.Uri == "" {
			src.Name = "source"
		}
		def.ResolvedDependencies = append(def.ResolvedDependencies, src)
	}
	def.ResolvedDependencies = append(def.ResolvedDependencies, b.Dependencies...)
	run := &provenance.RunDetails{Builder: &provenance.Builder{Id: b.BuilderID}}
	if b.InvocationID != "" || !b.StartedOn.IsZero() || !b.FinishedOn.IsZero() {
		run.Metadata = &provenance.BuildMetadata{InvocationId: b.InvocationID}
		if !b.StartedOn.IsZero() {
			run.Metadata.StartedOn = timestamppb.New(b.StartedOn.UTC())
		}
		if !b.FinishedOn.IsZero() {
			run.Metadata.FinishedOn = timestamppb.New(b.FinishedOn.UTC())
		}
	}
	p := &provenance.Provenance{BuildDefinition: def, RunDetails: run}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("invalid provenance: %w", err)
	}
	out, err := protojson.Marshal(p)
	if err != nil {
		return nil, err
	}
	// protojson's output is deliberately unstable in whitespace; compact
	// it so that the same build gives the same bytes.
	var buf bytes.Buffer
	if err := json.Compact(&buf, out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// gitURI writes a source repository as SLSA's resolvedDependencies do:
// "git+https://github.com/org/repo@refs/heads/main".
func gitURI(repo, ref string) string {
	if repo == "" {
		return ""
	}
	u := repo
	if !strings.HasPrefix(u, "git+") && (strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "ssh://")) {
		u = "git+" + u
	}
	if ref != "" && !strings.Contains(strings.TrimPrefix(u, "git+ssh://git@"), "@") {
		u += "@" + ref
	}
	return u
}
