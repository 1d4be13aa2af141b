package rust

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/catalog/tomldoc"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

type triple = catalogtest.Triple

type counts struct{ packages, path, hashed, direct, edges int }

func count(res *catalog.Result) counts {
	c := counts{packages: catalogtest.Unique(res), edges: len(res.Relationships)}
	for _, p := range res.Packages {
		if p.SourceKind == "path" {
			c.path++
		}
		if len(p.Hashes) == 1 {
			c.hashed++
		}
		if p.Direct {
			c.direct++
		}
	}
	return c
}

// The expected counts come from testdata/truth.py (packages, path crates,
// hashed, direct, edges), which reads the lockfile with Python's tomllib.
func TestCargoLock(t *testing.T) {
	tests := []struct {
		path   string
		want   counts
		sample []triple
	}{
		{
			// v4. 52 crates.io crates + 11 path crates (ripgrep and its
			// grep-* workspace members); syn at two versions.
			path: sharedtest.Path(t, "corpus/cargo/BurntSushi__ripgrep/Cargo.lock"),
			want: counts{63, 11, 52, 29, 145},
			sample: []triple{
				{Name: "aho-corasick", Version: "1.1.5", PURL: "pkg:cargo/aho-corasick@1.1.5"},
				{Name: "anyhow", Version: "1.0.104", PURL: "pkg:cargo/anyhow@1.0.104"},
				{Name: "grep-cli", Version: "0.1.12", PURL: "pkg:cargo/grep-cli@0.1.12"},
			},
		},
		{
			// v4, 556 packages of which 51 are ruff's workspace crates;
			// 34 names locked at two versions.
			path: sharedtest.Path(t, "corpus/cargo/astral-sh__ruff/Cargo.lock"),
			want: counts{556, 51, 505, 131, 1957},
			sample: []triple{
				{Name: "ruff_python_parser", Version: "0.0.10", PURL: "pkg:cargo/ruff_python_parser@0.0.10"},
				{Name: "anstyle", Version: "1.0.14", PURL: "pkg:cargo/anstyle@1.0.14"},
			},
		},
		{
			path: "testdata/v1/Cargo.lock",
			want: counts{7, 2, 5, 3, 9},
			sample: []triple{
				{Name: "rand", Version: "0.7.3", PURL: "pkg:cargo/rand@0.7.3"},
				{Name: "util", Version: "0.1.0", PURL: "pkg:cargo/util@0.1.0"},
			},
		},
		{
			path:   "testdata/v2/Cargo.lock",
			want:   counts{5, 1, 4, 2, 4},
			sample: []triple{{Name: "nix", Version: "0.26.4", PURL: "pkg:cargo/nix@0.26.4"}},
		},
		{
			path: "testdata/v3git/Cargo.lock",
			want: counts{5, 1, 2, 3, 4},
			sample: []triple{
				{Name: "internal-auth", Version: "2.1.0", PURL: "pkg:cargo/internal-auth@2.1.0?repository_url=https:%2F%2Fcargo.example.com%2Findex%2F"},
				{Name: "regex", Version: "1.10.2", PURL: "pkg:cargo/regex@1.10.2?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Frust-lang%2Fregex%40a5d8ef3c1e6a2b8e2d4ea2e51c4e4a6a8c2c1a0d"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := catalogtest.Run(t, CargoLock{}, tt.path)
			catalogtest.CheckInvariants(t, res)
			if diff := cmp.Diff(tt.want, count(res), cmp.AllowUnexported(counts{})); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			catalogtest.CheckSample(t, res, tt.sample)
		})
	}
}

// TestCargoLockDetails checks hashes, lines, sources and exact edges.
func TestCargoLockDetails(t *testing.T) {
	res := catalogtest.Run(t, CargoLock{}, "testdata/v2/Cargo.lock")
	bf := catalogtest.Find(res, "bitflags")
	if len(bf) != 2 || bf[0].Locations[0].Line != 3 || bf[1].Locations[0].Line != 9 {
		t.Fatalf("bitflags = %+v", bf)
	}
	if want := (sbom.Hash{Algorithm: sbom.SHA256, Value: "bef38d45163c2f1dde094a7dfd33ccf595c92905c8f8f4fdc18d06fb1037718a"}); bf[0].Hashes[0] != want {
		t.Errorf("hash = %v", bf[0].Hashes)
	}
	// nix depends on bitflags 1.3.2, cli on bitflags 2.4.1.
	var edges []string
	for _, r := range res.Relationships {
		edges = append(edges, r.From+" -> "+r.To)
	}
	want := []string{
		"pkg:cargo/cli@0.3.0 -> pkg:cargo/bitflags@2.4.1",
		"pkg:cargo/cli@0.3.0 -> pkg:cargo/nix@0.26.4",
		"pkg:cargo/nix@0.26.4 -> pkg:cargo/bitflags@1.3.2",
		"pkg:cargo/nix@0.26.4 -> pkg:cargo/libc@0.2.150",
	}
	if diff := cmp.Diff(want, edges); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}

	res = catalogtest.Run(t, CargoLock{}, "testdata/v3git/Cargo.lock")
	for _, p := range catalogtest.Find(res, "regex-syntax") {
		switch p.SourceKind {
		case "git":
			if p.Properties[PropGitRev] != "a5d8ef3c1e6a2b8e2d4ea2e51c4e4a6a8c2c1a0d" || !strings.HasPrefix(p.ResolvedURL, "git+https://github.com/rust-lang/regex") || p.Direct {
				t.Errorf("git regex-syntax = %+v", p)
			}
		case "":
			if p.PURL != "pkg:cargo/regex-syntax@0.8.2" || !p.Direct || len(p.Hashes) != 1 {
				t.Errorf("crates.io regex-syntax = %+v", p)
			}
		default:
			t.Errorf("regex-syntax = %+v", p)
		}
	}
}

func TestCargoLockMalformed(t *testing.T) {
	tests := map[string]string{
		"not toml":          "[[package]\nname = ",
		"wrong type":        "[[package]]\nname = 3\n",
		"package not table": "package = \"x\"\n",
		"no name":           "[[package]]\nversion = \"1.0.0\"\n",
		"unknown dep":       "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\"b\"]\n",
		"ambiguous dep":     "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"b\"]\n[[package]]\nname = \"b\"\nversion = \"1\"\n[[package]]\nname = \"b\"\nversion = \"2\"\n",
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{"Cargo.lock": {Data: []byte(text)}}
			if _, err := (CargoLock{}).Catalog(context.Background(), fsys, "Cargo.lock"); err == nil {
				t.Errorf("no error")
			}
		})
	}
}

// TestCargoLockDeep: nesting in a key Cargo does not write is read (and
// ignored) up to limits.TOMLDepth; beyond it the file is refused before the
// TOML decoder sees it. BurntSushi/toml recurses once per nested array (10
// million levels, a 20 MB file, overflow the goroutine stack: a fatal error,
// not a panic) and takes time cubic in the depth of nested inline tables and
// dotted keys (minutes for a 64 KB file). Without the bound the cases below
// crash the test binary or run for hours.
func TestCargoLockDeep(t *testing.T) {
	pkg := "\n[[package]]\nname = \"x\"\nversion = \"1\"\n"
	text := "a = " + strings.Repeat("[", 10) + strings.Repeat("]", 10) + pkg
	res, err := (CargoLock{}).Catalog(context.Background(), fstest.MapFS{"Cargo.lock": {Data: []byte(text)}}, "Cargo.lock")
	if err != nil || len(res.Packages) != 1 {
		t.Errorf("got %v, %v", res, err)
	}
	for name, text := range map[string]string{
		"nested arrays":        "a = " + strings.Repeat("[", 10_000_000) + strings.Repeat("]", 10_000_000) + pkg,
		"nested inline tables": "a = " + strings.Repeat("{b=", 100_000) + "1" + strings.Repeat("}", 100_000) + pkg,
		"dotted key":           strings.Repeat("a.", 100_000) + "a = 1" + pkg,
		"package sub-table":    "[[package]]\nname = \"x\"\nversion = \"1\"\n[package." + strings.Repeat("a.", 100_000) + "a]\n",
	} {
		_, err := (CargoLock{}).Catalog(context.Background(), fstest.MapFS{"Cargo.lock": {Data: []byte(text)}}, "Cargo.lock")
		if !errors.Is(err, tomldoc.ErrTooDeep) {
			t.Errorf("%s: err = %v, want tomldoc.ErrTooDeep", name, err)
		}
	}
}

func TestCargoLockClaims(t *testing.T) {
	for p, want := range map[string]bool{"Cargo.lock": true, "a/b/Cargo.lock": true, "cargo.lock": false, "Cargo.toml": false} {
		if got := (CargoLock{}).Claims(p, 0o644); got != want {
			t.Errorf("Claims(%q) = %v", p, got)
		}
	}
}

func FuzzCargoLock(f *testing.F) {
	for _, p := range []string{"testdata/v1/Cargo.lock", "testdata/v2/Cargo.lock", "testdata/v3git/Cargo.lock"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := (CargoLock{}).Catalog(context.Background(), fstest.MapFS{"Cargo.lock": {Data: data}}, "Cargo.lock")
		if res != nil {
			catalogtest.CheckInvariants(t, res)
		}
		_ = err
	})
}

func BenchmarkCargoLock(b *testing.B) {
	path := sharedtest.Path(b, "corpus/cargo/astral-sh__ruff/Cargo.lock")
	fsys := os.DirFS(filepath.Dir(path))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (CargoLock{}).Catalog(context.Background(), fsys, "Cargo.lock"); err != nil {
			b.Fatal(err)
		}
	}
}
