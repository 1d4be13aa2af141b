package golang

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
)

// buildTiny builds a small real Go program into dir: it imports a module
// from the module cache (golang.org/x/mod, which hallmark itself requires)
// and a module replaced by a local directory, and sets -ldflags.
func buildTiny(t *testing.T, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	files := map[string]string{
		"go.mod":       "module example.com/tiny\n\ngo 1.22\n\nrequire (\n\texample.com/local v1.0.0\n\tgolang.org/x/mod v0.42.0\n)\n\nreplace example.com/local => ./local\n",
		"go.sum":       "golang.org/x/mod v0.42.0 h1:ICeL3t2L30ljSPHHxDnR4fqVcBt/zR2zJAb9juavmQg=\ngolang.org/x/mod v0.42.0/go.mod h1:u5fzIrRInkL8MaO1cbRkUHT64v303YIT5KEqpNr7jRs=\n",
		"main.go":      "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/local\"\n\t\"golang.org/x/mod/semver\"\n)\n\nvar v string\n\nfunc main() { fmt.Println(local.X, v, semver.IsValid(\"v1.0.0\")) }\n",
		"local/go.mod": "module example.com/local\n\ngo 1.22\n",
		"local/x.go":   "package local\n\nconst X = 1\n",
	}
	src := filepath.Join(dir, "src")
	for name, text := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "tiny")
	cmd := exec.Command(goBin, "build", "-buildvcs=false", "-ldflags=-X main.v=1.2.3", "-o", out, ".")
	cmd.Dir = src
	// Offline: x/mod must come from the module cache.
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot build the test program offline (module cache without golang.org/x/mod v0.42.0?): %v\n%s", err, b)
	}
	return out
}

// goVersionM runs `go version -m` and returns its mod/dep/=> lines as
// "path version sum" strings, a replacement joined to its dependency.
func goVersionM(t *testing.T, bin string) (deps []string, goVersion string) {
	t.Helper()
	b, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			_, goVersion, _ = strings.Cut(line, ": ")
			first = false
			continue
		}
		f := strings.Split(strings.TrimPrefix(line, "\t"), "\t")
		switch f[0] {
		case "dep":
			deps = append(deps, strings.Join(f[1:], " "))
		case "=>":
			deps[len(deps)-1] += " => " + strings.TrimSpace(strings.Join(f[1:], " "))
		}
	}
	return deps, goVersion
}

func TestBinary(t *testing.T) {
	bin := buildTiny(t, t.TempDir())
	res := catalogtest.Run(t, Binary{}, bin)
	catalogtest.CheckInvariants(t, res)

	wantDeps, goVersion := goVersionM(t, bin)
	if goVersion != runtime.Version() && !strings.HasPrefix(goVersion, "go1") {
		t.Fatalf("odd go version %q", goVersion)
	}
	// Rebuild the `go version -m` view from hallmark's packages.
	var gotDeps []string
	var main, stdlib int
	for _, p := range res.Packages {
		switch {
		case p.Properties[PropMainModule] == "true":
			main++
			if p.Name != "example.com/tiny" || p.Version != "" || p.PURL != "pkg:golang/example.com/tiny" {
				t.Errorf("main module = %+v", p)
			}
			if got := p.Properties[PropBuildPrefix+"-ldflags"]; got != "-X main.v=1.2.3" {
				t.Errorf("-ldflags = %q", got)
			}
			if p.Properties[PropBuildPrefix+"GOOS"] != runtime.GOOS || p.Properties[PropBuildPrefix+"GOARCH"] != runtime.GOARCH {
				t.Errorf("GOOS/GOARCH properties = %v", p.Properties)
			}
		case p.Name == StdlibName:
			stdlib++
			if p.Version != goVersion || p.PURL != "pkg:golang/stdlib@"+goVersion {
				t.Errorf("stdlib = %+v, want version %s", p, goVersion)
			}
		case p.SourceKind == "path":
			// example.com/local v1.0.0 => ./local (devel)
			gotDeps = append(gotDeps, p.Properties[PropReplaces]+" => "+p.ResolvedURL)
		default:
			sum := ""
			if len(p.Hashes) == 1 {
				sum = "h1:" + b64(t, p.Hashes[0].Value)
			}
			gotDeps = append(gotDeps, p.Name+" "+p.Version+" "+sum)
		}
	}
	if main != 1 || stdlib != 1 {
		t.Errorf("main modules %d, stdlib %d; want 1 each", main, stdlib)
	}
	// go version -m prints the local replacement as "example.com/local
	// v1.0.0 => ./local (devel)"; hallmark keeps "path@version" of the
	// original in a property.
	for i, d := range wantDeps {
		if before, after, ok := strings.Cut(d, " => "); ok {
			wantDeps[i] = strings.Replace(strings.TrimSpace(before), " ", "@", 1) + " => " + strings.TrimSuffix(after, " (devel)")
		}
	}
	if diff := cmp.Diff(wantDeps, gotDeps); diff != "" {
		t.Errorf("deps differ from go version -m (-want +got):\n%s", diff)
	}
	if len(res.Relationships) != len(res.Packages)-1 {
		t.Errorf("relationships = %d, want one from main to each of %d others", len(res.Relationships), len(res.Packages)-1)
	}
}

func TestBinaryIgnoresOtherExecutables(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), data, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("script.sh", []byte("#!/bin/sh\necho hi\n"), 0o755)
	write("empty", nil, 0o755)
	write("tiny", []byte("\x7fE"), 0o755)
	write("truncated-elf", []byte("\x7fELF\x02\x01\x01\x00garbage"), 0o755)
	write("fake.exe", []byte("MZ\x90\x00 not really a PE file"), 0o644)
	if p, err := exec.LookPath("true"); err == nil {
		if b, err := os.ReadFile(p); err == nil {
			write("c-program", b, 0o755)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		res, err := catalogtest.RunErr(t, Binary{}, filepath.Join(dir, e.Name()))
		if err != nil || (res != nil && len(res.Packages) > 0) {
			t.Errorf("%s: got %v, %v; want nothing and no error", e.Name(), res, err)
		}
	}
}

func TestBinaryClaims(t *testing.T) {
	tests := []struct {
		path string
		mode os.FileMode
		want bool
	}{
		{"bin/app", 0o755, true},
		{"bin/app", 0o644, false},
		{"bin/App.EXE", 0o644, true},
		{"bin", os.ModeDir | 0o755, false},
		{"link", os.ModeSymlink | 0o777, false},
	}
	for _, tt := range tests {
		if got := (Binary{}).Claims(tt.path, tt.mode); got != tt.want {
			t.Errorf("Claims(%q, %v) = %v, want %v", tt.path, tt.mode, got, tt.want)
		}
	}
}

// TestBinaryNoReaderAt reads a binary from a file system without random
// access (as from an archive).
func TestBinaryNoReaderAt(t *testing.T) {
	bin := buildTiny(t, t.TempDir())
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"tiny": {Data: b, Mode: 0o755}}
	res, err := (Binary{}).Catalog(context.Background(), fsys, "tiny")
	if err != nil || len(res.Packages) != 4 {
		t.Fatalf("got %v, %v; want 4 packages", res, err)
	}
}

func FuzzBinary(f *testing.F) {
	f.Add([]byte("\x7fELF\x02\x01\x01\x00"))
	f.Add([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"))
	f.Add([]byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1})
	f.Add([]byte("#!/bin/sh\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"x": {Data: data, Mode: 0o755}}
		res, err := (Binary{}).Catalog(context.Background(), fsys, "x")
		if err == nil && res != nil {
			catalogtest.CheckInvariants(t, res)
		}
	})
}

// buildHallmark builds hallmark itself (a real binary linking dozens of
// modules) into dir, skipping when the tree does not build right now.
func buildHallmark(tb testing.TB, dir string) string {
	tb.Helper()
	out := filepath.Join(dir, "hallmark")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/hallmark")
	cmd.Dir = filepath.Join("..", "..", "..")
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Skipf("cannot build hallmark: %v\n%s", err, b)
	}
	return out
}

// TestBinaryHallmark checks every module hallmark links against `go
// version -m`.
func TestBinaryHallmark(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hallmark")
	}
	bin := buildHallmark(t, t.TempDir())
	res := catalogtest.Run(t, Binary{}, bin)
	catalogtest.CheckInvariants(t, res)
	want, _ := goVersionM(t, bin)
	var got []string
	for _, p := range res.Packages {
		if p.Properties[PropMainModule] == "" && p.Name != StdlibName {
			got = append(got, p.Name+" "+p.Version+" h1:"+b64(t, p.Hashes[0].Value))
		}
	}
	if len(want) == 0 {
		t.Fatalf("go version -m lists only %d deps", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deps differ from go version -m (-want +got):\n%s", diff)
	}
}

// BenchmarkBinary reads the build information of hallmark's own binary.
func BenchmarkBinary(b *testing.B) {
	exe := buildHallmark(b, b.TempDir())
	fsys := os.DirFS(filepath.Dir(exe))
	name := filepath.Base(exe)
	b.ReportAllocs()
	for b.Loop() {
		res, err := (Binary{}).Catalog(context.Background(), fsys, name)
		if err != nil || res == nil || len(res.Packages) < 3 {
			b.Fatalf("got %v, %v", res, err)
		}
	}
}

func TestBinaryMayClaim(t *testing.T) {
	for p, want := range map[string]bool{
		"bin/hallmark":                      true,
		"dist/app.exe":                      true,
		"node_modules/esbuild/bin/esbuild":  true,
		"tool-v1.2.3":                       true, // a dot that is no known extension
		"node_modules/x/index.js":           false,
		"node_modules/x/package.json":       false,
		"scripts/release.sh":                false,
		"node_modules/.bin/../x/README.md":  false,
		"vendor/github.com/a/b/LICENSE.txt": false,
	} {
		if got := (Binary{}).MayClaim(p); got != want {
			t.Errorf("MayClaim(%q) = %v, want %v", p, got, want)
		}
	}
}
