package dart

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/catalog/yamldoc"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

func TestClaims(t *testing.T) {
	c := New()
	for p, want := range map[string]bool{
		"pubspec.lock": true, "app/pubspec.lock": true, "pubspec.yaml": false, "pubspec.lock.bak": false,
		".pub-cache/hosted/pub.dev/http-1.2.0/pubspec.lock": false, "app/.dart_tool/x/pubspec.lock": false,
	} {
		if got := c.Claims(p, 0o644); got != want {
			t.Errorf("Claims(%q) = %v", p, got)
		}
	}
	if c.Claims("pubspec.lock", os.ModeDir) {
		t.Error("claims a directory")
	}
}

type triple struct{ Name, Version, PURL string }

// The truth for both corpus files was read with PyYAML (count of the
// "packages" mapping, dependency and source per entry). Every entry is
// included: hosted, git, path and the SDK packages (see the package doc).
func TestCorpus(t *testing.T) {
	tests := []struct {
		file              string
		count, direct     int
		dev, sdk, git     int
		samples           []triple
		hashed            int // hosted entries with sha256
		wantSDKVersion    string
		wantSDKConstraint string
	}{
		{
			file:  "corpus/pub/lichess-org__mobile/pubspec.lock",
			count: 242, direct: 76, dev: 9, sdk: 5, git: 1, hashed: 236,
			samples: []triple{
				{"_fe_analyzer_shared", "96.0.0", "pkg:pub/_fe_analyzer_shared@96.0.0"},
				{"app_links", "7.2.1", "pkg:pub/app_links@7.2.1"},
				{"sqflite_common_ffi", "2.4.2+1", "pkg:pub/sqflite_common_ffi@2.4.2%2B1"},
				{"multistockfish", "0.6.0", "pkg:pub/multistockfish@0.6.0?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Flichess-org%2Fdart-multistockfish.git%402458f34b58d220ab74dd4c14db03ebe356e01b54"},
				{"flutter", "3.47.0", "pkg:pub/flutter@3.47.0"},
				{"sky_engine", "3.47.0", "pkg:pub/sky_engine@3.47.0"},
			},
			wantSDKVersion: "3.47.0",
		},
		{
			// A pub workspace root: the members are not listed, so every
			// entry is transitive except the three dependency_overrides.
			file:  "corpus/pub/localsend__localsend/pubspec.lock",
			count: 259, direct: 3, dev: 0, sdk: 5, git: 3, hashed: 250,
			samples: []triple{
				{"device_apps", "2.2.0", "pkg:pub/device_apps@2.2.0?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2FTienisto%2Fdevice_apps.git%405dc7956d938541254d2e175766b3b84ea38bb85b"},
				{"rust_lib_localsend_app", "0.0.1", "pkg:pub/rust_lib_localsend_app@0.0.1"},
				{"yaru_window_web", "0.0.4", "pkg:pub/yaru_window_web@0.0.4"},
				{"flutter", "", "pkg:pub/flutter"},
			},
			wantSDKConstraint: ">=3.41.0 <4.0.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := catalogtest.Run(t, New(), sharedtest.Path(t, tt.file))
			catalogtest.CheckInvariants(t, res)
			if got := catalogtest.Unique(res); got != tt.count || len(res.Packages) != tt.count {
				t.Errorf("packages = %d (unique %d), want %d", len(res.Packages), got, tt.count)
			}
			var direct, dev, sdk, git, hashed int
			for _, p := range res.Packages {
				if p.Direct {
					direct++
				}
				if p.Scope == sbom.ScopeDev {
					dev++
				}
				switch p.Properties[PropSource] {
				case "sdk":
					sdk++
					if p.Version != tt.wantSDKVersion || p.Properties[PropSDKConstraint] != tt.wantSDKConstraint {
						t.Errorf("sdk package %s: version %q constraint %q", p.Name, p.Version, p.Properties[PropSDKConstraint])
					}
				case "git":
					git++
					if p.SourceKind != "git" || p.ResolvedURL == "" || len(p.Properties[PropGitCommit]) != 40 {
						t.Errorf("git package %+v", p)
					}
				}
				if len(p.Hashes) == 1 && p.Hashes[0].Algorithm == sbom.SHA256 && len(p.Hashes[0].Value) == 64 {
					hashed++
				}
				if p.Locations[0].Line < 4 {
					t.Errorf("%s: line %d", p.Name, p.Locations[0].Line)
				}
			}
			got := []int{direct, dev, sdk, git, hashed}
			if diff := cmp.Diff([]int{tt.direct, tt.dev, tt.sdk, tt.git, tt.hashed}, got); diff != "" {
				t.Errorf("direct, dev, sdk, git, hashed diff (-want +got):\n%s", diff)
			}
			for _, s := range tt.samples {
				found := catalogtest.Find(res, s.Name)
				if len(found) != 1 {
					t.Errorf("%s: found %d", s.Name, len(found))
					continue
				}
				if diff := cmp.Diff(s, triple{found[0].Name, found[0].Version, found[0].PURL}); diff != "" {
					t.Errorf("%s diff (-want +got):\n%s", s.Name, diff)
				}
			}
		})
	}
}

func TestFixture(t *testing.T) {
	res := catalogtest.Run(t, New(), "testdata/pubspec.lock")
	catalogtest.CheckInvariants(t, res)
	type pkg struct {
		Name, Version, PURL string
		Direct              bool
		Scope               sbom.Scope
		Hash, Kind, URL     string
		Line                int
		Props               map[string]string
	}
	var got []pkg
	for _, p := range res.Packages {
		h := ""
		if len(p.Hashes) > 0 {
			h = p.Hashes[0].Value
		}
		got = append(got, pkg{p.Name, p.Version, p.PURL, p.Direct, p.Scope, h, p.SourceKind, p.ResolvedURL, p.Locations[0].Line, p.Properties})
	}
	hosted := func(dep string) map[string]string {
		return map[string]string{PropSource: "hosted", PropDependency: dep}
	}
	sdk := func(dep string) map[string]string {
		return map[string]string{PropSource: "sdk", PropDependency: dep, PropSDK: "flutter", PropSDKConstraint: ">=3.10.0"}
	}
	want := []pkg{
		// pub before 2.19 wrote no sha256; pub.dartlang.org is the registry's old name.
		{"async", "2.9.0", "pkg:pub/async@2.9.0", false, "", "", "", "", 4, hosted("transitive")},
		{"company_design_system", "1.4.0", "pkg:pub/company_design_system@1.4.0?repository_url=https:%2F%2Fdart.onepub.dev%2Fapi%2Fxyzzy", true, "",
			"0f0b7c3d5a09a1f24cf8b1e3b0b9b8a5c7f2a0e6d4b4c3a2f1e0d9c8b7a6f5e4", "", "", 11, hosted("direct main")},
		{"flutter", "", "pkg:pub/flutter", true, "", "", "", "", 19, sdk("direct main")},
		{"flutter_lints", "2.0.3", "pkg:pub/flutter_lints@2.0.3", true, sbom.ScopeDev,
			"a25a15ebbdfc33ab1cd26c63a6ee519df92338a9c10f122adda92938253bef04", "", "", 24, hosted("direct dev")},
		{"flutter_test", "", "pkg:pub/flutter_test", true, sbom.ScopeDev, "", "", "", 32, sdk("direct dev")},
		{"http", "1.2.0", "pkg:pub/http@1.2.0?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fdart-lang%2Fhttp.git%404a9c8a1a3b2d9e9c7f4f3b2a1c0d9e8f7a6b5c4d", true, "", "",
			"git", "https://github.com/dart-lang/http.git", 37, map[string]string{
				PropSource: "git", PropDependency: "direct overridden", PropGitRef: "main",
				PropGitCommit: "4a9c8a1a3b2d9e9c7f4f3b2a1c0d9e8f7a6b5c4d", PropGitPath: "pkgs/http",
			}},
		{"local_utils", "0.1.0", "pkg:pub/local_utils@0.1.0", true, "", "", "path", "../local_utils", 46,
			map[string]string{PropSource: "path", PropDependency: "direct main"}},
		{"meta", "1.9.1", "pkg:pub/meta@1.9.1", false, "", "3c74dbf8763d36539f114c799d8a2d87343b5067e9d796ca22b5eb8437090ee3", "", "", 53, hosted("transitive")},
		{"sky_engine", "", "pkg:pub/sky_engine", false, "", "", "", "", 61, sdk("transitive")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diff (-want +got):\n%s", diff)
	}
}

func TestMalformed(t *testing.T) {
	deep := "packages:\n  a: " + strings.Repeat("[", 300) + strings.Repeat("]", 300) + "\n"
	var bomb strings.Builder
	bomb.WriteString("x: &x {dependency: transitive, source: hosted, version: \"1.0.0\"}\npackages:\n")
	for i := range 50000 {
		fmt.Fprintf(&bomb, "  p%d: *x\n", i)
	}
	tests := []struct {
		name     string
		doc      string
		wantErr  error
		wantPkgs int
		ok       bool
	}{
		{name: "invalid", doc: "packages: {\n"},
		{name: "truncated", doc: "packages:\n  a:\n    dependency: \"direct main\n"},
		{name: "not a mapping", doc: "- packages\n"},
		{name: "packages a list", doc: "packages: [a, b]\n"},
		{name: "entry a scalar", doc: "packages:\n  a: 1\n  b:\n    version: \"1.0.0\"\n    source: hosted\n", wantPkgs: 1},
		{name: "deep", doc: deep, wantErr: yamldoc.ErrTooDeep},
		{name: "empty", doc: "", ok: true},
		{name: "no packages", doc: "sdks:\n  dart: \">=3.0.0 <4.0.0\"\n", ok: true},
		{name: "wrong field types", doc: "packages:\n  a:\n    version: [1]\n    description: 7\n    source: hosted\n", ok: true, wantPkgs: 1},
		// 50,000 entries that are aliases of one: each costs a few node
		// visits, which the budget allows; the walk stays linear.
		{name: "alias fan-out", doc: bomb.String(), ok: true, wantPkgs: 50000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse([]byte(tt.doc), "pubspec.lock")
			n := 0
			if res != nil {
				n = len(res.Packages)
			}
			if n != tt.wantPkgs {
				t.Errorf("%d packages, want %d", n, tt.wantPkgs)
			}
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/pubspec.lock")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add("packages:\n  a: &a {description: *a}\n")
	f.Fuzz(func(t *testing.T, doc string) {
		res, err := Parse([]byte(doc), "pubspec.lock")
		if res == nil {
			if err == nil {
				t.Fatal("nil result without error")
			}
			return
		}
		for _, p := range res.Packages {
			if p.Name == "" || p.PURL == "" || len(p.Locations) != 1 {
				t.Fatalf("incomplete package %+v", p)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	// The larger corpus file (localsend, 61,842 bytes).
	path := sharedtest.Path(b, "corpus/pub/localsend__localsend/pubspec.lock")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data, "pubspec.lock"); err != nil {
			b.Fatal(err)
		}
	}
}
