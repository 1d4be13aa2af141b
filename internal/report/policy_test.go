package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/all"
	"github.com/hallmark-dev/hallmark/internal/policy"
	"github.com/hallmark-dev/hallmark/internal/schematest"
	"github.com/hallmark-dev/hallmark/internal/source"
)

const testPolicy = `
rules:
  - {id: licenses, kind: licenses, allow: [MIT, ISC], description: "Only MIT & ISC <permissive> licenses"}
  - {id: integrity, kind: integrity}
  - {id: git-deps, kind: hygiene, git: true, severity: warn}
  - {id: vulns, kind: vulnerabilities, min-severity: high}
exceptions:
  - rule: licenses
    packages: ["pkg:npm/gpl-lib"]
    owner: legal@example.com
    reason: dual-use review LEGAL-7 "<approved>"
    expires: 2026-12-31
  - rule: integrity
    packages: ["pkg:npm/left-pad@1.3.0"]
    owner: alice@example.com
    reason: mirror migration
    expires: 2026-06-01
`

// policyReport evaluates testPolicy on testdata/app with the real
// cataloger and evaluator, without vulnerability data (so the vulns rule
// is not evaluated): failing, warning, waived, expired and not-evaluated
// outcomes all appear.
func policyReport(t *testing.T) *policy.Report {
	t.Helper()
	res, err := source.Load(context.Background(), "testdata/app", source.Options{Catalog: catalog.Options{Catalogers: all.Catalogers()}})
	if err != nil {
		t.Fatal(err)
	}
	res.Document.Normalize()
	pol, err := policy.Parse("hallmark.policy.yaml", []byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := policy.Evaluate(pol, res.Document, nil, created)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Violations) == 0 || len(rep.Waived) == 0 || !rep.Incomplete() {
		t.Fatalf("fixture report lacks a case: %d violations, %d waived, incomplete %v", len(rep.Violations), len(rep.Waived), rep.Incomplete())
	}
	return rep
}

func TestPolicySARIF(t *testing.T) {
	rep := policyReport(t)
	var buf bytes.Buffer
	if err := PolicySARIF(&buf, rep, SARIFOptions{ToolVersion: "1.2.3", Base: "services/api"}); err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, schematest.SARIF210, "policy SARIF", buf.Bytes())
	got := sarifResults(t, buf.Bytes())
	want := []string{
		"integrity error services/api/package-lock.json:30",  // http://
		"integrity error services/api/package-lock.json:30",  // no hash (exception expired)
		"git-deps warning services/api/package-lock.json:35", // warn rule
		"licenses error services/api/package-lock.json:30",   // WTFPL
		"licenses error services/api/package-lock.json:24 suppressed(exception by legal@example.com until 2026-12-31: dual-use review LEGAL-7 \"<approved>\" (policy line 8))",
	}
	if diff := cmp.Diff(want, got, cmpSorted); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	// An empty report (no rules broken, nothing evaluated) is valid too.
	buf.Reset()
	if err := PolicySARIF(&buf, &policy.Report{Policy: "p.yaml", Subject: "."}, SARIFOptions{}); err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, schematest.SARIF210, "empty policy SARIF", buf.Bytes())
}

// TestJUnitWellFormed checks that the JUnit output is well-formed XML
// (a strict token pass to EOF), survives an encoding/xml round trip
// unchanged, and that its counts add up, including facts with XML
// metacharacters, "]]>", terminal escapes and invalid UTF-8 from hostile
// lockfiles.
func TestJUnitWellFormed(t *testing.T) {
	hostile := policyReport(t)
	hostile.Violations = append(hostile.Violations, policy.Violation{Rule: "licenses", Severity: policy.Fail,
		Package: "pkg:npm/evil@1.0.0", Name: "evil", Fact: "license \x1b[31mX & <Y> ]]> \xff\xfe not in allow list\x00",
		Fix: `use "good" & 'safe'`})
	for name, rep := range map[string]*policy.Report{"fixture": policyReport(t), "hostile": hostile, "empty": {Policy: "p.yaml"}} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := JUnit(&buf, rep); err != nil {
				t.Fatal(err)
			}
			out := buf.Bytes()
			if !bytes.HasPrefix(out, []byte(xml.Header)) {
				t.Errorf("no XML declaration")
			}
			d := xml.NewDecoder(bytes.NewReader(out))
			d.Strict = true
			for {
				_, err := d.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("not well-formed: %v\n%s", err, out)
				}
			}
			var first junitSuites
			if err := xml.Unmarshal(out, &first); err != nil {
				t.Fatal(err)
			}
			again, err := xml.Marshal(first)
			if err != nil {
				t.Fatal(err)
			}
			var second junitSuites
			if err := xml.Unmarshal(again, &second); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(first, second); diff != "" {
				t.Errorf("round trip (-first +second):\n%s", diff)
			}
			tests, failures, errs, skipped := 0, 0, 0, 0
			for _, s := range first.Suites {
				if s.Tests != len(s.Cases) {
					t.Errorf("suite %s: tests=%d, %d cases", s.Name, s.Tests, len(s.Cases))
				}
				f, e, sk := 0, 0, 0
				for _, c := range s.Cases {
					if c.Failure != nil {
						f++
					}
					if c.Error != nil {
						e++
					}
					if c.Skipped != nil {
						sk++
					}
				}
				if f != s.Failures || e != s.Errors || sk != s.Skipped {
					t.Errorf("suite %s: attributes %d/%d/%d, elements %d/%d/%d", s.Name, s.Failures, s.Errors, s.Skipped, f, e, sk)
				}
				tests, failures, errs, skipped = tests+s.Tests, failures+f, errs+e, skipped+sk
			}
			if first.Tests != tests || first.Failures != failures || first.Errors != errs || first.Skipped != skipped {
				t.Errorf("testsuites counts %d/%d/%d/%d, sum of suites %d/%d/%d/%d", first.Tests, first.Failures, first.Errors, first.Skipped, tests, failures, errs, skipped)
			}
			if len(first.Suites) != len(rep.Rules) {
				t.Errorf("%d suites for %d rules", len(first.Suites), len(rep.Rules))
			}
			if name == "hostile" && !strings.Contains(string(out), "X &amp; &lt;Y&gt; ]]&gt;") {
				t.Errorf("hostile fact not escaped:\n%s", out)
			}
			if name == "fixture" && (first.Failures != 3 || first.Errors != 1 || first.Skipped != 1) {
				t.Errorf("fixture: failures/errors/skipped = %d/%d/%d, want 3/1/1", first.Failures, first.Errors, first.Skipped)
			}
		})
	}
}
