package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParse(t *testing.T) {
	src := `# CI settings
db: .cache/db
exclude:
  - ./testdata/**
  - "**/*.min.js"
policy: ci/policy.yaml
vex: triage.openvex.json
fail-on: high
fail-on-unchecked: true
output:
  scan: sarif
  sbom: spdx-json
`
	f, err := Parse([]byte(src), filepath.Join("repo", FileName))
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	want := &File{
		Path:            filepath.Join("repo", FileName),
		DB:              filepath.Join("repo", ".cache/db"),
		Exclude:         []string{"./testdata/**", "**/*.min.js"},
		Policy:          filepath.Join("repo", "ci/policy.yaml"),
		VEX:             []string{filepath.Join("repo", "triage.openvex.json")},
		FailOn:          "high",
		FailOnUnchecked: &yes,
		Output:          map[string]string{"scan": "sarif", "sbom": "spdx-json"},
	}
	if diff := cmp.Diff(want, f, cmpopts.IgnoreUnexported(File{})); diff != "" {
		t.Errorf("Parse diff (-want +got):\n%s", diff)
	}
	for key, line := range map[string]int{"db": 2, "exclude": 3, "fail-on": 8, "output.scan": 11, "output.sbom": 12} {
		if got := f.Line(key); got != line {
			t.Errorf("Line(%s) = %d, want %d", key, got, line)
		}
	}
	if got := f.Origin("fail-on"); got != filepath.Join("repo", FileName)+":8" {
		t.Errorf("Origin = %q", got)
	}
	if got := f.Origin("policy"); got == "" {
		t.Error("policy has no origin")
	}
	if got := f.Origin("nope"); got != "" {
		t.Errorf("unset key has origin %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"fail_on: high\n", `x.yaml:1:1: unknown key "fail_on"`},
		{"db: x\nexlude: [a]\n", `x.yaml:2:1: unknown key "exlude"`},
		{"fail-on: severe\n", `x.yaml:1:10: fail-on: "severe" is not one of none, low, medium, high, critical`},
		{"fail-on-unchecked: yes please\n", `x.yaml:1:20: fail-on-unchecked: want true or false`},
		{"exclude: {a: b}\n", `x.yaml:1:10: exclude: want a list of strings`},
		{"output: sarif\n", `x.yaml:1:9: output: want a mapping`},
		{"output:\n  scna: sarif\n", `x.yaml:2:3: output: unknown command "scna"`},
		{"db: a\ndb: b\n", `x.yaml:2:1: db is set twice`},
		{"- a\n", `x.yaml:1:1: the file must be a mapping`},
		{"db: [\n", `x.yaml: yaml:`},
		{"policy:\n", `x.yaml:1:8: policy: want a string`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.src), "x.yaml")
		if err == nil {
			t.Errorf("Parse(%q): no error", tt.src)
			continue
		}
		if got := err.Error(); len(got) < len(tt.want) || got[:len(tt.want)] != tt.want {
			t.Errorf("Parse(%q) = %q, want prefix %q", tt.src, got, tt.want)
		}
	}
	if _, err := Parse([]byte("fail_on: x\n"), "x.yaml"); !errors.Is(err, ErrConfig) {
		t.Errorf("errors.Is(%v, ErrConfig) = false", err)
	}
}

func TestEmptyAndFind(t *testing.T) {
	f, err := Parse(nil, "x.yaml")
	if err != nil || f.FailOn != "" {
		t.Fatalf("empty: %+v, %v", f, err)
	}
	dir := t.TempDir()
	if got := Find(dir); got != "" {
		t.Errorf("Find(empty dir) = %q", got)
	}
	p := filepath.Join(dir, FileName)
	if err := os.WriteFile(p, []byte("fail-on: low\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Find(dir); got != p {
		t.Errorf("Find = %q, want %q", got, p)
	}
	f, err = Load(p)
	if err != nil || f.FailOn != "low" {
		t.Fatalf("Load: %+v, %v", f, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"db: x\n", "exclude: [a, b]\noutput: {scan: json}\n", "fail-on-unchecked: true\n", "- a\n", "a: &x [*x]\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := Parse(b, "fuzz.yaml")
		if err == nil && cfg == nil {
			t.Fatal("nil config without error")
		}
	})
}
