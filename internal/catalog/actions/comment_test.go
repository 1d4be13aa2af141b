package actions

import (
	"context"
	"testing"
	"testing/fstest"
)

// The comments pinning tools write beside a SHA, and the release each names.
func TestCommentTag(t *testing.T) {
	for c, want := range map[string]string{
		"# v4.1.1":                        "v4.1.1", // Dependabot, Renovate
		"#v4.2.2":                         "v4.2.2", // Syft's fixture
		"# tag=v4.1.1":                    "v4.1.1", // Renovate (older)
		"# pin@v4":                        "v4",     // pin-github-action
		"# ratchet:actions/checkout@v4.1": "v4.1",   // ratchet
		"# v4":                            "v4",
		"# 2.2.0":                         "2.2.0",
		"# v5.0.0-beta.1":                 "v5.0.0-beta.1",
		"# release v4.2.2 (2024-10-23)":   "v4.2.2", // Syft's fallback: x.y.z anywhere
		"# main":                          "",
		"# TODO pin this":                 "",
		"":                                "",
	} {
		if got := commentTag(c); got != want {
			t.Errorf("commentTag(%q) = %q, want %q", c, got, want)
		}
	}
}

// Only a SHA takes its version from the comment; a tag keeps its own.
func TestCommentOnlyForSHA(t *testing.T) {
	fsys := fstest.MapFS{".github/workflows/ci.yml": {Data: []byte(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # ratchet:actions/checkout@v5.0.0
      - uses: actions/cache@v4 # v4.2.0
      - uses: actions/setup-go@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # keep in sync with go.mod
`)}}
	res, err := New().Catalog(context.Background(), fsys, ".github/workflows/ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pkg:github/actions/checkout@v5.0.0", "pkg:github/actions/cache@v4", "pkg:github/actions/setup-go@08c6903cd8c0fde910a37f88322edcfb5dd907a8"}
	if len(res.Packages) != len(want) {
		t.Fatalf("%d packages, want %d", len(res.Packages), len(want))
	}
	for i, p := range res.Packages {
		if p.PURL != want[i] {
			t.Errorf("package %d: %s, want %s", i, p.PURL, want[i])
		}
	}
	if ref := res.Packages[0].Properties[PropRef]; ref != "08c6903cd8c0fde910a37f88322edcfb5dd907a8" {
		t.Errorf("ref %q", ref)
	}
}
