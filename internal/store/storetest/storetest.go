// Package storetest runs the store and server tests on both backends:
// a fresh SQLite file and, when HALLMARK_TEST_POSTGRES is set, a fresh
// PostgreSQL database.
package storetest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"

	"github.com/hallmark-dev/hallmark/internal/store"
)

// TestBackends returns, for a test, the DSN of a fresh SQLite file and,
// when HALLMARK_TEST_POSTGRES names a PostgreSQL server (.ci/setup.d/
// postgres.sh starts one), of a fresh database there, dropped at the end.
// Every store and server test runs on both. Not for use outside tests.
func TestBackends(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{store.SQLite: filepath.Join(t.TempDir(), "hallmark.db")}
	admin := os.Getenv("HALLMARK_TEST_POSTGRES")
	if admin == "" {
		if os.Getenv("CI") != "" || os.Getenv("CI_ENV") != "" {
			t.Fatal("HALLMARK_TEST_POSTGRES is unset in CI: .ci/setup.d/postgres.sh should have started PostgreSQL")
		}
		t.Log("HALLMARK_TEST_POSTGRES unset: PostgreSQL half skipped (.ci/setup.d/postgres.sh starts a cluster)")
		return out
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := "hm_" + strings.ReplaceAll(store.NewID(), "-", "")[:16]
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err == nil {
			db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			db.Close()
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	out[store.Postgres] = u.String()
	return out
}

// ForEachBackend runs fn as a subtest per backend with an open store.
func ForEachBackend(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	for name, dsn := range TestBackends(t) {
		t.Run(name, func(t *testing.T) {
			s, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatalf("open %s: %v", name, err)
			}
			defer s.Close()
			fn(t, s)
		})
	}
}
