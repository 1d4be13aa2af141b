package npm

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// pnpm 10/11 writes a lockfile of two YAML documents when pnpm manages its
// own version: pnpm's environment, then the project. Every document is
// read; the environment's packages are kept, marked, as dev tools.
func TestPNPMDocuments(t *testing.T) {
	type row struct {
		Name, Version string
		Scope         sbom.Scope
		Direct        bool
		PM            string
	}
	project := []row{
		{"detect-libc", "2.0.4", "", false, ""},
		{"sharp", "0.33.5", "", true, ""},
		{"typescript", "5.4.5", sbom.ScopeDev, true, ""},
		{"ws", "7.5.9", "", true, ""},
	}
	env := []row{
		{"@pnpm/exe", "11.0.0", sbom.ScopeDev, false, "true"},
		{"@pnpm/linux-x64", "11.0.0", sbom.ScopeDev, false, "true"},
		{"@reflink/reflink", "0.1.19", sbom.ScopeDev, false, "true"},
		{"pnpm", "11.0.0", sbom.ScopeDev, false, "true"},
	}
	tests := []struct {
		file string
		want []row
	}{
		{"single-document.yaml", project},
		// detect-libc is in both: it stays the project's runtime dependency.
		{"two-documents.yaml", slices.Concat(project, env)},
		{"empty-first.yaml", project},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata/pnpm11", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := parsePNPM(b, "pnpm-lock.yaml")
			if err != nil {
				t.Fatal(err)
			}
			catalogtest.CheckInvariants(t, res)
			var got []row
			for _, p := range res.Packages {
				got = append(got, row{p.Name, p.Version, p.Scope, p.Direct, p.Properties[PropPackageManager]})
			}
			slices.SortFunc(got, func(a, b row) int {
				if (a.PM == "") != (b.PM == "") {
					if a.PM == "" {
						return -1
					}
					return 1
				}
				return strings.Compare(a.Name, b.Name)
			})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPNPMTooManyDocuments(t *testing.T) {
	var b []byte
	for range 20 {
		b = append(b, "---\nlockfileVersion: '9.0'\n"...)
	}
	if _, err := parsePNPM(b, "pnpm-lock.yaml"); err == nil {
		t.Fatal("20 documents: no error")
	}
}

// pnpm writes the environment alone ("---\n" env "\n---\n" and nothing)
// before the project's first install: pnpm's own packages, marked, and no
// project packages.
func TestPNPMEnvironmentOnly(t *testing.T) {
	b, err := os.ReadFile("testdata/pnpm11/two-documents.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sep := []byte("\n---\n")
	i := strings.Index(string(b), string(sep))
	if i < 0 {
		t.Fatal("fixture has no second document")
	}
	res, err := parsePNPM(b[:i+len(sep)], "pnpm-lock.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Packages) != 5 {
		t.Errorf("%d packages, want pnpm's 5", len(res.Packages))
	}
	for _, p := range res.Packages {
		if p.Properties[PropPackageManager] != "true" || p.Scope != sbom.ScopeDev {
			t.Errorf("%s@%s not marked as pnpm's own (scope %q)", p.Name, p.Version, p.Scope)
		}
	}
}
