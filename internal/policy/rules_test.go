package policy

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/all"
	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/license"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
	"github.com/hallmark-dev/hallmark/internal/source"
)

var testNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// load catalogs path with every cataloger, as hallmark policy check does.
func load(t testing.TB, path string) *sbom.Document {
	t.Helper()
	res, err := source.Load(context.Background(), path, source.Options{Catalog: catalog.Options{Catalogers: all.Catalogers()}})
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	if len(res.Problems) > 0 {
		t.Fatalf("load %s: %v", path, res.Problems)
	}
	res.Document.Normalize()
	return res.Document
}

func mustParse(t testing.TB, src string) *Policy {
	t.Helper()
	p, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func evaluate(t testing.TB, pol *Policy, doc *sbom.Document, res *match.Result) *Report {
	t.Helper()
	rep, err := Evaluate(pol, doc, res, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

type brief struct{ Rule, Package, Fact string }

func briefs(vs []Violation) []brief {
	out := []brief{}
	for _, v := range vs {
		out = append(out, brief{v.Rule, v.Package, v.Fact})
	}
	return out
}

const fixturePolicy = `
rules:
  - {id: licenses, kind: licenses, allow: [MIT, ISC], missing: fail}
  - {id: integrity, kind: integrity}
  - id: bans
    kind: bans
    packages:
      - {name: event-stream, ecosystem: npm, versions: "=3.3.6", reason: flatmap-stream backdoor}
  - {id: hygiene, kind: hygiene, git: true, local-paths: outside, severity: warn}
`

// TestFixtureBadCases covers the bad cases real corpus lockfiles do not
// have: http://, a foreign registry host, a git dependency, a missing
// integrity, a path outside the project, a banned release, an AND license;
// and one good case: a bundled dependency (through, inside event-stream's
// tarball) needs no integrity of its own.
func TestFixtureBadCases(t *testing.T) {
	doc := load(t, "testdata/bad-npm")
	rep := evaluate(t, mustParse(t, fixturePolicy), doc, nil)
	want := []brief{
		{"licenses", "pkg:npm/gpl-lib@1.0.0", "license GPL-3.0-only not in allow list"},
		{"licenses", "pkg:npm/left-pad@1.3.0", "license WTFPL not in allow list"},
		{"integrity", "pkg:npm/internal-utils@2.0.0", "resolved from https://npm.evil.example.com, which is not an allowed registry"},
		{"integrity", "pkg:npm/left-pad@1.3.0", "resolved from http://registry.npmjs.org (not https)"},
		{"integrity", "pkg:npm/left-pad@1.3.0", "no integrity hash recorded in package-lock.json"},
		{"integrity", "pkg:npm/no-hash@1.0.1", "no integrity hash recorded in package-lock.json"},
		{"bans", "pkg:npm/event-stream@3.3.6", "event-stream 3.3.6 is banned (versions =3.3.6): flatmap-stream backdoor"},
		{"hygiene", "pkg:npm/shared@0.1.0", "dependency from local path file:../shared"},
		{"hygiene", "pkg:npm/tooling@1.28.1", "dependency from git: git+ssh://git@github.com/acme/tooling.git#4c13a00ac84cf0e2dd57c457cd1ce46faa9e456a"},
	}
	if diff := cmp.Diff(want, briefs(rep.Violations)); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	if !rep.Failed() || rep.Incomplete() {
		t.Errorf("Failed=%v Incomplete=%v, want true false", rep.Failed(), rep.Incomplete())
	}
	for _, v := range rep.Violations {
		if v.Fix == "" || len(v.Locations) == 0 || v.Locations[0].Line == 0 {
			t.Errorf("%s %s: fix %q, locations %v: want a fix and a lockfile line", v.Rule, v.Package, v.Fix, v.Locations)
		}
	}
	// A warn rule never fails on its own.
	warnOnly := evaluate(t, mustParse(t, `rules: [{id: h, kind: hygiene, git: true, severity: warn}]`), doc, nil)
	if len(warnOnly.Violations) != 1 || warnOnly.Failed() {
		t.Errorf("warn rule: %d violations, Failed=%v; want 1, false", len(warnOnly.Violations), warnOnly.Failed())
	}
}

func TestActionsPinning(t *testing.T) {
	pol := mustParse(t, `rules: [{id: pin, kind: integrity}]`)
	rep := evaluate(t, pol, load(t, "testdata/workflows"), nil)
	want := []brief{
		{"pin", "pkg:docker/alpine@3.20", "uses docker://alpine:3.20: not pinned to a full commit SHA"},
		{"pin", "pkg:github/actions/setup-node@v4", "uses actions/setup-node@v4: not pinned to a full commit SHA"},
	}
	if diff := cmp.Diff(want, briefs(rep.Violations)); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	// Real workflows: ruff pins every action; prometheus runs one
	// docker:// image by tag (prominfra/prombench:master).
	for _, tc := range []struct {
		dir  string
		want []string
	}{
		{"corpus/github-actions/astral-sh__ruff", nil},
		{"corpus/github-actions/prometheus__prometheus", []string{"pkg:docker/prominfra/prombench@master"}},
	} {
		doc := load(t, sharedtest.Path(t, tc.dir))
		var got []string
		for _, v := range evaluate(t, pol, doc, nil).Violations {
			got = append(got, v.Package)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.dir, diff)
		}
	}
}

// TestIntegrityNPMCorpus checks the integrity rule against the truth read
// straight from package-lock.json: entries without "integrity" that are
// neither links nor the root nor bundled ("inBundle": the parent tarball's
// integrity covers them). npm/cli bundles its production tree: 356 bundled
// entries, 163 of them without integrity (85 distinct name@version not
// hashed anywhere else), which were 85 false violations before the rule
// honoured inBundle; the true number there is 0.
func TestIntegrityNPMCorpus(t *testing.T) {
	pol := mustParse(t, `rules: [{id: integrity, kind: integrity}]`)
	for _, rel := range []string{"corpus/npm/npm__cli/package-lock.json", "corpus/npm/BookStackApp__BookStack/package-lock.json", "corpus/npm/phoenixframework__phoenix/package-lock.json"} {
		path := sharedtest.Path(t, rel)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var lock struct {
			Packages map[string]struct {
				Version   string `json:"version"`
				Resolved  string `json:"resolved"`
				Integrity string `json:"integrity"`
				Link      bool   `json:"link"`
				InBundle  bool   `json:"inBundle"`
			} `json:"packages"`
		}
		if err := json.Unmarshal(b, &lock); err != nil {
			t.Fatal(err)
		}
		// One package (name@version) may be installed at several paths:
		// it lacks integrity only when no entry records one.
		wantMissing, hashed := map[string]bool{}, map[string]bool{}
		bundled := 0
		for key, e := range lock.Packages {
			if key == "" || e.Link || !strings.Contains(key, "node_modules/") {
				continue
			}
			name := key[strings.LastIndex(key, "node_modules/")+len("node_modules/"):]
			if e.Integrity != "" {
				hashed[name+"@"+e.Version] = true
				continue
			}
			if e.InBundle {
				bundled++
				continue
			}
			wantMissing[name+"@"+e.Version] = true
			if e.Resolved != "" && !strings.HasPrefix(e.Resolved, "https://registry.npmjs.org/") {
				t.Fatalf("%s: %s resolved from %s; the test assumes the public registry", rel, key, e.Resolved)
			}
		}
		for k := range hashed {
			delete(wantMissing, k)
		}
		doc := load(t, path)
		rep := evaluate(t, pol, doc, nil)
		gotMissing := map[string]bool{}
		for _, v := range rep.Violations {
			if !strings.HasPrefix(v.Fact, "no integrity hash") {
				t.Errorf("%s: unexpected violation %s: %s", rel, v.Package, v.Fact)
				continue
			}
			gotMissing[v.Name+"@"+v.Version] = true
		}
		if diff := cmp.Diff(wantMissing, gotMissing); diff != "" {
			t.Errorf("%s: packages without integrity (-want +got):\n%s", rel, diff)
		}
		t.Logf("%s: %d packages, %d bundled entries without integrity, %d packages without integrity", rel, len(doc.Packages), bundled, len(gotMissing))
		if strings.Contains(rel, "npm__cli") && bundled == 0 {
			t.Errorf("%s: no bundled entries; the test no longer covers inBundle", rel)
		}
	}
}

// TestIntegrityYarnBerryCorpus checks the integrity rule on jest's yarn.lock
// (Berry) against the truth read from the file: Berry records a checksum for
// every package it fetched, and omits it for platform-conditional entries
// ("conditions: os=aix & cpu=ppc64") it did not fetch. The file has 87 such
// entries without a checksum; one of them, the fsevents patch: entry, is the
// same package (fsevents@2.3.3) as its registry entry, which has a checksum,
// so 86 packages truly carry no integrity, and each violation says why.
func TestIntegrityYarnBerryCorpus(t *testing.T) {
	path := sharedtest.Path(t, "corpus/yarn-berry/jestjs__jest/yarn.lock")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	unchecked := 0
	for _, entry := range strings.Split(string(b), "\n\n") {
		if strings.Contains(entry, "\n  conditions:") && !strings.Contains(entry, "\n  checksum:") {
			unchecked++
		}
	}
	if unchecked != 87 {
		t.Fatalf("yarn.lock has %d conditional entries without checksum, the test expects 87", unchecked)
	}
	pol := mustParse(t, `rules: [{id: integrity, kind: integrity}]`)
	rep := evaluate(t, pol, load(t, path), nil)
	if len(rep.Violations) != 86 {
		t.Errorf("%d violations, want 86", len(rep.Violations))
	}
	for _, v := range rep.Violations {
		if !strings.Contains(v.Fact, "platform-conditional entry, ") || !strings.Contains(v.Fix, "supportedArchitectures") {
			t.Errorf("%s: fact %q, fix %q: want the platform condition and the supportedArchitectures fix", v.Package, v.Fact, v.Fix)
		}
	}
}

// TestLicensesComposerCorpus checks the licenses rule on composer.lock,
// whose "license" arrays mean "any of" (the cataloger joins them with OR),
// against the truth computed from the file.
func TestLicensesComposerCorpus(t *testing.T) {
	allow := []string{"MIT", "BSD-3-Clause", "Apache-2.0"}
	pol := mustParse(t, `rules: [{id: lic, kind: licenses, allow: [MIT, BSD-3-Clause, Apache-2.0], missing: fail, unknown: fail}]`)
	for _, rel := range []string{"corpus/composer/koel__koel/composer.lock", "corpus/composer/BookStackApp__BookStack/composer.lock"} {
		path := sharedtest.Path(t, rel)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		type entry struct {
			Name    string   `json:"name"`
			License []string `json:"license"`
		}
		var lock struct {
			Packages    []entry `json:"packages"`
			PackagesDev []entry `json:"packages-dev"`
		}
		if err := json.Unmarshal(b, &lock); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for _, e := range append(lock.Packages, lock.PackagesDev...) {
			outcome := "denied"
			switch {
			case len(e.License) == 0:
				outcome = "missing"
			default:
				for _, l := range e.License {
					for _, alt := range strings.Split(strings.Trim(l, "()"), " OR ") {
						if id, ok := license.ID(alt); ok && contains(allow, id) {
							outcome = ""
						}
					}
					if outcome == "" {
						break
					}
					if !license.Valid(l) && outcome == "denied" {
						outcome = "unknown"
					}
				}
			}
			if outcome != "" {
				want[e.Name] = outcome
			}
		}
		got := map[string]string{}
		for _, v := range evaluate(t, pol, load(t, path), nil).Violations {
			o := "denied"
			switch {
			case v.Fact == "no license declared":
				o = "missing"
			case strings.Contains(v.Fact, "not an SPDX expression") || strings.Contains(v.Fact, "neither allowed"):
				o = "unknown"
			}
			got[v.Name] = o
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", rel, diff)
		}
		t.Logf("%s: %d license violations", rel, len(got))
	}
}

// yarnVersions reads a yarn v1 lockfile's distinct versions per name.
func yarnVersions(t *testing.T, path string) map[string]map[string]bool {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]bool{}
	name := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line != "" && line[0] != ' ' && line[0] != '#' && strings.HasSuffix(line, ":"):
			spec := strings.Trim(strings.Split(line, ",")[0], `":`)
			at := strings.LastIndex(spec, "@")
			name = spec[:at]
		case strings.HasPrefix(line, "  version "):
			if out[name] == nil {
				out[name] = map[string]bool{}
			}
			out[name][strings.Trim(strings.TrimPrefix(line, "  version "), `"`)] = true
		}
	}
	return out
}

func TestHygieneYarnCorpus(t *testing.T) {
	path := sharedtest.Path(t, "corpus/yarn-v1/webpack__webpack/yarn.lock")
	want := map[string]int{}
	for name, vs := range yarnVersions(t, path) {
		if len(vs) > 3 {
			want[name] = len(vs)
		}
	}
	rep := evaluate(t, mustParse(t, `rules: [{id: dup, kind: hygiene, max-versions: 3, git: true}]`), load(t, path), nil)
	got := map[string]int{}
	var git []string
	for _, v := range rep.Violations {
		if strings.HasPrefix(v.Fact, "dependency from git") {
			git = append(git, v.Package)
			continue
		}
		got[v.Name] = len(strings.Split(v.Version, ", "))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("duplicates (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"pkg:npm/tooling@1.28.1"}, git); diff != "" {
		t.Errorf("git dependencies (-want +got):\n%s", diff)
	}
	t.Logf("webpack yarn.lock: %d names with more than 3 versions", len(got))
}

func TestBansCorpus(t *testing.T) {
	path := sharedtest.Path(t, "corpus/npm/npm__cli/package-lock.json")
	doc := load(t, path)
	pol := mustParse(t, `
rules:
  - id: bans
    kind: bans
    packages:
      - {name: type-fest, ecosystem: npm, versions: "<1.0.0", alternative: "type-fest 4"}
      - {name: "@npmcli/*", ecosystem: npm, versions: ">=8.0.0 <9 || =1.0.1"}
      - {name: left-pad}
`)
	rep := evaluate(t, pol, doc, nil)
	got := map[string]bool{}
	for _, v := range rep.Violations {
		got[v.Name+"@"+v.Version] = true
	}
	want := map[string]bool{}
	for _, p := range doc.Packages {
		switch {
		case p.Name == "type-fest" && strings.HasPrefix(p.Version, "0."):
			want[p.Name+"@"+p.Version] = true
		case strings.HasPrefix(p.Name, "@npmcli/") && (strings.HasPrefix(p.Version, "8.") || p.Version == "1.0.1"):
			want[p.Name+"@"+p.Version] = true
		}
	}
	if len(want) < 7 {
		t.Fatalf("truth has only %d packages; corpus changed?", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("banned (-want +got):\n%s", diff)
	}
}

func TestExceptions(t *testing.T) {
	doc := load(t, "testdata/bad-npm")
	pol := mustParse(t, fixturePolicy+`
exceptions:
  - rule: licenses
    packages: ["pkg:npm/gpl-lib"]
    owner: legal@example.com
    reason: dual-use review LEGAL-7
    expires: 2026-06-15          # the last day it waives: testNow is that day
  - rule: integrity
    packages: ["pkg:npm/left-pad@1.3.0"]
    owner: alice@example.com
    reason: mirror migration
    expires: 2026-06-14          # expired yesterday
  - rule: bans
    packages: ["pkg:npm/lodash"]
    owner: bob@example.com
    reason: nothing matches this
    expires: 2027-01-01
`)
	rep := evaluate(t, pol, doc, nil)
	if diff := cmp.Diff([]brief{{"licenses", "pkg:npm/gpl-lib@1.0.0", "license GPL-3.0-only not in allow list"}}, briefs(rep.Waived)); diff != "" {
		t.Errorf("waived (-want +got):\n%s", diff)
	}
	if w := rep.Waived[0].Waiver; w.Owner != "legal@example.com" || w.Expires != "2026-06-15" || w.Line == 0 {
		t.Errorf("waiver = %+v", w)
	}
	expiredStand := 0
	for _, v := range rep.Violations {
		if v.Package == "pkg:npm/left-pad@1.3.0" && v.Rule == "integrity" {
			if v.Expired == nil || v.Expired.Owner != "alice@example.com" {
				t.Errorf("%s: Expired = %+v, want alice's exception", v.Fact, v.Expired)
			}
			expiredStand++
		}
	}
	if expiredStand != 2 {
		t.Errorf("%d left-pad integrity violations stand, want 2", expiredStand)
	}
	if len(rep.Expired) != 1 || !strings.Contains(rep.Expired[0].Message, "expired on 2026-06-14: it no longer waives 2 violation(s)") {
		t.Errorf("Expired = %+v", rep.Expired)
	}
	if len(rep.Stale) != 1 || rep.Stale[0].Owner != "bob@example.com" || !strings.Contains(rep.Stale[0].Message, "matches nothing") {
		t.Errorf("Stale = %+v", rep.Stale)
	}
	// A day later the licenses exception has expired too.
	later, err := Evaluate(pol, doc, nil, testNow.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(later.Waived) != 0 || len(later.Expired) != 2 {
		t.Errorf("a day later: %d waived, %d expired; want 0, 2", len(later.Waived), len(later.Expired))
	}
}

// vulnResult builds findings as match.Match and vex.Apply produce them.
func vulnResult(doc *sbom.Document) *match.Result {
	id := func(name string) string {
		for _, p := range doc.Packages {
			if p.Name == name {
				return p.ID
			}
		}
		panic(name)
	}
	return &match.Result{
		Document: doc,
		Findings: []match.Finding{
			{PackageID: id("event-stream"), ID: "MAL-2018-1", Aliases: []string{"GHSA-mh6f-8j2x-4483"}, Kind: match.Malicious, Status: match.StatusAffected},
			{PackageID: id("left-pad"), ID: "GHSA-aaaa-bbbb-cccc", Aliases: []string{"CVE-2099-0001"}, Kind: match.Vulnerability,
				Severity: match.Severity{Level: match.High, Score: 7.5}, Fixed: []string{"1.3.1"}, Status: match.StatusAffected},
			{PackageID: id("left-pad"), ID: "GHSA-dddd-eeee-ffff", Kind: match.Vulnerability,
				Severity: match.Severity{Level: match.Low, Score: 3.1}, Fixed: []string{"1.3.2"}, Status: match.StatusAffected},
			{PackageID: id("no-hash"), ID: "GHSA-gggg-hhhh-iiii", Kind: match.Vulnerability,
				Severity: match.Severity{Level: match.Critical, Score: 9.8}, Status: match.StatusNotAffected,
				Justification: "vulnerable_code_not_in_execute_path", StatusSource: "triage.openvex.json"},
			{PackageID: id("gpl-lib"), ID: "GHSA-jjjj-kkkk-llll", Kind: match.Vulnerability, Status: match.StatusAffected},
		},
		Upgrades: map[string]string{id("left-pad"): "1.3.2", id("event-stream"): "", id("gpl-lib"): ""},
	}
}

func TestVulnerabilities(t *testing.T) {
	doc := load(t, "testdata/bad-npm")
	res := vulnResult(doc)
	pol := mustParse(t, `rules: [{id: vulns, kind: vulnerabilities, min-severity: high}]`)
	rep := evaluate(t, pol, doc, res)
	want := []brief{
		{"vulns", "pkg:npm/event-stream@3.3.6", "malicious package (MAL-2018-1)"},
		{"vulns", "pkg:npm/gpl-lib@1.0.0", "vulnerable: GHSA-jjjj-kkkk-llll (UNKNOWN)"},
		{"vulns", "pkg:npm/left-pad@1.3.0", "vulnerable: GHSA-aaaa-bbbb-cccc (HIGH 7.5)"},
	}
	if diff := cmp.Diff(want, briefs(rep.Violations)); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	for _, v := range rep.Violations {
		if v.Name == "left-pad" && v.Fix != "upgrade left-pad to 1.3.2 (fixes all 2 finding(s) of this package)" {
			t.Errorf("left-pad fix = %q", v.Fix)
		}
		if v.Name == "event-stream" && !strings.HasPrefix(v.Fix, "remove the package") {
			t.Errorf("event-stream fix = %q", v.Fix)
		}
	}
	if len(rep.Waived) != 1 || rep.Waived[0].Waiver.Kind != "vex" || rep.Waived[0].Waiver.Justification != "vulnerable_code_not_in_execute_path" {
		t.Errorf("waived = %+v", rep.Waived)
	}
	// fixable-only drops findings without a fixed version, never malware.
	fixable := evaluate(t, mustParse(t, `rules: [{id: vulns, kind: vulnerabilities, min-severity: low, fixable-only: true}]`), doc, res)
	if got := len(fixable.Violations); got != 3 {
		t.Errorf("fixable-only: %d violations, want 3 (malware, two left-pad findings)", got)
	}
	// An exception can cover a finding by alias.
	exc := evaluate(t, mustParse(t, `
rules: [{id: vulns, kind: vulnerabilities}]
exceptions:
  - {rule: vulns, findings: [CVE-2099-0001], owner: sec@example.com, reason: not reachable, expires: 2030-01-01}`), doc, res)
	if len(exc.Waived) != 2 || len(exc.Violations) != 2 {
		t.Errorf("with an alias exception: %d waived, %d violations; want 2, 2", len(exc.Waived), len(exc.Violations))
	}
	// Without vulnerability data the rule is not evaluated, never passed.
	none := evaluate(t, pol, doc, nil)
	if !none.Incomplete() || none.Failed() || none.Rules[0].NotEvaluated == "" {
		t.Errorf("no data: Incomplete=%v Failed=%v NotEvaluated=%q", none.Incomplete(), none.Failed(), none.Rules[0].NotEvaluated)
	}
}

func TestCEL(t *testing.T) {
	doc := load(t, "testdata/bad-npm")
	res := vulnResult(doc)
	pol := mustParse(t, `
rules:
  - id: critical-direct
    kind: cel
    condition: pkg.direct && findings.exists(f, f.severity == "HIGH" && f.cvss >= 7.0 && "CVE-2099-0001" in f.ids)
    message: '"high finding in direct dependency " + pkg.name + "; upgrade to " + pkg.upgrade'
    fix: upgrade it
  - id: duplicate-name
    kind: cel
    condition: doc.packages.filter(p, p.name == pkg.name).size() > 1
  - id: not-from-registry
    kind: cel
    severity: warn
    scope: {ecosystems: [npm]}
    condition: >-
      !("hallmark:npm:bundled" in pkg.properties) &&
      (pkg.source_kind != "" || !pkg.resolved_url.startsWith("https://registry.npmjs.org/")
      || !("SHA-512" in pkg.hashes) || pkg.files != ["package-lock.json"] || pkg.scope != "prod")
`)
	if !pol.Rules[0].NeedsFindings() || pol.Rules[1].NeedsFindings() {
		t.Errorf("NeedsFindings = %v, %v; want true, false", pol.Rules[0].NeedsFindings(), pol.Rules[1].NeedsFindings())
	}
	rep := evaluate(t, pol, doc, res)
	// The bundled dependency (through) has no resolved URL or hash of its
	// own; the rule exempts it through the cataloger's property.
	const notFromRegistry = `condition is true: !("hallmark:npm:bundled" in pkg.properties) && (pkg.source_kind != "" || !pkg.resolved_url.startsWith("https://registry.npmjs.org/") || !("SHA-512" in pkg.hashes) || pkg.files != ["package-lock.json"] || pkg.scope != "prod")`
	want := []brief{
		{"critical-direct", "pkg:npm/left-pad@1.3.0", "high finding in direct dependency left-pad; upgrade to 1.3.2"},
		{"not-from-registry", "pkg:npm/internal-utils@2.0.0", notFromRegistry},
		{"not-from-registry", "pkg:npm/left-pad@1.3.0", notFromRegistry},
		{"not-from-registry", "pkg:npm/no-hash@1.0.1", notFromRegistry},
		{"not-from-registry", "pkg:npm/shared@0.1.0", notFromRegistry},
		{"not-from-registry", "pkg:npm/tooling@1.28.1", notFromRegistry},
	}
	if diff := cmp.Diff(want, briefs(rep.Violations)); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	// A CEL rule reading findings without data is not evaluated.
	if none := evaluate(t, pol, doc, nil); !none.Incomplete() {
		t.Error("CEL rule over findings without data: not Incomplete")
	}
	// A run-time error (a missing map key) stops the evaluation with the
	// rule and package named.
	bad := mustParse(t, `rules: [{id: prop, kind: cel, condition: 'pkg.properties["hallmark:actions:pinned"] == "true"'}]`)
	_, err := Evaluate(bad, doc, nil, testNow)
	var ee *EvalError
	if !errors.As(err, &ee) || ee.Rule != "prop" || !strings.Contains(err.Error(), "no such key") {
		t.Errorf("Evaluate with a missing key: %v", err)
	}
}

// TestLoad reads a policy from disk, as the CLI does.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(f, Starter, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(f); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}
