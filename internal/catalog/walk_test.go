package catalog

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// lineCataloger reads files named "deps.txt": one "name version" per line.
type lineCataloger struct{}

func (lineCataloger) Name() string { return "test-lines" }
func (lineCataloger) Claims(p string, _ fs.FileMode) bool {
	return path.Base(p) == "deps.txt"
}
func (lineCataloger) Catalog(_ context.Context, fsys fs.FS, p string) (*Result, error) {
	b, err := ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "panic" {
			panic("boom")
		}
		name, version, ok := strings.Cut(line, " ")
		if !ok {
			return res, errors.New("line without version")
		}
		res.Packages = append(res.Packages, sbom.Package{
			Name: name, Version: version, Ecosystem: sbom.EcosystemNPM,
			PURL:      "pkg:npm/" + name + "@" + version,
			Locations: []sbom.Location{{Path: p, Line: i + 1}},
			Direct:    p == "deps.txt",
		})
	}
	return res, nil
}

func TestWalkMergesAcrossFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"deps.txt":            {Data: []byte("a 1\nb 2\n")},
		"sub/deps.txt":        {Data: []byte("a 1\nc 3\n")},
		"sub/other.txt":       {Data: []byte("ignored")},
		".git/deps.txt":       {Data: []byte("z 9\n")},
		"bad/deps.txt":        {Data: []byte("d 4\nbroken\n")},
		"crash/deps.txt":      {Data: []byte("panic\n")},
		"deep/a/b/c/deps.txt": {Data: []byte("e 5\n")},
	}
	var prog Progress
	doc, problems := Walk(context.Background(), fsys, Options{Catalogers: []Cataloger{lineCataloger{}}, Progress: &prog})
	var got []string
	for _, p := range doc.Packages {
		var locs []string
		for _, l := range p.Locations {
			locs = append(locs, l.Path)
		}
		got = append(got, p.Name+"@"+p.Version+" "+strings.Join(locs, ","))
	}
	want := []string{
		"a@1 deps.txt,sub/deps.txt",
		"b@2 deps.txt",
		"c@3 sub/deps.txt",
		"d@4 bad/deps.txt", // partial result kept beside the error
		"e@5 deep/a/b/c/deps.txt",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if !doc.Package("pkg:npm/a@1").Direct {
		t.Error("a@1 should be direct: merged from a direct and a transitive occurrence")
	}
	if len(problems) != 2 || problems[0].Path != "bad/deps.txt" || problems[1].Path != "crash/deps.txt" {
		t.Fatalf("problems = %v, want bad/deps.txt and crash/deps.txt", problems)
	}
	if !errors.Is(problems[1], errPanic) {
		t.Errorf("a panicking cataloger should be reported as an internal error, got %v", problems[1])
	}
	if prog.Claimed.Load() != 5 || prog.Files.Load() != 6 {
		t.Errorf("progress: claimed %d files %d, want 5 and 6", prog.Claimed.Load(), prog.Files.Load())
	}
}

// errFS fails to read one directory, as an unreadable directory would.
type errFS struct {
	fs.FS
	bad string
}

func (e errFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name == e.bad {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrPermission}
	}
	return fs.ReadDir(e.FS, name)
}

func TestWalkReportsUnreadableDirectory(t *testing.T) {
	fsys := errFS{FS: fstest.MapFS{
		"ok/deps.txt":     {Data: []byte("a 1\n")},
		"locked/deps.txt": {Data: []byte("b 1\n")},
	}, bad: "locked"}
	doc, problems := Walk(context.Background(), fsys, Options{Catalogers: []Cataloger{lineCataloger{}}})
	if len(doc.Packages) != 1 || doc.Packages[0].Name != "a" {
		t.Errorf("packages = %+v, want only a", doc.Packages)
	}
	if len(problems) != 1 || problems[0].Path != "locked" || !errors.Is(problems[0], fs.ErrPermission) {
		t.Errorf("problems = %v, want permission error on locked", problems)
	}
}

func TestWalkDoesNotFollowSymlinkLoops(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "deps.txt"), []byte("x 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..", filepath.Join(dir, "a", "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a/deps.txt", filepath.Join(dir, "deps.txt")); err != nil {
		t.Fatal(err)
	}
	doc, problems := Walk(context.Background(), os.DirFS(dir), Options{Catalogers: []Cataloger{lineCataloger{}}})
	if len(problems) != 0 {
		t.Errorf("problems: %v", problems)
	}
	if len(doc.Packages) != 1 || len(doc.Packages[0].Locations) != 1 {
		t.Errorf("packages = %+v, want x@1 once, from a/deps.txt only", doc.Packages)
	}
}

func TestFileRequiresAClaim(t *testing.T) {
	fsys := fstest.MapFS{"deps.txt": {Data: []byte("a 1\n")}, "other": {Data: []byte("")}}
	doc, _, err := File(context.Background(), fsys, "deps.txt", Options{Catalogers: []Cataloger{lineCataloger{}}})
	if err != nil || len(doc.Packages) != 1 {
		t.Fatalf("File(deps.txt) = %v, %v", doc, err)
	}
	if _, _, err := File(context.Background(), fsys, "other", Options{Catalogers: []Cataloger{lineCataloger{}}}); err == nil {
		t.Error("File(other): want an error, no cataloger reads it")
	}
}

func TestReadFileRefusesHugeFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "deps.txt")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file: as large as the limit plus one, without writing it.
	if err := f.Truncate(1<<28 + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := ReadFile(os.DirFS(dir), "deps.txt"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadFile of a huge file: err = %v, want ErrTooLarge", err)
	}
	if _, err := Open(os.DirFS(dir), "deps.txt"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Open of a huge file: err = %v, want ErrTooLarge", err)
	}
}

func TestParseSRI(t *testing.T) {
	got := ParseSRI("sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg== sha1-bogus")
	want := []sbom.Hash{{Algorithm: sbom.SHA512, Value: "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseSRI (-want +got):\n%s", diff)
	}
	if _, ok := CheckHex(sbom.SHA256, "zz"); ok {
		t.Error("CheckHex accepted bad hex")
	}
}

func TestWalkSkipsExtractedModulesInGoModCache(t *testing.T) {
	fsys := fstest.MapFS{
		"gomodcache/cache/download/example.com/m/@v/v1.0.0.ziphash": {Data: []byte("h1:x")},
		"gomodcache/example.com/m@v1.0.0/testdata/deps.txt":         {Data: []byte("fixture 1\n")},
		"project/deps.txt":        {Data: []byte("real 1\n")},
		"project/lib@v2/deps.txt": {Data: []byte("kept 1\n")}, // not in a module cache
	}
	doc, problems := Walk(context.Background(), fsys, Options{Catalogers: []Cataloger{lineCataloger{}}})
	if len(problems) != 0 {
		t.Fatal(problems)
	}
	var names []string
	for _, p := range doc.Packages {
		names = append(names, p.Name)
	}
	if diff := cmp.Diff([]string{"kept", "real"}, names); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}

// execCataloger claims executables, like the Go binary cataloger.
type execCataloger struct{ lineCataloger }

func (execCataloger) Name() string                        { return "test-exec" }
func (execCataloger) MayClaim(p string) bool              { return !strings.HasSuffix(p, ".txt") }
func (execCataloger) Claims(_ string, m fs.FileMode) bool { return m.IsRegular() && m&0o111 != 0 }

func TestWalkPassesPermissionsToModeClaimers(t *testing.T) {
	fsys := fstest.MapFS{
		"tool":     {Data: []byte("t 1\n"), Mode: 0o755},
		"data":     {Data: []byte("d 1\n"), Mode: 0o644},
		"x.txt":    {Data: []byte("x 1\n"), Mode: 0o755}, // ruled out by name
		"deps.txt": {Data: []byte("a 1\n")},
	}
	doc, problems := Walk(context.Background(), fsys, Options{Catalogers: []Cataloger{lineCataloger{}, execCataloger{}}})
	if len(problems) != 0 {
		t.Fatal(problems)
	}
	var names []string
	for _, p := range doc.Packages {
		names = append(names, p.Name)
	}
	if diff := cmp.Diff([]string{"a", "t"}, names); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}
