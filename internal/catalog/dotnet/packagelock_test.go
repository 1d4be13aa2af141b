package dotnet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

type triple struct{ Name, Version, PURL string }

// The truth for each corpus file was read by hand and counted once with
// testdata/nugettruth.py (distinct lower-cased name and resolved version of
// the non-"Project" entries over all sections; the Direct ones; the edges to
// the version each section resolved). "Project" entries are project
// references of the same repository, cataloged from their own lock files,
// and are left out.
func TestPackagesLockCorpus(t *testing.T) {
	tests := []struct {
		file                  string
		packages, direct, rel int
		sample                []triple
	}{
		{
			file: "corpus/nuget/Caraxi__SimpleTweaksPlugin/packages.lock.json", packages: 3, direct: 2, rel: 0,
			sample: []triple{
				{"DalamudPackager", "14.0.1", "pkg:nuget/DalamudPackager@14.0.1"},
				{"SixLabors.ImageSharp", "3.1.12", "pkg:nuget/SixLabors.ImageSharp@3.1.12"},
			},
		},
		{
			file:     "corpus/nuget/Project-MONAI__monai-deploy-informatics-gateway/src/CLI/packages.lock.json",
			packages: 68, direct: 6, rel: 148,
			sample: []triple{
				{"Docker.DotNet", "3.125.15", "pkg:nuget/Docker.DotNet@3.125.15"},
				{"Newtonsoft.Json", "13.0.3", "pkg:nuget/Newtonsoft.Json@13.0.3"},
				{"System.CommandLine.Hosting", "0.4.0-alpha.22272.1", "pkg:nuget/System.CommandLine.Hosting@0.4.0-alpha.22272.1"},
			},
		},
		{
			file:     "corpus/nuget/Project-MONAI__monai-deploy-informatics-gateway/src/Database/packages.lock.json",
			packages: 94, direct: 4, rel: 153,
			sample: []triple{
				{"System.IO.Abstractions", "21.3.1", "pkg:nuget/System.IO.Abstractions@21.3.1"},
			},
		},
		{
			file:     "corpus/nuget/Project-MONAI__monai-deploy-informatics-gateway/src/InformaticsGateway/packages.lock.json",
			packages: 118, direct: 8, rel: 199,
			sample: []triple{
				{"fo-dicom", "5.2.1", "pkg:nuget/fo-dicom@5.2.1"},
				{"HL7-dotnetcore", "2.39.1", "pkg:nuget/HL7-dotnetcore@2.39.1"},
				{"Swashbuckle.AspNetCore", "8.0.0", "pkg:nuget/Swashbuckle.AspNetCore@8.0.0"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(filepath.Dir(tt.file)), func(t *testing.T) {
			res := catalogtest.Run(t, PackagesLock{}, sharedtest.Path(t, tt.file))
			catalogtest.CheckInvariants(t, res)
			if got := catalogtest.Unique(res); got != tt.packages {
				t.Errorf("packages = %d, want %d", got, tt.packages)
			}
			direct := 0
			for _, p := range res.Packages {
				if p.Direct {
					direct++
				}
				if len(p.Hashes) != 1 || p.Hashes[0].Algorithm != sbom.SHA512 || len(p.Hashes[0].Value) != 128 {
					t.Errorf("%s@%s: hashes %v, want one SHA-512", p.Name, p.Version, p.Hashes)
				}
				if p.Locations[0].Line == 0 {
					t.Errorf("%s@%s: no line", p.Name, p.Version)
				}
				if strings.HasPrefix(strings.ToLower(p.Name), "monai.deploy.informaticsgateway") {
					t.Errorf("project reference %s emitted as a package", p.Name)
				}
			}
			if direct != tt.direct {
				t.Errorf("direct = %d, want %d", direct, tt.direct)
			}
			if len(res.Relationships) != tt.rel {
				t.Errorf("relationships = %d, want %d", len(res.Relationships), tt.rel)
			}
			for _, want := range tt.sample {
				found := catalogtest.Find(res, want.Name)
				var got []triple
				for _, p := range found {
					got = append(got, triple{p.Name, p.Version, p.PURL})
				}
				if diff := cmp.Diff([]triple{want}, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", want.Name, diff)
				}
			}
		})
	}
}

// TestPackagesLockDetails checks one entry completely: line, hash in hex,
// frameworks merged, edges to the resolved version (not the requested lower
// bound), case-insensitive names.
func TestPackagesLockDetails(t *testing.T) {
	res := catalogtest.Run(t, PackagesLock{}, "testdata/packages.lock.json")
	catalogtest.CheckInvariants(t, res)
	got := catalogtest.Find(res, "Serilog")
	want := []sbom.Package{{
		Name: "Serilog", Version: "3.1.1", Ecosystem: sbom.EcosystemNuGet, PURL: "pkg:nuget/Serilog@3.1.1",
		Hashes: []sbom.Hash{{Algorithm: sbom.SHA512,
			Value: "1eb0b9057765d3420ff73795fb467ce3c4163c0a02afd3f76c311982e23e8242dc04a00ec62c7fb4b1000070be52f0cd3efe1ad9dd7c94e45e1cc39a80f6becd"}},
		Locations:  []sbom.Location{{Path: "packages.lock.json", Line: 5}},
		Direct:     true,
		Properties: map[string]string{PropTargetFrameworks: "net8.0,net6.0"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Serilog (-want +got):\n%s", diff)
	}
	if n := catalogtest.Unique(res); n != 6 {
		t.Errorf("packages = %d, want 6 (Serilog, Serilog.Sinks.Console, System.Text.Json x2, Polly, Microsoft.Bcl.AsyncInterfaces)", n)
	}
	wantRel := map[string]bool{
		"pkg:nuget/Serilog.Sinks.Console@5.0.0 -> pkg:nuget/Serilog@3.1.1":                  true,
		"pkg:nuget/Polly@8.2.0 -> pkg:nuget/Microsoft.Bcl.AsyncInterfaces@6.0.0":            true,
		"pkg:nuget/Serilog.Sinks.Console@5.0.0 -> pkg:nuget/System.Text.Json@8.0.0":         true,
		"pkg:nuget/Serilog.Sinks.Console@5.0.0 -> pkg:nuget/System.Text.Json@6.0.0":         true,
		"pkg:nuget/Microsoft.Bcl.AsyncInterfaces@6.0.0 -> pkg:nuget/System.Text.Json@6.0.0": true,
	}
	gotRel := map[string]bool{}
	for _, r := range res.Relationships {
		gotRel[r.From+" -> "+r.To] = true
	}
	if diff := cmp.Diff(wantRel, gotRel); diff != "" {
		t.Errorf("relationships (-want +got):\n%s", diff)
	}
	if ps := catalogtest.Find(res, "Polly"); len(ps) != 1 || ps[0].Direct {
		t.Errorf("Polly (CentralTransitive) = %+v, want one non-direct package", ps)
	}
}

func TestPackagesLockMalformed(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
		packages            int
	}{
		{"empty", ``, "EOF", 0},
		{"not json", `version: 1`, "invalid character", 0},
		{"array root", `[]`, "expected an object", 0},
		{"no dependencies", `{"version": 1}`, `no "dependencies"`, 0},
		{"dependencies array", `{"version": 1, "dependencies": []}`, "expected an object", 0},
		{"entry wrong type", `{"dependencies": {"net8.0": {"A": {"type": "Direct", "resolved": 1}}}}`, "cannot unmarshal number", 0},
		{"truncated", `{"version": 1, "dependencies": {"net8.0": {"A": {"type": "Direct", "resolved": "1.0.0"}, "B": {"ty`, "unexpected EOF", 1},
		{"no resolved", `{"dependencies": {"net8.0": {"A": {"type": "Transitive"}, "B": {"type": "Direct", "resolved": "2.0.0"}}}}`, "no resolved version", 1},
		{"bad hash", `{"dependencies": {"net8.0": {"A": {"type": "Direct", "resolved": "1.0.0", "contentHash": "!!"}}}}`, "", 1},
		{"deep", `{"dependencies": {"net8.0": {"A": {"type": "Direct", "resolved": "1.0.0", "x": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}}}`, "exceeded max depth", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"packages.lock.json": {Data: []byte(tt.body)}}
			res, err := PackagesLock{}.Catalog(context.Background(), fsys, "packages.lock.json")
			if tt.wantErr == "" && err != nil {
				t.Fatalf("error %v, want none", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
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

func TestPackagesLockClaims(t *testing.T) {
	for p, want := range map[string]bool{
		"packages.lock.json": true, "src/App/packages.lock.json": true, "src/packages.App.Web.lock.json": true,
		"package-lock.json": false, "packages.config": false, "packages.json": false,
	} {
		if got := (PackagesLock{}).Claims(p, 0o644); got != want {
			t.Errorf("Claims(%q) = %v, want %v", p, got, want)
		}
	}
}

func FuzzPackagesLock(f *testing.F) {
	for _, name := range []string{"testdata/packages.lock.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"dependencies": {"net8.0": {"A": {"type": "Project", "dependencies": {"B": "1.0"}}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys := fstest.MapFS{"packages.lock.json": {Data: b}}
		res, _ := PackagesLock{}.Catalog(context.Background(), fsys, "packages.lock.json")
		if res != nil {
			catalogtest.CheckInvariants(t, res)
		}
	})
}

func BenchmarkPackagesLock(b *testing.B) {
	p := sharedtest.Path(b, "corpus/nuget/Project-MONAI__monai-deploy-informatics-gateway/src/InformaticsGateway/packages.lock.json")
	fsys := os.DirFS(filepath.Dir(p))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (PackagesLock{}).Catalog(context.Background(), fsys, "packages.lock.json"); err != nil {
			b.Fatal(err)
		}
	}
}
