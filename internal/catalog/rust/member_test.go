package rust

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
)

// memberRow is a crate as a member's Cargo.toml sees it.
type memberRow struct {
	version, scope, kind string
	direct               bool
}

func memberRows(t *testing.T, res *catalog.Result) map[string]memberRow {
	t.Helper()
	catalogtest.CheckInvariants(t, res)
	rows := map[string]memberRow{}
	for _, p := range res.Packages {
		rows[p.Name] = memberRow{p.Version, string(p.Scope), p.Properties[PropKind], p.Direct}
	}
	return rows
}

// A workspace member's Cargo.toml named alone is read through the
// workspace root's Cargo.lock: its dependencies inherited with
// `workspace = true` take the lockfile's versions, what the other members
// declare for their tests is left out.
func TestMemberManifest(t *testing.T) {
	if !(CargoLock{}).ClaimsAlone("crates/core/Cargo.toml") || (CargoLock{}).Claims("crates/core/Cargo.toml", 0o644) {
		t.Fatal("Cargo.toml must be claimed alone only")
	}
	fsys := os.DirFS("testdata/workspace")
	tests := []struct {
		manifest string
		packages int
		want     map[string]memberRow
		absent   []string
	}{
		{"crates/core/Cargo.toml", 21, map[string]memberRow{
			"acme-core":  {"0.4.0", "", "", false},
			"serde":      {"1.0.193", "", "", true}, // serde = { workspace = true }
			"log":        {"0.4.20", "", "", true},  // log.workspace = true
			"serde_json": {"1.0.108", "optional", "", true},
			"cc":         {"1.0.83", "dev", "build", true},
			"proptest":   {"1.4.0", "dev", "dev", true},
		}, []string{"acme", "clap", "tokio", "assert_cmd"}},
		{"crates/app/Cargo.toml", 35, map[string]memberRow{
			"acme":       {"0.4.0", "", "", false},
			"acme-core":  {"0.4.0", "", "", false},
			"tokio":      {"1.35.0", "", "", true}, // inherited, also a dev-dependency: runtime wins
			"serde":      {"1.0.193", "", "", false},
			"cc":         {"1.0.83", "dev", "build", false},
			"assert_cmd": {"2.0.12", "dev", "dev", true},
		}, []string{"proptest", "num-traits", "scratch"}}, // acme-core's dev-dependencies are not acme's
		// The root manifest: the whole lockfile, as Cargo.lock gives it.
		{"Cargo.toml", 39, map[string]memberRow{
			"proptest":   {"1.4.0", "dev", "dev", true},
			"assert_cmd": {"2.0.12", "dev", "dev", true},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.manifest, func(t *testing.T) {
			res, err := CargoLock{}.Catalog(context.Background(), fsys, tt.manifest)
			if err != nil {
				t.Fatal(err)
			}
			rows := memberRows(t, res)
			if len(rows) != tt.packages {
				t.Errorf("%d packages, want %d", len(rows), tt.packages)
			}
			for name, want := range tt.want {
				if got, ok := rows[name]; !ok || got != want {
					t.Errorf("%s = %+v (found %v), want %+v", name, got, ok, want)
				}
			}
			for _, name := range tt.absent {
				if _, ok := rows[name]; ok {
					t.Errorf("%s present", name)
				}
			}
			for _, p := range res.Packages {
				if p.Locations[0].Path != "Cargo.lock" {
					t.Errorf("%s located at %s, want the workspace's Cargo.lock", p.Name, p.Locations[0].Path)
				}
			}
		})
	}
}

func TestMemberManifestErrors(t *testing.T) {
	lock, err := os.ReadFile("testdata/workspace/Cargo.lock")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		// No lockfile anywhere.
		"nolock/Cargo.toml":       {Data: []byte("[workspace]\nmembers = [\"a\"]\n")},
		"nolock/a/Cargo.toml":     {Data: []byte("[package]\nname = \"a\"\n")},
		"stranger/Cargo.toml":     {Data: []byte("[workspace]\nmembers = [\"b\"]\n")},
		"stranger/Cargo.lock":     {Data: lock},
		"stranger/b/Cargo.toml":   {Data: []byte("[package]\nname = \"not-in-the-lock\"\n")},
		"broken/Cargo.toml":       {Data: []byte("[package\n")},
		"elsewhere/Cargo.toml":    {Data: []byte("[workspace]\n")},
		"elsewhere/Cargo.lock":    {Data: lock},
		"apart/core/Cargo.toml":   {Data: []byte("[package]\nname = \"acme-core\"\nworkspace = \"../../elsewhere\"\n")},
		"standalone/Cargo.toml":   {Data: []byte("[package]\nname = \"acme\"\n")},
		"standalone/Cargo.lock":   {Data: lock},
		"standalone/x/Cargo.toml": {Data: []byte("[package]\nname = \"x\"\n")},
	}
	for _, tc := range []struct{ manifest, err string }{
		{"nolock/a/Cargo.toml", "no Cargo.lock at the workspace root (nolock/Cargo.lock)"},
		{"stranger/b/Cargo.toml", `crate "not-in-the-lock" is not in stranger/Cargo.lock`},
		{"broken/Cargo.toml", "not a readable manifest"},
		{"missing/Cargo.toml", "file does not exist"},
		// A crate without [workspace] above it is its own root.
		{"standalone/x/Cargo.toml", "no Cargo.lock at the workspace root (standalone/x/Cargo.lock)"},
	} {
		_, err := CargoLock{}.Catalog(context.Background(), fsys, tc.manifest)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.manifest, err, tc.err)
		}
	}
	// package.workspace names a root that is not above the crate.
	res, err := CargoLock{}.Catalog(context.Background(), fsys, "apart/core/Cargo.toml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range res.Packages {
		names = append(names, p.Name)
	}
	if !slices.Contains(names, "serde") || slices.Contains(names, "clap") {
		t.Errorf("apart/core: %v", names)
	}
}

func FuzzMemberManifest(f *testing.F) {
	lock, err := os.ReadFile("testdata/workspace/Cargo.lock")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{"testdata/workspace/Cargo.toml", "testdata/workspace/crates/core/Cargo.toml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, []byte("[package]\nname = \"acme\"\n[dependencies]\nserde.workspace = true\n"))
	}
	f.Fuzz(func(t *testing.T, root, member []byte) {
		fsys := fstest.MapFS{
			"Cargo.toml":   {Data: root},
			"Cargo.lock":   {Data: lock},
			"m/Cargo.toml": {Data: member},
		}
		res, err := CargoLock{}.Catalog(context.Background(), fsys, "m/Cargo.toml")
		if err == nil && res == nil {
			t.Fatal("no result and no error")
		}
	})
}
