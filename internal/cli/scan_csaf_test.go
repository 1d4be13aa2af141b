package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/schematest"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
	"github.com/hallmark-dev/hallmark/internal/vex"
)

// scan -o csaf: npm/cli's lockfile as release 10.9.0, ws's finding
// triaged not_affected by an OpenVEX input; the document validates against
// the CSAF 2.0 schema, passes the mandatory tests, is the same bytes twice
// (SOURCE_DATE_EPOCH) and reads back as the statement it was given.
func TestScanCSAF(t *testing.T) {
	db := importNPM(t)
	lock := sharedtest.Path(t, "corpus/npm/npm__cli/package-lock.json")
	vexFile := filepath.Join(t.TempDir(), "triage.openvex.json")
	os.WriteFile(vexFile, []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-2024-37890"},
"products":[{"@id":"pkg:npm/ws@7.5.9"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}`), 0o644)
	args := []string{"scan", lock, "--db", db, "--vex", vexFile, "-o", "csaf", "--product", "npm-cli", "--product-version", "10.9.0",
		"--csaf-namespace", "https://npm.example", "--csaf-publisher", "npm Example"}
	code, out, errs := run(t, args...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	schematest.ValidateCSAF(t, schematest.CSAF20, "scan -o csaf", []byte(out))
	if probs, err := vex.CheckCSAF([]byte(out)); err != nil || len(probs) > 0 {
		t.Errorf("mandatory tests: %v %v", err, probs)
	}
	if !strings.Contains(out, `"id": "hallmark-vex-npm-cli-10.9.0"`) || !strings.Contains(out, `"initial_release_date": "2023-11-14T22:13:20.000Z"`) {
		t.Errorf("tracking: %.1500s", out)
	}
	schematest.BSIValidateCSAF(t, map[string][]byte{"scan -o csaf of npm/cli": []byte(out)})
	if !strings.Contains(out, `"vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"`) {
		t.Error("ws's CVSS v3.1 vector is not among the scores")
	}
	if _, again, _ := run(t, args...); again != out {
		t.Error("two scans gave different documents")
	}
	stmts, err := vex.Parse([]byte(out), "csaf")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range stmts {
		if s.Vulnerability == "CVE-2024-37890" && s.Products[0] == "pkg:npm/ws@7.5.9" {
			found = s.Status == "not_affected" && s.Justification == "vulnerable_code_not_in_execute_path"
		}
	}
	if !found {
		t.Errorf("ws not_affected not read back: %+v", stmts)
	}
	// The CSAF document as VEX input to another scan: ws is suppressed.
	csafFile := filepath.Join(t.TempDir(), "npm-cli.csaf.json")
	os.WriteFile(csafFile, []byte(out), 0o644)
	code, js, errs := run(t, "scan", lock, "--db", db, "--vex", csafFile, "-o", "json")
	if code != ExitOK || !strings.Contains(js, `"statusSource": "`+csafFile+`"`) || !strings.Contains(errs, "suppressed by VEX") {
		t.Errorf("scan --vex CSAF: %d %s", code, errs)
	}
	if code, _, errs := run(t, "scan", lock, "--db", db, "-o", "csaf"); code != ExitError || !strings.Contains(errs, "--product-version") {
		t.Errorf("without product version: %d %s", code, errs)
	}
}
