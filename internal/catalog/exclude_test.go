package catalog

import (
	"context"
	"io/fs"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestExclusions(t *testing.T) {
	tests := []struct {
		patterns []string
		path     string
		want     bool
	}{
		{[]string{"./testdata/**"}, "testdata", true},
		{[]string{"./testdata/**"}, "testdata/a/package-lock.json", true},
		{[]string{"./testdata/**"}, "internal/testdata", false},
		{[]string{"**/testdata/**"}, "internal/x/testdata", true},
		{[]string{"**/testdata"}, "internal/testdata", true},
		{[]string{"**/*.json"}, "a/b/package-lock.json", true},
		{[]string{"*.json"}, "a/package-lock.json", false},
		{[]string{"/vendor"}, "vendor", true},
		{[]string{"docs/"}, "docs", true},
		{nil, "anything", false},
	}
	for _, tt := range tests {
		e, err := NewExclusions(tt.patterns)
		if err != nil {
			t.Fatalf("NewExclusions(%q): %v", tt.patterns, err)
		}
		if got := e.Excluded(tt.path); got != tt.want {
			t.Errorf("Excluded(%q, %q) = %v, want %v", tt.patterns, tt.path, got, tt.want)
		}
	}
	for _, bad := range []string{"", "./", "a/[b"} {
		if _, err := NewExclusions([]string{bad}); err == nil {
			t.Errorf("NewExclusions(%q): no error", bad)
		}
	}
}

// openCounter records every path the walk opens or lists, to prove excluded
// paths are never opened.
type openCounter struct {
	fstest.MapFS
	mu     sync.Mutex
	opened map[string]bool
}

func (o *openCounter) Open(name string) (fs.File, error) {
	o.mu.Lock()
	o.opened[name] = true
	o.mu.Unlock()
	return o.MapFS.Open(name)
}

func (o *openCounter) ReadDir(name string) ([]fs.DirEntry, error) {
	o.mu.Lock()
	o.opened[name] = true
	o.mu.Unlock()
	return o.MapFS.ReadDir(name)
}

func TestWalkExcludeSkipsBeforeOpening(t *testing.T) {
	fsys := &openCounter{MapFS: fstest.MapFS{
		"deps.txt":               {Data: []byte("a 1\n")},
		"testdata/deps.txt":      {Data: []byte("b 1\n")},
		"testdata/deep/deps.txt": {Data: []byte("c 1\n")},
		"src/deps.txt":           {Data: []byte("d 1\n")},
	}, opened: map[string]bool{}}
	ex, err := NewExclusions([]string{"./testdata/**"})
	if err != nil {
		t.Fatal(err)
	}
	doc, problems := Walk(context.Background(), fsys, Options{Catalogers: []Cataloger{lineCataloger{}}, Exclude: ex})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	var names []string
	for _, p := range doc.Packages {
		names = append(names, p.Name)
	}
	if diff := cmp.Diff([]string{"a", "d"}, names); diff != "" {
		t.Errorf("cataloged (-want +got):\n%s", diff)
	}
	for p := range fsys.opened {
		if p == "testdata" || len(p) > 9 && p[:9] == "testdata/" {
			t.Errorf("excluded path %s was opened", p)
		}
	}
}
