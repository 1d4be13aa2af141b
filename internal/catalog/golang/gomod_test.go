package golang

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

// The truth for a go.mod is its require list minus excluded versions, as
// `go mod edit -json` prints it (run in each corpus directory):
//
//	go mod edit -json | jq '.Require | length, map(select(.Indirect|not)) | length'
func TestGoModCorpus(t *testing.T) {
	tests := []struct {
		dir           string
		count, direct int
		sample        []triple
	}{
		{
			// 158 requires (47 direct); rogpeppe/go-internal is replaced
			// (any version) by cli/go-internal.
			dir: "cli__cli", count: 158, direct: 47,
			sample: []triple{
				{Name: "github.com/AlecAivazis/survey/v2", Version: "v2.3.7", PURL: "pkg:golang/github.com/AlecAivazis/survey/v2@v2.3.7"},
				{Name: "github.com/charmbracelet/lipgloss", Version: "v0.10.1-0.20240413172830-d0be07ea6b9c", PURL: "pkg:golang/github.com/charmbracelet/lipgloss@v0.10.1-0.20240413172830-d0be07ea6b9c"},
				{Name: "github.com/cli/go-internal", Version: "v0.0.0-20241024130215-fa3c22e38b9b", PURL: "pkg:golang/github.com/cli/go-internal@v0.0.0-20241024130215-fa3c22e38b9b"},
			},
		},
		{
			// 250 requires (109 direct); the three excluded versions are not
			// required, so exclude removes nothing here; cloud.google.com/go is
			// replaced but not required (only reached through the graph).
			dir: "prometheus__prometheus", count: 250, direct: 109,
			sample: []triple{
				{Name: "github.com/prometheus/common", Version: "v0.70.1", PURL: "pkg:golang/github.com/prometheus/common@v0.70.1"},
				{Name: "golang.org/x/net", Version: "v0.57.0", PURL: "pkg:golang/golang.org/x/net@v0.57.0"},
				{Name: "github.com/linode/linodego", Version: "v1.69.1", PURL: "pkg:golang/github.com/linode/linodego@v1.69.1"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			path := sharedtest.Path(t, "corpus/go/"+tt.dir+"/go.mod")
			res := catalogtest.Run(t, GoMod{}, path)
			catalogtest.CheckInvariants(t, res)
			if n := catalogtest.Unique(res); n != tt.count {
				t.Errorf("packages = %d, want %d", n, tt.count)
			}
			direct, hashed := 0, 0
			for _, p := range res.Packages {
				if p.Direct {
					direct++
				}
				if len(p.Hashes) == 1 && p.Properties[PropHashKind] == "h1" {
					hashed++
				}
			}
			if direct != tt.direct {
				t.Errorf("direct = %d, want %d", direct, tt.direct)
			}
			// Every required module has its h1 hash in go.sum.
			if hashed != tt.count {
				t.Errorf("hashed = %d, want %d", hashed, tt.count)
			}
			catalogtest.CheckSample(t, res, tt.sample)
		})
	}
}

type triple = catalogtest.Triple

func TestGoModReplaceExclude(t *testing.T) {
	res := catalogtest.Run(t, GoMod{}, "testdata/gomod/replace/go.mod")
	catalogtest.CheckInvariants(t, res)
	const loc = "go.mod"
	with := func(kv ...string) map[string]string {
		m := map[string]string{PropRequiredBy: "example.com/app"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	h := func(v string) []sbom.Hash { return []sbom.Hash{{Algorithm: sbom.SHA256, Value: v}} }
	want := []sbom.Package{
		{Name: "example.com/local", PURL: "pkg:golang/example.com/local", Direct: true, SourceKind: "path", ResolvedURL: "../local",
			Locations: []sbom.Location{{Path: loc, Line: 8}}, Properties: with(PropReplaces, "example.com/local@v1.0.0")},
		{Name: "github.com/hallmark-dev/errors", Version: "v0.9.2", PURL: "pkg:golang/github.com/hallmark-dev/errors@v0.9.2", Direct: true,
			Locations: []sbom.Location{{Path: loc, Line: 10}}, Hashes: h("5c66db27b56112ae65f44d9881542262d21090fa9a5eadab2df8b89d6510dec0"),
			Properties: with(PropReplaces, "github.com/pkg/errors@v0.9.1", PropHashKind, "h1")},
		{Name: "golang.org/x/text", Version: "v0.21.0", PURL: "pkg:golang/golang.org/x/text@v0.21.0",
			Locations: []sbom.Location{{Path: loc, Line: 11}}, Hashes: h("cf2400024af06a7790d3aeacb2947225a1bd54d8bf609d4d7f3706077859feaa"),
			Properties: with(PropReplaces, "golang.org/x/text@v0.14.0", PropHashKind, "h1")},
		{Name: "gopkg.in/yaml.v3", Version: "v3.0.1", PURL: "pkg:golang/gopkg.in/yaml.v3@v3.0.1", Direct: true,
			Locations: []sbom.Location{{Path: loc, Line: 12}}, Hashes: h("7f1566fc6cc0cc45aa2c7baf72d23b28b2f29339326a17ce748841384400c399"),
			Properties: with(PropHashKind, "h1")},
		{Name: "github.com/BurntSushi/toml", Version: "v1.3.2", PURL: "pkg:golang/github.com/BurntSushi/toml@v1.3.2",
			Locations: []sbom.Location{{Path: loc, Line: 15}}, Hashes: h("a3b2212e6d0cb31dc1681fa7dc083b2fc115941c869e9ab5e02e185a2bbf80bf"),
			Properties: with(PropHashKind, "h1")},
	}
	for i := range want {
		want[i].Ecosystem = sbom.EcosystemGo
	}
	if diff := cmp.Diff(want, res.Packages, cmpopts.IgnoreFields(sbom.Package{}, "ID")); diff != "" {
		t.Errorf("packages diff (-want +got):\n%s", diff)
	}
	for _, p := range res.Packages {
		if p.ID != p.PURL {
			t.Errorf("%s: ID %q != purl %q", p.Name, p.ID, p.PURL)
		}
	}
	if len(res.Relationships) != 0 {
		t.Errorf("relationships = %v, want none (go.mod records only main -> required)", res.Relationships)
	}
}

func TestGoModMissingOrBadSum(t *testing.T) {
	for _, dir := range []string{"nosum", "badsum"} {
		res := catalogtest.Run(t, GoMod{}, "testdata/gomod/"+dir+"/go.mod")
		if len(res.Packages) != 1 || len(res.Packages[0].Hashes) != 0 {
			t.Errorf("%s: got %+v, want one package without hashes", dir, res.Packages)
		}
	}
}

func TestGoModClaims(t *testing.T) {
	tests := map[string]bool{
		"go.mod":          true,
		"sub/dir/go.mod":  true,
		"go.sum":          false,
		"notgo.mod":       false,
		"vendor/x/go.mod": false,
		"root/go/pkg/mod/github.com/pkg/errors@v0.9.1/go.mod":    false,
		"pkg/mod/golang.org/x/mod@v0.42.0/zip/testdata/a/go.mod": false,
		"pkg/mod/cache/download/golang.org/x/mod/@v/v0.42.0.mod": false,
		"examples/testdata/go.mod":                               true,
	}
	for p, want := range tests {
		if got := (GoMod{}).Claims(p, 0o644); got != want {
			t.Errorf("Claims(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestGoModMalformed(t *testing.T) {
	tests := map[string]string{
		"garbage":      "this is { not a go.mod",
		"bad version":  "module m\nrequire example.com/x v1..2\n",
		"unterminated": "module m\nrequire (\n\texample.com/x v1.0.0\n",
		"bad quote":    "module \"m\nrequire x v1.0.0\n",
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{"go.mod": {Data: []byte(text)}}
			if _, err := (GoMod{}).Catalog(context.Background(), fsys, "go.mod"); err == nil {
				t.Errorf("no error for %q", text)
			}
		})
	}
}

func FuzzGoMod(f *testing.F) {
	// Every go.mod fixture with the go.sum beside it (none for nosum).
	for _, dir := range []string{"replace", "nosum", "badsum"} {
		mod, err := os.ReadFile("testdata/gomod/" + dir + "/go.mod")
		if err != nil {
			f.Fatal(err)
		}
		sum, err := os.ReadFile("testdata/gomod/" + dir + "/go.sum")
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			f.Fatal(err)
		}
		f.Add(mod, sum)
	}
	f.Add([]byte("module a\n\ngo 1.22\n\nrequire github.com/pkg/errors v0.9.1\n"), []byte("github.com/pkg/errors v0.9.1 h1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=\n"))
	f.Fuzz(func(t *testing.T, mod, sum []byte) {
		fsys := fstest.MapFS{"go.mod": {Data: mod}, "go.sum": {Data: sum}}
		res, err := (GoMod{}).Catalog(context.Background(), fsys, "go.mod")
		if err == nil && res != nil {
			catalogtest.CheckInvariants(t, res)
		}
	})
}

func BenchmarkGoMod(b *testing.B) {
	path := sharedtest.Path(b, "corpus/go/prometheus__prometheus/go.mod")
	fsys := os.DirFS(filepath.Dir(path))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (GoMod{}).Catalog(context.Background(), fsys, "go.mod"); err != nil {
			b.Fatal(err)
		}
	}
}

func b64(t *testing.T, hexValue string) string {
	t.Helper()
	raw, err := hex.DecodeString(hexValue)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}
