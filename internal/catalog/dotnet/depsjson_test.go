package dotnet

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// The fixtures model the deps.json the .NET 8 SDK writes for an ASP.NET
// Core API (Contoso.Orders.Api) referencing one project
// (Contoso.Orders.Domain) and one bare assembly (Legacy.Interop), built
// framework-dependent and published self-contained for linux-x64. Their
// sha512 values are well-formed but synthetic (SHA-512 of "<id>.<version>.nupkg").
func TestDepsJSON(t *testing.T) {
	tests := []struct {
		file     string
		packages int
		direct   []string
	}{
		// 14 "package" libraries; the two "project" libraries and the
		// "reference" are left out.
		{"testdata/Contoso.Orders.Api.deps.json", 14, []string{
			"Microsoft.EntityFrameworkCore", // from the referenced project
			"Npgsql.EntityFrameworkCore.PostgreSQL", "Serilog.AspNetCore", "Swashbuckle.AspNetCore",
		}},
		// The same plus the two runtime packs of the self-contained publish.
		{"testdata/Contoso.Orders.Api.selfcontained.deps.json", 16, []string{
			"Microsoft.AspNetCore.App.Runtime.linux-x64", "Microsoft.EntityFrameworkCore", "Microsoft.NETCore.App.Runtime.linux-x64",
			"Npgsql.EntityFrameworkCore.PostgreSQL", "Serilog.AspNetCore", "Swashbuckle.AspNetCore",
		}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			res := catalogtest.Run(t, DepsJSON{}, tt.file)
			catalogtest.CheckInvariants(t, res)
			if n := catalogtest.Unique(res); n != tt.packages {
				t.Errorf("packages = %d, want %d", n, tt.packages)
			}
			var direct []string
			for _, p := range res.Packages {
				if p.Direct {
					direct = append(direct, p.Name)
				}
				if strings.HasPrefix(p.Name, "Contoso.") || p.Name == "Legacy.Interop" {
					t.Errorf("%s is not a NuGet package", p.Name)
				}
			}
			slices.Sort(direct)
			if diff := cmp.Diff(tt.direct, direct); diff != "" {
				t.Errorf("direct (-want +got):\n%s", diff)
			}
			// 18 package-to-package edges in the targets section.
			if len(res.Relationships) != 18 {
				t.Errorf("relationships = %d, want 18", len(res.Relationships))
			}
			got := catalogtest.Find(res, "Npgsql")
			want := []sbom.Package{{
				Name: "Npgsql", Version: "8.0.3", Ecosystem: sbom.EcosystemNuGet, PURL: "pkg:nuget/Npgsql@8.0.3",
				Hashes:    sha512Hash("+566IB7JMkovfgFWteDRd9VX40hqfR+PM1WGtbN7eXHHRWJ8H2lg8gn+K1OGYX3eqFWPpTnidhbi1koe2uGG5Q=="),
				Locations: []sbom.Location{{Path: filepath.Base(tt.file), Line: got[0].Locations[0].Line}},
			}}
			if len(want[0].Hashes) != 1 || !strings.HasPrefix(want[0].Hashes[0].Value, "fb9eba20") {
				t.Errorf("fixture hash decoded to %v", want[0].Hashes)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Npgsql (-want +got):\n%s", diff)
			}
			if got[0].Locations[0].Line < 100 {
				t.Errorf("Npgsql line %d, want the libraries entry", got[0].Locations[0].Line)
			}
		})
	}
	res := catalogtest.Run(t, DepsJSON{}, "testdata/Contoso.Orders.Api.selfcontained.deps.json")
	rt := catalogtest.Find(res, "Microsoft.NETCore.App.Runtime.linux-x64")
	if len(rt) != 1 || rt[0].PURL != "pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.6" || rt[0].Properties[PropLibraryType] != "runtimepack" {
		t.Errorf("runtime pack = %+v", rt)
	}
}

func TestDepsJSONMalformed(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
		packages            int
	}{
		{"empty", ``, "EOF", 0},
		{"not json", `<xml/>`, "invalid character", 0},
		{"no libraries", `{"targets": {}}`, `no "libraries"`, 0},
		{"libraries array", `{"libraries": []}`, "expected an object", 0},
		{"library wrong type", `{"libraries": {"A/1.0.0": {"type": 7}}}`, "cannot unmarshal number", 0},
		{"key without version", `{"libraries": {"A": {"type": "package"}, "B/2.0": {"type": "package"}}}`, "not name/version", 1},
		{"targets wrong", `{"targets": {"fw": {"A/1.0": {"dependencies": ["x"]}}}, "libraries": {}}`, "cannot unmarshal array", 0},
		{"truncated", `{"libraries": {"A/1.0.0": {"type": "package"}, "B/1`, "unexpected EOF", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"app.deps.json": {Data: []byte(tt.body)}}
			res, err := DepsJSON{}.Catalog(context.Background(), fsys, "app.deps.json")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			n := 0
			if res != nil {
				catalogtest.CheckInvariants(t, res)
				n = len(res.Packages)
			}
			if n != tt.packages {
				t.Errorf("packages = %d, want %d", n, tt.packages)
			}
		})
	}
}

func FuzzDepsJSON(f *testing.F) {
	for _, name := range []string{"testdata/Contoso.Orders.Api.deps.json", "testdata/Contoso.Orders.Api.selfcontained.deps.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys := fstest.MapFS{"app.deps.json": {Data: b}}
		res, _ := DepsJSON{}.Catalog(context.Background(), fsys, "app.deps.json")
		if res != nil {
			catalogtest.CheckInvariants(t, res)
		}
	})
}

// BenchmarkDepsJSON runs on the larger fixture (there is no corpus file).
func BenchmarkDepsJSON(b *testing.B) {
	fsys := os.DirFS("testdata")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (DepsJSON{}).Catalog(context.Background(), fsys, "Contoso.Orders.Api.selfcontained.deps.json"); err != nil {
			b.Fatal(err)
		}
	}
}
