package npm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

func catalogBytes(c catalog.Cataloger, name string, data []byte) (*catalog.Result, error) {
	return c.Catalog(context.Background(), fstest.MapFS{name: {Data: data}}, name)
}

func TestMalformed(t *testing.T) {
	deep := strings.Repeat("[", 100000)
	tests := []struct {
		name string
		c    catalog.Cataloger
		file string
		data string
	}{
		{"lock empty", PackageLock{}, "package-lock.json", ""},
		{"lock truncated", PackageLock{}, "package-lock.json", `{"lockfileVersion": 3, "packages": {"node_modules/a": {"version": "1.0`},
		{"lock not object", PackageLock{}, "package-lock.json", `[1,2,3]`},
		{"lock wrong types", PackageLock{}, "package-lock.json", `{"packages": {"node_modules/a": {"version": 1}}}`},
		{"lock packages not object", PackageLock{}, "package-lock.json", `{"packages": []}`},
		{"lock neither", PackageLock{}, "package-lock.json", `{"name": "x"}`},
		{"lock v1 wrong types", PackageLock{}, "package-lock.json", `{"lockfileVersion": 1, "dependencies": {"a": "1.0.0"}}`},
		{"lock deep", PackageLock{}, "package-lock.json", `{"packages": {"": ` + deep},
		{"yarn header", YarnLock{}, "yarn.lock", "# yarn lockfile v1\n\nfoo@^1.0.0\n  version \"1.0.0\"\n"},
		{"yarn unterminated", YarnLock{}, "yarn.lock", "\"foo@^1.0.0:\n  version \"1.0.0\"\n"},
		{"yarn orphan field", YarnLock{}, "yarn.lock", "  version \"1.0.0\"\n"},
		{"yarn bad indent", YarnLock{}, "yarn.lock", "foo@^1:\n  version \"1.0.0\"\n      bar \"1\"\n"},
		{"berry invalid yaml", YarnLock{}, "yarn.lock", "__metadata:\n  version: 8\n\"a@npm:1\": [\n"},
		{"berry deep", YarnLock{}, "yarn.lock", "__metadata:\n  version: 8\nx: " + deep},
		{"pnpm invalid yaml", PNPMLock{}, "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: {\n"},
		{"pnpm no version", PNPMLock{}, "pnpm-lock.yaml", "packages:\n  a@1.0.0: {}\n"},
		{"pnpm not mapping", PNPMLock{}, "pnpm-lock.yaml", "- a\n- b\n"},
		{"pnpm deep", PNPMLock{}, "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: " + deep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := catalogBytes(tt.c, tt.file, []byte(tt.data)); err == nil {
				t.Errorf("no error")
			}
		})
	}
}

// TestHostileAliases checks that a YAML "billion laughs" costs bounded work.
func TestHostileAliases(t *testing.T) {
	var b strings.Builder
	b.WriteString("lockfileVersion: '9.0'\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("packages:\n  a@1.0.0: {}\nimporters:\n  .:\n    dependencies: *a8\n")
	// Must return (with or without an error), not hang or explode.
	catalogBytes(PNPMLock{}, "pnpm-lock.yaml", []byte(b.String()))
}

func TestClaimsOutsideNodeModules(t *testing.T) {
	for _, c := range []catalog.Cataloger{PackageLock{}, YarnLock{}, PNPMLock{}} {
		for _, p := range []string{"node_modules/x/package-lock.json", "a/node_modules/x/yarn.lock", "node_modules/.pnpm/x/pnpm-lock.yaml", "node_modules/.package-lock.json"} {
			if c.Claims(p, 0o644) {
				t.Errorf("%s claims %s", c.Name(), p)
			}
		}
	}
	for _, p := range []string{"package-lock.json", "web/npm-shrinkwrap.json"} {
		if !(PackageLock{}).Claims(p, 0o644) {
			t.Errorf("package-lock does not claim %s", p)
		}
	}
}

func seeds(f *testing.F, files ...string) {
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzPackageLock(f *testing.F) {
	seeds(f, "testdata/lockv3/package-lock.json", "testdata/lockv1/package-lock.json")
	f.Add([]byte(`{"packages":{"node_modules/a":{"link":true,"resolved":"node_modules/a"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		catalogBytes(PackageLock{}, "package-lock.json", b)
	})
}

func FuzzYarnLock(f *testing.F) {
	seeds(f, "testdata/yarnv1/yarn.lock", "testdata/berry/yarn.lock")
	f.Fuzz(func(t *testing.T, b []byte) {
		catalogBytes(YarnLock{}, "yarn.lock", b)
	})
}

func FuzzPNPMLock(f *testing.F) {
	seeds(f, "testdata/pnpmv6/pnpm-lock.yaml", "testdata/pnpm11/two-documents.yaml", "testdata/pnpm11/empty-first.yaml")
	f.Add([]byte("lockfileVersion: 5.4\npackages:\n  /a/1.0.0_b@1.0.0:\n    dependencies:\n      b: 1.0.0\n  /b/1.0.0: {}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		catalogBytes(PNPMLock{}, "pnpm-lock.yaml", b)
	})
}

func FuzzInstalled(f *testing.F) {
	f.Add([]byte(`{"name":"ms","version":"2.1.3","licenses":[{"type":"MIT"}],"author":{"name":"x"}}`))
	f.Add([]byte(`{"name":"@s/x","version":"1.0.0","license":"(MIT OR ISC)","author":"A <a@b>"}`))
	seeds(f, "testdata/lockv1/package.json", "testdata/yarnv1/package.json", "testdata/berry/package.json", "testdata/berry/packages/web/package.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys := fstest.MapFS{"node_modules/x/package.json": {Data: b}, "node_modules/.package-lock.json": {Data: b}, "package.json": {Data: b}}
		res, err := NewInstalled().Catalog(context.Background(), fsys, "node_modules/x/package.json")
		if err == nil && res != nil {
			catalogtest.CheckInvariants(t, res)
		}
	})
}

func TestPNPMV5Keys(t *testing.T) {
	res, err := catalogBytes(PNPMLock{}, "pnpm-lock.yaml", []byte(`lockfileVersion: 5.4
specifiers:
  '@s/a': ^1.0.0
dependencies:
  '@s/a': 1.0.0_b@2.0.0
packages:
  /@s/a/1.0.0_b@2.0.0:
    resolution: {integrity: sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==}
    dependencies:
      b: 2.0.0
    dev: false
  /b/2.0.0:
    resolution: {integrity: sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==}
    dev: false
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := edges(res); len(got) != 1 || got[0] != "@s/a@1.0.0 -> b@2.0.0" {
		t.Errorf("edges = %v", got)
	}
	if p := catalogtest.Find(res, "@s/a"); len(p) != 1 || !p[0].Direct || p[0].PURL != "pkg:npm/%40s/a@1.0.0" {
		t.Errorf("@s/a = %+v", p)
	}
}

func benchFile(b *testing.B, c catalog.Cataloger, rel string) {
	p := sharedtest.Path(b, rel)
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	name := filepath.Base(p)
	fsys := fstest.MapFS{name: {Data: data}}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := c.Catalog(context.Background(), fsys, name); err != nil {
			b.Fatal(err)
		}
	}
}

// Benchmarks on the largest corpus file of each format.
func BenchmarkPackageLock(b *testing.B) {
	benchFile(b, PackageLock{}, "corpus/npm/npm__cli/package-lock.json")
}
func BenchmarkYarnV1(b *testing.B) {
	benchFile(b, YarnLock{}, "corpus/yarn-v1/webpack__webpack/yarn.lock")
}
func BenchmarkYarnBerry(b *testing.B) {
	benchFile(b, YarnLock{}, "corpus/yarn-berry/jestjs__jest/yarn.lock")
}
func BenchmarkPNPM(b *testing.B) { benchFile(b, PNPMLock{}, "corpus/pnpm/vitejs__vite/pnpm-lock.yaml") }
