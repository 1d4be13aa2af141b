package swift

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

func TestClaims(t *testing.T) {
	c := New()
	for p, want := range map[string]bool{
		"Package.resolved": true,
		"App.xcodeproj/project.xcworkspace/xcshareddata/swiftpm/Package.resolved": true,
		"App.xcworkspace/xcshareddata/swiftpm/Package.resolved":                   true,
		".build/checkouts/vapor/Package.resolved":                                 false,
		"server/.build/checkouts/vapor/Package.resolved":                          false,
		"DerivedData/App/SourcePackages/checkouts/nio/Package.resolved":           false,
		"Package.swift":    false,
		"package.resolved": false,
	} {
		if got := c.Claims(p, 0o644); got != want {
			t.Errorf("Claims(%q) = %v", p, got)
		}
	}
}

type pkg struct {
	Name, Version, PURL string
	Kind, URL           string
	Line                int
	Props               map[string]string
}

func summarize(ps []sbom.Package) []pkg {
	var out []pkg
	for _, p := range ps {
		out = append(out, pkg{p.Name, p.Version, p.PURL, p.SourceKind, p.ResolvedURL, p.Locations[0].Line, p.Properties})
	}
	return out
}

// The fixtures are modelled on real projects: v1 on an iOS app of the
// Xcode 12 era (Alamofire, Kingfisher, SnapKit over SSH, SwiftProtobuf, a
// branch pin); v2 on a Vapor 4 server (its 14 pins as `swift package
// resolve` writes them for vapor 4.92); v3 (Swift 5.10+/6) on a
// command-line tool with swift-argument-parser, a local package, a registry
// package, a branch pin and a revision pin.
func TestV1(t *testing.T) {
	res := catalogtest.Run(t, New(), "testdata/v1/Package.resolved")
	catalogtest.CheckInvariants(t, res)
	rs := func(rev string) map[string]string {
		return map[string]string{PropKind: "remoteSourceControl", PropRevision: rev}
	}
	want := []pkg{
		{"github.com/Alamofire/Alamofire", "5.8.1", "pkg:swift/github.com/Alamofire/Alamofire@5.8.1", "", "https://github.com/Alamofire/Alamofire.git", 6,
			rs("bc268c28fb170f494de9e9927c371b8342979ece")},
		{"github.com/onevcat/Kingfisher", "7.10.2", "pkg:swift/github.com/onevcat/Kingfisher@7.10.2", "", "https://github.com/onevcat/Kingfisher.git", 15,
			rs("3ec0ab0bca4feb56e8b33e289c9496e89059dd08")},
		{"github.com/SnapKit/SnapKit", "5.6.0", "pkg:swift/github.com/SnapKit/SnapKit@5.6.0", "", "git@github.com:SnapKit/SnapKit.git", 24,
			rs("f222cbdf325885926566172f6f5f06af95473158")},
		{"github.com/apple/swift-protobuf", "1.25.2", "pkg:swift/github.com/apple/swift-protobuf@1.25.2", "", "https://github.com/apple/swift-protobuf.git", 33,
			rs("65e8f29b2d63c4e38e736b25c27b83e012159be8")},
		{"github.com/SwiftyBeaver/SwiftyBeaver", "9c0b5a4c7b2e6d0d0c5f0c8e1f6e4a3b2c1d0e9f", "pkg:swift/github.com/SwiftyBeaver/SwiftyBeaver@9c0b5a4c7b2e6d0d0c5f0c8e1f6e4a3b2c1d0e9f",
			"", "https://github.com/SwiftyBeaver/SwiftyBeaver", 42,
			map[string]string{PropKind: "remoteSourceControl", PropRevision: "9c0b5a4c7b2e6d0d0c5f0c8e1f6e4a3b2c1d0e9f", PropBranch: "master"}},
	}
	if diff := cmp.Diff(want, summarize(res.Packages)); diff != "" {
		t.Errorf("diff (-want +got):\n%s", diff)
	}
}

func TestV2(t *testing.T) {
	res := catalogtest.Run(t, New(), "testdata/v2/Package.resolved")
	catalogtest.CheckInvariants(t, res)
	if len(res.Packages) != 14 || catalogtest.Unique(res) != 14 {
		t.Fatalf("%d packages, want 14", len(res.Packages))
	}
	got := summarize(res.Packages)
	want := map[int]pkg{
		0: {"github.com/swift-server/async-http-client", "1.20.1", "pkg:swift/github.com/swift-server/async-http-client@1.20.1", "",
			"https://github.com/swift-server/async-http-client.git", 6,
			map[string]string{PropKind: "remoteSourceControl", PropIdentity: "async-http-client", PropRevision: "291438696abdd48d2a83b52465c176efbd94512b"}},
		10: {"github.com/apple/swift-nio", "2.64.0", "pkg:swift/github.com/apple/swift-nio@2.64.0", "", "https://github.com/apple/swift-nio.git", 96,
			map[string]string{PropKind: "remoteSourceControl", PropIdentity: "swift-nio", PropRevision: "fc63f0cf4e55a4597407a9fc95b16a2bc44b4982"}},
		12: {"github.com/vapor/vapor", "4.92.4", "pkg:swift/github.com/vapor/vapor@4.92.4", "", "https://github.com/vapor/vapor.git", 114,
			map[string]string{PropKind: "remoteSourceControl", PropIdentity: "vapor", PropRevision: "e4dd2d6b0a1d3f26c5a1b2f1b6ff04b1b1f6e4a7"}},
	}
	for i, w := range want {
		if diff := cmp.Diff(w, got[i]); diff != "" {
			t.Errorf("pin %d diff (-want +got):\n%s", i, diff)
		}
	}
	for _, p := range res.Packages {
		if p.Direct || len(res.Relationships) != 0 {
			t.Errorf("%s: Direct or edges invented", p.Name)
		}
	}
}

func TestV3(t *testing.T) {
	res := catalogtest.Run(t, New(), "testdata/v3/Package.resolved")
	catalogtest.CheckInvariants(t, res)
	want := []pkg{
		{"design-system", "2.1.0", "pkg:swift/design-system@2.1.0", "path", "/Users/ci/src/acme/design-system", 7,
			map[string]string{PropKind: "localSourceControl", PropIdentity: "design-system", PropRevision: "0d4c1b2a39281706f5e4d3c2b1a0987654321fed"}},
		{"mona.linkedlist", "1.1.0", "pkg:swift/mona.linkedlist@1.1.0", "", "", 14,
			map[string]string{PropKind: "registry", PropIdentity: "mona.linkedlist"}},
		{"github.com/apple/swift-argument-parser", "1.5.0", "pkg:swift/github.com/apple/swift-argument-parser@1.5.0", "", "https://github.com/apple/swift-argument-parser", 24,
			map[string]string{PropKind: "remoteSourceControl", PropIdentity: "swift-argument-parser", PropRevision: "41982a3656a71c768319979febd796c6fd111d5c"}},
		{"github.com/pointfreeco/swift-composable-architecture", "1d2b8d3e1e0b2c7a1f6f9a7d5f4e3c2b1a0f9e8d",
			"pkg:swift/github.com/pointfreeco/swift-composable-architecture@1d2b8d3e1e0b2c7a1f6f9a7d5f4e3c2b1a0f9e8d", "",
			"https://github.com/pointfreeco/swift-composable-architecture", 33,
			map[string]string{PropKind: "remoteSourceControl", PropIdentity: "swift-composable-architecture", PropRevision: "1d2b8d3e1e0b2c7a1f6f9a7d5f4e3c2b1a0f9e8d", PropBranch: "main"}},
		{"github.com/swiftlang/swift-syntax", "600.0.1", "pkg:swift/github.com/swiftlang/swift-syntax@600.0.1", "", "https://github.com/swiftlang/swift-syntax", 42,
			map[string]string{PropKind: "remoteSourceControl", PropIdentity: "swift-syntax", PropRevision: "0687f71944021d616d34d922343dcef086855920"}},
		{"github.com/pointfreeco/xctest-dynamic-overlay", "a3f634d1a409c7979cabc0a71b3f26ffa9fc8af1", "pkg:swift/github.com/pointfreeco/xctest-dynamic-overlay@a3f634d1a409c7979cabc0a71b3f26ffa9fc8af1", "",
			"https://github.com/pointfreeco/xctest-dynamic-overlay", 51,
			map[string]string{PropKind: "remoteSourceControl", PropIdentity: "xctest-dynamic-overlay", PropRevision: "a3f634d1a409c7979cabc0a71b3f26ffa9fc8af1"}},
	}
	if diff := cmp.Diff(want, summarize(res.Packages)); diff != "" {
		t.Errorf("diff (-want +got):\n%s", diff)
	}
}

func TestURLName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://github.com/apple/swift-nio.git", "github.com/apple/swift-nio"},
		{"https://github.com/apple/swift-nio", "github.com/apple/swift-nio"},
		{"https://github.com/apple/swift-nio/", "github.com/apple/swift-nio"},
		{"git@github.com:apple/swift-nio.git", "github.com/apple/swift-nio"},
		{"ssh://git@gitlab.example.com:2222/team/lib.git", "gitlab.example.com/team/lib"},
		{"https://user:token@GitHub.com/Org/Repo.git", "github.com/Org/Repo"},
		{"", ""},
		{"https://", ""},
	}
	for _, tt := range tests {
		if got := urlName(tt.in); got != tt.want {
			t.Errorf("urlName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name     string
		doc      string
		wantPkgs int
		ok       bool
	}{
		{name: "invalid", doc: `{"pins": [`},
		{name: "truncated", doc: `{"pins": [{"identity": "a", "kind": "remoteSourceControl", "location": "https://x/a", "state": {"version": "1.0.0"}}`},
		{name: "not an object", doc: `[1]`},
		{name: "unknown version", doc: `{"pins": [], "version": 9}`},
		{name: "no version", doc: `{"pins": []}`},
		{name: "wrong types", doc: `{"pins": {"a": 1}, "version": 2}`},
		{name: "state wrong type", doc: `{"pins": [{"identity": "a", "kind": "registry", "state": {"version": 1}}], "version": 2}`},
		{name: "deep", doc: `{"pins": [{"state": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}], "version": 2}`},
		{name: "bad pins", wantPkgs: 1, doc: `{"pins": [
			{"identity": "a", "kind": "remoteSourceControl", "location": "", "state": {"version": "1.0.0"}},
			{"identity": "b", "kind": "weird", "location": "x", "state": {"version": "1.0.0"}},
			{"identity": "c", "kind": "registry", "location": "", "state": {}},
			{"identity": "d", "kind": "registry", "location": "", "state": {"version": "1.0.0"}}], "version": 2}`},
		{name: "empty v1", doc: `{"object": {"pins": []}, "version": 1}`, ok: true},
		{name: "v1 null object", doc: `{"object": null, "version": 1}`, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse([]byte(tt.doc), "Package.resolved")
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
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/v1/Package.resolved", "testdata/v2/Package.resolved", "testdata/v3/Package.resolved"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, doc string) {
		res, err := Parse([]byte(doc), "Package.resolved")
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
	// No corpus file: the largest fixture (the Vapor server's v2, 14 pins).
	data, err := os.ReadFile("testdata/v2/Package.resolved")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data, "Package.resolved"); err != nil {
			b.Fatal(err)
		}
	}
}
