package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"not yaml", "rules: [\n  - id: x\n", "p.yaml:1: not valid YAML"},
		{"tab indent", "rules:\n\t- id: x\n", "p.yaml:2: not valid YAML"},
		{"empty", "", "p.yaml: empty policy file"},
		{"scalar", "hello\n", `p.yaml:1:1: the policy must be a mapping, got "hello"`},
		{"no rules", "version: 1\n", `p.yaml:1:1: the policy has no "rules"`},
		{"rules not list", "rules: 3\n", `p.yaml:1:8: "rules" must be a list, got "3"`},
		{"version", "version: 2\nrules: []\n", "p.yaml:1:10: unsupported policy version"},
		{"unknown top key", "rules: []\nrule: []\n", `p.yaml:2:1: unknown key "rule" in the policy`},
		{"unknown kind", "rules:\n  - id: a\n    kind: licence\n", `p.yaml:3:11: rule "a": unknown rule kind "licence"`},
		{"missing kind", "rules:\n  - id: a\n", `p.yaml:2:5: rule "a": "kind" is required`},
		{"missing id", "rules:\n  - kind: bans\n", `p.yaml:2:5: a rule: "id" is required`},
		{"bad id", "rules:\n  - id: 'a b'\n    kind: bans\n", `p.yaml:2:9: rule id "a b"`},
		{"duplicate id", "rules:\n  - {id: a, kind: hygiene, git: true}\n  - {id: a, kind: hygiene, git: true}\n", `p.yaml:3:5: rule id "a" is already used at line 2`},
		{"bad severity", "rules:\n  - {id: a, kind: hygiene, git: true, severity: error}\n", `p.yaml:2:49: rule "a": "severity" must be one of fail, warn, got "error"`},
		{"wrong type bool", "rules:\n  - {id: a, kind: hygiene, git: yes-please}\n", `p.yaml:2:33: rule "a": "git" must be true or false`},
		{"wrong type int", "rules:\n  - {id: a, kind: hygiene, max-versions: many}\n", `"max-versions" must be an integer`},
		{"negative int", "rules:\n  - {id: a, kind: hygiene, max-versions: -1}\n", `"max-versions" must be an integer >= 0`},
		{"wrong type list", "rules:\n  - {id: a, kind: licenses, allow: {MIT: true}}\n", `"allow" must be a list of strings, got a mapping`},
		{"unknown rule key", "rules:\n  - {id: a, kind: hygiene, git: true, allow: [MIT]}\n", `p.yaml:2:39: rule "a": unknown key "allow" in rule "a"`},
		{"bad license", "rules:\n  - id: a\n    kind: licenses\n    allow:\n      - MIT\n      - Not-A-License\n", `p.yaml:6:9: rule "a": allow:`},
		{"licenses empty", "rules:\n  - {id: a, kind: licenses}\n", `needs "allow" or "deny"`},
		{"bad scope", "rules:\n  - {id: a, kind: hygiene, git: true, scope: {scopes: [production]}}\n", `unknown package scope "production"`},
		{"scope key", "rules:\n  - {id: a, kind: hygiene, git: true, scope: {direct-only: true}}\n", `unknown key "direct-only" in scope`},
		{"ban range", "rules:\n  - id: a\n    kind: bans\n    packages:\n      - {name: x, ecosystem: npm, versions: '>='}\n", `p.yaml:5:45: rule "a": banned "x": bad comparator ">="`},
		{"ban range no eco", "rules:\n  - id: a\n    kind: bans\n    packages:\n      - {name: x, versions: '<2'}\n", `"versions" needs "ecosystem"`},
		{"ban unordered range", "rules:\n  - id: a\n    kind: bans\n    packages:\n      - {name: x, ecosystem: CocoaPods, versions: '<2'}\n", "has no version ordering"},
		{"bans empty", "rules:\n  - {id: a, kind: bans}\n", `needs "packages"`},
		{"hygiene empty", "rules:\n  - {id: a, kind: hygiene}\n", "needs max-versions"},
		{"integrity off", "rules:\n  - {id: a, kind: integrity, require-hash: false, require-https: false, pin-actions: false}\n", "every integrity check is switched off"},
		{"cel syntax", "rules:\n  - id: c\n    kind: cel\n    condition: pkg.name ==\n", `p.yaml:4:27: rule "c": condition: CEL: Syntax error`},
		{"cel unknown field", "rules:\n  - id: c\n    kind: cel\n    condition: pkg.nmae == 'x'\n", `p.yaml:4:19: rule "c": condition: CEL: undefined field 'nmae'`},
		{"cel quoted", "rules:\n  - id: c\n    kind: cel\n    condition: \"pkg.direct && pkg.foo\"\n", `p.yaml:4:34: rule "c": condition: CEL: undefined field 'foo'`},
		{"cel block", "rules:\n  - id: c\n    kind: cel\n    condition: |\n      pkg.direct &&\n        nope\n", `p.yaml:6: rule "c": condition: CEL: undeclared reference to 'nope'`},
		{"cel not bool", "rules:\n  - id: c\n    kind: cel\n    condition: pkg.name\n", `p.yaml:4:16: rule "c": condition: CEL expression returns string, want bool`},
		{"cel type mismatch", "rules:\n  - id: c\n    kind: cel\n    condition: pkg.direct == 'yes'\n", `rule "c": condition: CEL: found no matching overload for '_==_'`},
		{"cel message type", "rules:\n  - id: c\n    kind: cel\n    condition: pkg.direct\n    message: pkg.direct\n", `message: CEL expression returns bool, want string`},
		{"exception no expiry", "rules:\n  - {id: a, kind: hygiene, git: true}\nexceptions:\n  - {rule: a, packages: ['pkg:npm/x'], owner: me, reason: r}\n", `p.yaml:4:5: exception for rule "a" has no "expires" date`},
		{"exception bad date", "rules:\n  - {id: a, kind: hygiene, git: true}\nexceptions:\n  - {rule: a, packages: ['pkg:npm/x'], owner: me, reason: r, expires: next week}\n", `must be a date YYYY-MM-DD, got "next week"`},
		{"exception unknown rule", "rules:\n  - {id: a, kind: hygiene, git: true}\nexceptions:\n  - {rule: b, packages: ['pkg:npm/x'], owner: me, reason: r, expires: 2030-01-01}\n", `p.yaml:4:12: exception names rule "b"`},
		{"exception nothing covered", "rules:\n  - {id: a, kind: hygiene, git: true}\nexceptions:\n  - {rule: a, owner: me, reason: r, expires: 2030-01-01}\n", "must name the packages or findings it covers"},
		{"exception not purl", "rules:\n  - {id: a, kind: hygiene, git: true}\nexceptions:\n  - {rule: a, packages: [lodash], owner: me, reason: r, expires: 2030-01-01}\n", `package "lodash" must be a purl`},
		{"exception no owner", "rules:\n  - {id: a, kind: hygiene, git: true}\nexceptions:\n  - {rule: a, packages: ['pkg:npm/x'], reason: r, expires: 2030-01-01}\n", `"owner" is required`},
		{"alias", "x: &a [1]\nrules: *a\n", "YAML aliases are not allowed"},
		{"two documents", "rules: []\n---\nrules: []\n", "more than one YAML document"},
		{"duplicate key", "rules: []\nrules: []\n", `p.yaml:2:1: the policy: key "rules" given twice`},
		{"deep", "rules: " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n", "nested deeper than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error\n got: %v\nwant: ...%s...", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "p.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("error %q is more than one line", err)
			}
			var pe *Error
			if !errors.As(err, &pe) || !errors.Is(err, ErrInvalid) {
				t.Errorf("error %T is not a *policy.Error wrapping ErrInvalid", err)
			}
		})
	}
}

func TestParseHuge(t *testing.T) {
	big := make([]byte, 5<<20)
	if _, err := Parse("p.yaml", big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Parse(5 MiB) = %v", err)
	}
}

// FuzzParse checks that no policy file makes the loader panic or hang, and
// that every error names the file.
func FuzzParse(f *testing.F) {
	f.Add(string(Starter))
	for _, s := range []string{"rules: []", "rules:\n  - {id: a, kind: cel, condition: 'pkg.direct'}",
		"rules:\n  - {id: a, kind: bans, packages: [{name: x, ecosystem: npm, versions: '>1 <2 || =3'}]}",
		"rules:\n  - {id: a, kind: hygiene, git: true}\nexceptions:\n  - {rule: a, packages: ['pkg:npm/x'], owner: o, reason: r, expires: 2030-01-01}",
		"rules: [{id: a, kind: licenses, allow: [MIT, 'GPL-2.0+ WITH Classpath-exception-2.0']}]", "{", "- - -", "rules: *x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse("f.yaml", []byte(s))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if p == nil {
			t.Fatal("nil policy without error")
		}
	})
}
