package apk

import (
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
