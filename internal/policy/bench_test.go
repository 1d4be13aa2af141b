package policy

import (
	"testing"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

const benchPolicy = `
rules:
  - {id: vulns, kind: vulnerabilities, min-severity: medium}
  - {id: licenses, kind: licenses, allow: [MIT, ISC, Apache-2.0, BSD-2-Clause, BSD-3-Clause, 0BSD], deny: [GPL-3.0-only]}
  - {id: integrity, kind: integrity}
  - id: bans
    kind: bans
    packages:
      - {name: event-stream, ecosystem: npm, versions: "=3.3.6"}
      - {name: "ua-parser-js", ecosystem: npm, versions: ">=0.7.29 <0.7.30 || =0.8.0 || =1.0.0"}
  - {id: hygiene, kind: hygiene, max-versions: 3, git: true, local-paths: outside}
  - id: cel-scoped-dev
    kind: cel
    condition: pkg.scope == "dev" && pkg.name.startsWith("@types/") && pkg.direct
  - id: cel-findings
    kind: cel
    condition: findings.exists(f, f.cvss >= 9.0) || pkg.licenses.exists(l, l.contains("AGPL"))
`

// BenchmarkEvaluate evaluates a policy using every rule kind and two CEL
// rules over the largest corpus lockfile (jest's yarn.lock, 2220
// packages), with an empty match result so that vulnerability rules run.
func BenchmarkEvaluate(b *testing.B) {
	doc := load(b, sharedtest.Path(b, "corpus/yarn-berry/jestjs__jest/yarn.lock"))
	res := &match.Result{Document: doc, Upgrades: map[string]string{}}
	pol := mustParse(b, benchPolicy)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Evaluate(pol, doc, res, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCatalog is the scan's cataloging of the same file, for the
// ratio the issue bounds (evaluation under 20% of a scan).
func BenchmarkCatalog(b *testing.B) {
	path := sharedtest.Path(b, "corpus/yarn-berry/jestjs__jest/yarn.lock")
	for b.Loop() {
		load(b, path)
	}
}

// BenchmarkParse compiles the policy (YAML and both CEL programs).
func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		mustParse(b, benchPolicy)
	}
}
