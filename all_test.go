package hallmark_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// TestDependencyTable checks that every module go.mod requires directly has
// a line in the README's dependency table, and that the table names no module
// go.mod does not require: dependencies are attack surface, and each one must
// say why it is there.
func TestDependencyTable(t *testing.T) {
	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	// Table rows look like: | `module/path` | version | why |
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\| (\\S+) \\|")
	inTable := map[string]string{} // module -> version
	_, table, ok := strings.Cut(string(readme), "## Dependencies")
	if !ok {
		t.Fatal("README.md has no '## Dependencies' section")
	}
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		inTable[m[1]] = m[2]
	}
	direct := map[string]bool{}
	for _, r := range f.Require {
		if r.Indirect {
			continue
		}
		direct[r.Mod.Path] = true
		v, ok := inTable[r.Mod.Path]
		switch {
		case !ok:
			t.Errorf("go.mod requires %s directly, but README.md's dependency table has no line for it", r.Mod.Path)
		case v != r.Mod.Version:
			t.Errorf("README.md's dependency table says %s %s, go.mod requires %s", r.Mod.Path, v, r.Mod.Version)
		}
	}
	for m := range inTable {
		if !direct[m] {
			t.Errorf("README.md's dependency table lists %s, which go.mod does not require directly", m)
		}
	}
}
