package cocoapods

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/catalog/yamldoc"
)

func TestClaims(t *testing.T) {
	c := New()
	for p, want := range map[string]bool{
		"Podfile.lock": true, "ios/Podfile.lock": true, "Podfile": false, "Pods/Manifest.lock": false, "podfile.lock": false,
		"ios/Pods/SomePod/Example/Podfile.lock": false,
	} {
		if got := c.Claims(p, 0o644); got != want {
			t.Errorf("Claims(%q) = %v", p, got)
		}
	}
}

// testdata/Podfile.lock is modelled on a real iOS app using Firebase 10
// (Analytics and Crashlytics), AppAuth, Alamofire, a local development pod,
// a pod from a git commit, one from a git tag and one from a private spec
// repository. Its truth, read by hand and checked with PyYAML: 20 pods
// (subspec roots merged), 7 of them requested in DEPENDENCIES (8 lines: two Firebase subspecs),
// 37 edges between pods.
func TestFixture(t *testing.T) {
	res := catalogtest.Run(t, New(), "testdata/Podfile.lock")
	catalogtest.CheckInvariants(t, res)
	if got := catalogtest.Unique(res); got != 20 || len(res.Packages) != 20 {
		t.Fatalf("packages = %d (unique %d), want 20", len(res.Packages), got)
	}
	type pkg struct {
		Name, Version, PURL string
		Direct              bool
		Kind, URL           string
		Line                int
		Props               map[string]string
	}
	got := map[string]pkg{}
	direct := 0
	for _, p := range res.Packages {
		if len(p.Hashes) != 0 || p.Scope != "" {
			t.Errorf("%s: hashes %v scope %q", p.Name, p.Hashes, p.Scope)
		}
		if p.Direct {
			direct++
		}
		got[p.Name] = pkg{p.Name, p.Version, p.PURL, p.Direct, p.SourceKind, p.ResolvedURL, p.Locations[0].Line, p.Properties}
	}
	if direct != 7 {
		t.Errorf("direct = %d, want 7", direct)
	}
	want := []pkg{
		{"Alamofire", "5.8.1", "pkg:cocoapods/Alamofire@5.8.1", true, "", "", 2,
			map[string]string{PropSpecChecksum: "3ca42e259043ee0dc5c0cdd76c4bc568b8e42af7"}},
		{"Firebase", "10.18.0", "pkg:cocoapods/Firebase@10.18.0", true, "", "", 11,
			map[string]string{PropSpecChecksum: "414ad272f8d02dfbf12662a9d43f4bba9bec2a06", PropSubspecs: "Analytics,Core,CoreOnly,Crashlytics"}},
		{"GoogleUtilities", "7.12.0", "pkg:cocoapods/GoogleUtilities@7.12.0", false, "", "", 85,
			map[string]string{PropSpecChecksum: "0759d1a57ebb953965c2dfe0ba4c82e95ccc2e34",
				PropSubspecs: "AppDelegateSwizzler,Environment,Logger,MethodSwizzler,Network,NSData+zlib,Reachability,UserDefaults"}},
		{"nanopb", "2.30909.1", "pkg:cocoapods/nanopb@2.30909.1", false, "", "", 105,
			map[string]string{PropSpecChecksum: "d4d75c12cd1316f4a64e3c6963f879ecd4b5e0d5", PropSubspecs: "decode,encode"}},
		{"DesignKit", "0.3.0", "pkg:cocoapods/DesignKit@0.3.0", true, "path", "../DesignKit", 9,
			map[string]string{PropSpecChecksum: "0c1e3b0f7c1e4f09d6a7b2c3d4e5f60718293a4b"}},
		{"KeychainAccess", "4.2.2", "pkg:cocoapods/KeychainAccess@4.2.2?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fkishikawakatsumi%2FKeychainAccess.git%4084e546727d66f1adc5439debad16270d0fdd04e7",
			true, "git", "https://github.com/kishikawakatsumi/KeychainAccess.git", 104,
			map[string]string{PropSpecChecksum: "c0c4f7f38f6fc7bbe58f5702e25f7bd2f65abf51", PropGitRef: "commit:84e546727d66f1adc5439debad16270d0fdd04e7",
				PropGitCommit: "84e546727d66f1adc5439debad16270d0fdd04e7"}},
		{"SnapKit", "5.6.0", "pkg:cocoapods/SnapKit@5.6.0?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2FSnapKit%2FSnapKit.git", true, "git", "https://github.com/SnapKit/SnapKit.git", 113,
			map[string]string{PropSpecChecksum: "e01d52ebb8ddbc333eefe2132acf85c8227d9c25", PropGitRef: "tag:5.6.0"}},
		{"SwiftLint", "0.54.0", "pkg:cocoapods/SwiftLint@0.54.0?repository_url=https:%2F%2Fgithub.com%2Fexample-corp%2Fios-specs.git", true, "", "", 114,
			map[string]string{PropSpecChecksum: "c1de071d9d08c8aba837545f6254315bc900e211", PropSpecRepo: "https://github.com/example-corp/ios-specs.git"}},
	}
	for _, w := range want {
		if diff := cmp.Diff(w, got[w.Name]); diff != "" {
			t.Errorf("%s diff (-want +got):\n%s", w.Name, diff)
		}
	}
	deps := func(id string) []string {
		var out []string
		for _, r := range res.Relationships {
			if r.From == id {
				out = append(out, strings.TrimPrefix(r.To, "pkg:cocoapods/"))
			}
		}
		return out
	}
	edges := map[string][]string{
		// Firebase/Core -> FirebaseAnalytics, Firebase/CoreOnly -> FirebaseCore,
		// Firebase/Crashlytics -> FirebaseCrashlytics; Firebase -> Firebase dropped.
		"pkg:cocoapods/Firebase@10.18.0":       {"FirebaseAnalytics@10.18.0", "FirebaseCore@10.18.0", "FirebaseCrashlytics@10.18.0"},
		"pkg:cocoapods/GoogleUtilities@7.12.0": {"PromisesObjC@2.3.1"},
		"pkg:cocoapods/DesignKit@0.3.0":        {"SnapKit@5.6.0?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2FSnapKit%2FSnapKit.git"},
		"pkg:cocoapods/PromisesSwift@2.3.1":    {"PromisesObjC@2.3.1"},
		"pkg:cocoapods/FirebaseCore@10.18.0":   {"FirebaseCoreInternal@10.18.0", "GoogleUtilities@7.12.0"},
		"pkg:cocoapods/AppAuth@1.6.2":          nil,
		"pkg:cocoapods/FirebaseAnalytics@10.18.0": {
			"FirebaseCore@10.18.0", "FirebaseInstallations@10.18.0", "GoogleUtilities@7.12.0", "nanopb@2.30909.1", "GoogleAppMeasurement@10.18.0"},
	}
	for from, want := range edges {
		if diff := cmp.Diff(want, deps(from)); diff != "" {
			t.Errorf("edges of %s diff (-want +got):\n%s", from, diff)
		}
	}
	if len(res.Relationships) != 37 {
		t.Errorf("%d edges, want 37", len(res.Relationships))
	}
}

func TestOlderFormat(t *testing.T) {
	// CocoaPods 1.0-1.7 named the public repository by its git URL and
	// wrote no SPEC REPOS for it; :podspec and :branch external sources.
	doc := `PODS:
  - AFNetworking (3.2.1):
    - AFNetworking/NSURLSession (= 3.2.1)
  - AFNetworking/NSURLSession (3.2.1)
  - Reveal-SDK (14)
  - Bolts (1.9.0)

DEPENDENCIES:
  - AFNetworking (~> 3.0)
  - Bolts (from ` + "`https://example.com/Bolts.podspec`" + `)
  - Reveal-SDK

SPEC REPOS:
  https://github.com/cocoapods/specs.git:
    - AFNetworking
    - Reveal-SDK

EXTERNAL SOURCES:
  Bolts:
    :podspec: https://example.com/Bolts.podspec

PODFILE CHECKSUM: 9f8e7d6c5b4a39281706f5e4d3c2b1a098765432

COCOAPODS: 1.5.3
`
	res, err := Parse([]byte(doc), "Podfile.lock")
	if err != nil {
		t.Fatal(err)
	}
	catalogtest.CheckInvariants(t, res)
	var got []string
	for _, p := range res.Packages {
		got = append(got, fmt.Sprintf("%s %s %v %s %s", p.PURL, p.Version, p.Direct, p.SourceKind, p.ResolvedURL))
	}
	want := []string{
		"pkg:cocoapods/AFNetworking@3.2.1 3.2.1 true  ",
		"pkg:cocoapods/Reveal-SDK@14 14 true  ",
		"pkg:cocoapods/Bolts@1.9.0 1.9.0 true url https://example.com/Bolts.podspec",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diff (-want +got):\n%s", diff)
	}
}

func TestMalformed(t *testing.T) {
	deep := "PODS:\n  - " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n"
	var bomb strings.Builder
	bomb.WriteString("x: &x [\"A (1.0)\", \"B (1.0)\"]\nPODS:\n")
	for i := range 20000 {
		fmt.Fprintf(&bomb, "  - {\"P%d (1.0)\": *x}\n", i)
	}
	tests := []struct {
		name     string
		doc      string
		wantErr  error
		wantPkgs int
		ok       bool
	}{
		{name: "invalid", doc: "PODS: [\n"},
		{name: "truncated", doc: "PODS:\n  - \"A (1.0)\n"},
		{name: "top level list", doc: "- PODS\n"},
		{name: "PODS a map", doc: "PODS: {a: b}\n"},
		{name: "bad entries", doc: "PODS:\n  - A\n  - B (1.0\n  - [x]\n  - C (2.0)\n  - (1.0)\n", wantPkgs: 1},
		{name: "deep", doc: deep, wantErr: yamldoc.ErrTooDeep},
		{name: "empty", doc: "", ok: true},
		{name: "wrong section types", doc: "PODS:\n  - A (1.0)\nDEPENDENCIES: 7\nSPEC REPOS: [1]\nEXTERNAL SOURCES:\n  A: [x]\nSPEC CHECKSUMS:\n  A: [y]\n", ok: true, wantPkgs: 1},
		{name: "alias fan-out", doc: bomb.String(), ok: true, wantPkgs: 20000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse([]byte(tt.doc), "Podfile.lock")
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

func TestNameVersion(t *testing.T) {
	tests := []struct{ in, name, version string }{
		{"Alamofire (5.8.1)", "Alamofire", "5.8.1"},
		{"GoogleUtilities/NSData+zlib (~> 7.11)", "GoogleUtilities/NSData+zlib", "~> 7.11"},
		{"nanopb (< 2.30910.0, >= 2.30908.0)", "nanopb", "< 2.30910.0, >= 2.30908.0"},
		{"Firebase/Core", "Firebase/Core", ""},
		{"Bolts (from `https://example.com/x.podspec`)", "Bolts", "from `https://example.com/x.podspec`"},
	}
	for _, tt := range tests {
		n, v, ok := nameVersion(tt.in)
		if !ok || n != tt.name || v != tt.version {
			t.Errorf("nameVersion(%q) = %q, %q, %v", tt.in, n, v, ok)
		}
	}
	for _, bad := range []string{"", "A (1.0", "(1.0)", "/A (1.0)", "A B (1.0)"} {
		if _, _, ok := nameVersion(bad); ok {
			t.Errorf("nameVersion(%q) accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/Podfile.lock")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add("PODS:\n  - &a {\"A (1)\": [*a]}\n")
	f.Fuzz(func(t *testing.T, doc string) {
		res, err := Parse([]byte(doc), "Podfile.lock")
		if res == nil {
			if err == nil {
				t.Fatal("nil result without error")
			}
			return
		}
		for _, p := range res.Packages {
			if p.Name == "" || p.PURL == "" || p.Version == "" || len(p.Locations) != 1 {
				t.Fatalf("incomplete package %+v", p)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	// No corpus file: the fixture (Firebase app, 20 pods, 114 PODS lines).
	data, err := os.ReadFile("testdata/Podfile.lock")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data, "Podfile.lock"); err != nil {
			b.Fatal(err)
		}
	}
}
