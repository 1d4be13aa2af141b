package rpm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// rpmdbFixture is a real Berkeley DB rpm database from go-rpmdb's own test
// data, read from the module cache (never copied into this repository).
func rpmdbFixture(t *testing.T, name string) []byte {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/knqyf263/go-rpmdb").Output()
	if err != nil {
		t.Skipf("go-rpmdb's module directory: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "pkg", "testdata", name, "Packages"))
	if err != nil {
		t.Skipf("go-rpmdb test data: %v", err)
	}
	return b
}

func TestCentOS7(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/os-release":       {Data: []byte("ID=\"centos\"\nVERSION_ID=\"7\"\n")},
		"var/lib/rpm/Packages": {Data: rpmdbFixture(t, "centos7-plain")},
	}
	res, err := New().Catalog(t.Context(), fsys, "var/lib/rpm/Packages")
	if err != nil {
		t.Fatal(err)
	}
	var openssl string
	for _, p := range res.Packages {
		if p.Name == "openssl-libs" {
			openssl = p.PURL + " " + p.Properties[PropSourceRPM]
		}
	}
	// go-rpmdb's own expectation for this database (CentOS7Plain in its
	// rpmdb_testcase.go) lists 144 packages.
	if len(res.Packages) != 144 || !strings.HasPrefix(openssl, "pkg:rpm/centos/openssl-libs@1.0.2k-") || !strings.Contains(openssl, "epoch=1") {
		t.Errorf("%d packages; openssl-libs = %q", len(res.Packages), openssl)
	}
	if len(res.Owns) == 0 {
		t.Error("no owned files")
	}
}

func TestUnsupportedAndCorrupt(t *testing.T) {
	fsys := fstest.MapFS{
		"var/lib/rpm/rpmdb.sqlite": {Data: []byte("SQLite format 3\x00")},
		"var/lib/rpm/Packages":     {Data: []byte("not a berkeley db")},
	}
	if _, err := New().Catalog(t.Context(), fsys, "var/lib/rpm/rpmdb.sqlite"); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("sqlite: %v", err)
	}
	if _, err := New().Catalog(t.Context(), fsys, "var/lib/rpm/Packages"); err == nil {
		t.Error("corrupt database accepted")
	}
}
