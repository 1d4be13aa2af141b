package report

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/policy"
)

// A fail rule whose violations are all warnings (licenses with missing:
// warn) shows "warn", not "FAIL", beside a PASS verdict.
func TestPolicyTableRuleStatusFollowsViolations(t *testing.T) {
	rep := &policy.Report{
		Policy: "p.yaml",
		Rules: []policy.RuleResult{
			{ID: "licenses", Kind: "licenses", Severity: policy.Fail, Packages: 2, Violations: 1},
			{ID: "integrity", Kind: "integrity", Severity: policy.Fail, Packages: 2, Violations: 1},
		},
		Violations: []policy.Violation{
			{Rule: "licenses", Severity: policy.Warn, Package: "pkg:npm/a@1", Fact: "no license declared"},
			{Rule: "integrity", Severity: policy.Fail, Package: "pkg:npm/b@1", Fact: "no integrity hash recorded"},
		},
	}
	var b bytes.Buffer
	if err := PolicyTable(&b, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`(?m)^licenses +licenses +fail +2 +1 +0 +warn$`, `(?m)^integrity +integrity +fail +2 +1 +0 +FAIL$`} {
		if !regexp.MustCompile(want).Match(b.Bytes()) {
			t.Errorf("table lacks %s:\n%s", want, b.String())
		}
	}
}
