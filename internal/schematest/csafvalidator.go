package schematest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// csafValidatorDir is where .ci/setup.d/csaf-validator.sh installs the
// BSI's csaf-validator-lib (npm ci from the committed lockfile).
const csafValidatorDir = "internal/vex/testdata/csaf-validator"

// BSIResult is what the BSI validator says of one document.
type BSIResult struct {
	File    string `json:"file"`
	IsValid bool   `json:"isValid"`
	// Tests is how many tests ran: the strict schema test and the
	// mandatory tests of CSAF 2.0 6.1.
	Tests  int `json:"tests"`
	Failed []struct {
		Name   string `json:"name"`
		Errors []any  `json:"errors"`
	} `json:"failed"`
	// Optional are the optional tests (6.2) with warnings: reported only.
	Optional []struct {
		Name     string `json:"name"`
		Warnings []any  `json:"warnings"`
	} `json:"optional"`
}

// BSIValidateCSAF runs the BSI's csaf-validator-lib 2.0.10 (Secvisogram's
// validator: a second, independent implementation of the CSAF 2.0 schema
// and every mandatory test) on the documents and fails the test for each
// one that does not pass. It skips when node or the library is missing,
// except in CI, where .ci/setup.d/csaf-validator.sh installs it.
func BSIValidateCSAF(t testing.TB, docs map[string][]byte) []BSIResult {
	t.Helper()
	results := BSIRun(t, docs)
	for _, r := range results {
		if !r.IsValid {
			t.Errorf("%s fails the BSI validator: %+v", r.File, r.Failed)
		}
	}
	return results
}

// BSIRun is BSIValidateCSAF without the verdict: the results, in no order.
func BSIRun(t testing.TB, docs map[string][]byte) []BSIResult {
	t.Helper()
	dir := repoRoot(t)
	script := filepath.Join(dir, csafValidatorDir, "validate.js")
	if _, err := os.Stat(filepath.Join(dir, csafValidatorDir, "node_modules", "@secvisogram", "csaf-validator-lib")); err != nil {
		if os.Getenv("CI_ENV") != "" || os.Getenv("CI") != "" {
			t.Fatal("csaf-validator-lib is not installed: .ci/setup.d/csaf-validator.sh should have run npm ci")
		}
		t.Skip("csaf-validator-lib not installed (cd " + csafValidatorDir + " && npm ci)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	tmp := t.TempDir()
	args := []string{script}
	names := map[string]string{}
	for name, b := range docs {
		p := filepath.Join(tmp, strings.NewReplacer("/", "_", "\\", "_").Replace(name))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
		names[p] = name
	}
	cmd := exec.Command("node", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("node validate.js: %v", err)
	}
	var results []BSIResult
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r BSIResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("csaf-validator-lib said %q: %v\n%s", line, err, stderr.String())
		}
		r.File = names[r.File]
		if r.Tests < 2 {
			t.Fatalf("csaf-validator-lib ran %d tests on %s", r.Tests, r.File)
		}
		results = append(results, r)
	}
	if len(results) != len(docs) {
		t.Fatalf("csaf-validator-lib checked %d of %d documents: %s", len(results), len(docs), stderr.String())
	}
	return results
}

func repoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}
