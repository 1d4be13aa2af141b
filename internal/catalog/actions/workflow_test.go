package actions

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/catalog/yamldoc"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

func TestClaims(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{".github/workflows/ci.yml", true},
		{".github/workflows/ci.yaml", true},
		{"sub/project/.github/workflows/ci.yml", true},
		{".github/workflows/nested/ci.yml", false}, // GitHub ignores sub-directories
		{".github/workflows/README.md", false},
		{".github/dependabot.yml", false},
		{"action.yml", true},
		{".github/actions/setup/action.yaml", true},
		{"node_modules/foo/action.yml", false},
		{"a/node_modules/foo/action.yml", false},
		{"node_modules/foo/.github/workflows/ci.yml", false},
		{"ci.yml", false},
		{"myaction.yml", false},
	}
	c := New()
	for _, tt := range tests {
		if got := c.Claims(tt.path, 0o644); got != tt.want {
			t.Errorf("Claims(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	if c.Claims(".github/workflows", os.ModeDir|0o755) {
		t.Error("claims a directory")
	}
}

// corpusTruth was computed once by testdata/truth.py (PyYAML): per workflow
// file, the distinct purls (owner/repo lower-cased, #path kept, ref), the
// distinct docker:// images, and the remote references in all (one package
// entry each). Left out on purpose: prometheus ci.yml's two local reusable
// workflows (./.github/workflows/...) and ruff release.yml's eleven
// "$/.github/workflows/*.yml" references, which have no @ref and name no
// repository (a cargo-dist template artifact; GitHub resolves nothing remote).
var corpusTruth = []struct {
	file         string
	uniq, docker int
	refs         int
}{
	{"astral-sh__ruff/.github/workflows/build-binaries.yml", 5, 0, 46},
	{"astral-sh__ruff/.github/workflows/build-docker.yml", 8, 0, 21},
	{"astral-sh__ruff/.github/workflows/build-wasm.yml", 4, 0, 4},
	{"astral-sh__ruff/.github/workflows/ci.yaml", 17, 0, 106},
	{"astral-sh__ruff/.github/workflows/daily_fuzz.yaml", 5, 0, 5},
	{"astral-sh__ruff/.github/workflows/memory_report.yaml", 6, 0, 6},
	{"astral-sh__ruff/.github/workflows/notify-dependents.yml", 1, 0, 1},
	{"astral-sh__ruff/.github/workflows/publish-crates.yml", 2, 0, 2},
	{"astral-sh__ruff/.github/workflows/publish-docs.yml", 2, 0, 2},
	{"astral-sh__ruff/.github/workflows/publish-mirror.yml", 1, 0, 1},
	{"astral-sh__ruff/.github/workflows/publish-playground.yml", 5, 0, 7},
	{"astral-sh__ruff/.github/workflows/publish-pypi.yml", 2, 0, 2},
	{"astral-sh__ruff/.github/workflows/publish-ty-playground.yml", 5, 0, 7},
	{"astral-sh__ruff/.github/workflows/publish-versions.yml", 2, 0, 2},
	{"astral-sh__ruff/.github/workflows/publish-wasm.yml", 2, 0, 2},
	{"astral-sh__ruff/.github/workflows/release.yml", 4, 0, 14},
	{"astral-sh__ruff/.github/workflows/sync_typeshed.yaml", 6, 0, 12},
	{"astral-sh__ruff/.github/workflows/ty-ecosystem-analyzer.yaml", 6, 0, 14},
	{"astral-sh__ruff/.github/workflows/ty-ecosystem-report.yaml", 5, 0, 5},
	{"astral-sh__ruff/.github/workflows/typing_conformance.yaml", 5, 0, 6},
	{"prometheus__prometheus/.github/workflows/approve-workflows.yml", 1, 0, 1},
	{"prometheus__prometheus/.github/workflows/automerge-dependabot.yml", 1, 0, 1},
	{"prometheus__prometheus/.github/workflows/buf-lint.yml", 4, 0, 4},
	{"prometheus__prometheus/.github/workflows/buf.yml", 5, 0, 5},
	{"prometheus__prometheus/.github/workflows/check_release_notes.yml", 1, 0, 1},
	{"prometheus__prometheus/.github/workflows/ci.yml", 12, 0, 39},
	{"prometheus__prometheus/.github/workflows/codeql-analysis.yml", 4, 0, 4},
	{"prometheus__prometheus/.github/workflows/container_description.yml", 2, 0, 4},
	{"prometheus__prometheus/.github/workflows/fuzzing.yml", 3, 0, 3},
	{"prometheus__prometheus/.github/workflows/govulncheck.yml", 1, 0, 1},
	{"prometheus__prometheus/.github/workflows/lock.yml", 1, 0, 1},
	// prombench runs docker://prominfra/prombench:master in three jobs.
	{"prometheus__prometheus/.github/workflows/prombench.yml", 0, 1, 3},
	{"prometheus__prometheus/.github/workflows/repo_sync.yml", 1, 0, 1},
	{"prometheus__prometheus/.github/workflows/scorecards.yml", 4, 0, 4},
	{"prometheus__prometheus/.github/workflows/stale.yml", 1, 0, 1},
}

func TestCorpus(t *testing.T) {
	root := sharedtest.Path(t, "corpus/github-actions")
	seen := 0
	for _, tt := range corpusTruth {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(root, tt.file)
			// Run from the repository root so Claims sees .github/workflows.
			repo := filepath.Join(root, strings.SplitN(tt.file, "/", 2)[0])
			rel := strings.SplitN(tt.file, "/", 2)[1]
			res, err := New().Catalog(t.Context(), os.DirFS(repo), rel)
			if err != nil {
				t.Fatal(err)
			}
			if !New().Claims(rel, 0o644) {
				t.Errorf("does not claim %s", rel)
			}
			catalogtest.CheckInvariants(t, res)
			docker := 0
			for _, p := range res.Packages {
				if p.Ecosystem == EcosystemDocker {
					docker++
				}
			}
			if got, want := catalogtest.Unique(res), tt.uniq+tt.docker; got != want {
				t.Errorf("unique packages = %d, want %d", got, want)
			}
			if got := len(res.Packages); got != tt.refs {
				t.Errorf("references = %d, want %d", got, tt.refs)
			}
			lines := strings.Split(mustRead(t, path), "\n")
			for _, p := range res.Packages {
				l := p.Locations[0]
				if l.Path != rel || l.Line < 1 || l.Line > len(lines) || !strings.Contains(lines[l.Line-1], "uses:") {
					t.Errorf("%s: location %+v is not a uses: line", p.PURL, l)
				}
			}
		})
		seen++
	}
	files, _ := filepath.Glob(filepath.Join(root, "*/.github/workflows/*"))
	if len(files) != seen {
		t.Errorf("corpus has %d workflow files, the truth table %d: update it with testdata/truth.py", len(files), seen)
	}
}

// TestWalk runs the cataloger through the parallel walker over both
// repositories: it must find the workflow files under .github and merge
// repeated references. Truth (truth.py's sets, united): 53 distinct action
// purls and 1 docker image.
func TestWalk(t *testing.T) {
	root := sharedtest.Path(t, "corpus/github-actions")
	doc, problems := catalog.Walk(t.Context(), os.DirFS(root), catalog.Options{Catalogers: []catalog.Cataloger{New()}})
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	// 55: one SHA of actions/download-artifact is used with its version
	// comment (v8.0.1) in one place and without in another.
	if got := len(doc.Packages); got != 55 {
		t.Errorf("%d packages, want 55", got)
	}
	p := doc.Package("pkg:github/actions/checkout@v7.0.1")
	if p == nil || p.Properties[PropRef] != "3d3c42e5aac5ba805825da76410c181273ba90b1" {
		t.Fatalf("actions/checkout@v7.0.1 (SHA 3d3c42e) not found: %+v", p)
	}
	// 83 uses lines across both repositories.
	if len(p.Locations) != 83 {
		t.Errorf("actions/checkout@v7.0.1 has %d locations, want 83", len(p.Locations))
	}
}

func TestCorpusSamples(t *testing.T) {
	root := sharedtest.Path(t, "corpus/github-actions")
	type triple struct{ Name, Version, PURL, Path, Comment, Pinned, Kind string }
	tests := []struct {
		repo, file string
		want       []triple
	}{
		{"prometheus__prometheus", ".github/workflows/codeql-analysis.yml", []triple{
			{"actions/checkout", "v7.0.1", "pkg:github/actions/checkout@v7.0.1", "", "v7.0.1", "true", "action"},
			{"github/codeql-action", "v4.37.7", "pkg:github/github/codeql-action@v4.37.7#analyze", "analyze", "v4.37.7", "true", "action"},
			{"github/codeql-action", "v4.37.7", "pkg:github/github/codeql-action@v4.37.7#autobuild", "autobuild", "v4.37.7", "true", "action"},
			{"github/codeql-action", "v4.37.7", "pkg:github/github/codeql-action@v4.37.7#init", "init", "v4.37.7", "true", "action"},
		}},
		{"prometheus__prometheus", ".github/workflows/prombench.yml", []triple{
			{"prominfra/prombench", "master", "pkg:docker/prominfra/prombench@master", "", "", "false", "docker"},
			{"prominfra/prombench", "master", "pkg:docker/prominfra/prombench@master", "", "", "false", "docker"},
			{"prominfra/prombench", "master", "pkg:docker/prominfra/prombench@master", "", "", "false", "docker"},
		}},
		{"astral-sh__ruff", ".github/workflows/publish-docs.yml", []triple{
			{"actions/checkout", "v7.0.1", "pkg:github/actions/checkout@v7.0.1", "", "v7.0.1", "true", "action"},
			{"astral-sh/setup-uv", "v10.0.1", "pkg:github/astral-sh/setup-uv@v10.0.1", "", "v10.0.1", "true", "action"},
		}},
	}
	for _, tt := range tests {
		res, err := New().Catalog(t.Context(), os.DirFS(filepath.Join(root, tt.repo)), tt.file)
		if err != nil {
			t.Fatal(err)
		}
		var got []triple
		for _, p := range res.Packages {
			got = append(got, triple{p.Name, p.Version, p.PURL, p.Properties[PropPath], p.Properties[PropVersionComment], p.Properties[PropPinned], p.Properties[PropKind]})
		}
		less := func(a, b triple) bool { return a.PURL < b.PURL }
		if diff := cmp.Diff(tt.want, got, cmpopts.SortSlices(less)); diff != "" {
			t.Errorf("%s/%s diff (-want +got):\n%s", tt.repo, tt.file, diff)
		}
	}
}

func TestFixtures(t *testing.T) {
	type pkg struct {
		Name, Version, PURL string
		Eco                 sbom.Ecosystem
		Line                int
		Props               map[string]string
	}
	tests := []struct {
		dir, file string
		want      []pkg
	}{
		{"testdata/composite", "action.yml", []pkg{
			{"actions/setup-go", "v5.5.0", "pkg:github/actions/setup-go@v5.5.0", sbom.EcosystemGitHubActions, 11,
				map[string]string{PropPinned: "true", PropRef: "d35c59abb061a4a6fb18e82ac0862c26744d6ab5", PropKind: "action", PropVersionComment: "v5.5.0"}},
			{"actions/cache", "v4", "pkg:github/actions/cache@v4", sbom.EcosystemGitHubActions, 14,
				map[string]string{PropRef: "v4", PropPinned: "false", PropKind: "action"}},
			{"ghcr.io/koalaman/shellcheck", "sha256:2097951f02e735b613f4a34de20c40f937a6c8f18ecb170612c88c34517221fb",
				"pkg:docker/koalaman/shellcheck@sha256:2097951f02e735b613f4a34de20c40f937a6c8f18ecb170612c88c34517221fb?repository_url=ghcr.io&tag=v0.10.0", EcosystemDocker, 19,
				map[string]string{PropPinned: "true", PropKind: "docker"}},
		}},
		{"testdata/repo", ".github/workflows/release.yaml", []pkg{
			{"octo-org/shared-workflows", "v3.2.0", "pkg:github/octo-org/shared-workflows@v3.2.0#.github/workflows/go-build.yml", sbom.EcosystemGitHubActions, 10,
				map[string]string{PropPinned: "true", PropRef: "0b93b6dc1ef6b7f0c2a9a43e3a0e7b1d7e8e0a42", PropKind: "reusable-workflow", PropPath: ".github/workflows/go-build.yml", PropVersionComment: "v3.2.0"}},
			{"actions/checkout", "v4.2.2", "pkg:github/actions/checkout@v4.2.2", sbom.EcosystemGitHubActions, 17,
				map[string]string{PropPinned: "true", PropRef: "11bd71901bbe5b1630ceea73d27597364c9af683", PropKind: "action", PropVersionComment: "v4.2.2"}},
			{"github/codeql-action", "v3", "pkg:github/github/codeql-action@v3#init", sbom.EcosystemGitHubActions, 20,
				map[string]string{PropRef: "v3", PropPinned: "false", PropKind: "action", PropPath: "init"}},
			{"github/codeql-action", "v3", "pkg:github/github/codeql-action@v3#analyze", sbom.EcosystemGitHubActions, 21,
				map[string]string{PropRef: "v3", PropPinned: "false", PropKind: "action", PropPath: "analyze"}},
			{"alpine", "3.20", "pkg:docker/alpine@3.20", EcosystemDocker, 22,
				map[string]string{PropPinned: "false", PropKind: "docker"}},
			{"Swatinem/rust-cache", "v2", "pkg:github/swatinem/rust-cache@v2", sbom.EcosystemGitHubActions, 27,
				map[string]string{PropRef: "v2", PropPinned: "false", PropKind: "action", PropVersionComment: "v2.7.8"}},
			// The anchored checkout step, reused by alias in job lint.
			{"actions/checkout", "v4.2.2", "pkg:github/actions/checkout@v4.2.2", sbom.EcosystemGitHubActions, 17,
				map[string]string{PropPinned: "true", PropRef: "11bd71901bbe5b1630ceea73d27597364c9af683", PropKind: "action", PropVersionComment: "v4.2.2"}},
			{"golangci/golangci-lint-action", "v8.0.0", "pkg:github/golangci/golangci-lint-action@v8.0.0", sbom.EcosystemGitHubActions, 33,
				map[string]string{PropPinned: "true", PropRef: "4afd733a84b1f43292c63897423277bb7f4313a9", PropKind: "action", PropVersionComment: "v8.0.0"}},
		}},
	}
	for _, tt := range tests {
		res, err := New().Catalog(t.Context(), os.DirFS(tt.dir), tt.file)
		if err != nil {
			t.Fatal(err)
		}
		catalogtest.CheckInvariants(t, res)
		var got []pkg
		for _, p := range res.Packages {
			if !p.Direct {
				t.Errorf("%s not direct", p.PURL)
			}
			got = append(got, pkg{p.Name, p.Version, p.PURL, p.Ecosystem, p.Locations[0].Line, p.Properties})
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s/%s diff (-want +got):\n%s", tt.dir, tt.file, diff)
		}
	}
}

func TestDockerReferences(t *testing.T) {
	tests := []struct {
		ref, name, version, purl, pinned string
	}{
		{"alpine", "alpine", "latest", "pkg:docker/alpine@latest", "false"},
		{"alpine:3", "alpine", "3", "pkg:docker/alpine@3", "false"},
		{"library/alpine:3", "library/alpine", "3", "pkg:docker/library/alpine@3", "false"},
		{"localhost:5000/tools/lint:1", "localhost:5000/tools/lint", "1", "pkg:docker/tools/lint@1?repository_url=localhost:5000", "false"},
		{"localhost/lint", "localhost/lint", "latest", "pkg:docker/lint@latest?repository_url=localhost", "false"},
		{"alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "alpine", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			"pkg:docker/alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "true"},
	}
	for _, tt := range tests {
		p, ok := dockerPackage(tt.ref)
		if !ok {
			t.Errorf("dockerPackage(%q) failed", tt.ref)
			continue
		}
		got := []string{p.Name, p.Version, p.PURL, p.Properties[PropPinned]}
		if diff := cmp.Diff([]string{tt.name, tt.version, tt.purl, tt.pinned}, got); diff != "" {
			t.Errorf("dockerPackage(%q) diff (-want +got):\n%s", tt.ref, diff)
		}
	}
	for _, bad := range []string{"", ":tag", "a b"} {
		if _, ok := dockerPackage(bad); ok {
			t.Errorf("dockerPackage(%q) accepted", bad)
		}
	}
}

func TestSkippedReferences(t *testing.T) {
	for _, ref := range []string{
		"./.github/actions/x", "../x@v1", "${{ matrix.a }}@v1", "actions/checkout", "actions/checkout@",
		"checkout@v4", "/checkout@v4", "actions/@v4", "$/.github/workflows/a.yml", "a/b@v1 extra",
	} {
		doc := fmt.Sprintf("jobs:\n  j:\n    steps:\n      - uses: %q\n", ref)
		res, err := Parse([]byte(doc), "w.yml")
		if err != nil {
			t.Errorf("%q: %v", ref, err)
			continue
		}
		if len(res.Packages) != 0 {
			t.Errorf("%q gave %+v", ref, res.Packages)
		}
	}
}

func TestMalformed(t *testing.T) {
	deep := strings.Repeat("[", 500) + strings.Repeat("]", 500)
	deepBlock := new(bytes.Buffer)
	for i := range 150 {
		fmt.Fprintf(deepBlock, "%sk:\n", strings.Repeat(" ", i))
	}
	bomb := new(bytes.Buffer)
	bomb.WriteString("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n")
	for i := 'b'; i <= 'j'; i++ {
		fmt.Fprintf(bomb, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	// jobs whose steps alias a huge step list many times.
	jobsBomb := new(bytes.Buffer)
	jobsBomb.WriteString("s: &s\n")
	for range 2000 {
		jobsBomb.WriteString("  - uses: actions/checkout@v4\n")
	}
	jobsBomb.WriteString("jobs:\n")
	for i := range 2000 {
		fmt.Fprintf(jobsBomb, "  j%d: {steps: *s}\n", i)
	}
	tests := []struct {
		name    string
		doc     string
		wantErr error // nil: any error; use errNone for success
		ok      bool
	}{
		{name: "invalid yaml", doc: "jobs: [\n"},
		{name: "truncated", doc: "jobs:\n  build:\n    steps:\n      - uses: \"actions/checkout@v4\n"},
		{name: "top level list", doc: "- a\n- b\n"},
		{name: "top level scalar", doc: "hello\n"},
		{name: "deep flow", doc: "jobs: " + deep + "\n", wantErr: yamldoc.ErrTooDeep},
		{name: "deep block", doc: deepBlock.String(), wantErr: yamldoc.ErrTooDeep},
		{name: "alias bomb unused", doc: bomb.String(), ok: true},
		{name: "jobs alias bomb", doc: jobsBomb.String(), wantErr: yamldoc.ErrAliasBudget},
		{name: "empty", doc: "", ok: true},
		{name: "wrong types", doc: "jobs:\n  - a\n  - b\n", ok: true},
		{name: "steps a map", doc: "jobs:\n  a:\n    steps: {uses: actions/checkout@v4}\n", ok: true},
		{name: "uses a list", doc: "jobs:\n  a:\n    uses: [a/b@v1]\n    steps:\n      - uses: {a: b}\n      - 7\n", ok: true},
		{name: "alias loop", doc: "jobs: &j\n  a: *j\n", ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse([]byte(tt.doc), "w.yml")
			if tt.ok {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; got %+v", res)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := New().Catalog(t.Context(), fstest.MapFS{}, ".github/workflows/x.yml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/composite/action.yml", "testdata/repo/.github/workflows/release.yaml"} {
		f.Add(mustReadF(f, p))
	}
	f.Add("jobs:\n  a: &a\n    steps: [*a]\n")
	f.Add("runs:\n  image: docker://a:b@c\n")
	f.Fuzz(func(t *testing.T, doc string) {
		res, err := Parse([]byte(doc), "w.yml")
		if err != nil {
			return
		}
		for _, p := range res.Packages {
			if p.Name == "" || p.PURL == "" || p.Version == "" || len(p.Locations) != 1 {
				t.Fatalf("incomplete package %+v", p)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	// The largest workflow of the corpus: ruff's ci.yaml (106 references).
	path := sharedtest.Path(b, "corpus/github-actions/astral-sh__ruff/.github/workflows/ci.yaml")
	data := []byte(mustReadF(b, path))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data, "ci.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

func mustRead(t *testing.T, path string) string { return mustReadF(t, path) }

func mustReadF(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
