package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLicenseExpressions(t *testing.T) {
	allowMIT := []string{"MIT", "Apache-2.0", "BSD-3-Clause", "LGPL-2.1-only", "LicenseRef-Acme-EULA", "GPL-2.0-only WITH Classpath-exception-2.0"}
	deny := []string{"GPL-3.0-only", "AGPL-3.0-or-later", "LicenseRef-Bad"}
	tests := []struct {
		expr        string
		allow, deny []string
		want        LicenseOutcome
		reasons     []string
	}{
		{"MIT", allowMIT, nil, LicenseAllowed, nil},
		{"mit", allowMIT, nil, LicenseAllowed, nil},
		{"MIT OR GPL-3.0", allowMIT, nil, LicenseAllowed, nil},
		{"GPL-3.0-only OR MIT", allowMIT, deny, LicenseAllowed, nil},
		{"MIT AND GPL-3.0", allowMIT, nil, LicenseDenied, []string{"license GPL-3.0 not in allow list"}},
		{"MIT AND GPL-3.0-only", nil, deny, LicenseDenied, []string{"license GPL-3.0-only is denied"}},
		{"MIT AND GPL-3.0-only", nil, nil, LicenseAllowed, nil},
		{"GPL-3.0-or-later", nil, deny, LicenseDenied, []string{"license GPL-3.0-or-later is denied"}},
		{"GPL-2.0-or-later", nil, deny, LicenseAllowed, nil},             // GPL-2.0 may be chosen
		{"GPL-2.0+", []string{"GPL-3.0-only"}, nil, LicenseAllowed, nil}, // 3.0 is a later version
		{"GPL-2.0-only", []string{"GPL-3.0-or-later"}, nil, LicenseDenied, []string{"license GPL-2.0-only not in allow list"}},
		{"LGPL-2.1+", allowMIT, nil, LicenseAllowed, nil},
		{"LGPL-2.1", allowMIT, nil, LicenseAllowed, nil}, // deprecated id == -only
		{"(MIT OR Apache-2.0) AND (BSD-3-Clause OR GPL-3.0-only)", allowMIT, deny, LicenseAllowed, nil},
		{"(MIT AND GPL-3.0-only) OR (Apache-2.0 AND AGPL-3.0-only)", allowMIT, deny, LicenseDenied,
			[]string{"license GPL-3.0-only is denied", "license AGPL-3.0-only is denied"}},
		{"MIT AND (GPL-3.0-only OR EPL-2.0)", allowMIT, deny, LicenseDenied,
			[]string{"license GPL-3.0-only is denied", "license EPL-2.0 not in allow list"}},
		{"GPL-2.0-only WITH Classpath-exception-2.0", allowMIT, nil, LicenseAllowed, nil},
		{"GPL-2.0-only WITH Classpath-exception-2.0", []string{"MIT"}, nil, LicenseDenied,
			[]string{"license GPL-2.0-only WITH Classpath-exception-2.0 not in allow list"}},
		{"GPL-2.0-only WITH Classpath-exception-2.0", nil, []string{"GPL-2.0-only"}, LicenseDenied,
			[]string{"license GPL-2.0-only WITH Classpath-exception-2.0 is denied"}},
		{"Apache-2.0 WITH LLVM-exception", allowMIT, nil, LicenseAllowed, nil}, // the base license is allowed
		{"LicenseRef-Acme-EULA", allowMIT, nil, LicenseAllowed, nil},
		{"LicenseRef-Bad OR MIT", nil, deny, LicenseAllowed, nil},
		{"LicenseRef-Bad", nil, deny, LicenseDenied, []string{"license LicenseRef-Bad is denied"}},
		{"LicenseRef-Other", allowMIT, nil, LicenseUnknown, []string{"license LicenseRef-Other is neither allowed nor denied by the policy"}},
		{"LicenseRef-Other AND GPL-3.0-only", allowMIT, deny, LicenseDenied, []string{"license GPL-3.0-only is denied"}},
		{"LicenseRef-Other OR GPL-3.0-only", allowMIT, deny, LicenseUnknown, // every alternative fails: all are named
			[]string{"license LicenseRef-Other is neither allowed nor denied by the policy", "license GPL-3.0-only is denied"}},
		{"DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", allowMIT, nil, LicenseUnknown,
			[]string{"license DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2 is neither allowed nor denied by the policy"}},
		{"SEE LICENSE IN LICENSE.md", allowMIT, nil, LicenseUnknown, []string{`license "SEE LICENSE IN LICENSE.md" is not an SPDX expression`}},
		{"BSD", allowMIT, nil, LicenseUnknown, []string{`license "BSD" is not an SPDX expression`}},
		{"MIT AND", allowMIT, nil, LicenseUnknown, []string{`license "MIT AND" is not an SPDX expression`}},
		{"((MIT)", allowMIT, nil, LicenseUnknown, []string{`license "((MIT)" is not an SPDX expression`}},
		{"MIT WITH Classpath-exception-2.0 OR ISC", allowMIT, nil, LicenseAllowed, nil},
		{"ISC", allowMIT, []string{}, LicenseDenied, []string{"license ISC not in allow list"}},
		{"AGPL-3.0-only", allowMIT, []string{"AGPL-3.0-only"}, LicenseDenied, []string{"license AGPL-3.0-only is denied"}},
		{"MIT", []string{"MIT"}, []string{"MIT"}, LicenseDenied, []string{"license MIT is denied"}}, // deny wins
	}
	for _, tt := range tests {
		l, err := NewLicenseLists(tt.allow, tt.deny)
		if err != nil {
			t.Fatalf("NewLicenseLists(%q, %q): %v", tt.allow, tt.deny, err)
		}
		got := l.Expression(tt.expr)
		want := LicenseVerdict{tt.want, tt.reasons}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Expression(%q) allow=%q deny=%q diff (-want +got):\n%s", tt.expr, tt.allow, tt.deny, diff)
		}
	}
}

func TestLicenseCheckPackage(t *testing.T) {
	l, err := NewLicenseLists([]string{"MIT", "ISC"}, []string{"GPL-3.0-only"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lics []string
		want LicenseOutcome
	}{
		{nil, LicenseMissing},
		{[]string{""}, LicenseMissing},
		{[]string{"MIT", "ISC"}, LicenseAllowed},         // both apply
		{[]string{"MIT", "GPL-3.0-only"}, LicenseDenied}, // both apply: AND
		{[]string{"MIT", "Nonsense text"}, LicenseUnknown},
	}
	for _, tt := range tests {
		if got := l.Check(tt.lics).Outcome; got != tt.want {
			t.Errorf("Check(%q) = %v, want %v", tt.lics, got, tt.want)
		}
	}
}

func TestLicenseListErrors(t *testing.T) {
	for _, bad := range []string{"MIT OR ISC", "NotALicense", "", "GPL-2.0 WITH NotAnException"} {
		if _, err := NewLicenseLists([]string{bad}, nil); err == nil {
			t.Errorf("NewLicenseLists(%q) = nil error", bad)
		}
	}
}

// FuzzLicenseExpression checks that evaluation never panics and that an
// expression is never both allowed and missing, whatever the input.
func FuzzLicenseExpression(f *testing.F) {
	for _, s := range []string{"MIT", "MIT OR GPL-3.0", "(MIT AND (Apache-2.0 OR GPL-2.0+)) WITH x", "GPL-2.0-only WITH Classpath-exception-2.0",
		"LicenseRef-a OR DocumentRef-b:LicenseRef-c", "((((", "AND OR WITH", "GPL-3.0-or-later+"} {
		f.Add(s)
	}
	l, err := NewLicenseLists([]string{"MIT", "GPL-3.0-or-later", "LicenseRef-a"}, []string{"GPL-2.0-only", "LicenseRef-c"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := l.Expression(s)
		if v.Outcome == LicenseMissing {
			t.Fatalf("Expression(%q) = missing", s)
		}
		if (v.Outcome == LicenseAllowed) != (len(v.Reasons) == 0) {
			t.Fatalf("Expression(%q) = %v with reasons %q", s, v.Outcome, v.Reasons)
		}
	})
}
