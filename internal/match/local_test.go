package match_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// A workspace member or local path without a version is the project's own
// code: not checked, not unchecked, listed as local. A versioned workspace
// member (published under that name, like npm/cli's @npmcli/arborist) is
// still matched; a registry package without a version stays unchecked.
func TestLocalPackages(t *testing.T) {
	src := &fakeSource{recs: map[string][]vulndb.Record{}}
	doc := &sbom.Document{}
	doc.Add(
		sbom.Package{Name: "pydantic-core", Ecosystem: sbom.EcosystemPyPI, PURL: "pkg:pypi/pydantic-core", SourceKind: "path"},
		sbom.Package{Name: "@npmcli/arborist", Version: "7.5.4", Ecosystem: sbom.EcosystemNPM, PURL: "pkg:npm/%40npmcli/arborist@7.5.4", SourceKind: "link"},
		sbom.Package{Name: "requests", Ecosystem: sbom.EcosystemPyPI, PURL: "pkg:pypi/requests"},
	)
	doc.Normalize()
	res, err := match.Match(doc, src)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"pkg:pypi/pydantic-core"}, res.Local); diff != "" {
		t.Errorf("local (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]match.Unchecked{{PackageID: "pkg:pypi/requests", Reason: "no version"}}, res.Unchecked); diff != "" {
		t.Errorf("unchecked (-want +got):\n%s", diff)
	}
	if res.Checked != 1 {
		t.Errorf("checked = %d, want 1 (the versioned workspace member)", res.Checked)
	}
}
