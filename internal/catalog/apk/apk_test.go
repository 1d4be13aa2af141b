package apk

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// A real Alpine 3.20 database excerpt (the shape apk writes).
const installed = `C:Q1+gSLJpGWzGNPLvyFqVQ9cPn9bjc=
P:musl
V:1.2.5-r0
A:x86_64
S:411932
I:641024
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1711734063
c:1d05e8a1d31f42a5c8e2c4a53a9f04b0b3a8a2e5
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
R:libc.musl-x86_64.so.1

C:Q1pzBGCVWz3MC2mZ+aK5shSiwkmyw=
P:libcrypto3
V:3.3.2-r0
A:x86_64
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
F:usr/lib
R:libcrypto.so.3
`

func TestCatalog(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/os-release":       {Data: []byte("ID=alpine\nVERSION_ID=3.20.3\n")},
		"lib/apk/db/installed": {Data: []byte(installed)},
	}
	res, err := New().Catalog(t.Context(), fsys, "lib/apk/db/installed")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Packages {
		got = append(got, strings.Join([]string{p.PURL, string(p.Ecosystem), p.Properties[PropSource], strings.Join(p.Licenses, "|")}, " "))
	}
	want := []string{
		"pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3 Alpine:v3.20 musl MIT",
		"pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=alpine-3.20.3 Alpine:v3.20 openssl Apache-2.0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if res.Owns["usr/lib/libcrypto.so.3"] == "" || res.Owns["lib/ld-musl-x86_64.so.1"] == "" {
		t.Errorf("owned files: %v", res.Owns)
	}
	if len(res.Packages[1].Hashes) != 1 {
		t.Errorf("checksum: %v", res.Packages[1].Hashes)
	}
}

func TestMalformed(t *testing.T) {
	if _, err := Parse([]byte("P:x\nnot a field\n")); err == nil {
		t.Error("malformed accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(installed))
	f.Add([]byte("P:\nV:\n\n\nF:\nR:x\n"))
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}

// TestRealAlpine318 reads a real Alpine 3.18 installed database: the one
// osv-scalibr's apk extractor tests read, from the pinned osv-scalibr in the
// module cache (never copied here). The expectations are that test's: 15
// packages with their origin, version and licence.
func TestRealAlpine318(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/google/osv-scalibr").Output()
	if err != nil {
		t.Skipf("osv-scalibr's module directory: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "extractor", "filesystem", "os", "apk", "testdata", "installed"))
	if err != nil {
		t.Skipf("osv-scalibr test data: %v", err)
	}
	fsys := fstest.MapFS{
		"etc/os-release":       {Data: []byte("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.18.0\n")},
		"lib/apk/db/installed": {Data: b},
	}
	res, err := New().Catalog(t.Context(), fsys, "lib/apk/db/installed")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Packages {
		got = append(got, strings.Join([]string{p.Name, p.Properties[PropSource], p.Version, string(p.Ecosystem), strings.Join(p.Licenses, "|")}, " "))
	}
	want := []string{
		"alpine-baselayout alpine-baselayout 3.4.3-r1 Alpine:v3.18 GPL-2.0-only",
		"alpine-baselayout-data alpine-baselayout 3.4.3-r1 Alpine:v3.18 GPL-2.0-only",
		"alpine-keys alpine-keys 2.4-r1 Alpine:v3.18 MIT",
		"apk-tools apk-tools 2.14.0-r0 Alpine:v3.18 GPL-2.0-only",
		"busybox busybox 1.36.0-r9 Alpine:v3.18 GPL-2.0-only",
		"busybox-binsh busybox 1.36.0-r9 Alpine:v3.18 GPL-2.0-only",
		"ca-certificates-bundle ca-certificates 20230506-r0 Alpine:v3.18 MPL-2.0 AND MIT",
		"libc-utils libc-dev 0.7.2-r5 Alpine:v3.18 BSD-2-Clause AND BSD-3-Clause",
		"libcrypto3 openssl 3.1.0-r4 Alpine:v3.18 Apache-2.0",
		"libssl3 openssl 3.1.0-r4 Alpine:v3.18 Apache-2.0",
		"musl musl 1.2.4-r0 Alpine:v3.18 MIT",
		"musl-utils musl 1.2.4-r0 Alpine:v3.18 MIT AND BSD-2-Clause AND GPL-2.0-or-later",
		"scanelf pax-utils 1.3.7-r1 Alpine:v3.18 GPL-2.0-only",
		"ssl_client busybox 1.36.0-r9 Alpine:v3.18 GPL-2.0-only",
		"zlib zlib 1.2.13-r1 Alpine:v3.18 Zlib",
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if owner := res.Owns["bin/busybox"]; !strings.HasPrefix(owner, "pkg:apk/alpine/busybox@1.36.0-r9") {
		t.Errorf("bin/busybox owned by %q", owner)
	}
}
