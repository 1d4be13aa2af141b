package dpkg

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestCatalog(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/os-release": {Data: []byte("ID=debian\nVERSION_ID=\"12\"\n")},
		"var/lib/dpkg/status": {Data: []byte(`Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.15-1~deb12u1
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation.

Package: libgcc-s1
Status: install ok installed
Architecture: amd64
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14
Description: GCC support library

Package: gone
Status: purge ok not-installed
Version: 1
`)},
		"var/lib/dpkg/info/libssl3:amd64.list":         {Data: []byte("/.\n/usr/lib/x86_64-linux-gnu/libssl.so.3\n")},
		"usr/share/doc/libgcc-s1/copyright":            {Data: []byte("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nLicense: GPL-3+ with GCC-exception\n")},
		"var/lib/dpkg/status.d/distroless-pkg":         {Data: []byte("Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n")},
		"var/lib/dpkg/status.d/distroless-pkg.md5sums": {Data: []byte("x")},
	}
	res, err := New().Catalog(t.Context(), fsys, "var/lib/dpkg/status")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Packages {
		got = append(got, strings.Join([]string{p.PURL, string(p.Ecosystem), p.Properties[PropSource], p.Properties[PropSourceVersion], strings.Join(p.Licenses, "|")}, " "))
	}
	want := []string{
		"pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12 Debian:12 openssl 3.0.15-1~deb12u1 ",
		"pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&distro=debian-12 Debian:12 gcc-12 12.2.0-14 GPL-3.0-or-later WITH GCC-exception-3.1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if res.Owns["usr/lib/x86_64-linux-gnu/libssl.so.3"] == "" {
		t.Errorf("owned files: %v", res.Owns)
	}
	if !New().Claims("var/lib/dpkg/status.d/distroless-pkg", 0) || New().Claims("var/lib/dpkg/status.d/distroless-pkg.md5sums", 0) {
		t.Error("status.d claims")
	}
	res, err = New().Catalog(t.Context(), fsys, "var/lib/dpkg/status.d/distroless-pkg")
	if err != nil || len(res.Packages) != 1 || res.Packages[0].Name != "tzdata" {
		t.Fatalf("status.d: %+v %v", res, err)
	}
}

func TestMalformed(t *testing.T) {
	for _, s := range []string{" continuation first\n", "no colon here\n", "Package: a\n bad: x\nnot a field line\n"} {
		if _, err := Parse([]byte(s)); err == nil {
			t.Errorf("Parse(%q): no error", s)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("Package: a\nVersion: 1\nStatus: install ok installed\n\nPackage: b\nDescription: x\n y\n"))
	f.Add([]byte("\n\n#c\nPackage:\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := Parse(b)
		if err == nil {
			for _, p := range ps {
				_ = installed(p)
			}
		}
	})
}
