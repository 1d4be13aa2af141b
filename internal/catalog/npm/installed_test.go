package npm

import (
	"context"
	"io/fs"
	"os"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

func TestInstalledClaims(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"node_modules/ms/package.json", true},
		{"app/node_modules/@babel/core/package.json", true},
		{"node_modules/a/node_modules/b/package.json", true},
		{"node_modules/a/node_modules/@s/b/package.json", true},
		{"node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json", true},
		{"node_modules/.pnpm/@s+b@1.0.0/node_modules/@s/b/package.json", true},
		{"package.json", false},
		{"node_modules/package.json", false},
		{"node_modules/a/lib/package.json", false},
		{"node_modules/a/test/fixtures/node_modules/x/package.json", false},
		{"node_modules/.bin/package.json", false},
		{"node_modules/@s/package.json", false},
		{"node_modules/.package-lock.json", false},
		{"node_modules/a/package.json.bak", false},
		{"my_node_modules/a/package.json", false},
	}
	c := NewInstalled()
	for _, tt := range tests {
		if got := c.Claims(tt.path, 0o644); got != tt.want {
			t.Errorf("Claims(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// installedTree is a small installed project: npm's layout with a hidden
// lockfile, an alias, a nested copy, legacy license fields and files that
// look like packages but are not.
func installedTree() fstest.MapFS {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	return fstest.MapFS{
		"app/package.json": f(`{"name":"app","version":"1.0.0","dependencies":{"debug":"^4","old-lodash":"npm:lodash@^3"},"devDependencies":{"@types/ms":"^0.7"}}`),
		"app/node_modules/.package-lock.json": f(`{"name":"app","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{
 "node_modules/debug":{"version":"4.3.4","resolved":"https://registry.npmjs.org/debug/-/debug-4.3.4.tgz","integrity":"sha512-PRWFHuSU3eDtQJPvnNY7Jcket1j0t5OuOsFzPPzsekD52Zl8qUfFIPEiswXqIvHWGVHOgX+7G/vCNNhehwxfkQ==","license":"MIT","dependencies":{"ms":"2.1.2"}},
 "node_modules/debug/node_modules/ms":{"version":"2.1.2","resolved":"https://registry.npmjs.org/ms/-/ms-2.1.2.tgz","license":"MIT"},
 "node_modules/ms":{"version":"2.1.3","resolved":"https://registry.npmjs.org/ms/-/ms-2.1.3.tgz","license":"MIT"},
 "node_modules/@types/ms":{"version":"0.7.31","dev":true,"license":"MIT"},
 "node_modules/old-lodash":{"name":"lodash","version":"3.10.1","license":"MIT"},
 "node_modules/stale":{"version":"9.9.9"}}}`),
		"app/node_modules/debug/package.json":                 f(`{"name":"debug","version":"4.3.4","license":"MIT","author":"Josh Junon <josh@example.org>","dependencies":{"ms":"2.1.2"},"readme":"# debug\n..."}`),
		"app/node_modules/debug/node_modules/ms/package.json": f(`{"name":"ms","version":"2.1.2","license":{"type":"MIT","url":"https://opensource.org/licenses/MIT"}}`),
		"app/node_modules/ms/package.json":                    f(`{"name":"ms","version":"2.1.3","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}],"author":{"name":"Vercel"}}`),
		"app/node_modules/@types/ms/package.json":             f(`{"name":"@types/ms","version":"0.7.31","license":"MIT"}`),
		"app/node_modules/old-lodash/package.json":            f(`{"name":"lodash","version":"3.10.1","license":"MIT"}`),
		// Not packages: a file inside a package, a test fixture, a
		// package.json without version.
		"app/node_modules/debug/src/package.json":                             f(`{"name":"debug-src","version":"0.0.0"}`),
		"app/node_modules/debug/test/fixtures/node_modules/fake/package.json": f(`{"name":"fake","version":"6.6.6"}`),
		"app/node_modules/stale/package.json":                                 f(`{"name":"stale","version":"1.0.0"}`),
		"app/node_modules/noversion/package.json":                             f(`{"name":"noversion"}`),
	}
}

func TestInstalled(t *testing.T) {
	fsys := installedTree()
	c := NewInstalled()
	doc, problems := catalog.Walk(context.Background(), fsys, catalog.Options{Catalogers: []catalog.Cataloger{c}})
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	type got struct {
		Direct   bool
		Scope    sbom.Scope
		Licenses []string
		Supplier string
		Resolved string
		NHashes  int
		Path     string
	}
	have := map[string]got{}
	for _, p := range doc.Packages {
		have[p.Name+"@"+p.Version] = got{p.Direct, p.Scope, p.Licenses, p.Supplier, p.ResolvedURL, len(p.Hashes), p.Locations[0].Path}
	}
	want := map[string]got{
		"debug@4.3.4":      {true, "", []string{"MIT"}, "Josh Junon", "https://registry.npmjs.org/debug/-/debug-4.3.4.tgz", 1, "app/node_modules/debug/package.json"},
		"ms@2.1.2":         {false, "", []string{"MIT"}, "", "https://registry.npmjs.org/ms/-/ms-2.1.2.tgz", 0, "app/node_modules/debug/node_modules/ms/package.json"},
		"ms@2.1.3":         {false, "", []string{"MIT OR Apache-2.0"}, "Vercel", "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz", 0, "app/node_modules/ms/package.json"},
		"@types/ms@0.7.31": {true, sbom.ScopeDev, []string{"MIT"}, "", "", 0, "app/node_modules/@types/ms/package.json"},
		"lodash@3.10.1":    {true, "", []string{"MIT"}, "", "", 0, "app/node_modules/old-lodash/package.json"},
		// The hidden lockfile says 9.9.9: stale, so not used.
		"stale@1.0.0": {false, "", nil, "", "", 0, "app/node_modules/stale/package.json"},
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	name := map[string]string{}
	for _, p := range doc.Packages {
		name[p.ID] = p.Name + "@" + p.Version
	}
	var es []string
	for _, r := range doc.Relationships {
		es = append(es, name[r.From]+" -> "+name[r.To])
	}
	if diff := cmp.Diff([]string{"debug@4.3.4 -> ms@2.1.2"}, es); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
}

func TestInstalledWithoutHiddenLockfile(t *testing.T) {
	fsys := installedTree()
	delete(fsys, "app/node_modules/.package-lock.json")
	delete(fsys, "app/package.json")
	res, err := NewInstalled().Catalog(context.Background(), fsys, "app/node_modules/debug/package.json")
	if err != nil {
		t.Fatal(err)
	}
	catalogtest.CheckInvariants(t, res)
	p := res.Packages[0]
	if p.Direct || p.Scope != "" || len(p.Hashes) != 0 || len(res.Relationships) != 0 {
		t.Errorf("without hidden lockfile and package.json: %+v, %d edges", p, len(res.Relationships))
	}
}

func TestInstalledMalformed(t *testing.T) {
	for _, data := range []string{`{`, `[]`, `{"name": 3}`, "\x00"} {
		fsys := fstest.MapFS{"node_modules/x/package.json": {Data: []byte(data)}}
		if _, err := NewInstalled().Catalog(context.Background(), fsys, "node_modules/x/package.json"); err == nil {
			t.Errorf("%q: no error", data)
		}
	}
	// A broken hidden lockfile is ignored: the package.json files are the
	// truth.
	fsys := fstest.MapFS{
		"node_modules/x/package.json":     {Data: []byte(`{"name":"x","version":"1.0.0","license":["MIT",{"type":"ISC"}]}`)},
		"node_modules/.package-lock.json": {Data: []byte(`{"packages":{"node_modules/x":`)},
	}
	res, err := NewInstalled().Catalog(context.Background(), fsys, "node_modules/x/package.json")
	if err != nil || len(res.Packages) != 1 || !cmp.Equal(res.Packages[0].Licenses, []string{"MIT OR ISC"}) {
		t.Errorf("got %+v, %v", res, err)
	}
}

// BenchmarkInstalled catalogs a real installed tree when
// HALLMARK_NODE_MODULES names a project directory (bench/node_modules.sh
// builds one); the walk is included, as in `hallmark sbom`.
func BenchmarkInstalled(b *testing.B) {
	dir := os.Getenv("HALLMARK_NODE_MODULES")
	if dir == "" {
		b.Skip("HALLMARK_NODE_MODULES not set (see bench/node_modules.sh)")
	}
	fsys := os.DirFS(dir)
	for b.Loop() {
		doc, problems := catalog.Walk(context.Background(), fsys, catalog.Options{Catalogers: []catalog.Cataloger{NewInstalled()}})
		if len(problems) != 0 || len(doc.Packages) == 0 {
			b.Fatalf("%d packages, problems %v", len(doc.Packages), problems)
		}
	}
}

var _ fs.FS = fstest.MapFS{}
