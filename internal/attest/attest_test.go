package attest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestGitHubProvenance: in GitHub Actions the predicate has the shape npm's
// provenance for sigstore 2.0.0 has (buildType, workflow parameters, the
// git commit as resolved dependency, runner builder id, run invocation id).
func TestGitHubProvenance(t *testing.T) {
	b, ok := FromEnv(env(map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "sigstore/sigstore-js",
		"GITHUB_WORKFLOW_REF": "sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main", "GITHUB_REF": "refs/heads/main",
		"GITHUB_SHA": "f0b49a04e5a62250e0f60fb128004a73110fe311", "GITHUB_RUN_ID": "5904696764", "GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_EVENT_NAME": "push", "GITHUB_REPOSITORY_ID": "495574555", "GITHUB_REPOSITORY_OWNER_ID": "71096353",
		"RUNNER_ENVIRONMENT": "github-hosted",
	}))
	if !ok || b.CI != "github-actions" {
		t.Fatalf("GitHub Actions not detected: %+v", b)
	}
	raw, err := b.Provenance()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"buildDefinition": map[string]any{
			"buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
			"externalParameters": map[string]any{"workflow": map[string]any{
				"ref": "refs/heads/main", "repository": "https://github.com/sigstore/sigstore-js", "path": ".github/workflows/release.yml"}},
			"internalParameters": map[string]any{"github": map[string]any{
				"event_name": "push", "repository_id": "495574555", "repository_owner_id": "71096353", "runner_environment": "github-hosted"}},
			"resolvedDependencies": []any{map[string]any{
				"uri":    "git+https://github.com/sigstore/sigstore-js@refs/heads/main",
				"digest": map[string]any{"gitCommit": "f0b49a04e5a62250e0f60fb128004a73110fe311"}}},
		},
		"runDetails": map[string]any{
			"builder":  map[string]any{"id": "https://github.com/actions/runner/github-hosted"},
			"metadata": map[string]any{"invocationId": "https://github.com/sigstore/sigstore-js/actions/runs/5904696764/attempts/1"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("provenance diff (-want +got):\n%s", diff)
	}
}

func TestGitLabProvenance(t *testing.T) {
	b, ok := FromEnv(env(map[string]string{
		"GITLAB_CI": "true", "CI_SERVER_URL": "https://gitlab.example.com", "CI_PROJECT_PATH": "team/app",
		"CI_PROJECT_URL": "https://gitlab.example.com/team/app", "CI_COMMIT_SHA": "AABBCCDDEEFF00112233445566778899AABBCCDD",
		"CI_COMMIT_REF_NAME": "v1.2.3", "CI_COMMIT_TAG": "v1.2.3", "CI_JOB_URL": "https://gitlab.example.com/team/app/-/jobs/77",
		"CI_RUNNER_ID": "12", "CI_JOB_STARTED_AT": "2025-01-02T03:04:05Z", "CI_PIPELINE_SOURCE": "push",
	}))
	if !ok || b.CI != "gitlab-ci" {
		t.Fatal("GitLab CI not detected")
	}
	raw, err := b.Provenance()
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, want := range []string{
		`"id":"https://gitlab.example.com/team/app/-/runners/12"`,
		`"uri":"git+https://gitlab.example.com/team/app@refs/tags/v1.2.3"`,
		`"gitCommit":"aabbccddeeff00112233445566778899aabbccdd"`,
		`"invocationId":"https://gitlab.example.com/team/app/-/jobs/77"`,
		`"startedOn":"2025-01-02T03:04:05Z"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("provenance lacks %s:\n%s", want, s)
		}
	}
}

func TestGenericProvenanceNeedsBuilder(t *testing.T) {
	b, ok := FromEnv(env(nil))
	if ok {
		t.Fatal("CI detected in an empty environment")
	}
	if _, err := b.Provenance(); err == nil || !strings.Contains(err.Error(), "builder id") {
		t.Errorf("no builder: %v", err)
	}
	b.BuilderID = "https://ci.example.com/b"
	if _, err := b.Provenance(); err == nil || !strings.Contains(err.Error(), "external parameters") {
		t.Errorf("no external parameters: %v", err)
	}
	b.SourceURI = "https://git.example.com/app"
	doc := &sbom.Document{Packages: []sbom.Package{
		{Name: "lodash", Version: "4.17.21", PURL: "pkg:npm/lodash@4.17.21", Hashes: []sbom.Hash{{Algorithm: sbom.SHA512, Value: strings.Repeat("AB", 64)}, {Algorithm: sbom.SHA256, Value: "bad"}}},
		{Name: "left-pad", Version: "1.3.0", PURL: "pkg:npm/left-pad@1.3.0"},
		{Name: "left-pad", Version: "1.3.0", PURL: "pkg:npm/left-pad@1.3.0"},
	}}
	b.Dependencies = SBOMDependencies(doc)
	raw, err := b.Provenance()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `{"uri":"pkg:npm/left-pad@1.3.0"},{"uri":"pkg:npm/lodash@4.17.21","digest":{"sha512":"`+strings.Repeat("ab", 64)+`"}}`) {
		t.Errorf("SBOM dependencies missing or unsorted: %s", raw)
	}
}

func TestStatement(t *testing.T) {
	st, err := Statement([]Subject{{Name: "app.tgz", Digest: map[string]string{"sha256": strings.Repeat("0", 64)}}},
		"https://cyclonedx.org/bom", []byte(`{ "bomFormat": "CycloneDX", "version": 12345678901234567890 }`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.tgz","digest":{"sha256":"` + strings.Repeat("0", 64) +
		`"}}],"predicateType":"https://cyclonedx.org/bom","predicate":{"bomFormat":"CycloneDX","version":12345678901234567890}}`
	if string(st) != want {
		t.Errorf("statement\n got %s\nwant %s", st, want)
	}
	for _, bad := range []string{`[]`, `"x"`, `{`, ``} {
		if _, err := Statement([]Subject{{Name: "a", Digest: map[string]string{"sha256": "00"}}}, "t", []byte(bad)); err == nil {
			t.Errorf("predicate %q accepted", bad)
		}
	}
	if _, err := Statement(nil, "t", []byte(`{}`)); err == nil {
		t.Error("statement without subject accepted")
	}
}

func TestCheckPredicate(t *testing.T) {
	tests := []struct{ kind, pred, err string }{
		{"cyclonedx", `{"bomFormat":"CycloneDX"}`, ""},
		{"cyclonedx", `{"spdxVersion":"SPDX-2.3"}`, "not a CycloneDX BOM"},
		{"spdx", `{"spdxVersion":"SPDX-2.3"}`, ""},
		{"spdx", `{"bomFormat":"CycloneDX"}`, "not an SPDX document"},
		{"openvex", `{"@context":"https://openvex.dev/ns/v0.2.0"}`, ""},
		{"openvex", `{}`, "not an OpenVEX document"},
		{"vulns", `{"scanner":{}}`, ""},
		{"vulns", `{"matches":[]}`, "not an in-toto vulns predicate"},
		{"slsa-provenance", `{"buildDefinition":{},"runDetails":{}}`, ""},
		{"slsa-provenance", `{"builder":{}}`, "not SLSA Provenance v1"},
		{"custom", `{"anything":1}`, ""},
		{"custom", `[1]`, "not a JSON object"},
	}
	for _, tt := range tests {
		pt, err := PredicateType(tt.kind)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckPredicate(pt, []byte(tt.pred))
		if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("CheckPredicate(%s, %s) = %v, want %q", tt.kind, tt.pred, err, tt.err)
		}
	}
}

func TestVulnsFromScan(t *testing.T) {
	report := `{"schema":"https://hallmark.dev/schemas/scan/v1","source":"package-lock.json","created":"2025-03-01T10:00:00Z",
	"database":[{"ecosystem":"npm","imported":true,"source":"https://osv-vulnerabilities.storage.googleapis.com","fetchedAt":"2025-03-01T09:00:00Z","advisories":5}],
	"findings":[{"package":"pkg:npm/lodash@4.17.20","id":"GHSA-35jh-r3h4-6jhm","aliases":["CVE-2021-23337"],
	"severity":{"level":"high","score":7.2,"vector":"CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H","source":"GHSA"},"status":"affected"}]}`
	if !IsScanReport([]byte(report)) {
		t.Fatal("scan report not recognised")
	}
	pred, err := VulnsFromScan([]byte(report), "v0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPredicate(predicateTypes["vulns"], pred); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"id":"GHSA-35jh-r3h4-6jhm"`, `"score":"7.2"`, `"package":"pkg:npm/lodash@4.17.20"`, `"lastUpdate":"2025-03-01T09:00:00Z"`, `"scanFinishedOn":"2025-03-01T10:00:00Z"`} {
		if !strings.Contains(string(pred), want) {
			t.Errorf("predicate lacks %s: %s", want, pred)
		}
	}
}
