package npm

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

// TestCorpusBundled checks PropBundled on npm/cli's lockfile against the
// truth read from the file itself: a name@version is bundled when every
// "packages" entry of it has "inBundle": true (npm/cli bundles its whole
// production tree into the npm tarball).
func TestCorpusBundled(t *testing.T) {
	path := sharedtest.Path(t, "corpus/npm/npm__cli/package-lock.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Name, Version string
			InBundle      bool `json:"inBundle"`
			Link          bool `json:"link"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatal(err)
	}
	bundled, loose := map[string]bool{}, map[string]bool{}
	entries := 0
	for key, e := range lock.Packages {
		i := strings.LastIndex(key, "node_modules/")
		if i < 0 || e.Link {
			continue
		}
		name := e.Name
		if name == "" {
			name = key[i+len("node_modules/"):]
		}
		if e.InBundle {
			bundled[name+"@"+e.Version] = true
			entries++
		} else {
			loose[name+"@"+e.Version] = true
		}
	}
	want := map[string]bool{}
	for k := range bundled {
		if !loose[k] {
			want[k] = true
		}
	}
	res := catalogtest.Run(t, PackageLock{}, path)
	got := map[string]bool{}
	for _, p := range res.Packages {
		if v, ok := p.Properties[PropBundled]; ok {
			if v != "true" {
				t.Errorf("%s@%s: %s = %q", p.Name, p.Version, PropBundled, v)
			}
			got[p.Name+"@"+p.Version] = true
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bundled packages (-want +got):\n%s", diff)
	}
	t.Logf("%d inBundle entries, %d distinct name@version, %d of them only bundled", entries, len(bundled), len(want))
	if len(want) < 100 {
		t.Errorf("only %d bundled packages: the truth is wrong", len(want))
	}
}

// TestBundledFixture: a v3 lockfile with a bundled dependency, a package
// bundled in one place and installed from the registry in another, and a
// lockfileVersion 1 "bundled" entry.
func TestBundledFixture(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := dir + "/" + name
		if err := os.MkdirAll(p[:strings.LastIndex(p, "/")], 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v3 := write("v3/package-lock.json", `{
  "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": {"name": "app", "version": "1.0.0", "dependencies": {"parent": "^1.0.0", "ms": "^2.1.3"}},
    "node_modules/parent": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/parent/-/parent-1.0.0.tgz",
      "integrity": "sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
      "bundleDependencies": ["inner", "ms"], "dependencies": {"inner": "^2.0.0", "ms": "2.1.3"}},
    "node_modules/parent/node_modules/inner": {"version": "2.0.0", "inBundle": true},
    "node_modules/parent/node_modules/ms": {"version": "2.1.3", "inBundle": true},
    "node_modules/ms": {"version": "2.1.3", "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz"}
  }
}`)
	v1 := write("v1/package-lock.json", `{
  "name": "app", "version": "1.0.0", "lockfileVersion": 1, "requires": true,
  "dependencies": {
    "parent": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/parent/-/parent-1.0.0.tgz",
      "integrity": "sha1-CHEJd6hdXxMn+u5mUOV+hBzHWKE=",
      "requires": {"inner": "^2.0.0"},
      "dependencies": {"inner": {"version": "2.0.0", "bundled": true}}}
  }
}`)
	for _, tt := range []struct {
		path string
		want map[string]bool
	}{
		// ms is also installed unbundled (with no integrity): it stays a
		// package that needs its own hash.
		{v3, map[string]bool{"inner@2.0.0": true}},
		{v1, map[string]bool{"inner@2.0.0": true}},
	} {
		res := catalogtest.Run(t, PackageLock{}, tt.path)
		got := map[string]bool{}
		for _, p := range res.Packages {
			if p.Properties[PropBundled] == "true" {
				got[p.Name+"@"+p.Version] = true
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s bundled (-want +got):\n%s", tt.path, diff)
		}
	}
}
