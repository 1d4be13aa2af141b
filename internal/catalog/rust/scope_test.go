package rust

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
)

// scopeOf lists every package as "scope/kind", "" for runtime, plus "*" when
// Direct.
func scopeOf(res *catalog.Result) map[string]string {
	out := map[string]string{}
	for _, p := range res.Packages {
		s := string(p.Scope)
		if k := p.Properties[PropKind]; k != "" {
			s += "/" + k
		}
		if p.Direct {
			s += "*"
		}
		out[p.Name] = s
	}
	return out
}

// TestWorkspaceScopes: testdata/workspace is a virtual workspace (members =
// ["crates/*"], crates/scratch excluded) of two crates. acme-core declares
// serde and log inherited from [workspace.dependencies], serde_json renamed
// to "json" and optional (and again as a dev-dependency), libc and
// windows-sys under [target.'cfg(...)'.dependencies], cc as a build
// dependency and proptest as a dev-dependency; acme declares acme-core
// (workspace path dependency), tokio (normal and dev), clap, vergen (build)
// and assert_cmd (dev). The Cargo.lock is written by hand in the v4 format
// for that workspace (its checksums are sha256("name-version"), well-formed
// but not crates.io's). 16 of the 39 packages change scope against the
// lockfile alone: 3 optional, 4 build, 9 dev.
func TestWorkspaceScopes(t *testing.T) {
	res := catalogtest.Run(t, CargoLock{}, "testdata/workspace/Cargo.lock")
	catalogtest.CheckInvariants(t, res)
	want := map[string]string{
		// Workspace crates: the roots.
		"acme": "", "acme-core": "",
		// Declared normal dependencies (tokio is also a dev-dependency,
		// libc also reached by cc, a build dependency) and what they reach.
		"tokio": "*", "clap": "*", "serde": "*", "log": "*", "libc": "*", "windows-sys": "*",
		"pin-project-lite": "", "tokio-macros": "", "proc-macro2": "", "quote": "", "syn": "",
		"unicode-ident": "", "clap_builder": "", "clap_derive": "", "clap_lex": "", "heck": "",
		"serde_derive": "", "windows-targets": "", "windows_x86_64_gnu": "", "windows_x86_64_msvc": "",
		// anstyle: reached by clap (runtime) and predicates (dev).
		"anstyle": "",
		// Optional: serde_json (renamed "json", also a dev-dependency) and
		// what only it reaches.
		"serde_json": "optional*", "itoa": "optional", "ryu": "optional",
		// Build dependencies.
		"vergen": "dev/build*", "cc": "dev/build*", "anyhow": "dev/build", "rustversion": "dev/build",
		// Dev-dependencies.
		"assert_cmd": "dev/dev*", "proptest": "dev/dev*", "bstr": "dev/dev", "memchr": "dev/dev",
		"predicates": "dev/dev", "predicates-core": "dev/dev", "bitflags": "dev/dev",
		"num-traits": "dev/dev", "autocfg": "dev/dev",
	}
	if diff := cmp.Diff(want, scopeOf(res)); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}

	// The same lockfile without its manifests: today's behaviour, no scope.
	lock, err := os.ReadFile("testdata/workspace/Cargo.lock")
	if err != nil {
		t.Fatal(err)
	}
	res, err = (CargoLock{}).Catalog(context.Background(), fstest.MapFS{"Cargo.lock": {Data: lock}}, "Cargo.lock")
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for n, s := range scopeOf(res) {
		if s != "" && s != "*" {
			t.Errorf("%s: scope %q without Cargo.toml", n, s)
		}
		if strings.TrimSuffix(s, "*") != strings.TrimSuffix(want[n], "*") {
			changed++
		}
	}
	if changed != 16 {
		t.Errorf("%d packages change scope, want 16", changed)
	}
}

// TestSingleCrateScopes: a root Cargo.toml with a [package] and no
// [workspace]; a path dependency inside the directory is an implicit
// member (its dev-dependency is dev), one outside it is not read; the old
// dev_dependencies spelling; an unreadable member manifest is skipped.
func TestSingleCrateScopes(t *testing.T) {
	lock := `version = 3

[[package]]
name = "tool"
version = "0.1.0"
dependencies = ["helper", "outside", "insta", "tempfile"]

[[package]]
name = "helper"
version = "0.1.0"
dependencies = ["quickcheck"]

[[package]]
name = "outside"
version = "0.2.0"
dependencies = ["once_cell"]

[[package]]
name = "insta"
version = "1.34.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "tempfile"
version = "3.8.1"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "quickcheck"
version = "1.0.3"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "once_cell"
version = "1.19.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
`
	fsys := fstest.MapFS{
		"proj/Cargo.lock": {Data: []byte(lock)},
		"proj/Cargo.toml": {Data: []byte(`[package]
name = "tool"
version = "0.1.0"

[dependencies]
helper = { path = "helper" }
outside = { path = "../outside" }

[dev_dependencies]
insta = "1.34"

[dev-dependencies.tempfile]
version = "3"
`)},
		"proj/helper/Cargo.toml": {Data: []byte("[package]\nname = \"helper\"\n[dev-dependencies]\nquickcheck = \"1\"\n")},
		"outside/Cargo.toml":     {Data: []byte("[package]\nname = \"outside\"\n[dev-dependencies]\nonce_cell = \"1\"\n")},
	}
	res, err := (CargoLock{}).Catalog(context.Background(), fsys, "proj/Cargo.lock")
	if err != nil {
		t.Fatal(err)
	}
	catalogtest.CheckInvariants(t, res)
	want := map[string]string{
		"tool": "", "helper": "",
		"outside": "*", "once_cell": "", // not a member: its edges are normal
		"insta": "dev/dev*", "tempfile": "dev/dev*",
		"quickcheck": "dev/dev*",
	}
	if diff := cmp.Diff(want, scopeOf(res)); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}

	// A broken member manifest: helper becomes an ordinary node, reached
	// as a normal dependency, and so is what it reaches.
	fsys["proj/helper/Cargo.toml"] = &fstest.MapFile{Data: []byte("[package\n")}
	res, err = (CargoLock{}).Catalog(context.Background(), fsys, "proj/Cargo.lock")
	if err != nil {
		t.Fatal(err)
	}
	want["helper"], want["quickcheck"] = "*", ""
	if diff := cmp.Diff(want, scopeOf(res)); diff != "" {
		t.Errorf("broken member: scopes (-want +got):\n%s", diff)
	}

	// A broken root manifest: today's behaviour.
	fsys["proj/Cargo.toml"] = &fstest.MapFile{Data: []byte("members = 3 = 4\n")}
	res, err = (CargoLock{}).Catalog(context.Background(), fsys, "proj/Cargo.lock")
	if err != nil {
		t.Fatal(err)
	}
	for n, s := range scopeOf(res) {
		if s != "" && s != "*" {
			t.Errorf("broken root: %s has scope %q", n, s)
		}
	}
}

// FuzzCargoToml: any Cargo.toml beside a fixed lockfile never panics and
// leaves a result that keeps the invariants.
func FuzzCargoToml(f *testing.F) {
	lock, err := os.ReadFile("testdata/workspace/Cargo.lock")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{"testdata/workspace/Cargo.toml", "testdata/workspace/crates/core/Cargo.toml", "testdata/workspace/crates/app/Cargo.toml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("[package]\nname = \"acme\"\n[workspace]\nmembers = [\"*\", \"[\", \"../x\", \"/abs\"]\n[dependencies]\nx = { path = \"..\" }\n"))
	f.Fuzz(func(t *testing.T, toml []byte) {
		fsys := fstest.MapFS{
			"Cargo.lock":              {Data: lock},
			"Cargo.toml":              {Data: toml},
			"crates/core/Cargo.toml":  {Data: toml},
			"crates/app/Cargo.toml":   {Data: []byte("[package]\nname = \"acme\"\n")},
			"crates/app/x/Cargo.toml": {Data: toml},
		}
		res, err := (CargoLock{}).Catalog(context.Background(), fsys, "Cargo.lock")
		if err != nil {
			t.Fatal(err)
		}
		catalogtest.CheckInvariants(t, res)
	})
}

// BenchmarkWorkspaceScopes: testdata/workspace with its three manifests
// (the corpus holds no Cargo.toml).
func BenchmarkWorkspaceScopes(b *testing.B) {
	fsys := os.DirFS("testdata/workspace")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (CargoLock{}).Catalog(context.Background(), fsys, "Cargo.lock"); err != nil {
			b.Fatal(err)
		}
	}
}
