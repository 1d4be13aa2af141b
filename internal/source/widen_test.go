package source

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/all"
	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

func TestWidenRoot(t *testing.T) {
	tmp := t.TempDir()
	deep := filepath.Join(tmp, "repo", "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	// Without .git: limits.SingleFileParentsNoRepo levels up.
	root, prefix := widenRoot(deep)
	if want := filepath.Join(tmp, "repo", "a"); limits.SingleFileParentsNoRepo == 2 && (root != want || prefix != "b/c") {
		t.Errorf("no repository: %s, %s; want %s, b/c", root, prefix, want)
	}
	// With .git: the repository root, however many levels (within the limit).
	if err := os.Mkdir(filepath.Join(tmp, "repo", ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if root, prefix := widenRoot(deep); root != filepath.Join(tmp, "repo") || prefix != "a/b/c" {
		t.Errorf("repository: %s, %s", root, prefix)
	}
	if root, prefix := widenRoot(filepath.Join(tmp, "repo")); root != filepath.Join(tmp, "repo") || prefix != "." {
		t.Errorf("repository root itself: %s, %s", root, prefix)
	}
	// A repository further up than limits.SingleFileParents is not used.
	far := filepath.Join(tmp, "repo", strings.Repeat("x/", limits.SingleFileParents+1))
	if err := os.MkdirAll(far, 0o755); err != nil {
		t.Fatal(err)
	}
	if root, _ := widenRoot(filepath.Clean(far)); root == filepath.Join(tmp, "repo") {
		t.Errorf("repository %d levels up used", limits.SingleFileParents+1)
	}
}

func TestRelocate(t *testing.T) {
	doc := &sbom.Document{Packages: []sbom.Package{{Locations: []sbom.Location{
		{Path: "services/api/requirements.txt"}, {Path: "requirements/base.txt"}, {Path: "services/pom.xml"},
	}}}}
	relocate(doc, "services/api")
	var got []string
	for _, l := range doc.Packages[0].Locations {
		got = append(got, l.Path)
	}
	if want := "requirements.txt ../../requirements/base.txt ../pom.xml"; strings.Join(got, " ") != want {
		t.Errorf("relocate: %v, want %s", got, want)
	}
}

// A Go binary named alone, two folders down with no repository: every
// module is located at the binary itself ("hm"), however many modules share
// the cataloger's one Locations slice.
func TestSingleBinaryLocations(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Skip(err)
	}
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "hm")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := Load(context.Background(), bin, Options{Catalog: catalog.Options{Catalogers: all.Catalogers()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Document.Packages) < 2 {
		t.Fatalf("%d packages in a Go test binary", len(res.Document.Packages))
	}
	for _, p := range res.Document.Packages {
		for _, l := range p.Locations {
			if l.Path != "hm" {
				t.Fatalf("%s located at %q, want hm", p.Name, l.Path)
			}
		}
	}
}

// A large file that is not JSON is refused from its first bytes (the error
// says what it is not), never read whole: a sparse file past the SBOM size
// limit gives the format error, not the size error.
func TestLargeNonJSONFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "artifact.bin")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\x7fELF not really")
	if err := f.Truncate(limits.SBOMBytes + 1<<20); err != nil {
		t.Skip(err)
	}
	f.Close()
	_, err = Load(context.Background(), p, Options{Catalog: catalog.Options{Catalogers: all.Catalogers()}})
	if err == nil || !strings.Contains(err.Error(), "not a lockfile or manifest") {
		t.Fatalf("err = %v", err)
	}
}
