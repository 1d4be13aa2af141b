package version

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// knownDeviations are fixture lines where hallmark's ordering (osv-scalibr's
// comparator) differs from the tool's, and why. Each is asserted to still
// differ, so that a fixed comparator shows up here.
var knownDeviations = map[string]string{
	"apk-tools: 1.0~1234 < 1.0~2345": "apk-tools 3 (v3.0.0, 2025) added a commit-hash component (~HEX) that " +
		"osv-scalibr's apk ordering does not read; apk-tools 2 (v2.14.9 and before) has no such component and refuses '~' in a version",
	"apk-tools: 1.0~1234-r1 < 1.0~2345-r0": "the same: apk-tools 3 orders the hash before the -r release",
}

// checkLines compares every "A op B" line of a fixture with eco's ordering;
// key names the fixture in knownDeviations. It returns how many lines it
// checked.
func checkLines(t *testing.T, key, eco string, lines []string) int {
	t.Helper()
	n := 0
	for _, line := range lines {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Fields(line)
		if len(parts) != 3 {
			t.Fatalf("%s: bad line %q", key, line)
		}
		want := map[string]int{"<": -1, "=": 0, ">": 1}[parts[1]]
		got, err := Compare(eco, parts[0], parts[2])
		if err != nil {
			t.Errorf("%s: %s: %v", key, line, err)
			continue
		}
		n++
		if why, ok := knownDeviations[key+": "+line]; ok {
			if got == want {
				t.Errorf("%s: %s now agrees with the tool: remove it from knownDeviations (%s)", key, line, why)
			}
			continue
		}
		if got != want {
			t.Errorf("%s: Compare(%q, %q) = %d, want %d (%s)", key, parts[0], parts[2], got, want, line)
		}
		if back, _ := Compare(eco, parts[2], parts[0]); back != -want {
			t.Errorf("%s: Compare is not antisymmetric on %s", key, line)
		}
	}
	return n
}

func fixtureLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(b), "\n")
}

// apk-tools' own test vectors are GPL-2.0-only and not kept in this
// repository: HALLMARK_APK_VECTORS names a file testdata/gen.sh apk wrote
// from a checkout of apk-tools, and every one of its lines is checked, for
// Alpine and for CleanStart (Alpine-style apks).
func TestApkToolsVectors(t *testing.T) {
	file := os.Getenv("HALLMARK_APK_VECTORS")
	if file == "" {
		t.Skip("HALLMARK_APK_VECTORS not set (APK_TOOLS=checkout OUT=file testdata/gen.sh apk): the repository's own apk fixture runs in TestFixtures")
	}
	lines := fixtureLines(t, file)
	for _, eco := range []string{"Alpine", "CleanStart"} {
		if n := checkLines(t, "apk-tools", eco, lines); n < 700 {
			t.Errorf("%s: only %d vectors", eco, n)
		}
	}
}

// TestFixtures checks the orderings against fixture files produced by the
// ecosystems' own tools (testdata/gen.sh), or written from their rules
// (testdata/SOURCES.md says which).
func TestFixtures(t *testing.T) {
	for file, eco := range map[string]string{"testdata/npm-semver.txt": "npm", "testdata/debian-dpkg.txt": "Debian", "testdata/github-actions.txt": "GitHub Actions", "testdata/redhat-rpm.txt": "AlmaLinux", "testdata/alpine-apk.txt": "Alpine"} {
		if n := checkLines(t, file, eco, fixtureLines(t, file)); n < 20 {
			t.Errorf("%s: only %d comparisons", file, n)
		}
	}
	// CleanStart's packages are Alpine-style apks: the same ordering.
	if n := checkLines(t, "testdata/alpine-apk.txt", "CleanStart", fixtureLines(t, "testdata/alpine-apk.txt")); n < 20 || !Supported("CleanStart") {
		t.Errorf("CleanStart: %d lines, supported %v", n, Supported("CleanStart"))
	}
}

// TestEdgeCases covers what the fixtures cannot: Go module spellings and
// PEP 440 (no packaging module on this machine; the expectations are the
// PEP's own examples).
func TestEdgeCases(t *testing.T) {
	tests := []struct {
		eco, a, b string
		want      int
	}{
		{"Go", "v1.2.3", "1.2.3", 0},                               // OSV drops the "v"
		{"Go", "v1.2.3-pre", "v1.2.3", -1},                         // pre-release first
		{"Go", "v0.0.0-20210101000000-abcdef123456", "v0.0.1", -1}, // pseudo-version
		{"Go", "v2.0.0+incompatible", "v2.0.1", -1},
		{"Go", "1.22.1", "1.22.10", -1},
		{"PyPI", "1.0", "1.0.0", 0},
		{"PyPI", "1!0.1", "2.0", 1}, // epoch wins
		{"PyPI", "1.0a1", "1.0b1", -1},
		{"PyPI", "1.0rc1", "1.0", -1},
		{"PyPI", "1.0", "1.0.post1", -1},
		{"PyPI", "1.0.dev1", "1.0a1", -1},
		{"PyPI", "1.0+local.1", "1.0", 1},
		{"crates.io", "1.0.0-alpha", "1.0.0", -1},
		{"npm", "1.0.0+build.1", "1.0.0+build.2", 0}, // build metadata ignored
		{"Maven", "1.0-SNAPSHOT", "1.0", -1},
		{"Maven", "1.0.RELEASE", "1.0", 0},
		{"RubyGems", "1.2.4.beta", "1.2.4", -1},
		{"NuGet", "1.0.0-BETA", "1.0.0-beta", 0},
	}
	for _, tt := range tests {
		got, err := Compare(tt.eco, tt.a, tt.b)
		if err != nil {
			t.Errorf("Compare(%s, %q, %q): %v", tt.eco, tt.a, tt.b, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Compare(%s, %q, %q) = %d, want %d", tt.eco, tt.a, tt.b, got, tt.want)
		}
	}
}

func TestStrict(t *testing.T) {
	tests := []struct {
		eco, v string
		ok     bool
	}{
		{"npm", "1.2.3", true},
		{"npm", "v1.2.3", true},
		{"npm", "git+https://github.com/a/b.git", false},
		{"npm", "file:../x", false},
		{"npm", "latest", false},
		{"npm", "1.2", false},
		{"crates.io", "0.4.0-alpha.1+build", true},
		{"Go", "v1.2.3", true},
		{"Go", "1.2.3", true},
		{"Go", "v0.0.0-20210101000000-abcdef123456", true},
		{"Go", "v2.0.0+incompatible", true},
		{"Go", "master", false},
		{"PyPI", "2.31.0", true},
		{"PyPI", "1!2.0.post1.dev3+ubuntu.1", true},
		{"PyPI", "not a version", false},
		{"PyPI", "2.0-beta-broken-", false},
		{"Maven", "2.17.1", true},
		{"Maven", "", false},
		{"npm", strings.Repeat("1", MaxLen+1), false},
	}
	for _, tt := range tests {
		_, err := Strict(tt.eco, tt.v)
		if (err == nil) != tt.ok {
			t.Errorf("Strict(%s, %q) = %v, want ok=%v", tt.eco, tt.v, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("Strict(%s, %q): %v does not wrap ErrInvalid", tt.eco, tt.v, err)
		}
	}
	if _, err := Parse("CocoaPods", "1.0"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("CocoaPods: %v, want ErrUnsupported", err)
	}
	if Supported("CocoaPods") || !Supported("Debian:12") || !Supported("npm") {
		t.Error("Supported")
	}
	if Canonical("Go", "go1.22.1") != "1.22.1" || Canonical("Go", "golang") != "golang" || Canonical("npm", "go1") != "go1" {
		t.Error("Canonical")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.2.3", "v1.2.3-rc.1+b", "1!2.0.post1", "1:2.3-4ubuntu1", "1.0-SNAPSHOT", "0", "99999999999999999999999.1"} {
		for _, eco := range []string{"npm", "PyPI", "Go", "Maven", "Debian", "RubyGems", "NuGet", "Packagist", "Pub", "crates.io"} {
			f.Add(eco, s, "1.0.0")
		}
	}
	f.Fuzz(func(t *testing.T, eco, a, b string) {
		va, err := Parse(eco, a)
		if err != nil {
			return
		}
		Strict(eco, a)
		vb, err := Parse(eco, b)
		if err != nil {
			return
		}
		if va.Compare(va) != 0 {
			t.Fatalf("%s: %q != itself", eco, a)
		}
		if va.Compare(vb) != -vb.Compare(va) {
			t.Fatalf("%s: Compare(%q, %q) not antisymmetric", eco, a, b)
		}
	})
}
