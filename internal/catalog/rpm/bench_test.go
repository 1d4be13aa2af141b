package rpm

import (
	"testing"
	"testing/fstest"
)

// BenchmarkCatalog reads real databases (go-rpmdb's test data): Berkeley DB
// of CentOS 7 with 396 packages, SQLite of Rocky 9 with 142.
func BenchmarkCatalog(b *testing.B) {
	for _, tc := range []struct{ name, fixture, path string }{
		{"bdb-centos7-many", "centos7-many/Packages", "var/lib/rpm/Packages"},
		{"sqlite-rocky9", "rockylinux-9/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite"},
		{"ndb-sle15", "sle15-bci/Packages.db", "usr/lib/sysimage/rpm/Packages.db"},
	} {
		fsys := fstest.MapFS{tc.path: {Data: rpmdbFixture(b, tc.fixture)}}
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := New().Catalog(b.Context(), fsys, tc.path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
