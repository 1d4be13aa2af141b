// Package store is the server's store: products, releases and their SBOM
// components, findings with first-seen and resolved times, VEX triage with
// its history, API tokens (hashes only), webhooks and their deliveries, and
// background jobs. One SQL for both backends: SQLite (modernc.org/sqlite,
// pure Go, one file, the default) and PostgreSQL (jackc/pgx through
// database/sql, for several stateless replicas; jobs are claimed with
// FOR UPDATE SKIP LOCKED).
//
// Migrations are embedded, versioned and applied at Open in a transaction
// each; a database whose schema is newer than this binary's is refused.
// A Store is safe for concurrent use.
package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// ErrNotFound reports a missing row.
var ErrNotFound = errors.New("not found")

// ErrNewerSchema reports a database migrated by a newer hallmark.
var ErrNewerSchema = errors.New("database schema is newer than this hallmark: upgrade hallmark")

// Store is an open database.
type Store struct {
	// db serves reads; w serves writes and every transaction. For
	// PostgreSQL they are one pool. For SQLite, w is a single connection:
	// SQLite has one writer at a time, and writers queued in Go's pool
	// neither hold the readers' connections while they wait for the lock
	// (a query waited behind eight uploads) nor invalidate each other's
	// page caches; the readers are query_only connections that WAL lets
	// run beside the writer.
	db, w   *sql.DB
	dialect string
	names   nameCache
	// stated are names known to have a name_state row (rows are never
	// deleted): an ingest does not write them again.
	stated struct {
		sync.Mutex
		m map[EcoName]bool
	}
}

// SQLite connection settings: WAL so that readers run beside the writer,
// NORMAL synchronous (durable at checkpoints, never corrupt), foreign keys.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)"

// Open opens (creating and migrating) the database dsn names: a
// postgres:// or postgresql:// URL, or the path of a SQLite file.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return open(ctx, dsn, 0)
}

// open opens the database migrated to version upto (0: this binary's).
func open(ctx context.Context, dsn string, upto int) (*Store, error) {
	s := &Store{dialect: SQLite}
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s.dialect = Postgres
		s.db, err = sql.Open("pgx", dsn)
		if err == nil {
			// Idle connections are kept (database/sql keeps two by
			// default): each new one is a PostgreSQL backend to fork, warm
			// up and prepare statements on again, and under load the pool
			// opened and closed hundreds.
			s.db.SetMaxOpenConns(16)
			s.db.SetMaxIdleConns(16)
			s.db.SetConnMaxIdleTime(5 * time.Minute)
			s.w = s.db
		}
	} else {
		s.w, err = sql.Open("sqlite", "file:"+dsn+"?"+sqlitePragmas+"&_pragma=cache_size(-32768)&_pragma=wal_autocheckpoint(10000)&_pragma=journal_size_limit(67108864)&_txlock=immediate")
		if err == nil {
			s.w.SetMaxOpenConns(1)
			s.w.SetMaxIdleConns(1)
			s.w.SetConnMaxIdleTime(0)
			s.db, err = sql.Open("sqlite", "file:"+dsn+"?"+sqlitePragmas+"&_pragma=cache_size(-8192)&_pragma=query_only(1)")
			if err == nil {
				s.db.SetMaxOpenConns(4)
			} else {
				s.w.Close()
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// The writer first: it creates the file and sets WAL mode.
	if err := s.w.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := s.migrate(ctx, upto); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return s, nil
}

// begin starts a write transaction on a connection of its own, so that
// PostgreSQL's COPY (insertRows) runs inside it. The caller closes the
// connection after the transaction ends.
func (s *Store) begin(ctx context.Context) (*sql.Conn, *sql.Tx, error) {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, tx, nil
}

// Close closes the database.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.w != s.db {
		err = errors.Join(err, s.w.Close())
	}
	return err
}

// Dialect returns SQLite or Postgres.
func (s *Store) Dialect() string { return s.dialect }

// DB exposes the writing handle for tests and benchmarks.
func (s *Store) DB() *sql.DB { return s.w }

// q rewrites "?" placeholders to PostgreSQL's $1, $2, ...
func (s *Store) q(query string) string {
	if s.dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (s *Store) migrate(ctx context.Context, upto int) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	var cur int
	err = s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&cur)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if cur > len(files) {
		return fmt.Errorf("%w (database at version %d, this hallmark knows %d)", ErrNewerSchema, cur, len(files))
	}
	if upto > 0 && upto < len(files) {
		files = files[:upto]
	}
	for i := cur; i < len(files); i++ {
		b, err := migrations.ReadFile(files[i])
		if err != nil {
			return err
		}
		text := string(b)
		blob, serial := "BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT"
		if s.dialect == Postgres {
			blob, serial = "BYTEA", "BIGSERIAL PRIMARY KEY"
		}
		text = strings.NewReplacer("{{BLOB}}", blob, "{{SERIAL}}", serial).Replace(text)
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if s.dialect == Postgres {
			// Two replicas starting at once: one migrates, the other waits.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(4242)`); err != nil {
				tx.Rollback()
				return err
			}
			var again int
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&again); err != nil {
				tx.Rollback()
				return err
			}
			if again > i {
				tx.Rollback()
				continue
			}
		}
		for _, stmt := range splitSQL(text) {
			// A statement marked {{POSTGRES}} is PostgreSQL's only.
			if rest, ok := strings.CutPrefix(stmt, "{{POSTGRES}}"); ok {
				if s.dialect != Postgres {
					continue
				}
				stmt = strings.TrimSpace(rest)
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("migrate %s: %w", files[i], err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_version (version) VALUES (?)`), i+1); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate %s: %w", files[i], err)
		}
	}
	return nil
}

// splitSQL splits a migration into statements: comment lines dropped
// first, then split at semicolons (no semicolons in string literals).
func splitSQL(text string) []string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
			lines = append(lines, l)
		}
	}
	var out []string
	for _, st := range strings.Split(strings.Join(lines, "\n"), ";") {
		if strings.TrimSpace(st) != "" {
			out = append(out, strings.TrimSpace(st))
		}
	}
	return out
}

// NewID returns a random UUID (version 4).
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(n int64) time.Time { return time.UnixMilli(n).UTC() }

// HashToken is how tokens are kept: SHA-256 of the random secret (tokens
// are 256-bit random, so no slow hash is needed against guessing).
func HashToken(plain string) string {
	h := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(h[:])
}
