package python

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

// row is the part of a package the tests compare.
type row struct {
	Name, Version, PURL string
	Scope               sbom.Scope
	Direct              bool
	Kind, URL           string
	Line                int
}

func rowOf(p sbom.Package) row {
	return row{p.Name, p.Version, p.PURL, p.Scope, p.Direct, p.SourceKind, p.ResolvedURL, p.Locations[0].Line}
}

// runAt runs c on rel inside dir (rel may have directories, unlike
// catalogtest.Run, so that "requirements/dev.txt" is claimed as the walker
// would claim it).
func runAt(t testing.TB, c catalog.Cataloger, dir, rel string) (*catalog.Result, error) {
	t.Helper()
	st, err := os.Stat(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Claims(rel, st.Mode()) {
		t.Fatalf("%s does not claim %s", c.Name(), rel)
	}
	return c.Catalog(context.Background(), os.DirFS(dir), rel)
}

// rows runs c on rel inside dir, fails the test on an error or a broken
// invariant, and returns the result with the rows of its packages, in order.
func rows(t testing.TB, c catalog.Cataloger, dir, rel string) (*catalog.Result, []row) {
	t.Helper()
	res, err := runAt(t, c, dir, rel)
	if err != nil {
		t.Fatal(err)
	}
	catalogtest.CheckInvariants(t, res)
	var got []row
	for _, p := range res.Packages {
		got = append(got, rowOf(p))
	}
	return res, got
}

func byName(res *catalog.Result) map[string][]sbom.Package {
	m := map[string][]sbom.Package{}
	for _, p := range res.Packages {
		m[p.Name] = append(m[p.Name], p)
	}
	return m
}

// TestCorpus pins, per real lockfile of ../shared/corpus, the package count
// (computed once by testdata/truth.py with Python's own tomllib/json) and a
// sample of exact rows read by hand from the file.
//
// What is in and out, per format:
//   - poetry.lock: every [[package]] (all groups; dev and test have their
//     scope). Neither corpus file has a pyproject.toml beside it, so Direct is
//     inferred: a package no locked package depends on.
//   - uv.lock: every [[package]] except the project at source "." (pydantic,
//     flask). pydantic-core is a workspace member the project depends on, so it
//     is a real (path) dependency. Syft reports 176 for pydantic (root
//     included), Trivy 9 (root + 4 runtime + 4 extras packages, no dev group): hallmark reports 175, all
//     scoped.
//   - Pipfile.lock: every section; a name locked at two versions (default vs
//     develop) is two packages; requests-html's editable "." is the project.
//   - requirements: every line; all corpus lines are pinned.
func TestCorpus(t *testing.T) {
	tests := []struct {
		c      catalog.Cataloger
		dir    string // under corpus/
		file   string
		count  int
		direct int // -1: not checked
		edges  int
		sample []row
	}{
		{
			c: PoetryLock{}, dir: "poetry/Textualize__textual", file: "poetry.lock", count: 111, direct: 32, edges: 156,
			sample: []row{
				{"aiohappyeyeballs", "2.6.1", "pkg:pypi/aiohappyeyeballs@2.6.1", sbom.ScopeDev, false, "", "", 3},
				{"rich", "14.2.0", "pkg:pypi/rich@14.2.0", sbom.ScopeRequired, false, "", "", 0},
			},
		},
		{
			c: PoetryLock{}, dir: "poetry/python-poetry__poetry", file: "poetry.lock", count: 78, direct: 26, edges: 87,
			sample: []row{
				{"poetry-core", "2.4.1", "pkg:pypi/poetry-core@2.4.1", sbom.ScopeRequired, true, "git", "git+https://github.com/python-poetry/poetry-core.git@e3998b0e111dc03e4aa721fd054c48e5c7de6fc5", 0},
				{"backports-tarfile", "1.2.0", "pkg:pypi/backports-tarfile@1.2.0", sbom.ScopeRequired, false, "", "", 23},
			},
		},
		{
			c: UVLock{}, dir: "uv/pydantic__pydantic", file: "uv.lock", count: 175, direct: 62, edges: 307,
			sample: []row{
				{"annotated-types", "0.7.0", "pkg:pypi/annotated-types@0.7.0", sbom.ScopeRequired, true, "", "", 194},
				{"pydantic-core", "", "pkg:pypi/pydantic-core", sbom.ScopeRequired, true, "path", "pydantic-core", 2667},
				{"email-validator", "2.2.0", "pkg:pypi/email-validator@2.2.0", sbom.ScopeOptional, true, "", "", 928},
				{"dnspython", "2.7.0", "pkg:pypi/dnspython@2.7.0", sbom.ScopeOptional, false, "", "", 910},
				{"pydantic-docs", "0.0.1", "pkg:pypi/pydantic-docs@0.0.1", sbom.ScopeDev, true, "git", "git+https://github.com/pydantic/pydantic-docs@6f657b30593b00cf5f7c0b7eca74e83b3b6b7819", 2754},
				{"numpy", "2.2.6", "pkg:pypi/numpy@2.2.6", sbom.ScopeDev, true, "", "", 2033},
				{"numpy", "2.3.4", "pkg:pypi/numpy@2.3.4", sbom.ScopeDev, true, "", "", 2073},
			},
		},
		{
			c: UVLock{}, dir: "uv/pallets__flask", file: "uv.lock", count: 82, direct: 28, edges: 135,
			sample: []row{
				{"werkzeug", "", "", sbom.ScopeRequired, true, "", "", 0},
				{"asgiref", "", "", sbom.ScopeOptional, true, "", "", 0},
				{"pytest", "", "", sbom.ScopeTest, true, "", "", 0},
			},
		},
		{
			c: PipfileLock{}, dir: "pipenv/psf__requests-html", file: "Pipfile.lock", count: 69, direct: 0,
		},
		{
			c: PipfileLock{}, dir: "pipenv/pypa__pipenv", file: "Pipfile.lock", count: 105, direct: 0,
			sample: []row{
				{"exceptiongroup", "1.3.1", "pkg:pypi/exceptiongroup@1.3.1", sbom.ScopeRequired, false, "", "", 0},
			},
		},
		{
			c: Requirements{}, dir: "pip-requirements/healthchecks__healthchecks", file: "requirements.txt", count: 15, direct: 15,
			sample: []row{
				{"Django", "6.1", "pkg:pypi/django@6.1", sbom.ScopeRequired, true, "", "", 3},
				{"PyJWT", "2.13.0", "pkg:pypi/pyjwt@2.13.0", sbom.ScopeRequired, true, "", "", 11},
			},
		},
		{
			c: Requirements{}, dir: "pip-requirements/netbox-community__netbox", file: "requirements.txt", count: 46, direct: 46,
			sample: []row{
				{"psycopg", "3.3.4", "pkg:pypi/psycopg@3.3.4", sbom.ScopeRequired, true, "", "", 0},
			},
		},
		{
			// pip-compile output: 11 pins are there only "via" other packages.
			c: Requirements{}, dir: "pip-requirements/pallets__flask", file: "requirements/dev.txt", count: 54, direct: 43, edges: 56,
			sample: []row{
				{"alabaster", "1.0.0", "pkg:pypi/alabaster@1.0.0", sbom.ScopeDev, true, "", "", 7},
				{"cachetools", "5.5.2", "pkg:pypi/cachetools@5.5.2", sbom.ScopeDev, false, "", "", 0},
				{"tox", "4.25.0", "pkg:pypi/tox@4.25.0", sbom.ScopeDev, true, "", "", 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			dir := sharedtest.Path(t, "corpus/"+tt.dir)
			res, err := runAt(t, tt.c, dir, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			catalogtest.CheckInvariants(t, res)
			if n := catalogtest.Unique(res); n != tt.count || len(res.Packages) != tt.count {
				t.Errorf("%d packages (%d unique), want %d", len(res.Packages), n, tt.count)
			}
			direct := 0
			for _, p := range res.Packages {
				if p.Direct {
					direct++
				}
				if p.Locations[0].Path != tt.file {
					t.Errorf("%s located at %s", p.Name, p.Locations[0].Path)
				}
			}
			if tt.direct >= 0 && direct != tt.direct {
				t.Errorf("%d direct, want %d", direct, tt.direct)
			}
			if len(res.Relationships) != tt.edges {
				t.Errorf("%d edges, want %d", len(res.Relationships), tt.edges)
			}
			m := byName(res)
			for _, want := range tt.sample {
				var got *row
				for _, p := range m[want.Name] {
					if want.Version == "" || p.Version == want.Version {
						r := rowOf(p)
						got = &r
					}
				}
				if got == nil {
					t.Errorf("%s %s missing", want.Name, want.Version)
					continue
				}
				// Zero fields of a sample row are not checked.
				if want.Version == "" && want.PURL == "" {
					want.Version, want.PURL = got.Version, got.PURL
				}
				if want.Line == 0 {
					want.Line = got.Line
				}
				if diff := cmp.Diff(want, *got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", want.Name, diff)
				}
			}
		})
	}
}

// TestUVPydanticEdges checks edges resolve to the exact locked version when a
// name is locked twice, and that no edge names the project itself.
func TestUVPydanticEdges(t *testing.T) {
	res, err := runAt(t, UVLock{}, sharedtest.Path(t, "corpus/uv/pydantic__pydantic"), "uv.lock")
	if err != nil {
		t.Fatal(err)
	}
	has := map[sbom.Relationship]bool{}
	for _, r := range res.Relationships {
		has[r] = true
		if r.To == "pkg:pypi/pydantic" || r.From == "pkg:pypi/pydantic" {
			t.Errorf("edge names the project: %v", r)
		}
	}
	want := sbom.Relationship{From: "pkg:pypi/pydantic-core", To: "pkg:pypi/typing-extensions@4.15.0"}
	if !has[want] {
		t.Errorf("missing edge %v", want)
	}
}

func TestRequirementsFixture(t *testing.T) {
	res, got := rows(t, Requirements{}, "testdata/requirements", "requirements.txt")
	// base.txt includes requirements.txt back and common.txt includes
	// base.txt: the cycles are read once. "-e ." is the project: left out.
	// requests and urllib3 are unpinned here and pinned by constraints.txt.
	want := []row{
		{"idna", "3.6", "pkg:pypi/idna@3.6", "", true, "", "", 1},
		{"certifi", "2024.2.2", "pkg:pypi/certifi@2024.2.2", "", true, "", "", 3},
		{"Django", "4.2.11", "pkg:pypi/django@4.2.11", "", true, "", "", 8},
		{"tomli", "2.0.1", "pkg:pypi/tomli@2.0.1", "", true, "", "", 11},
		{"requests", "2.31.0", "pkg:pypi/requests@2.31.0", "", true, "", "", 12},
		{"urllib3", "2.2.1", "pkg:pypi/urllib3@2.2.1", "", true, "", "", 13},
		{"PyYAML", "6.0.1", "pkg:pypi/pyyaml@6.0.1", "", true, "", "", 14},
		{"internal-tool", "", "pkg:pypi/internal-tool", "", true, "git", "git+https://github.com/example/internal-tool.git@5b1c8e2d", 15},
		{"acme-lib", "1.4.0", "pkg:pypi/acme-lib@1.4.0", "", true, "url", "https://files.example.com/acme_lib-1.4.0-py3-none-any.whl", 17},
		{"vcs-pkg", "", "pkg:pypi/vcs-pkg", "", true, "git", "git+https://github.com/example/vcs-pkg.git@v2.0.0", 18},
		{"localpkg", "0.3.0", "pkg:pypi/localpkg@0.3.0", "", true, "path", "./vendor/localpkg-0.3.0.tar.gz", 19},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requirements.txt (-want +got):\n%s", diff)
	}
	m := byName(res)
	dj := m["Django"][0]
	if len(dj.Hashes) != 2 || dj.Hashes[1].Value != "ddc24a0a8280a0430baa37aff11f28574720af05888c62b7cfe71d219f4599d3" || dj.Hashes[0].Algorithm != sbom.SHA256 {
		t.Errorf("Django hashes %v", dj.Hashes)
	}
	wantProps := map[string]string{
		propExtras:   "argon2,bcrypt",
		propIndexURL: "https://pypi.example.com/simple https://mirror.example.org/simple",
	}
	if diff := cmp.Diff(wantProps, dj.Properties); diff != "" {
		t.Errorf("Django properties (-want +got):\n%s", diff)
	}
	if got := m["tomli"][0].Properties[propMarker]; got != `python_version < "3.11"` {
		t.Errorf("tomli marker %q", got)
	}
	if got := m["requests"][0].Properties[propConstraint]; got != ">=2.31" {
		t.Errorf("requests constraint %q", got)
	}
	if got := m["certifi"][0]; len(got.Hashes) != 1 || got.Locations[0].Path != "requirements/base.txt" {
		t.Errorf("certifi %+v", got)
	}
	if m["internal-tool"][0].Properties[propEditable] != "true" {
		t.Error("internal-tool not editable")
	}
}

func TestRequirementsFixtureOthers(t *testing.T) {
	// Line-style pip-compile annotations: pytest is declared (via dev.in),
	// the rest are its dependencies.
	res, got := rows(t, Requirements{}, "testdata/requirements", "requirements/dev.txt")
	want := []row{
		{"iniconfig", "2.0.0", "pkg:pypi/iniconfig@2.0.0", sbom.ScopeDev, false, "", "", 7},
		{"packaging", "24.0", "pkg:pypi/packaging@24.0", sbom.ScopeDev, false, "", "", 8},
		{"pluggy", "1.4.0", "pkg:pypi/pluggy@1.4.0", sbom.ScopeDev, false, "", "", 9},
		{"pytest", "8.1.1", "pkg:pypi/pytest@8.1.1", sbom.ScopeDev, true, "", "", 10},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dev.txt (-want +got):\n%s", diff)
	}
	if len(res.Relationships) != 3 || res.Relationships[0] != (sbom.Relationship{From: "pkg:pypi/pytest@8.1.1", To: "pkg:pypi/iniconfig@2.0.0"}) {
		t.Errorf("edges %v", res.Relationships)
	}

	// A missing include is reported, and what was read is kept.
	res, err := runAt(t, Requirements{}, "testdata/requirements", "requirements/missing.txt")
	if !errors.Is(err, fs.ErrNotExist) || res == nil || len(res.Packages) != 1 {
		t.Errorf("missing include: %v, %+v", err, res)
	}

	// A constraints file lists pins, not declarations.
	res, err = runAt(t, Requirements{}, "testdata/requirements", "constraints.txt")
	if err != nil || len(res.Packages) != 3 || res.Packages[0].Direct {
		t.Errorf("constraints: %v, %+v", err, res)
	}
}

func TestPoetryV1Fixture(t *testing.T) {
	res, got := rows(t, PoetryLock{}, "testdata/poetry-v1", "poetry.lock")
	// Direct comes from pyproject.toml. redis is main but optional: an extra.
	want := []row{
		{"certifi", "2023.7.22", "pkg:pypi/certifi@2023.7.22", "", false, "", "", 1},
		{"numpy", "1.24.4", "pkg:pypi/numpy@1.24.4", "", false, "", "", 9},
		{"numpy", "1.26.4", "pkg:pypi/numpy@1.26.4", "", false, "", "", 17},
		{"pandas", "2.0.3", "pkg:pypi/pandas@2.0.3", "", true, "", "", 25},
		{"pytest", "7.4.0", "pkg:pypi/pytest@7.4.0", sbom.ScopeDev, true, "", "", 39},
		{"redis", "5.0.0", "pkg:pypi/redis@5.0.0", sbom.ScopeOptional, true, "", "", 53},
		{"private-lib", "0.9.1", "pkg:pypi/private-lib@0.9.1", "", true, "", "", 61},
		{"toolbox", "1.2.0", "pkg:pypi/toolbox@1.2.0", "", true, "git", "git+https://github.com/example/toolbox.git@0f3c7a1e4d5b6a7980c1d2e3f4a5b6c7d8e9f0a1", 74},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("poetry.lock 1.1 (-want +got):\n%s", diff)
	}
	// pandas' two numpy constraints each pick one locked numpy.
	wantEdges := []sbom.Relationship{
		{From: "pkg:pypi/pandas@2.0.3", To: "pkg:pypi/numpy@1.24.4"},
		{From: "pkg:pypi/pandas@2.0.3", To: "pkg:pypi/numpy@1.26.4"},
		{From: "pkg:pypi/toolbox@1.2.0", To: "pkg:pypi/certifi@2023.7.22"},
	}
	if diff := cmp.Diff(wantEdges, res.Relationships); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
	if h := byName(res)["certifi"][0].Hashes; len(h) != 2 {
		t.Errorf("certifi hashes from [metadata.files]: %v", h)
	}
	if u := byName(res)["private-lib"][0].Properties[propIndexURL]; u != "https://pypi.internal.example.com/simple" {
		t.Errorf("private-lib index %q", u)
	}
}

func TestPipfileFixture(t *testing.T) {
	res, got := rows(t, PipfileLock{}, "testdata/pipenv", "Pipfile.lock")
	// click 8.1.7 is in default and develop: one runtime package with both
	// lines. The "docs" category locks click 8.1.6: a second package.
	// my-project (editable ".") is the project.
	want := []row{
		{"click", "8.1.7", "pkg:pypi/click@8.1.7", "", false, "", "", 24},
		{"flask", "3.0.2", "pkg:pypi/flask@3.0.2", "", true, "", "", 32},
		{"private-lib", "0.9.1", "pkg:pypi/private-lib@0.9.1", "", true, "", "", 39},
		{"toolbox", "", "pkg:pypi/toolbox", "", true, "git", "git+https://github.com/example/toolbox.git@0f3c7a1e4d5b6a7980c1d2e3f4a5b6c7d8e9f0a1", 44},
		{"pytest", "8.0.2", "pkg:pypi/pytest@8.0.2", sbom.ScopeDev, true, "", "", 60},
		{"click", "8.1.6", "pkg:pypi/click@8.1.6", sbom.ScopeDev, false, "", "", 75},
		{"sphinx", "7.2.6", "pkg:pypi/sphinx@7.2.6", sbom.ScopeDev, true, "", "", 71},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Pipfile.lock (-want +got):\n%s", diff)
	}
	click := byName(res)["click"][0]
	if len(click.Locations) != 2 || len(click.Hashes) != 2 || click.Properties[propGroups] != "default,develop" {
		t.Errorf("click merged wrongly: %+v", click)
	}
}

func TestUVWorkspaceFixture(t *testing.T) {
	res, got := rows(t, UVLock{}, "testdata/uv-workspace", "uv.lock")
	// The virtual root acme-workspace is the project. Members are roots of the
	// walk too, and emitted because something depends on them. h2 is runtime
	// through httpx[http2]; socksio (an extra nobody asks for) is reached by
	// nothing and keeps the runtime scope rather than being hidden.
	want := []row{
		{"acme-cli", "0.4.0", "pkg:pypi/acme-cli@0.4.0", "", true, "path", "packages/cli", 12},
		{"acme-core", "0.4.0", "pkg:pypi/acme-core@0.4.0", "", true, "path", "packages/core", 27},
		{"anyio", "4.4.0", "pkg:pypi/anyio@4.4.0", "", true, "", "", 56},
		{"h2", "4.1.0", "pkg:pypi/h2@4.1.0", "", false, "", "", 68},
		{"httpx", "0.27.0", "pkg:pypi/httpx@0.27.0", "", true, "", "", 76},
		{"idna", "3.7", "pkg:pypi/idna@3.7", "", false, "", "", 93},
		{"orjson", "3.10.3", "pkg:pypi/orjson@3.10.3", sbom.ScopeOptional, true, "", "", 98},
		{"pytest", "8.2.0", "pkg:pypi/pytest@8.2.0", sbom.ScopeTest, true, "", "", 103},
		{"pluggy", "1.5.0", "pkg:pypi/pluggy@1.5.0", sbom.ScopeTest, false, "git", "git+https://github.com/pytest-dev/pluggy@0b2a4f3c5d6e7f8091a2b3c4d5e6f708192a3b4c", 112},
		{"ruff", "0.4.4", "pkg:pypi/ruff@0.4.4", sbom.ScopeDev, true, "url", "https://files.example.com/ruff-0.4.4-py3-none-manylinux_2_17_x86_64.whl", 117},
		{"socksio", "1.0.0", "pkg:pypi/socksio@1.0.0", "", false, "", "", 122},
		{"testhelpers", "0.1.0", "pkg:pypi/testhelpers@0.1.0", sbom.ScopeTest, false, "path", "vendor/testhelpers-0.1.0-py3-none-any.whl", 127},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("uv.lock (-want +got):\n%s", diff)
	}
	if len(res.Relationships) != 11 {
		t.Errorf("%d edges, want 11: %v", len(res.Relationships), res.Relationships)
	}
	if h := byName(res)["anyio"][0].Hashes; len(h) != 2 {
		t.Errorf("anyio hashes %v", h)
	}
}

func TestPDMFixture(t *testing.T) {
	res, got := rows(t, PDMLock{}, "testdata/pdm", "pdm.lock")
	// coverage and coverage[toml] are one package. psycopg's group is an
	// extra of pyproject.toml: optional. shared-utils is direct through PDM's
	// "-e ...#egg=shared-utils" dev dependency.
	want := []row{
		{"coverage", "7.5.1", "pkg:pypi/coverage@7.5.1", sbom.ScopeTest, true, "", "", 13},
		{"fastapi", "0.111.0", "pkg:pypi/fastapi@0.111.0", "", true, "", "", 40},
		{"pydantic", "2.7.1", "pkg:pypi/pydantic@2.7.1", "", false, "", "", 55},
		{"psycopg", "3.1.19", "pkg:pypi/psycopg@3.1.19", sbom.ScopeOptional, true, "", "", 68},
		{"pytest", "8.2.0", "pkg:pypi/pytest@8.2.0", sbom.ScopeTest, true, "", "", 82},
		{"ruff", "0.4.4", "pkg:pypi/ruff@0.4.4", sbom.ScopeDev, true, "", "", 95},
		{"starlette", "0.37.2", "pkg:pypi/starlette@0.37.2", "", false, "", "", 105},
		{"tomli", "2.0.1", "pkg:pypi/tomli@2.0.1", sbom.ScopeTest, false, "", "", 118},
		{"typing-extensions", "4.11.0", "pkg:pypi/typing-extensions@4.11.0", "", false, "", "", 129},
		{"anyio", "4.3.0", "pkg:pypi/anyio@4.3.0", "", true, "git", "git+https://github.com/agronholm/anyio.git@8c1b0a9d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b", 139},
		{"shared-utils", "0.2.0", "pkg:pypi/shared-utils@0.2.0", sbom.ScopeDev, true, "path", "./libs/shared-utils", 149},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pdm.lock (-want +got):\n%s", diff)
	}
	if len(res.Relationships) != 8 {
		t.Errorf("%d edges, want 8: %v", len(res.Relationships), res.Relationships)
	}
	if e := byName(res)["coverage"][0].Properties[propExtras]; e != "toml" {
		t.Errorf("coverage extras %q", e)
	}

	// Without pyproject.toml, Direct is inferred from the graph.
	data, _ := os.ReadFile("testdata/pdm/pdm.lock")
	res, err := PDMLock{}.Catalog(context.Background(), fstest.MapFS{"pdm.lock": {Data: data}}, "pdm.lock")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Packages {
		wantDirect := map[string]bool{"coverage": true, "fastapi": true, "psycopg": true, "pytest": true, "ruff": true, "shared-utils": true}[p.Name]
		if p.Direct != wantDirect {
			t.Errorf("inferred Direct of %s = %v", p.Name, p.Direct)
		}
		if p.Name == "psycopg" && p.Scope != sbom.ScopeDev {
			t.Errorf("psycopg without pyproject: scope %q, want dev", p.Scope)
		}
	}
}

func TestInstalled(t *testing.T) {
	dir := "testdata/site-packages"
	type inst struct {
		Name, Version, PURL string
		Licenses            []string
		Supplier            string
	}
	var got []inst
	merged := &catalog.Result{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(Installed{}).Claims(p, d.Type()) {
			return err
		}
		res, err := runAt(t, Installed{}, dir, p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		for _, pkg := range res.Packages {
			got = append(got, inst{pkg.Name, pkg.Version, pkg.PURL, pkg.Licenses, pkg.Supplier})
		}
		merged.Packages = append(merged.Packages, res.Packages...)
		merged.Relationships = append(merged.Relationships, res.Relationships...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Edges go only to distributions installed beside: PySocks and chardet
	// (extras) are not there.
	catalogtest.CheckInvariants(t, merged)
	want := []inst{
		{"certifi", "2024.2.2", "pkg:pypi/certifi@2024.2.2", []string{"MPL-2.0"}, "Kenneth Reitz"},
		{"charset-normalizer", "3.3.2", "pkg:pypi/charset-normalizer@3.3.2", []string{"MIT"}, "Ahmed TAHRI"},
		{"idna", "3.6", "pkg:pypi/idna@3.6", []string{"BSD License"}, "Kim Davies"},
		{"python-dateutil", "2.8.2", "pkg:pypi/python-dateutil@2.8.2", []string{"Apache-2.0", "BSD License"}, "Gustavo Niemeyer"},
		{"requests", "2.31.0", "pkg:pypi/requests@2.31.0", []string{"Apache-2.0"}, "Kenneth Reitz"},
		{"six", "1.16.0", "pkg:pypi/six@1.16.0", []string{"MIT"}, "Benjamin Peterson"},
		{"urllib3", "2.2.1", "pkg:pypi/urllib3@2.2.1", []string{"MIT"}, "Andrey Petrov"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("installed (-want +got):\n%s", diff)
	}
	wantEdges := []sbom.Relationship{
		{From: "pkg:pypi/python-dateutil@2.8.2", To: "pkg:pypi/six@1.16.0"},
		{From: "pkg:pypi/requests@2.31.0", To: "pkg:pypi/charset-normalizer@3.3.2"},
		{From: "pkg:pypi/requests@2.31.0", To: "pkg:pypi/idna@3.6"},
		{From: "pkg:pypi/requests@2.31.0", To: "pkg:pypi/urllib3@2.2.1"},
		{From: "pkg:pypi/requests@2.31.0", To: "pkg:pypi/certifi@2024.2.2"},
	}
	if diff := cmp.Diff(wantEdges, merged.Relationships); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
}

func TestClaims(t *testing.T) {
	tests := []struct {
		c    catalog.Cataloger
		path string
		want bool
	}{
		{Requirements{}, "requirements.txt", true},
		{Requirements{}, "a/requirements-dev.txt", true},
		{Requirements{}, "test-requirements.txt", true},
		{Requirements{}, "requirements/prod.txt", true},
		{Requirements{}, "constraints.txt", true},
		{Requirements{}, "constraints-py311.txt", true},
		{Requirements{}, "requirements.in", false},
		{Requirements{}, "notes.txt", false},
		{Requirements{}, "node_modules/x/requirements.txt", false},
		{PoetryLock{}, "svc/poetry.lock", true},
		{PoetryLock{}, "poetry.lock.bak", false},
		{PipfileLock{}, "Pipfile.lock", true},
		{PipfileLock{}, "Pipfile", false},
		{UVLock{}, "uv.lock", true},
		{PDMLock{}, "pdm.lock", true},
		{Installed{}, "usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA", true},
		{Installed{}, "x/foo.egg-info/PKG-INFO", true},
		{Installed{}, "x/foo-1.0.egg/EGG-INFO/PKG-INFO", true},
		{Installed{}, "usr/lib/python3/dist-packages/six-1.16.0.egg-info", true},
		{Installed{}, "x/METADATA", false},
		{Installed{}, "x/foo.dist-info/RECORD", false},
		{Installed{}, "sdist/PKG-INFO", false},
	}
	for _, tt := range tests {
		if got := tt.c.Claims(tt.path, 0); got != tt.want {
			t.Errorf("%s.Claims(%q) = %v, want %v", tt.c.Name(), tt.path, got, tt.want)
		}
	}
}

func TestParseRequirement(t *testing.T) {
	tests := []struct {
		in   string
		want requirement
		ok   bool
	}{
		{"requests==2.31.0", requirement{Name: "requests", Specifier: "==2.31.0"}, true},
		{"Django[argon2, bcrypt] >= 4.2, <5 ; python_version >= '3.10'", requirement{Name: "Django", Extras: []string{"argon2", "bcrypt"}, Specifier: ">=4.2,<5", Marker: "python_version >= '3.10'"}, true},
		{"charset-normalizer (<4,>=2)", requirement{Name: "charset-normalizer", Specifier: "<4,>=2"}, true},
		{"pkg @ https://x.org/pkg-1.0.tar.gz ; os_name == 'nt'", requirement{Name: "pkg", URL: "https://x.org/pkg-1.0.tar.gz", Marker: "os_name == 'nt'"}, true},
		{"pkg @ git+https://x.org/r.git@v1;extra=='a'", requirement{Name: "pkg", URL: "git+https://x.org/r.git@v1;extra=='a'"}, true},
		{"tomli; python_full_version <= \"3.11.0a6\"", requirement{Name: "tomli", Marker: `python_full_version <= "3.11.0a6"`}, true},
		{"[extra]", requirement{}, false},
		{"bad[extra", requirement{Name: "bad"}, false},
	}
	for _, tt := range tests {
		got, ok := parseRequirement(tt.in)
		if ok != tt.ok || (ok && !cmp.Equal(tt.want, got)) {
			t.Errorf("parseRequirement(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSatisfies(t *testing.T) {
	tests := []struct {
		v, spec string
		want    bool
	}{
		{"1.24.4", ">=1.20.3,<1.25", true},
		{"1.26.4", ">=1.20.3,<1.25", false},
		{"2.0.0", "*", true},
		{"1.2.3", "==1.2.*", true},
		{"1.3.0", "==1.2.*", false},
		{"1.3.0", "!=1.2.*", true},
		{"2.0", "<1.0 || >=2.0", true},
		{"1.5", "<1.0 || >=2.0", false},
		{"3.1", "!=3.1", false},
		{"1.0", "~=0.9", true},
	}
	for _, tt := range tests {
		if got := satisfies(tt.v, tt.spec); got != tt.want {
			t.Errorf("satisfies(%q, %q) = %v, want %v", tt.v, tt.spec, got, tt.want)
		}
	}
}

func TestLicenses(t *testing.T) {
	tests := []struct {
		expr, field string
		classifiers []string
		want        []string
	}{
		{"MIT OR Apache-2.0", "ignored", nil, []string{"MIT OR Apache-2.0"}},
		{"", "", []string{"License :: OSI Approved :: MIT License"}, []string{"MIT"}},
		{"", "mit", nil, []string{"MIT"}},
		{"", "Apache License, Version 2.0", nil, []string{"Apache-2.0"}},
		{"", "Some Custom License", nil, []string{"Some Custom License"}},
		{"", "UNKNOWN", nil, nil},
		{"", "Copyright (c) 2020\n\nPermission is hereby granted...", nil, nil},
		{"", "BSD", []string{"License :: OSI Approved :: BSD License"}, []string{"BSD"}},
		{"", "", []string{"License :: OSI Approved :: BSD License"}, []string{"BSD License"}},
	}
	for _, tt := range tests {
		if got := licenses(tt.expr, tt.field, tt.classifiers); !cmp.Equal(tt.want, got) {
			t.Errorf("licenses(%q, %q, %v) = %v, want %v", tt.expr, tt.field, tt.classifiers, got, tt.want)
		}
	}
}

// TestMalformed feeds broken files: each gives an error and never panics.
func TestMalformed(t *testing.T) {
	deep := strings.Repeat("[", 100000)
	tests := []struct {
		c          catalog.Cataloger
		file, data string
	}{
		{PoetryLock{}, "poetry.lock", "[[package]]\nname = \"x\"\nversion = "},
		{PoetryLock{}, "poetry.lock", "[[package]]\nname = 5\n"},
		{PoetryLock{}, "poetry.lock", "[[package]]\nversion = \"1\"\n"},
		{PoetryLock{}, "poetry.lock", "a = " + deep},
		{UVLock{}, "uv.lock", "version = 1\n[[package]]\nname = \"x\"\nsource = \"not a table\"\n"},
		{UVLock{}, "uv.lock", "[[package]\n"},
		{UVLock{}, "uv.lock", "[[package]]\nversion = \"1\"\n"},
		{PDMLock{}, "pdm.lock", "[[package]]\nname = \"x\"\ndependencies = \"nope\"\n"},
		{PDMLock{}, "pdm.lock", "\x00\x01"},
		{PipfileLock{}, "Pipfile.lock", `{"default": {"x": {"version": 3}}}`},
		{PipfileLock{}, "Pipfile.lock", `{"default": [`},
		{PipfileLock{}, "Pipfile.lock", `{"_meta": 5}`},
		{PipfileLock{}, "Pipfile.lock", deep},
		{Installed{}, "x.dist-info/METADATA", "Metadata-Version: 2.1\nVersion: 1.0\n"},
		{Installed{}, "x.dist-info/METADATA", "Name: bad name!\n"},
		{Installed{}, "x.dist-info/METADATA", strings.Repeat("Classifier: x\n", maxMetadataHeaders+1)},
		{Requirements{}, "requirements.txt", "-r ../../etc/passwd\n"},
	}
	for _, tt := range tests {
		fsys := fstest.MapFS{tt.file: {Data: []byte(tt.data)}}
		_, err := tt.c.Catalog(context.Background(), fsys, tt.file)
		if err == nil {
			t.Errorf("%s on %.40q: no error", tt.c.Name(), tt.data)
		}
	}
}

// TestIncludeDepth: a chain of -r includes longer than the bound stops with
// an error instead of recursing on.
func TestIncludeDepth(t *testing.T) {
	fsys := fstest.MapFS{}
	for i := 0; i < 40; i++ {
		name := "requirements.txt"
		if i > 0 {
			name = "r" + strings.Repeat("x", i) + "-requirements.txt"
		}
		fsys[name] = &fstest.MapFile{Data: []byte("pkg" + strings.Repeat("x", i) + "==1.0\n-r r" + strings.Repeat("x", i+1) + "-requirements.txt\n")}
	}
	res, err := Requirements{}.Catalog(context.Background(), fsys, "requirements.txt")
	if err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("err = %v", err)
	}
	if res == nil || len(res.Packages) != maxIncludeDepth+1 {
		t.Errorf("packages read before the bound: %v", res)
	}
}

// TestCancelled: a cancelled context stops the lockfile parsers.
func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data, _ := os.ReadFile("testdata/uv-workspace/uv.lock")
	if _, err := (UVLock{}).Catalog(ctx, fstest.MapFS{"uv.lock": {Data: data}}, "uv.lock"); !errors.Is(err, context.Canceled) {
		t.Errorf("uv: %v", err)
	}
	if _, err := (Requirements{}).Catalog(ctx, os.DirFS("testdata/requirements"), "requirements.txt"); !errors.Is(err, context.Canceled) {
		t.Errorf("requirements: %v", err)
	}
}

// TestPrefilterSameResult: decoding with the wheel/file arrays lifted out
// gives exactly what decoding the whole file gives.
func TestPrefilterSameResult(t *testing.T) {
	for _, tt := range []struct {
		c         catalog.Cataloger
		dir, file string
	}{
		{UVLock{}, sharedtest.Path(t, "corpus/uv/pydantic__pydantic"), "uv.lock"},
		{UVLock{}, sharedtest.Path(t, "corpus/uv/pallets__flask"), "uv.lock"},
		{PoetryLock{}, sharedtest.Path(t, "corpus/poetry/Textualize__textual"), "poetry.lock"},
		{PoetryLock{}, sharedtest.Path(t, "corpus/poetry/python-poetry__poetry"), "poetry.lock"},
		{PoetryLock{}, "testdata/poetry-v1", "poetry.lock"},
		{UVLock{}, "testdata/uv-workspace", "uv.lock"},
	} {
		fast, err := runAt(t, tt.c, tt.dir, tt.file)
		if err != nil {
			t.Fatal(err)
		}
		prefilterEnabled = false
		full, err := runAt(t, tt.c, tt.dir, tt.file)
		prefilterEnabled = true
		if err != nil {
			t.Fatal(err)
		}
		hashes := 0
		for _, p := range full.Packages {
			hashes += len(p.Hashes)
		}
		if hashes == 0 {
			t.Errorf("%s/%s: no hashes at all", tt.dir, tt.file)
		}
		if diff := cmp.Diff(full, fast); diff != "" {
			t.Errorf("%s/%s: prefiltered decode differs (-full +fast):\n%s", tt.dir, tt.file, diff)
		}
	}
}

// TestPipfileEmptySection: a section named "" (hostile input) must not
// panic when it repeats a package of another section.
func TestPipfileEmptySection(t *testing.T) {
	data := `{"default": {"a": {"version": "==1"}}, "": {"a": {"version": "==1"}}}`
	res, err := PipfileLock{}.Catalog(context.Background(), fstest.MapFS{"Pipfile.lock": {Data: []byte(data)}}, "Pipfile.lock")
	if err != nil || len(res.Packages) != 1 {
		t.Fatalf("%v %+v", err, res)
	}
}
