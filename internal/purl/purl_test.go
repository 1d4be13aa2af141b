package purl

import (
	"testing"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

func TestNewAndParse(t *testing.T) {
	tests := []struct {
		eco           sbom.Ecosystem
		name, version string
		want          string
		wantName      string // name after Parse, when it differs (normalisation)
	}{
		{sbom.EcosystemNPM, "lodash", "4.17.21", "pkg:npm/lodash@4.17.21", ""},
		{sbom.EcosystemNPM, "@babel/core", "7.24.0", "pkg:npm/%40babel/core@7.24.0", ""},
		{sbom.EcosystemPyPI, "Django_Rest.Framework", "3.15.1", "pkg:pypi/django-rest-framework@3.15.1", "django-rest-framework"},
		{sbom.EcosystemGo, "github.com/spf13/cobra", "v1.10.2", "pkg:golang/github.com/spf13/cobra@v1.10.2", ""},
		{sbom.EcosystemGo, "stdlib", "go1.26.0", "pkg:golang/stdlib@go1.26.0", ""},
		{sbom.EcosystemMaven, "org.apache.commons:commons-lang3", "3.14.0", "pkg:maven/org.apache.commons/commons-lang3@3.14.0", ""},
		{sbom.EcosystemPackagist, "Laravel/Framework", "v11.0.0", "pkg:composer/laravel/framework@v11.0.0", "laravel/framework"},
		{sbom.EcosystemCargo, "serde", "1.0.200", "pkg:cargo/serde@1.0.200", ""},
		{sbom.EcosystemRubyGems, "rails", "7.1.3", "pkg:gem/rails@7.1.3", ""},
		{sbom.EcosystemNuGet, "Newtonsoft.Json", "13.0.3", "pkg:nuget/Newtonsoft.Json@13.0.3", ""},
		{sbom.EcosystemPub, "http", "1.2.0", "pkg:pub/http@1.2.0", ""},
		{sbom.EcosystemHex, "phoenix", "1.7.12", "pkg:hex/phoenix@1.7.12", ""},
		{sbom.EcosystemSwiftURL, "github.com/apple/swift-nio", "2.65.0", "pkg:swift/github.com/apple/swift-nio@2.65.0", ""},
		{sbom.EcosystemCocoaPods, "Alamofire", "5.9.1", "pkg:cocoapods/Alamofire@5.9.1", ""},
		{sbom.EcosystemGitHubActions, "actions/checkout", "v4", "pkg:github/actions/checkout@v4", ""},
		{sbom.EcosystemGitHubActions, "github/codeql-action/init", "v3", "pkg:github/github/codeql-action@v3#init", ""},
	}
	for _, tt := range tests {
		got := New(tt.eco, tt.name, tt.version)
		if got != tt.want {
			t.Errorf("New(%s, %q, %q) = %q, want %q", tt.eco, tt.name, tt.version, got, tt.want)
			continue
		}
		p, err := Parse(got)
		if err != nil {
			t.Errorf("Parse(%q): %v", got, err)
			continue
		}
		wantName := tt.name
		if tt.wantName != "" {
			wantName = tt.wantName
		}
		if p.Ecosystem != tt.eco || p.Name != wantName || p.Version != tt.version {
			t.Errorf("Parse(%q) = %+v, want %s %q %q", got, p, tt.eco, wantName, tt.version)
		}
	}
}

func TestNewQualifiersAndEmpty(t *testing.T) {
	if got := New(sbom.EcosystemMaven, "g:a", "1", "type", "war", "classifier", ""); got != "pkg:maven/g/a@1?type=war" {
		t.Errorf("qualifiers: got %q", got)
	}
	if got := New("unknown", "x", "1"); got != "" {
		t.Errorf("unknown ecosystem: got %q, want empty", got)
	}
	if _, err := Parse("not a purl"); err == nil {
		t.Error("Parse of garbage: want error")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"pkg:npm/%40babel/core@7.24.0", "pkg:github/a/b@v1#sub", "pkg:maven/g/a@1?type=war", "pkg:", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Parse(s)
	})
}

// TestOSPurlEcosystem: an OS package's purl gives the release's OSV
// ecosystem from its distro qualifier, dashed distribution IDs included.
func TestOSPurlEcosystem(t *testing.T) {
	for purl, want := range map[string]string{
		"pkg:deb/debian/openssl@3.0.15-1~deb12u1?arch=amd64&distro=debian-12":    "Debian:12",
		"pkg:deb/debian/openssl@3.0.15-1~deb12u1?distro=debian-bookworm":         "Debian",
		"pkg:apk/alpine/musl@1.2.5-r0?distro=alpine-3.20.3":                      "Alpine:v3.20",
		"pkg:rpm/almalinux/openssl-libs@3.0.7-27.el9?distro=almalinux-9.4":       "AlmaLinux:9",
		"pkg:rpm/opensuse/glibc@2.31-150300.63.1?distro=opensuse-leap-15.5":      "openSUSE:Leap 15.5",
		"pkg:rpm/opensuse/glibc@2.39-1.1?distro=opensuse-tumbleweed-20240101":    "openSUSE:Tumbleweed",
		"pkg:apk/cleanstart/redis@8.2.1-r0?distro=clnstrt":                       "CleanStart",
		"pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.4":   "Red Hat:enterprise_linux:9",
		"pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=redhat-9.5": "Red Hat:enterprise_linux:9",
		"pkg:rpm/suse/glibc@2.31-9.3.2?arch=x86_64&distro=sles-15.3":             "SUSE:Linux Enterprise Server 15 SP3",
	} {
		p, err := Parse(purl)
		if err != nil {
			t.Fatal(err)
		}
		if string(p.Ecosystem) != want {
			t.Errorf("%s: ecosystem %q, want %q", purl, p.Ecosystem, want)
		}
	}
}
