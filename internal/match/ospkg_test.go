package match

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/all"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/internal/sbom/spdx"
	"github.com/hallmark-dev/hallmark/internal/schematest"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
	"github.com/hallmark-dev/hallmark/internal/source"
	"github.com/hallmark-dev/hallmark/internal/version"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// OS packages matched end to end against the complete, real AlmaLinux and
// CleanStart advisories in ../shared/osv: a root filesystem is cataloged
// (os-release, package database), its packages matched, and the result
// compared with what the advisories say.

var osDB = struct {
	once sync.Once
	db   *vulndb.DB
	err  error
}{}

func openOSDB(t *testing.T) *vulndb.DB {
	t.Helper()
	osvDir := sharedtest.Path(t, "osv")
	osDB.once.Do(func() {
		dir, err := os.MkdirTemp("", "hallmark-os-db-")
		if err != nil {
			osDB.err = err
			return
		}
		if _, err = vulndb.Update(context.Background(), vulndb.Options{Dir: dir, Source: osvDir, Ecosystems: []string{"AlmaLinux", "CleanStart"}}); err != nil {
			osDB.err = err
			return
		}
		osDB.db, osDB.err = vulndb.Open(dir)
	})
	if osDB.err != nil {
		t.Fatal(osDB.err)
	}
	return osDB.db
}

func writeRootfs(t *testing.T, files map[string][]byte) string {
	t.Helper()
	root := t.TempDir()
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func loadRootfs(t *testing.T, root string) *sbom.Document {
	t.Helper()
	res, err := source.Load(t.Context(), "dir:"+root, source.Options{Catalog: catalog.Options{Catalogers: all.Catalogers()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) > 0 {
		t.Fatalf("problems: %v", res.Problems)
	}
	return res.Document
}

// rpmRootfs catalogs a root filesystem holding one of go-rpmdb's real test
// databases (read from the module cache, never copied here) at path, with
// the given os-release.
func rpmRootfs(t *testing.T, fixture, path, osRelease string) *sbom.Document {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/knqyf263/go-rpmdb").Output()
	if err != nil {
		t.Skipf("go-rpmdb's module directory: %v", err)
	}
	rpmdb, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "pkg", "testdata", filepath.FromSlash(fixture)))
	if err != nil {
		t.Skipf("go-rpmdb's test database: %v", err)
	}
	return loadRootfs(t, writeRootfs(t, map[string][]byte{"etc/os-release": []byte(osRelease), path: rpmdb}))
}

// findingIDs returns, per package name, every advisory id matched.
func findingIDs(res *Result) map[string][]string {
	names := map[string]string{}
	for _, p := range res.Document.Packages {
		names[p.ID] = p.Name
	}
	out := map[string][]string{}
	for _, f := range res.Findings {
		for _, a := range f.Advisories {
			out[names[f.PackageID]] = append(out[names[f.PackageID]], a.ID)
		}
	}
	return out
}

func flatIDs(m map[string][]string) []string {
	var out []string
	for name, ids := range m {
		for _, id := range ids {
			out = append(out, name+" "+id)
		}
	}
	slices.Sort(out)
	return out
}

func firstDiff(want, got []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(got, w) && len(out) < 5 {
			out = append(out, "-"+w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) && len(out) < 10 {
			out = append(out, "+"+g)
		}
	}
	return out
}

// checkRPMFindings: every matched advisory names the package in eco (the
// release: never only another release), and the installed version is below
// one of the fixed versions it lists.
func checkRPMFindings(t *testing.T, doc *sbom.Document, res *Result, eco string) {
	t.Helper()
	byID := map[string]sbom.Package{}
	for _, p := range doc.Packages {
		byID[p.ID] = p
	}
	for _, f := range res.Findings {
		p := byID[f.PackageID]
		for _, a := range f.Advisories {
			ok := false
			for _, af := range a.Affected {
				ok = ok || (af.Package.Ecosystem == eco && af.Package.Name == p.Name)
			}
			if !ok {
				t.Errorf("%s %s: %s does not name it in %s", p.Name, p.Version, a.ID, eco)
			}
			iv, err := version.Parse(eco, p.Version)
			if err != nil {
				t.Fatal(err)
			}
			below := false
			for _, fx := range a.Fixed {
				fv, err := version.Parse(eco, fx)
				if err != nil {
					t.Fatal(err)
				}
				below = below || iv.Compare(fv) < 0
			}
			if !below {
				t.Errorf("%s %s: %s fixed in %v, not above the installed version", p.Name, p.Version, a.ID, a.Fixed)
			}
		}
	}
}

// TestAlmaLinux8 catalogs a real Berkeley DB rpm database with module
// streams (go-rpmdb's CentOS 8 test database: AlmaLinux 8 rebuilds the same
// packages; none of AlmaLinux's own is published with a test suite) under
// an os-release that says AlmaLinux 8.2, against the AlmaLinux advisories.
func TestAlmaLinux8(t *testing.T) {
	db := openOSDB(t)
	doc := rpmRootfs(t, "centos8-modularitylabel/Packages", "var/lib/rpm/Packages", "NAME=\"AlmaLinux\"\nID=\"almalinux\"\nVERSION_ID=\"8.2\"\n")
	res, err := Match(doc, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unchecked) > 0 {
		t.Errorf("unchecked: %v", res.Unchecked[:min(5, len(res.Unchecked))])
	}
	ids := findingIDs(res)
	for name, id := range map[string]string{
		"openssl-libs": "ALSA-2022:1065", // 1:1.1.1c-15.el8, fixed in 1:1.1.1k-6.el8_5
		"git-core":     "ALSA-2023:0610", // 2.18.4-2.el8_2, fixed in 2.31.1-3.el8_7
	} {
		if !slices.Contains(ids[name], id) {
			t.Errorf("%s: %s not found (%v)", name, id, ids[name])
		}
	}
	// A module stream's package (nodejs 1:10.21.0-3.module_el8.2.0+391+8da3adc6).
	if len(ids["nodejs"]) == 0 {
		t.Error("nodejs (a module stream package): no advisory found")
	}
	checkRPMFindings(t, doc, res, "AlmaLinux:8")
	t.Logf("%d packages, %d findings, %d packages with findings", len(doc.Packages), len(res.Findings), len(ids))
}

// TestAlmaLinux9 catalogs a real rpm SQLite database (go-rpmdb's Rocky
// Linux 9.3 test database, read from the module cache: no AlmaLinux 9
// database is published with a test suite; both rebuild RHEL 9's packages
// with the same versions) under an os-release that says AlmaLinux 9, and
// matches it against the AlmaLinux advisories.
func TestAlmaLinux9(t *testing.T) {
	db := openOSDB(t)
	doc := rpmRootfs(t, "rockylinux-9/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite", "NAME=\"AlmaLinux\"\nVERSION=\"9.3 (Shamrock Pampas Cat)\"\nID=\"almalinux\"\nVERSION_ID=\"9.3\"\n")
	var openssl *sbom.Package
	for i, p := range doc.Packages {
		if p.Name == "openssl-libs" {
			openssl = &doc.Packages[i]
		}
	}
	if openssl == nil || openssl.Version != "1:3.0.7-24.el9" || string(openssl.Ecosystem) != "AlmaLinux:9" {
		t.Fatalf("openssl-libs = %+v", openssl)
	}
	res, err := Match(doc, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unchecked) > 0 {
		t.Errorf("unchecked: %v", res.Unchecked[:min(5, len(res.Unchecked))])
	}
	ids := findingIDs(res)
	// ALSA-2024:0310 is fixed in 1:3.0.7-25.el9_3, ALSA-2024:2447 in
	// 1:3.0.7-27.el9: 1:3.0.7-24.el9 is affected by both.
	for _, id := range []string{"ALSA-2024:0310", "ALSA-2024:2447", "ALSA-2024:6783"} {
		if !slices.Contains(ids["openssl-libs"], id) {
			t.Errorf("openssl-libs 1:3.0.7-24.el9: %s not found (found %v)", id, ids["openssl-libs"])
		}
	}
	// Fixed before this version: not affected.
	for _, id := range []string{"ALSA-2023:3722", "ALSA-2022:7288"} {
		if slices.Contains(ids["openssl-libs"], id) {
			t.Errorf("openssl-libs 1:3.0.7-24.el9: %s reported, fixed in an older version", id)
		}
	}
	checkRPMFindings(t, doc, res, "AlmaLinux:9")
	t.Logf("%d packages, %d findings, %d packages with findings", len(doc.Packages), len(res.Findings), len(ids))

	// The SBOM written and read back (CycloneDX, SPDX) matches exactly as
	// the direct scan: the epoch, distro and ecosystem survive.
	for format, roundTrip := range map[string]func(*sbom.Document) (*sbom.Document, error){
		"cyclonedx": func(d *sbom.Document) (*sbom.Document, error) {
			var buf bytes.Buffer
			if err := cyclonedx.Encode(&buf, d, cyclonedx.Options{}); err != nil {
				return nil, err
			}
			return cyclonedx.Decode(&buf)
		},
		"spdx": func(d *sbom.Document) (*sbom.Document, error) {
			var buf bytes.Buffer
			if err := spdx.Encode(&buf, d); err != nil {
				return nil, err
			}
			return spdx.Decode(&buf)
		},
	} {
		back, err := roundTrip(doc)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		again, err := Match(back, db)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := flatIDs(findingIDs(again)), flatIDs(ids); !slices.Equal(got, want) {
			t.Errorf("%s round trip: %d findings, direct scan %d; first differences: %v", format, len(got), len(want), firstDiff(want, got))
		}
	}

	// The same package at the version ALSA-2024:2447 fixes: that advisory
	// and the older ones are gone, the newer one (fixed in
	// 1:3.0.7-28.el9_4) remains.
	openssl.Version = "1:3.0.7-27.el9"
	res, err = Match(doc, db)
	if err != nil {
		t.Fatal(err)
	}
	ids = findingIDs(res)
	for _, id := range []string{"ALSA-2024:0310", "ALSA-2024:2447"} {
		if slices.Contains(ids["openssl-libs"], id) {
			t.Errorf("openssl-libs 1:3.0.7-27.el9: %s reported, fixed in this version or before", id)
		}
	}
	if !slices.Contains(ids["openssl-libs"], "ALSA-2024:6783") {
		t.Errorf("openssl-libs 1:3.0.7-27.el9: ALSA-2024:6783 (fixed in 1:3.0.7-28.el9_4) not found: %v", ids["openssl-libs"])
	}
}

// fixtureDB builds a vulnerability index of the hand-written OSV records in
// testdata/dir (each validated against the OSV schema first).
func fixtureDB(t *testing.T, dir string, want int) *vulndb.DB {
	t.Helper()
	records, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil || len(records) != want {
		t.Fatalf("records %v: %v", records, err)
	}
	zipPath := filepath.Join(t.TempDir(), dir+".zip")
	zf, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	for _, r := range records {
		b, err := os.ReadFile(r)
		if err != nil {
			t.Fatal(err)
		}
		schematest.Validate(t, "osv.schema.json", r, b)
		w, _ := zw.Create(filepath.Base(r))
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zf.Close()
	dbDir := t.TempDir()
	if _, err := vulndb.Update(t.Context(), vulndb.Options{Dir: dbDir, Source: zipPath}); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dbDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestRedHatProducts: a RHEL 9 image (go-rpmdb's Rocky Linux 9 database
// under a RHEL os-release) is matched against RHEL 9's repositories, not
// against RHEL 8, an EUS stream or an add-on product that ship the same
// package names (testdata/redhat/README.md).
func TestRedHatProducts(t *testing.T) {
	db := fixtureDB(t, "redhat", 3)
	doc := rpmRootfs(t, "rockylinux-9/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite", "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nVERSION_ID=\"9.3\"\n")
	for _, format := range []string{"direct", "cyclonedx"} {
		if format == "cyclonedx" {
			var buf bytes.Buffer
			if err := cyclonedx.Encode(&buf, doc, cyclonedx.Options{}); err != nil {
				t.Fatal(err)
			}
			back, err := cyclonedx.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			doc = back
		}
		res, err := Match(doc, db)
		if err != nil {
			t.Fatal(err)
		}
		ids := findingIDs(res)
		if got := ids["openssl-libs"]; !slices.Equal(got, []string{"RHSA-2024:2447"}) {
			t.Errorf("%s: openssl-libs 1:3.0.7-24.el9: %v, want RHSA-2024:2447 alone", format, got)
		}
		for _, u := range res.Unchecked {
			if p := doc.Package(u.PackageID); p != nil && p.Name == "openssl-libs" {
				t.Errorf("%s: openssl-libs unchecked: %s", format, u.Reason)
			}
		}
	}
}

// TestSUSEProducts: SLES 15 SP3 (go-rpmdb's SLE 15 NDB database) is
// matched against every product and module of 15 SP3, LTSS included, and
// not against SP4 or openSUSE Leap (testdata/suse/README.md).
func TestSUSEProducts(t *testing.T) {
	db := fixtureDB(t, "suse", 2)
	doc := rpmRootfs(t, "sle15-bci/Packages.db", "usr/lib/sysimage/rpm/Packages.db", "NAME=\"SLES\"\nID=\"sles\"\nVERSION_ID=\"15.3\"\n")
	res, err := Match(doc, db)
	if err != nil {
		t.Fatal(err)
	}
	if got := findingIDs(res)["glibc"]; !slices.Equal(got, []string{"SUSE-SU-2099:0001-1"}) {
		t.Errorf("glibc 2.31-9.3.2 on SLES 15 SP3: %v, want SUSE-SU-2099:0001-1 alone", got)
	}
}

// TestCleanStart: CleanStart publishes Alpine-style apk packages; its
// advisories use the CleanStart ecosystem with apk versions. The apk
// database here is ours (the format apk writes), the advisories real:
// CLEANSTART-2026-SG88217 (redis, fixed in 8.2.2-r0).
func TestCleanStart(t *testing.T) {
	db := openOSDB(t)
	installed := func(v string) []byte {
		return []byte("C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nP:redis\nV:" + v + "\nA:x86_64\nL:BSD-3-Clause\no:redis\n\n")
	}
	for _, tc := range []struct {
		version string
		want    bool
	}{{"8.2.1-r0", true}, {"7.2.4-r0", true}, {"8.2.2-r0", false}, {"8.2.2-r1", false}} {
		root := writeRootfs(t, map[string][]byte{
			"etc/os-release":       []byte("NAME=\"CleanStart\"\nID=cleanstart\n"),
			"lib/apk/db/installed": installed(tc.version),
		})
		doc := loadRootfs(t, root)
		if len(doc.Packages) != 1 || string(doc.Packages[0].Ecosystem) != "CleanStart" {
			t.Fatalf("%+v", doc.Packages)
		}
		res, err := Match(doc, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Unchecked) > 0 {
			t.Fatalf("unchecked: %v", res.Unchecked)
		}
		got := slices.Contains(findingIDs(res)["redis"], "CLEANSTART-2026-SG88217")
		if got != tc.want {
			t.Errorf("redis %s: CLEANSTART-2026-SG88217 reported %v, want %v", tc.version, got, tc.want)
		}
	}
}

// TestDebianImage scans the real Debian 12 image ../shared/images builds
// (HALLMARK_TEST_IMAGE_DIR, made by .ci/setup.d/debian-image.sh) as a
// docker-archive against Debian records written in the shape osv.dev
// publishes (testdata/debian: no Debian OSV data can be had here). Debian's
// advisories name source packages: libc6 is glibc, liblzma5 is xz-utils.
func TestDebianImage(t *testing.T) {
	dir := os.Getenv("HALLMARK_TEST_IMAGE_DIR")
	if dir == "" {
		t.Skip("HALLMARK_TEST_IMAGE_DIR unset: .ci/setup.d/debian-image.sh builds the image with ../shared/images/build-debian-image.sh")
	}
	db := fixtureDB(t, "debian", 4)
	res, err := source.Load(t.Context(), "docker-archive:"+filepath.Join(dir, "debian.docker.tar"), source.Options{Catalog: catalog.Options{Catalogers: all.Catalogers()}})
	if err != nil {
		t.Fatal(err)
	}
	doc := res.Document
	m, err := Match(doc, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range m.Unchecked {
		if p := doc.Package(u.PackageID); p != nil && strings.HasPrefix(string(p.Ecosystem), "Debian") {
			t.Errorf("Debian package unchecked: %s: %s", p.Name, u.Reason)
		}
	}
	ids := findingIDs(m)
	// Open in every release: found on coreutils.
	if !slices.Contains(ids["coreutils"], "DEBIAN-CVE-2016-2781") {
		t.Errorf("coreutils: DEBIAN-CVE-2016-2781 not found (%v)", ids["coreutils"])
	}
	// glibc today is past 2.36-9+deb12u3; a Debian 11 entry never applies.
	for name, list := range ids {
		for _, id := range list {
			if id == "DSA-5514-1" || id == "DEBIAN-CVE-2023-4911" || id == "DEBIAN-CVE-2099-0001" {
				t.Errorf("%s: %s reported", name, id)
			}
		}
	}
	var libc6 *sbom.Package
	for i := range doc.Packages {
		if doc.Packages[i].Name == "libc6" {
			libc6 = &doc.Packages[i]
		}
	}
	if libc6 == nil || libc6.Properties[PropOSSource] != "glibc" {
		t.Fatalf("libc6: %+v", libc6)
	}
	// The same image at bookworm's glibc before the fix: both advisories.
	libc6.Properties[PropOSSourceVersion] = "2.36-9+deb12u2"
	m, err = Match(doc, db)
	if err != nil {
		t.Fatal(err)
	}
	ids = findingIDs(m)
	for _, id := range []string{"DSA-5514-1", "DEBIAN-CVE-2023-4911"} {
		if !slices.Contains(ids["libc6"], id) {
			t.Errorf("libc6 at glibc 2.36-9+deb12u2: %s not found (%v)", id, ids["libc6"])
		}
	}
	t.Logf("%d packages, %d checked", len(doc.Packages), m.Checked)
}
