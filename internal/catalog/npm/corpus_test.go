package npm

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

type triple struct{ name, version, purl string }

type corpusCase struct {
	file string
	c    catalog.Cataloger
	// want is the number of distinct (name, version) pairs, which is the
	// number of distinct purls.
	want    int
	edges   int
	samples []triple
}

// The truth for every corpus file, and why hallmark's count is what it is:
//
// npm: `npm ls --all --package-lock-only --json` (npm 11.19.1, run in a
// copy of the lockfile alone; npm needs no package.json for this) lists
// 1046 / 171 / 647 distinct (name, version) pairs for npm/cli, BookStack and
// phoenix. hallmark finds 1036 / 169 / 634. Every difference is explained:
//   - npm ls prints missing optional peer dependencies (bufferutil,
//     utf-8-validate, canvas, ts-node, ... with no version): they are not in
//     the lockfile and not installed (npm/cli 8, BookStack 2, phoenix 11);
//   - npm ls names an aliased package by its alias (string-width-cjs@4.2.3,
//     strip-ansi-cjs, wrap-ansi-cjs, react-is-18, react-is-19): the package
//     is string-width@4.2.3 etc., which hallmark already counts, or counts
//     once under its real name (phoenix: react-is 18.3.1 and 19.2.7).
//
// npm/cli's 16 workspace members (@npmcli/arborist 8.0.0, libnpmexec 9.0.0,
// ...) and its 13 extraneous entries (the smoke-tests workspace's tree, which
// the root does not depend on) are listed by npm ls and by hallmark. Edges
// equal npm ls's parent/child pairs (2167 for npm/cli) except for aliases
// (named as above) and the children npm ls prints under the extraneous
// "args" package by folder nesting rather than by dependency.
//
// pnpm: testdata/pnpm_truth.py (every snapshot reachable from an importer,
// dev included, peer suffix removed). Syft's 620 on vuejs/core is this
// truth (all dev included); Trivy's 33 are only the production dependencies
// of the published packages (the root importer has only devDependencies).
// vite's 1405 package entries are 1403 distinct purls: two file:
// directories share a name and have no version.
//
// yarn: testdata/yarn_truth.py (yarn is not installed here). Counts equal;
// Berry workspace and link versions ("0.0.0-use.local") are left empty.
func TestCorpus(t *testing.T) {
	cases := []corpusCase{
		{file: "corpus/npm/npm__cli/package-lock.json", c: PackageLock{}, want: 1036, edges: 2444, samples: []triple{
			{"minimist-options", "4.1.0", "pkg:npm/minimist-options@4.1.0"},
			{"cssstyle", "4.0.1", "pkg:npm/cssstyle@4.0.1"},
			{"read-pkg", "5.2.0", "pkg:npm/read-pkg@5.2.0"},
			{"@npmcli/agent", "2.2.2", "pkg:npm/%40npmcli/agent@2.2.2"},
			{"@npmcli/arborist", "8.0.0", "pkg:npm/%40npmcli/arborist@8.0.0"},
			{"libnpmexec", "9.0.0", "pkg:npm/libnpmexec@9.0.0"},
		}},
		{file: "corpus/npm/BookStackApp__BookStack/package-lock.json", c: PackageLock{}, want: 169, edges: 225, samples: []triple{
			{"is-fullwidth-code-point", "2.0.0", "pkg:npm/is-fullwidth-code-point@2.0.0"},
			{"color-convert", "1.9.3", "pkg:npm/color-convert@1.9.3"},
			{"markdown-it", "13.0.1", "pkg:npm/markdown-it@13.0.1"},
			{"y18n", "4.0.3", "pkg:npm/y18n@4.0.3"},
		}},
		{file: "corpus/npm/phoenixframework__phoenix/package-lock.json", c: PackageLock{}, want: 634, edges: 1417, samples: []triple{
			{"is-number", "7.0.0", "pkg:npm/is-number@7.0.0"},
			{"@unrs/resolver-binding-win32-ia32-msvc", "1.12.2", "pkg:npm/%40unrs/resolver-binding-win32-ia32-msvc@1.12.2"},
			{"mdast-util-find-and-replace", "2.2.2", "pkg:npm/mdast-util-find-and-replace@2.2.2"},
			{"@csstools/css-tokenizer", "4.0.0", "pkg:npm/%40csstools/css-tokenizer@4.0.0"},
			{"react-is", "18.3.1", "pkg:npm/react-is@18.3.1"},
			{"react-is", "19.2.7", "pkg:npm/react-is@19.2.7"},
		}},
		{file: "corpus/pnpm/vuejs__core/pnpm-lock.yaml", c: PNPMLock{}, want: 620, edges: 856, samples: []triple{
			{"fill-range", "7.1.1", "pkg:npm/fill-range@7.1.1"},
			{"@swc/core-win32-x64-msvc", "1.15.47", "pkg:npm/%40swc/core-win32-x64-msvc@1.15.47"},
			{"lightningcss-android-arm64", "1.33.0", "pkg:npm/lightningcss-android-arm64@1.33.0"},
			{"@esbuild/win32-x64", "0.28.1", "pkg:npm/%40esbuild/win32-x64@0.28.1"},
		}},
		{file: "corpus/pnpm/vitejs__vite/pnpm-lock.yaml", c: PNPMLock{}, want: 1403, edges: 2232, samples: []triple{
			{"array-find-index", "1.0.2", "pkg:npm/array-find-index@1.0.2"},
			{"@rive-app/canvas-lite", "2.35.1", "pkg:npm/%40rive-app/canvas-lite@2.35.1"},
			{"execa", "9.6.1", "pkg:npm/execa@9.6.1"},
			{"unicode-property-aliases-ecmascript", "2.2.0", "pkg:npm/unicode-property-aliases-ecmascript@2.2.0"},
		}},
		{file: "corpus/pnpm/koel__koel/pnpm-lock.yaml", c: PNPMLock{}, want: 804, edges: 1221, samples: []triple{
			{"ccount", "2.0.1", "pkg:npm/ccount@2.0.1"},
			{"@pkgjs/parseargs", "0.11.0", "pkg:npm/%40pkgjs/parseargs@0.11.0"},
			{"escalade", "3.2.0", "pkg:npm/escalade@3.2.0"},
			{"remark", "15.0.1", "pkg:npm/remark@15.0.1"},
		}},
		{file: "corpus/yarn-v1/webpack__webpack/yarn.lock", c: YarnLock{}, want: 1393, edges: 2850, samples: []triple{
			{"fast-uri", "3.1.5", "pkg:npm/fast-uri@3.1.5"},
			{"@types/less", "3.0.8", "pkg:npm/%40types/less@3.0.8"},
			{"is-promise", "2.2.2", "pkg:npm/is-promise@2.2.2"},
			{"void-elements", "3.1.0", "pkg:npm/void-elements@3.1.0"},
		}},
		{file: "corpus/yarn-v1/rails__rails/yarn.lock", c: YarnLock{}, want: 759, edges: 1328, samples: []triple{
			{"fast-xml-parser", "5.8.0", "pkg:npm/fast-xml-parser@5.8.0"},
			{"array.prototype.flatmap", "1.3.3", "pkg:npm/array.prototype.flatmap@1.3.3"},
			{"immediate", "3.0.6", "pkg:npm/immediate@3.0.6"},
			{"string-width", "4.2.3", "pkg:npm/string-width@4.2.3"},
		}},
		{file: "corpus/yarn-v1/netbox-community__netbox/netbox/project-static/yarn.lock", c: YarnLock{}, want: 497, edges: 1017, samples: []triple{
			{"array-buffer-byte-length", "1.0.2", "pkg:npm/array-buffer-byte-length@1.0.2"},
			{"use-sync-external-store", "1.6.0", "pkg:npm/use-sync-external-store@1.6.0"},
			{"@popperjs/core", "2.11.8", "pkg:npm/%40popperjs/core@2.11.8"},
			{"data-view-byte-offset", "1.0.1", "pkg:npm/data-view-byte-offset@1.0.1"},
		}},
		{file: "corpus/yarn-berry/babel__babel/yarn.lock", c: YarnLock{}, want: 1738, edges: 3933, samples: []triple{
			{"deprecation", "2.3.1", "pkg:npm/deprecation@2.3.1"},
			{"@publint/pack", "0.1.4", "pkg:npm/%40publint/pack@0.1.4"},
			{"fsevents", "1.2.13", "pkg:npm/fsevents@1.2.13"},
			{"signal-exit", "4.1.0", "pkg:npm/signal-exit@4.1.0"},
		}},
		{file: "corpus/yarn-berry/jestjs__jest/yarn.lock", c: YarnLock{}, want: 2220, edges: 5235, samples: []triple{
			{"joi", "17.13.4", "pkg:npm/joi@17.13.4"},
			{"@types/react-reconciler", "0.33.0", "pkg:npm/%40types/react-reconciler@0.33.0"},
			{"path-key", "4.0.0", "pkg:npm/path-key@4.0.0"},
			{"@csstools/css-parser-algorithms", "3.0.5", "pkg:npm/%40csstools/css-parser-algorithms@3.0.5"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			res := catalogtest.Run(t, tc.c, sharedtest.Path(t, tc.file))
			catalogtest.CheckInvariants(t, res)
			if got := catalogtest.Unique(res); got != tc.want {
				t.Errorf("%d distinct packages, want %d", got, tc.want)
			}
			if got := len(res.Relationships); got != tc.edges {
				t.Errorf("%d edges, want %d", got, tc.edges)
			}
			for _, s := range tc.samples {
				if !hasTriple(res, s) {
					t.Errorf("missing %s@%s (%s)", s.name, s.version, s.purl)
				}
			}
			for _, p := range res.Packages {
				if p.Locations[0].Line == 0 {
					t.Errorf("%s has no line", p.ID)
					break
				}
			}
		})
	}
}

func hasTriple(res *catalog.Result, s triple) bool {
	for _, p := range catalogtest.Find(res, s.name) {
		if p.Version == s.version && p.PURL == s.purl {
			return true
		}
	}
	return false
}

// TestCorpusScopes checks Direct and Scope on the corpus where the lockfile
// says them.
func TestCorpusScopes(t *testing.T) {
	res := catalogtest.Run(t, PackageLock{}, sharedtest.Path(t, "corpus/npm/npm__cli/package-lock.json"))
	got := map[string]sbom.Package{}
	for _, p := range res.Packages {
		got[p.Name+"@"+p.Version] = p
	}
	type facts struct {
		Direct bool
		Scope  sbom.Scope
		Kind   string
	}
	want := map[string]facts{
		"@npmcli/arborist@8.0.0": {true, "", "link"}, // workspace member
		"tap@16.3.10":            {true, sbom.ScopeDev, ""},
		"abbrev@3.0.0":           {true, "", ""}, // root dependency
		"args@5.0.3":             {false, sbom.ScopeDev, ""},
	}
	for k, w := range want {
		p, ok := got[k]
		if !ok {
			t.Errorf("%s not found", k)
			continue
		}
		if diff := cmp.Diff(w, facts{p.Direct, p.Scope, p.SourceKind}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}

	// vuejs/core: the root importer has only devDependencies; the 33
	// production packages Trivy reports are the runtime closure (required
	// and optional edges) of the published packages' dependencies; the
	// other 587 are dev.
	res = catalogtest.Run(t, PNPMLock{}, sharedtest.Path(t, "corpus/pnpm/vuejs__core/pnpm-lock.yaml"))
	n := 0
	for _, p := range res.Packages {
		if p.Scope != sbom.ScopeDev {
			n++
		}
	}
	if n != 33 {
		t.Errorf("vuejs/core: %d non-dev packages, want 33", n)
	}
}
