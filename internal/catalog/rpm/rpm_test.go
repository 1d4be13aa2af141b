package rpm

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/knqyf263/go-rpmdb/pkg/bdb"
)

// The rpm databases these tests read are go-rpmdb's own test data, read
// from the module cache of the pinned version (never copied into this
// repository); go-rpmdb's rpmdb_testcase_test.go holds, for each, the
// output of `rpm -qa` in the container the database came from, which is
// the package set expected here.

var (
	modDirOnce sync.Once
	modDir     string
	modDirErr  error
)

func rpmdbDir(t testing.TB) string {
	modDirOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/knqyf263/go-rpmdb").Output()
		modDir, modDirErr = strings.TrimSpace(string(out)), err
	})
	if modDirErr != nil || modDir == "" {
		t.Skipf("go-rpmdb's module directory: %v (run `go mod download github.com/knqyf263/go-rpmdb`)", modDirErr)
	}
	return filepath.Join(modDir, "pkg")
}

func rpmdbFixture(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join(rpmdbDir(t), "testdata", name))
	if err != nil {
		t.Skipf("go-rpmdb test data: %v", err)
	}
	return b
}

var expectLine = regexp.MustCompile(`^\s*\{intRef\((\d*)\), "([^"]*)", "([^"]*)", "([^"]*)", "([^"]*)", "([^"]*)"`)

// expected returns the packages go-rpmdb's test case fn lists, as
// "name epoch:version-release arch source-rpm" (epoch only when set).
func expected(t *testing.T, fn string) []string {
	b, err := os.ReadFile(filepath.Join(rpmdbDir(t), "rpmdb_testcase_test.go"))
	if err != nil {
		t.Skipf("go-rpmdb test expectations: %v", err)
	}
	var out []string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(strings.TrimSpace(l), fn+" = func()"):
			in = true
		case in && strings.TrimSpace(l) == "}":
			in = false
		case in:
			if m := expectLine.FindStringSubmatch(l); m != nil {
				v := m[3] + "-" + m[4]
				if m[1] != "" && m[1] != "0" {
					v = m[1] + ":" + v
				}
				if m[2] == "gpg-pubkey" && m[6] == "" {
					continue // a signing key, not a package: left out (isPubkey)
				}
				out = append(out, strings.Join([]string{m[2], v, m[5], m[6]}, " "))
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no expectation %s in go-rpmdb's test cases", fn)
	}
	slices.Sort(out)
	return out
}

func TestRealDatabases(t *testing.T) {
	for _, tc := range []struct {
		name, fixture, path, osRelease, expect string
		count                                  int
		purl                                   string // one package's purl
	}{
		{"BerkeleyDB/CentOS7", "centos7-plain/Packages", "var/lib/rpm/Packages", "ID=\"centos\"\nVERSION_ID=\"7\"\n", "CentOS7Plain", 144,
			"pkg:rpm/centos/openssl-libs@1.0.2k-12.el7?arch=x86_64&distro=centos-7&epoch=1"},
		{"SQLite/Rocky9", "rockylinux-9/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite", "ID=\"rocky\"\nVERSION_ID=\"9.3\"\n", "Rockylinux9WithSQLite3", 142,
			"pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?arch=aarch64&distro=rocky-9.3&epoch=1"},
		{"SQLite/Fedora35", "fedora35/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite", "ID=fedora\nVERSION_ID=35\n", "Fedora35WithSQLite3", 137,
			"pkg:rpm/fedora/openssl-libs@1.1.1l-2.fc35?arch=x86_64&distro=fedora-35&epoch=1"},
		{"NDB/SLE15", "sle15-bci/Packages.db", "usr/lib/sysimage/rpm/Packages.db", "ID=\"sles\"\nVERSION_ID=\"15.3\"\n", "SLE15WithNDB", 35,
			"pkg:rpm/suse/glibc@2.31-9.3.2?arch=x86_64&distro=sles-15.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"etc/os-release": {Data: []byte(tc.osRelease)},
				tc.path:          {Data: rpmdbFixture(t, tc.fixture)},
			}
			c := New()
			if !c.Claims(tc.path, 0) {
				t.Fatalf("%s not claimed", tc.path)
			}
			res, err := c.Catalog(t.Context(), fsys, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			want := expected(t, tc.expect)
			if len(want) != tc.count {
				t.Fatalf("go-rpmdb's %s lists %d packages (signing keys left out), this test expects %d", tc.expect, len(want), tc.count)
			}
			var got []string
			purls := map[string]bool{}
			for _, p := range res.Packages {
				got = append(got, strings.Join([]string{p.Name, p.Version, p.Properties[PropArch], p.Properties[PropSourceRPM]}, " "))
				purls[p.PURL] = true
				if p.Locations[0].Path != tc.path {
					t.Errorf("%s: location %v", p.Name, p.Locations)
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("package set differs from rpm -qa's (-want +got):\n%s", diff)
			}
			if !purls[tc.purl] {
				t.Errorf("no package %s", tc.purl)
			}
			if len(res.Owns) == 0 {
				t.Error("no owned files")
			}
		})
	}
}

// TestEveryRealDatabase reads more of go-rpmdb's test databases (Berkeley
// DB of CentOS 5, 6, 7 and 8 and of UBI 8 on big-endian s390x, SQLite of
// Fedora 35): the corruption check lets each through and the package set is
// go-rpmdb's expectation (rpm -qa in the container it came from).
// TestAgainstRPM compares these and the larger ones with rpm itself.
func TestEveryRealDatabase(t *testing.T) {
	for fixture, fn := range map[string]string{
		"centos5-plain/Packages":           "CentOS5Plain",
		"centos6-plain/Packages":           "CentOS6Plain",
		"centos7-python35/Packages":        "CentOS7Python35",
		"centos8-modularitylabel/Packages": "CentOS8Modularitylabel",
		"ubi8-s390x/Packages":              "UBI8s390x",
		"fedora35-plus-mongo/rpmdb.sqlite": "Fedora35PlusMongoDBWithSQLite3",
	} {
		t.Run(fixture, func(t *testing.T) {
			t.Parallel()
			p := "var/lib/rpm/" + filepath.Base(fixture)
			res, err := New().Catalog(t.Context(), fstest.MapFS{p: {Data: rpmdbFixture(t, fixture)}}, p)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range res.Packages {
				got = append(got, strings.Join([]string{p.Name, p.Version, p.Properties[PropArch], p.Properties[PropSourceRPM]}, " "))
			}
			slices.Sort(got)
			if diff := cmp.Diff(expected(t, fn), got); diff != "" {
				t.Errorf("package set differs from rpm -qa's (-want +got):\n%s", diff)
			}
			if fn == "CentOS8Modularitylabel" {
				for _, p := range res.Packages {
					if p.Name == "nodejs" && p.Properties[PropModularityLabel] != "nodejs:10:8020020200707141642:6a468ee4" {
						t.Errorf("nodejs modularity label %q", p.Properties[PropModularityLabel])
					}
				}
			}
		})
	}
}

// TestOwnedFilesUnderRoot: a database below a root (an image's layer view
// nested in a directory) names its files under that root.
func TestOwnedFilesUnderRoot(t *testing.T) {
	fsys := fstest.MapFS{
		"rootfs/etc/os-release":           {Data: []byte("ID=rocky\nVERSION_ID=9.3\n")},
		"rootfs/var/lib/rpm/rpmdb.sqlite": {Data: rpmdbFixture(t, "rockylinux-9/rpmdb.sqlite")},
	}
	res, err := New().Catalog(t.Context(), fsys, "rootfs/var/lib/rpm/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	owner, ok := res.Owns["rootfs/usr/bin/openssl"]
	if !ok || !strings.HasPrefix(owner, "pkg:rpm/rocky/openssl@") {
		t.Errorf("rootfs/usr/bin/openssl owned by %q", owner)
	}
	if res.Packages[0].Properties[PropDistro] != "rocky-9.3" {
		t.Errorf("distro %q: os-release under the root not read", res.Packages[0].Properties[PropDistro])
	}
}

func TestCorrupt(t *testing.T) {
	for name, data := range map[string][]byte{
		"var/lib/rpm/Packages":              []byte("not a berkeley db"),
		"var/lib/rpm/rpmdb.sqlite":          []byte("SQLite format 3\x00truncated"),
		"usr/lib/sysimage/rpm/Packages.db":  append([]byte("RpmP"), make([]byte, 60)...),
		"usr/lib/sysimage/rpm/rpmdb.sqlite": nil,
		"var/lib/rpm/Packages.db":           []byte("RpmP\x00\x00"),
	} {
		fsys := fstest.MapFS{name: {Data: data}}
		if _, err := New().Catalog(t.Context(), fsys, name); err == nil {
			t.Errorf("%s: corrupt database accepted", name)
		}
	}
}

// TestCorruptRealDatabases: real databases with one field broken, each a
// shape on which go-rpmdb's reader would hang, crash the process or
// allocate gigabytes; the check refuses them with a clear error.
func TestCorruptRealDatabases(t *testing.T) {
	le := binary.LittleEndian
	ndb := func(edit func(b []byte, blob int)) []byte {
		b := bytes.Clone(rpmdbFixture(t, "sle15-bci/Packages.db"))
		for i := 32; i+16 <= len(b); i += 16 {
			if le.Uint32(b[i+4:]) != 0 { // the first used slot
				edit(b, int(le.Uint32(b[i+8:]))*16)
				return b
			}
		}
		t.Fatal("no used NDB slot")
		return nil
	}
	bdbChain := func(edit func(b []byte, page, pageSize int)) []byte {
		b := bytes.Clone(rpmdbFixture(t, "libuuid/Packages"))
		ps := int(le.Uint32(b[20:]))
		for off := ps; off+ps <= len(b); off += ps {
			if b[off+25] == bdb.OverflowPageType {
				edit(b, off/ps, ps)
				return b
			}
		}
		t.Fatal("no overflow page")
		return nil
	}
	// Page 60 of the Rocky 9 database is an overflow page of a package's
	// header blob: damaged, go-rpmdb's reader returns 1 package of 142
	// and no error.
	sqliteDamaged := func() []byte {
		b := bytes.Clone(rpmdbFixture(t, "rockylinux-9/rpmdb.sqlite"))
		ps := int(binary.BigEndian.Uint16(b[16:]))
		for i := range 16 {
			b[60*ps+i] = 0xee
		}
		return b
	}
	for name, tc := range map[string]struct {
		path, want string
		data       []byte
	}{
		"SQLite page damaged":             {"var/lib/rpm/rpmdb.sqlite", "corrupt rpm database", sqliteDamaged()},
		"SQLite without a Packages table": {"var/lib/rpm/rpmdb.sqlite", "no such table", sqliteWithout(t)},
		"NDB blob length 4 GiB": {"usr/lib/sysimage/rpm/Packages.db", "past the end of the file",
			ndb(func(b []byte, blob int) { le.PutUint32(b[blob+12:], 0xfffffff0) })},
		"NDB blob magic": {"usr/lib/sysimage/rpm/Packages.db", "no blob",
			ndb(func(b []byte, blob int) { b[blob] = 'X' })},
		"NDB slot magic": {"usr/lib/sysimage/rpm/Packages.db", "bad magic",
			ndb(func(b []byte, _ int) { b[32] = 'X' })},
		"BDB overflow cycle": {"var/lib/rpm/Packages", "reached twice",
			bdbChain(func(b []byte, page, ps int) { le.PutUint32(b[page*ps+16:], uint32(page)) })},
		"BDB overflow page of another type": {"var/lib/rpm/Packages", "overflow chain has type",
			bdbChain(func(b []byte, page, ps int) { b[page*ps+25] = bdb.HashPageType })},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New().Catalog(t.Context(), fstest.MapFS{tc.path: {Data: tc.data}}, tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// sqliteWithout returns a valid SQLite database that has no Packages table.
func sqliteWithout(t *testing.T) []byte {
	p := filepath.Join(t.TempDir(), "other.sqlite")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE Other (blob BLOB)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzDatabase feeds arbitrary bytes to the reader as each of the three
// formats: an error, never a panic or a hang.
func FuzzDatabase(f *testing.F) {
	f.Add([]byte("SQLite format 3\x00"), uint8(1))
	f.Add(append([]byte("RpmP"), make([]byte, 64)...), uint8(2))
	f.Add([]byte{0, 0, 0, 0, 0x61, 0x15, 0x06, 0, 9, 0, 0, 0, 0, 0x10, 0, 0}, uint8(0))
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/knqyf263/go-rpmdb").Output(); err == nil {
		if b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "pkg", "testdata", "libuuid", "Packages")); err == nil {
			f.Add(b, uint8(0)) // a real Berkeley DB database of one package
		}
	}
	files := []string{"var/lib/rpm/Packages", "var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/Packages.db"}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		p := files[int(which)%len(files)]
		_, _ = New().Catalog(t.Context(), fstest.MapFS{p: {Data: data}}, p)
	})
}

// TestScalibrDatabases reads the real databases of osv-scalibr's rpm
// extractor tests (the pinned osv-scalibr in the module cache): openSUSE
// Leap 15.5's NDB, CentOS 7.9's Berkeley DB and Rocky Linux 9.2's SQLite,
// with the package counts its tests expect (less the signing keys); and its corrupt database on
// which go-rpmdb's reader never returns (osv-scalibr bounds it with a
// timeout): refused at once here.
func TestScalibrDatabases(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/google/osv-scalibr").Output()
	if err != nil {
		t.Skipf("osv-scalibr's module directory: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "extractor", "filesystem", "os", "rpm", "testdata")
	for _, tc := range []struct {
		file, path string
		count      int
	}{
		{"Packages.db", "usr/lib/sysimage/rpm/Packages.db", 137 - 5}, // osv-scalibr counts its 5 gpg-pubkey entries
		{"Packages", "usr/lib/sysimage/rpm/Packages", 148},           // where SUSE kept its Berkeley DB
		{"rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite", 141},
		{"timeout/Packages", "var/lib/rpm/Packages", -1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Skipf("osv-scalibr test data: %v", err)
			}
			if !New().Claims(tc.path, 0) {
				t.Errorf("%s not claimed", tc.path)
			}
			res, err := New().Catalog(t.Context(), fstest.MapFS{tc.path: {Data: b}}, tc.path)
			if tc.count < 0 {
				if err == nil || !strings.Contains(err.Error(), "corrupt rpm database") {
					t.Errorf("error %v, want the database refused as corrupt", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Packages) != tc.count {
				t.Errorf("%d packages, osv-scalibr's test expects %d", len(res.Packages), tc.count)
			}
		})
	}
}

// TestAgainstRPM compares the package set with rpm's own reading of the
// same real databases (`rpm -qa --dbpath`; Debian's rpm 4.18 reads Berkeley
// DB and SQLite, not NDB), every database of go-rpmdb's and osv-scalibr's
// test data, centos6-many whole (go-rpmdb's expectation lists only part of
// it). .ci/setup.d/rpm.sh installs rpm.
func TestAgainstRPM(t *testing.T) {
	rpmBin, err := exec.LookPath("rpm")
	if err != nil {
		t.Skip("rpm not installed (apt-get install rpm; .ci/setup.d/rpm.sh)")
	}
	dbs := map[string]string{}
	for _, f := range []string{"centos5-plain/Packages", "centos6-plain/Packages", "centos6-devtools/Packages", "centos6-many/Packages",
		"centos7-plain/Packages", "centos7-devtools/Packages", "centos7-many/Packages", "centos7-python35/Packages", "centos7-httpd24/Packages",
		"centos8-modularitylabel/Packages", "ubi8-s390x/Packages", "fedora35/rpmdb.sqlite", "fedora35-plus-mongo/rpmdb.sqlite", "rockylinux-9/rpmdb.sqlite"} {
		dbs["go-rpmdb/"+f] = filepath.Join(rpmdbDir(t), "testdata", f)
	}
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/google/osv-scalibr").Output(); err == nil {
		dir := filepath.Join(strings.TrimSpace(string(out)), "extractor", "filesystem", "os", "rpm", "testdata")
		dbs["osv-scalibr/Packages"] = filepath.Join(dir, "Packages")
		dbs["osv-scalibr/rpmdb.sqlite"] = filepath.Join(dir, "rpmdb.sqlite")
	}
	for name, file := range dbs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(file)
			if err != nil {
				t.Skipf("test data: %v", err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(file)), b, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(rpmBin, "-qa", "--dbpath", dir, "--qf", `%{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM}\n`)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("rpm -qa: %v", err)
			}
			var want []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				// An explicit epoch 0 is the same version as none
				// (rpm.vercmp("0:1.0", "1.0") is 0): hallmark writes neither.
				l = strings.Replace(l, " 0:", " ", 1)
				if strings.HasPrefix(l, "gpg-pubkey ") && strings.HasSuffix(l, " (none) (none)") {
					continue // a signing key, not a package: left out (isPubkey)
				}
				want = append(want, strings.ReplaceAll(l, "(none)", ""))
			}
			slices.Sort(want)
			p := "var/lib/rpm/" + filepath.Base(file)
			res, err := New().Catalog(t.Context(), fstest.MapFS{p: {Data: b}}, p)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range res.Packages {
				got = append(got, strings.Join([]string{p.Name, p.Version, p.Properties[PropArch], p.Properties[PropSourceRPM]}, " "))
			}
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("package set differs from rpm -qa's (-want +got):\n%s", diff)
			}
		})
	}
}
