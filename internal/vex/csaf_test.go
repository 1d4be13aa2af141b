package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/schematest"
)

// csafTC is a checkout of the CSAF TC's repository (github.com/oasis-tcs/csaf),
// named by HALLMARK_CSAF_TC: its test documents and examples are another
// project's files and are not kept in this repository (testdata/csaf/SOURCES.md
// names the commit they were checked at). Without it the tests that need them
// skip, saying so; the BSI validator still checks every document hallmark
// writes (TestCSAFBSIValidator).
func csafTC(t testing.TB) (data, examples string) {
	t.Helper()
	root := os.Getenv("HALLMARK_CSAF_TC")
	if root == "" {
		t.Skip("HALLMARK_CSAF_TC not set: the CSAF TC's test documents are read from a checkout of github.com/oasis-tcs/csaf (testdata/csaf/SOURCES.md)")
	}
	data, examples = filepath.Join(root, "csaf_2.0", "test", "validator", "data"), filepath.Join(root, "csaf_2.0", "examples", "csaf", "csaf_vex")
	if _, err := os.Stat(filepath.Join(data, "testcases.json")); err != nil {
		t.Fatalf("HALLMARK_CSAF_TC=%s is not a checkout of oasis-tcs/csaf: %v", root, err)
	}
	return data, examples
}

// TestCSAFOfficialTestCases runs CheckCSAF on the CSAF TC's test documents
// for every test it implements: each file the TC lists as failing a test
// fails it, each listed as valid passes it.
func TestCSAFOfficialTestCases(t *testing.T) {
	data, _ := csafTC(t)
	b, err := os.ReadFile(filepath.Join(data, "testcases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tc struct {
		Tests []struct {
			ID       string `json:"id"`
			Failures []struct {
				Name string `json:"name"`
			} `json:"failures"`
			Valid []struct {
				Name string `json:"name"`
			} `json:"valid"`
		} `json:"tests"`
	}
	if err := json.Unmarshal(b, &tc); err != nil {
		t.Fatal(err)
	}
	ran := map[string]int{}
	for _, test := range tc.Tests {
		if !slices.Contains(CSAFTests, test.ID) {
			continue
		}
		check := func(name string, wantFail bool) {
			doc, err := os.ReadFile(filepath.Join(data, name))
			if err != nil {
				t.Fatalf("%s: %v", test.ID, err)
			}
			probs, err := CheckCSAF(doc)
			if err != nil {
				t.Fatalf("%s: CheckCSAF: %v", name, err)
			}
			failed := false
			for _, p := range probs {
				failed = failed || p.Test == test.ID
			}
			if failed != wantFail {
				t.Errorf("%s: test %s failed = %v, want %v; problems: %v", name, test.ID, failed, wantFail, probs)
			}
			ran[test.ID]++
		}
		for _, f := range test.Failures {
			check(f.Name, true)
		}
		for _, v := range test.Valid {
			check(v.Name, false)
		}
	}
	for _, id := range CSAFTests {
		if ran[id] == 0 {
			t.Errorf("test %s has no official test document", id)
		}
	}
}

func readExamples(t *testing.T) map[string][]byte {
	t.Helper()
	_, examples := csafTC(t)
	files, err := filepath.Glob(filepath.Join(examples, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CSAF VEX examples: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

// The TC's CSAF VEX examples pass every implemented test and read as
// statements.
func TestCSAFExamples(t *testing.T) {
	for name, b := range readExamples(t) {
		probs, err := CheckCSAF(b)
		if err != nil || len(probs) > 0 {
			t.Errorf("%s: %v %v", name, err, probs)
		}
		stmts, err := Parse(b, name)
		if err != nil {
			t.Errorf("%s: Parse: %v", name, err)
			continue
		}
		if len(stmts) == 0 {
			t.Errorf("%s: no statements", name)
		}
	}
	// One example read in full: Secvisogram not affected by Log4Shell.
	stmts, err := Parse(readExamples(t)["sec-vex-2022-0001.json"], "sec")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if !strings.HasPrefix(s.Vulnerability, "CVE-2021-4") || s.Status != match.StatusNotAffected || s.Justification != "component_not_present" {
			t.Errorf("statement %+v", s)
		}
	}
}

var (
	t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(24 * time.Hour)
	t2 = t1.Add(time.Hour)
)

func sampleInput() CSAFInput {
	ws := CSAFComponent{Ref: "pkg:npm/ws@7.5.9", Name: "ws", Version: "7.5.9", PURL: "pkg:npm/ws@7.5.9"}
	lodash := CSAFComponent{Ref: "pkg:npm/lodash@4.17.20", Name: "lodash", Version: "4.17.20", PURL: "pkg:npm/lodash@4.17.20"}
	local := CSAFComponent{Ref: "app-local-lib", Name: "local-lib", Version: "0.1"}
	resolved := t2
	return CSAFInput{
		Publisher:     CSAFPublisher{Name: "Example Corp", Namespace: "https://example.com"},
		Product:       "app",
		EngineVersion: "1.0.0",
		Releases: []CSAFRelease{{
			Version: "1.2.0", Recorded: t0,
			Findings: []CSAFFinding{
				{Vulnerability: "GHSA-3h5v-q93c-6h6q", Aliases: []string{"CVE-2024-37890"}, Component: ws, Summary: "ws DoS with many HTTP headers",
					Severity: "HIGH", Score: 7.5, CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", ComponentFixed: []string{"7.5.10"}, FirstSeen: t0},
				{Vulnerability: "GHSA-35jh-r3h4-6jhm", Aliases: []string{"CVE-2021-23337"}, Component: lodash, Summary: "Command injection in lodash",
					FirstSeen: t0, Triage: []Triage{
						{Status: match.StatusUnderInvestigation, Author: "alice", At: t1},
						{Status: match.StatusNotAffected, Justification: "vulnerable_code_not_in_execute_path", Detail: "template() is never called.", Author: "alice", At: t2}}},
				{Vulnerability: "OSV-LOCAL-1", Component: local, FirstSeen: t1, Resolved: &resolved},
			},
		}, {
			Version: "1.3.0", Recorded: t1,
			Findings: []CSAFFinding{
				// GO-... aliases the same CVE as the GHSA above: one vulnerability.
				{Vulnerability: "GO-2024-0001", Aliases: []string{"CVE-2024-37890"}, Component: ws, FirstSeen: t1,
					Triage: []Triage{{Status: match.StatusFixed, Detail: "patched", Author: "bob", At: t2}}},
				{Vulnerability: "GHSA-35jh-r3h4-6jhm", Aliases: []string{"CVE-2021-23337"}, Component: lodash, FirstSeen: t1,
					Triage: []Triage{{Status: match.StatusAffected, FixedIn: "1.3.1", Author: "bob", At: t2}}},
				{Vulnerability: "MAL-2026-1", Component: local, FirstSeen: t2,
					Triage: []Triage{{Status: match.StatusUnderInvestigation, Author: "bob", At: t2}}},
			},
		}},
	}
}

func TestWriteCSAF(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSAF(&buf, sampleInput()); err != nil {
		t.Fatal(err)
	}
	doc := buf.Bytes()
	schematest.ValidateCSAF(t, schematest.CSAF20, "CSAF VEX", doc)
	probs, err := CheckCSAF(doc)
	if err != nil || len(probs) > 0 {
		t.Errorf("mandatory tests: %v %v\n%s", err, probs, doc)
	}
	var again bytes.Buffer
	WriteCSAF(&again, sampleInput())
	if !bytes.Equal(doc, again.Bytes()) {
		t.Error("the same input gave different documents")
	}

	var d csafDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	tr := d.Document.Tracking
	if d.Document.Category != "csaf_vex" || tr.ID != "hallmark-vex-app-1.2.0-1.3.0" || tr.Version != "3" || len(tr.RevisionHistory) != 3 ||
		tr.InitialReleaseDate != "2026-03-01T09:00:00.000Z" || tr.CurrentReleaseDate != "2026-03-02T10:00:00.000Z" || tr.Status != "final" {
		t.Errorf("tracking %+v", tr)
	}
	if !strings.Contains(tr.RevisionHistory[2].Summary, "No longer applies: OSV-LOCAL-1") {
		t.Errorf("last revision %q does not say the finding was resolved", tr.RevisionHistory[2].Summary)
	}
	if got := CSAFFilename(tr.ID); got != "hallmark-vex-app-1_2_0-1_3_0.json" {
		t.Errorf("file name %q", got)
	}
	var cvesGot []string
	for _, v := range d.Vulnerabilities {
		cvesGot = append(cvesGot, v.CVE+"|"+v.Title)
	}
	want := []string{"CVE-2021-23337|CVE-2021-23337: Command injection in lodash", "CVE-2024-37890|CVE-2024-37890: ws DoS with many HTTP headers", "|MAL-2026-1"}
	if diff := cmp.Diff(want, cvesGot); diff != "" {
		t.Errorf("vulnerabilities (-want +got):\n%s", diff)
	}
	lodash := d.Vulnerabilities[0]
	if diff := cmp.Diff(&csafStatus{
		KnownAffected:    []string{"release:app@1.3.0/component:pkg:npm/lodash@4.17.20"},
		KnownNotAffected: []string{"release:app@1.2.0/component:pkg:npm/lodash@4.17.20"},
	}, lodash.ProductStatus); diff != "" {
		t.Errorf("lodash status (-want +got):\n%s", diff)
	}
	if len(lodash.Flags) != 1 || lodash.Flags[0].Label != "vulnerable_code_not_in_execute_path" ||
		len(lodash.Remediations) != 1 || lodash.Remediations[0].Category != "vendor_fix" || lodash.Remediations[0].Details != "Upgrade app to 1.3.1 or later." {
		t.Errorf("lodash flags %+v remediations %+v", lodash.Flags, lodash.Remediations)
	}
	ws := d.Vulnerabilities[1]
	if diff := cmp.Diff([]csafID{{"GitHub Security Advisories", "GHSA-3h5v-q93c-6h6q"}, {"Go Vulnerability Database", "GO-2024-0001"}}, ws.IDs); diff != "" {
		t.Errorf("ws ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]csafScore{{CVSSV3: &csafCVSS3{Version: "3.1", VectorString: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", BaseScore: 7.5, BaseSeverity: "HIGH"},
		Products: []string{"release:app@1.2.0/component:pkg:npm/ws@7.5.9"}}}, ws.Scores); diff != "" {
		t.Errorf("ws scores (-want +got):\n%s", diff)
	}
	if ws.Remediations[0].Category != "none_available" || !strings.Contains(ws.Remediations[0].Details, "fixed in 7.5.10") {
		t.Errorf("ws remediation %+v", ws.Remediations)
	}
	// The component without purl has no helper; the others have theirs.
	for _, p := range d.ProductTree.FullProductNames {
		if (p.Helper == nil) != (p.ProductID == "component:app-local-lib") {
			t.Errorf("product %+v", p)
		}
	}

	// Read back: the statements say what the input's triage says.
	stmts, err := Parse(doc, "csaf")
	if err != nil {
		t.Fatal(err)
	}
	type st struct{ Vuln, Prod, Status, Just string }
	var got []st
	for _, s := range stmts {
		got = append(got, st{s.Vulnerability, s.Products[0], string(s.Status), s.Justification})
	}
	wantSt := []st{
		{"CVE-2021-23337", "pkg:npm/lodash@4.17.20", "affected", ""},
		{"CVE-2021-23337", "pkg:npm/lodash@4.17.20", "not_affected", "vulnerable_code_not_in_execute_path"},
		{"CVE-2024-37890", "pkg:npm/ws@7.5.9", "fixed", ""},
		{"CVE-2024-37890", "pkg:npm/ws@7.5.9", "affected", ""},
		{"MAL-2026-1", "release:app@1.3.0/component:app-local-lib", "under_investigation", ""},
	}
	if diff := cmp.Diff(wantSt, got); diff != "" {
		t.Errorf("statements read back (-want +got):\n%s", diff)
	}
}

// The BSI's validator (a second implementation of the schema and every
// mandatory test, 6.1.7-6.1.26 included) passes what WriteCSAF writes;
// and it fails a document the TC says fails, so it is really checking.
func TestCSAFBSIValidator(t *testing.T) {
	docs := map[string][]byte{}
	var buf bytes.Buffer
	if err := WriteCSAF(&buf, sampleInput()); err != nil {
		t.Fatal(err)
	}
	docs["sample"] = buf.Bytes()
	in := sampleInput()
	in.BaseURL = "https://example.com/.well-known/csaf/white"
	in.Publisher.ContactDetails = "psirt@example.com"
	buf = bytes.Buffer{}
	WriteCSAF(&buf, in)
	docs["sample with canonical URL"] = buf.Bytes()
	if os.Getenv("HALLMARK_CSAF_TC") != "" {
		data, _ := csafTC(t)
		bad, err := os.ReadFile(filepath.Join(data, "mandatory", "oasis_csaf_tc-csaf_2_0-2021-6-1-27-09-01.json"))
		if err != nil {
			t.Fatal(err)
		}
		docs["6.1.27.9 failure"] = bad
	}
	for _, r := range schematest.BSIRun(t, docs) {
		if r.File == "6.1.27.9 failure" {
			if r.IsValid {
				t.Error("the BSI validator passed a document the TC says fails 6.1.27.9")
			}
			continue
		}
		if !r.IsValid {
			t.Errorf("%s fails the BSI validator: %+v", r.File, r.Failed)
		}
		for _, o := range r.Optional {
			t.Logf("%s: optional test %s: %v", r.File, o.Name, o.Warnings)
			if o.Name == "optionalTest_6_2_11" && r.File == "sample with canonical URL" {
				t.Errorf("canonical URL still missing: %v", o.Warnings)
			}
		}
	}
}

func TestWriteCSAFRefuses(t *testing.T) {
	in := sampleInput()
	for i := range in.Releases {
		for j := range in.Releases[i].Findings {
			r := t2
			in.Releases[i].Findings[j].Resolved = &r
		}
	}
	if err := WriteCSAF(&bytes.Buffer{}, in); !errors.Is(err, ErrNoVulnerabilities) {
		t.Errorf("all resolved: err = %v, want ErrNoVulnerabilities", err)
	}
	in = sampleInput()
	in.Publisher.Namespace = "example.com"
	if err := WriteCSAF(&bytes.Buffer{}, in); err == nil {
		t.Error("a namespace that is no URL was accepted")
	}
}

// A finding with no times at all still gives a valid, stable document.
func TestWriteCSAFNoTimes(t *testing.T) {
	in := CSAFInput{Publisher: CSAFPublisher{Name: "X", Namespace: "https://x.example"}, Product: "p",
		Releases: []CSAFRelease{{Version: "1", Findings: []CSAFFinding{{Vulnerability: "CVE-2024-0001", Component: CSAFComponent{Ref: "c"}}}}}}
	var buf bytes.Buffer
	if err := WriteCSAF(&buf, in); err != nil {
		t.Fatal(err)
	}
	schematest.ValidateCSAF(t, schematest.CSAF20, "minimal", buf.Bytes())
	if probs, _ := CheckCSAF(buf.Bytes()); len(probs) > 0 {
		t.Error(probs)
	}
}

func TestParseCSAFMalformed(t *testing.T) {
	head := `{"document":{"csaf_version":"2.0","category":"csaf_vex"},`
	for _, tt := range []struct{ name, in string }{
		{"truncated", head + `"vulnerabilities":[`},
		{"no vulnerabilities", head + `"product_tree":{}}`},
		{"vulnerabilities not an array", head + `"vulnerabilities":{"a":1}}`},
		{"no ids", head + `"vulnerabilities":[{"product_status":{"fixed":["a"]}}]}`},
		{"unknown status list", head + `"vulnerabilities":[{"cve":"CVE-2024-0001","product_status":{"maybe_affected":["a"]}}]}`},
		{"not affected without impact", head + `"vulnerabilities":[{"cve":"CVE-2024-0001","product_status":{"known_not_affected":["a"]}}]}`},
		{"product ids not strings", head + `"vulnerabilities":[{"cve":"CVE-2024-0001","product_status":{"fixed":[1]}}]}`},
		{"deep branches", head + `"product_tree":{"branches":` + strings.Repeat(`[{"branches":`, 200) + `[]` + strings.Repeat(`}]`, 200) + `},"vulnerabilities":[]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stmts, err := Parse([]byte(tt.in), "t")
			if tt.name == "deep branches" {
				// Deep but well-formed: read without recursing past the limit.
				if err != nil || len(stmts) != 0 {
					t.Errorf("stmts %v err %v", stmts, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := CheckCSAF([]byte(`[1,2]`)); !errors.Is(err, ErrInvalid) {
		t.Errorf("CheckCSAF of an array: %v", err)
	}
}

func FuzzCheckCSAF(f *testing.F) {
	var buf bytes.Buffer
	WriteCSAF(&buf, sampleInput())
	f.Add(buf.Bytes())
	if root := os.Getenv("HALLMARK_CSAF_TC"); root != "" {
		for _, name := range []string{"2022-evd-uc-03-ms-001.json", "2022-evd-uc-01-na-001.json"} {
			if b, err := os.ReadFile(filepath.Join(root, "csaf_2.0", "examples", "csaf", "csaf_vex", name)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"document":{"csaf_version":"2.0","category":"csaf_vex"},"product_tree":{"relationships":[{"full_product_name":{"product_id":"a"},"product_reference":"a","relates_to_product_reference":"a"}]},"vulnerabilities":[{"product_status":{"known_affected":["a"]},"flags":[{"label":"component_not_present","group_ids":["g"]}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		probs, err := CheckCSAF(b)
		if err != nil {
			return
		}
		for _, p := range probs {
			if !slices.Contains(CSAFTests, p.Test) {
				t.Fatalf("problem of a test not run: %v", p)
			}
		}
		stmts, err := Parse(b, "fuzz")
		if err != nil {
			return
		}
		for _, s := range stmts {
			if s.Vulnerability == "" || s.Status == "" || len(s.Products) == 0 {
				t.Fatalf("statement %+v", s)
			}
		}
	})
}

// 6.1.3 on cycles longer than the TC's self-reference, and on a chain
// long enough that a recursive walk would be a risk.
func TestCheckCSAFCircular(t *testing.T) {
	rel := func(id, a, b string) string {
		return `{"category":"installed_on","full_product_name":{"name":"` + id + `","product_id":"` + id + `"},"product_reference":"` + a + `","relates_to_product_reference":"` + b + `"}`
	}
	doc := func(rels []string) []byte {
		return []byte(`{"document":{"category":"csaf_base","csaf_version":"2.0"},"product_tree":{"full_product_names":[{"name":"x","product_id":"x"}],"relationships":[` +
			strings.Join(rels, ",") + `]}}`)
	}
	count := func(b []byte) int {
		probs, err := CheckCSAF(b)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range probs {
			if p.Test == "6.1.3" {
				n++
			}
		}
		return n
	}
	if n := count(doc([]string{rel("a", "x", "b"), rel("b", "x", "c"), rel("c", "a", "x"), rel("d", "a", "x")})); n != 3 {
		t.Errorf("a -> b -> c -> a: %d problems, want 3 (d only refers to the cycle)", n)
	}
	chain := []string{rel("p0", "x", "x")}
	for i := 1; i < 100_000; i++ {
		chain = append(chain, rel(fmt.Sprint("p", i), fmt.Sprint("p", i-1), "x"))
	}
	if n := count(doc(chain)); n != 0 {
		t.Errorf("a chain of 100,000: %d problems", n)
	}
	chain[0] = rel("p0", "p99999", "x")
	if n := count(doc(chain)); n != 100_000 {
		t.Errorf("a cycle of 100,000: %d problems", n)
	}
}
