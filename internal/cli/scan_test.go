package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/schematest"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

// run runs the CLI with HALLMARK_DB unset in the environment it sees.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1700000000"
		}
		return ""
	}}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	code = ExitOK
	if err := root.ExecuteContext(context.Background()); err != nil {
		code = ExitError
		var ee *exitError
		if asExit(err, &ee) {
			code = ee.code
		}
		errb.WriteString("hallmark: " + err.Error() + "\n")
	}
	return code, out.String(), errb.String()
}

func asExit(err error, target **exitError) bool {
	for err != nil {
		if ee, ok := err.(*exitError); ok {
			*target = ee
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

var (
	npmDBOnce sync.Once
	npmDB     string
)

// importNPM imports the npm and PyPI folders of ../shared/osv once.
func importNPM(t *testing.T) string {
	t.Helper()
	osvDir := sharedtest.Path(t, "osv")
	npmDBOnce.Do(func() {
		d, err := os.MkdirTemp("", "hallmark-cli-db-")
		if err != nil {
			t.Fatal(err)
		}
		code, out, errs := run(t, "db", "import", osvDir, "--db", d, "--ecosystem", "npm", "--ecosystem", "PyPI")
		if code != 0 {
			t.Fatalf("db import: exit %d\n%s%s", code, out, errs)
		}
		npmDB = d
	})
	return npmDB
}

func TestScanNoData(t *testing.T) {
	lock := sharedtest.Path(t, "corpus/npm/npm__cli/package-lock.json")
	code, out, errs := run(t, "scan", lock, "--db", t.TempDir())
	if code != ExitNoData {
		t.Fatalf("exit %d, want %d (no data)\n%s", code, ExitNoData, errs)
	}
	if out != "" || !strings.Contains(errs, "no vulnerability data") || !strings.Contains(errs, "hallmark db import") || !strings.Contains(errs, "hallmark db update") {
		t.Errorf("stdout %q, stderr %q: want nothing on stdout and how to get data on stderr", out, errs)
	}
	if strings.Contains(strings.ToLower(out+errs), "no vulnerabilities") {
		t.Error("an empty database must never say 'no vulnerabilities'")
	}
	code, _, errs = run(t, "db", "status", "--db", t.TempDir())
	if code != ExitNoData || !strings.Contains(errs, "no vulnerability data") {
		t.Errorf("db status on empty dir: exit %d, %q", code, errs)
	}
}

func TestScanOutputsValidate(t *testing.T) {
	db := importNPM(t)
	lock := sharedtest.Path(t, "corpus/npm/npm__cli/package-lock.json")
	for _, tt := range []struct {
		format, schema string
	}{
		{"sarif", schematest.SARIF210},
		{"openvex", schematest.OpenVEX},
		{"cyclonedx-json", schematest.CycloneDX17},
	} {
		t.Run(tt.format, func(t *testing.T) {
			code, out, errs := run(t, "scan", lock, "--db", db, "-o", tt.format)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			schematest.Validate(t, tt.schema, tt.format, []byte(out))
			if !strings.Contains(out, "GHSA-3h5v-q93c-6h6q") {
				t.Errorf("%s output lacks the ws finding GHSA-3h5v-q93c-6h6q", tt.format)
			}
		})
	}
	code, out, _ := run(t, "scan", lock, "--db", db, "-o", "cyclonedx-json", "--cyclonedx-version", "1.6")
	if code != 0 {
		t.Fatal(code)
	}
	schematest.Validate(t, schematest.CycloneDX16, "cyclonedx-json 1.6", []byte(out))
}

func TestScanSARIFLocatesLockfileLine(t *testing.T) {
	db := importNPM(t)
	lock := sharedtest.Path(t, "corpus/npm/npm__cli/package-lock.json")
	_, out, _ := run(t, "scan", lock, "--db", db, "-o", "sarif")
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }     `json:"artifactLocation"`
						Region           *struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(lock)
	lines := strings.Split(string(b), "\n")
	found := false
	for _, r := range log.Runs[0].Results {
		if r.RuleID != "GHSA-3h5v-q93c-6h6q" {
			continue
		}
		found = true
		l := r.Locations[0].PhysicalLocation
		if !strings.HasSuffix(l.ArtifactLocation.URI, "package-lock.json") {
			t.Errorf("uri = %q", l.ArtifactLocation.URI)
		}
		if l.Region == nil || l.Region.StartLine < 1 || l.Region.StartLine > len(lines) || !strings.Contains(lines[l.Region.StartLine-1], "node_modules/ws") {
			t.Errorf("region = %+v, want the line of node_modules/ws", l.Region)
		}
	}
	if !found {
		t.Error("no result for ws")
	}
}

func TestScanFailOnAndJSON(t *testing.T) {
	db := importNPM(t)
	lock := sharedtest.Path(t, "corpus/npm/npm__cli/package-lock.json")
	// ws 7.5.9 (GHSA-3h5v-q93c-6h6q) and node-fetch 2.7.0 (GHSA-r683-j2x4-v87g) are HIGH.
	for _, tt := range []struct {
		failOn string
		code   int
	}{{"none", ExitOK}, {"high", ExitFindings}, {"critical", ExitOK}, {"low", ExitFindings}} {
		code, _, errs := run(t, "scan", lock, "--db", db, "--fail-on", tt.failOn, "-o", "json")
		if code != tt.code {
			t.Errorf("--fail-on %s: exit %d, want %d (%s)", tt.failOn, code, tt.code, errs)
		}
	}
	code, out, _ := run(t, "scan", lock, "--db", db, "-o", "json")
	if code != 0 {
		t.Fatal(code)
	}
	var rep struct {
		Schema  string `json:"schema"`
		Summary struct {
			Findings   int            `json:"findings"`
			BySeverity map[string]int `json:"bySeverity"`
		} `json:"summary"`
		Packages []struct {
			Name, Upgrade string
		} `json:"packages"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Schema == "" || rep.Summary.Findings != 2 || rep.Summary.BySeverity["HIGH"] != 2 {
		t.Errorf("report = %+v", rep)
	}
	ups := map[string]string{}
	for _, p := range rep.Packages {
		ups[p.Name] = p.Upgrade
	}
	if ups["ws"] != "7.5.10" || ups["node-fetch"] != "3.1.1" {
		t.Errorf("upgrades = %v", ups)
	}
	if code, _, errs := run(t, "scan", lock, "--db", db, "--fail-on", "severe"); code != ExitError || !strings.Contains(errs, "--fail-on") {
		t.Errorf("bad --fail-on: exit %d %q", code, errs)
	}
}

func TestScanVEX(t *testing.T) {
	db := importNPM(t)
	lock := sharedtest.Path(t, "corpus/npm/npm__cli/package-lock.json")
	dir := t.TempDir()
	openvex := filepath.Join(dir, "triage.openvex.json")
	os.WriteFile(openvex, []byte(`{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/1",
  "author": "Security Team",
  "timestamp": "2024-10-20T10:00:00Z",
  "version": 1,
  "statements": [{
    "vulnerability": {"name": "CVE-2024-37890"},
    "products": [{"@id": "pkg:npm/ws"}],
    "status": "not_affected",
    "justification": "vulnerable_code_not_in_execute_path",
    "impact_statement": "ws only talks to our own server"
  }]
}`), 0o644)
	cdx := filepath.Join(dir, "triage.cdx.json")
	os.WriteFile(cdx, []byte(`{
  "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "vulnerabilities": [{
    "id": "GHSA-r683-j2x4-v87g",
    "analysis": {"state": "resolved", "detail": "patched in our fork"},
    "affects": [{"ref": "pkg:npm/node-fetch@2.7.0"}]
  }]
}`), 0o644)
	code, out, errs := run(t, "scan", lock, "--db", db, "--vex", openvex, "--vex", cdx, "--fail-on", "low")
	if code != ExitOK {
		t.Fatalf("exit %d, want 0: both findings suppressed\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"Suppressed by VEX (2)", "vulnerable_code_not_in_execute_path", "not_affected", "fixed", "0 findings"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = run(t, "scan", lock, "--db", db, "--vex", openvex, "-o", "openvex")
	if code != 0 {
		t.Fatal(code)
	}
	schematest.Validate(t, schematest.OpenVEX, "openvex with VEX applied", []byte(out))
	if !strings.Contains(out, `"status": "not_affected"`) {
		t.Errorf("openvex output lacks the not_affected statement")
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"hello": 1}`), 0o644)
	if code, _, errs := run(t, "scan", lock, "--db", db, "--vex", bad); code != ExitError || !strings.Contains(errs, "bad.json") {
		t.Errorf("bad VEX: exit %d %q", code, errs)
	}
}

func TestScanUnchecked(t *testing.T) {
	db := importNPM(t)
	// A CycloneDX SBOM with a package without version and one of an
	// ecosystem hallmark has no data for.
	sb := filepath.Join(t.TempDir(), "app.cdx.json")
	os.WriteFile(sb, []byte(`{
  "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "components": [
    {"type": "library", "bom-ref": "a", "name": "left-pad", "purl": "pkg:npm/left-pad"},
    {"type": "library", "bom-ref": "b", "name": "rails", "version": "7.0.0", "purl": "pkg:gem/rails@7.0.0"},
    {"type": "library", "bom-ref": "c", "name": "ws", "version": "8.17.1", "purl": "pkg:npm/ws@8.17.1"}
  ]
}`), 0o644)
	// Unchecked packages are listed and counted, never clean, but they do
	// not fail the run: the input was read whole.
	code, out, errs := run(t, "scan", sb, "--db", db)
	if code != ExitOK {
		t.Fatalf("exit %d, want %d (unchecked only)\n%s%s", code, ExitOK, out, errs)
	}
	for _, want := range []string{"Not checked (2)", "no version", "no vulnerability data for ecosystem RubyGems", "3 packages: 1 checked, 2 not checked"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// --fail-on-unchecked restores the strict gate.
	code, _, errs = run(t, "scan", sb, "--db", db, "--fail-on-unchecked")
	if code != ExitIncomplete || !strings.Contains(errs, "--fail-on-unchecked: 2 package(s) not checked") {
		t.Fatalf("--fail-on-unchecked: exit %d, want %d\n%s", code, ExitIncomplete, errs)
	}
}

func TestDBStatus(t *testing.T) {
	db := importNPM(t)
	code, out, errs := run(t, "db", "status", "--db", db)
	if code != 0 {
		t.Fatalf("exit %d %s", code, errs)
	}
	for _, want := range []string{"npm", "PyPI", "ADVISORIES", "FETCHED", "AGE", "SOURCE"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}
