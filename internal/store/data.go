package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Roles of API tokens.
const (
	RoleAdmin    = "admin"
	RoleUploader = "uploader"
	RoleViewer   = "viewer"
)

// Token is an API token (never its secret).
type Token struct {
	ID, Name, Role, TeamID string
	Team                   string // the team's name (Tokens only)
	Created                time.Time
}

// CreateToken makes a token and returns its secret, which is shown once:
// only its hash is stored. teamID "" means every team (admins).
func (s *Store) CreateToken(ctx context.Context, name, role, teamID string) (string, *Token, error) {
	switch role {
	case RoleAdmin, RoleUploader, RoleViewer:
	default:
		return "", nil, fmt.Errorf("unknown role %q (admin, uploader, viewer)", role)
	}
	var b [32]byte
	rand.Read(b[:])
	plain := "hm_" + base64.RawURLEncoding.EncodeToString(b[:])
	t, err := s.insertToken(ctx, plain, name, role, teamID)
	return plain, t, err
}

// ImportToken stores a token whose secret the operator chose
// (HALLMARK_ADMIN_TOKEN); an existing one is kept.
func (s *Store) ImportToken(ctx context.Context, plain, name, role string) (*Token, error) {
	if t, err := s.TokenBySecret(ctx, plain); err == nil {
		return t, nil
	}
	return s.insertToken(ctx, plain, name, role, "")
}

func (s *Store) insertToken(ctx context.Context, plain, name, role, teamID string) (*Token, error) {
	t := &Token{ID: NewID(), Name: name, Role: role, TeamID: teamID, Created: time.Now().UTC()}
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO tokens (id, hash, name, role, team_id, created) VALUES (?, ?, ?, ?, ?, ?)`),
		t.ID, HashToken(plain), name, role, nullable(teamID), ms(t.Created))
	if err != nil {
		return nil, fmt.Errorf("store token: %w", err)
	}
	return t, nil
}

// TokenBySecret finds the token a secret belongs to.
func (s *Store) TokenBySecret(ctx context.Context, plain string) (*Token, error) {
	var t Token
	var team sql.NullString
	var created int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, name, role, team_id, created FROM tokens WHERE hash = ?`), HashToken(plain)).
		Scan(&t.ID, &t.Name, &t.Role, &team, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t.TeamID, t.Created = team.String, fromMS(created)
	return &t, nil
}

// ErrLastAdmin refuses revoking the only admin token.
var ErrLastAdmin = errors.New("the last admin token cannot be revoked (make another admin token first)")

// Tokens lists every API token (never a secret: only hashes are stored),
// with its team's name.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT k.id, k.name, k.role, k.team_id, k.created, t.name FROM tokens k LEFT JOIN teams t ON t.id = k.team_id ORDER BY k.created, k.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var team, teamName sql.NullString
		var created int64
		if err := rows.Scan(&t.ID, &t.Name, &t.Role, &team, &created, &teamName); err != nil {
			return nil, err
		}
		t.TeamID, t.Team, t.Created = team.String, teamName.String, fromMS(created)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken deletes a token and the browser sessions opened with it;
// ErrNotFound when there is none, ErrLastAdmin for the only admin token.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	conn, tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	defer tx.Rollback()
	var role string
	if err := tx.QueryRowContext(ctx, s.q(`SELECT role FROM tokens WHERE id = ?`), id).Scan(&role); errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	if role == RoleAdmin {
		// Two revocations at once must not both see another admin: on
		// PostgreSQL the admin rows are locked (SQLite has one writer).
		count := `SELECT COUNT(*) FROM tokens WHERE role = ?`
		if s.dialect == Postgres {
			count = `SELECT COUNT(*) FROM (SELECT id FROM tokens WHERE role = ? FOR UPDATE) admins`
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q(count), RoleAdmin).Scan(&n); err != nil {
			return err
		}
		if n <= 1 {
			return ErrLastAdmin
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM tokens WHERE id = ?`), id); err != nil {
		return err
	}
	return tx.Commit()
}

// CountAdmins counts admin tokens (the first start makes one when none).
func (s *Store) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM tokens WHERE role = ?`), RoleAdmin).Scan(&n)
	return n, err
}

// Team is a group owning products.
type Team struct{ ID, Name string }

// EnsureTeam returns the team named name, creating it.
func (s *Store) EnsureTeam(ctx context.Context, name string) (*Team, error) {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO teams (id, name, created) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`), NewID(), name, ms(time.Now()))
	if err != nil {
		return nil, err
	}
	var t Team
	err = s.db.QueryRowContext(ctx, s.q(`SELECT id, name FROM teams WHERE name = ?`), name).Scan(&t.ID, &t.Name)
	return &t, err
}

// Product is a product whose releases are tracked.
type Product struct {
	ID, Name, TeamID string
	Created          time.Time
}

// Product returns the product named name.
func (s *Store) Product(ctx context.Context, name string) (*Product, error) {
	return s.product(ctx, `SELECT id, name, team_id, created FROM products WHERE name = ?`, name)
}

// ProductByID returns the product with that id.
func (s *Store) ProductByID(ctx context.Context, id string) (*Product, error) {
	return s.product(ctx, `SELECT id, name, team_id, created FROM products WHERE id = ?`, id)
}

func (s *Store) product(ctx context.Context, query, arg string) (*Product, error) {
	var p Product
	var team sql.NullString
	var created int64
	err := s.db.QueryRowContext(ctx, s.q(query), arg).Scan(&p.ID, &p.Name, &team, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	p.TeamID, p.Created = team.String, fromMS(created)
	return &p, nil
}

// CreateProduct creates a product owned by teamID ("" for none), or
// returns the existing one of that name.
func (s *Store) CreateProduct(ctx context.Context, name, teamID string) (*Product, error) {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO products (id, name, team_id, created) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`),
		NewID(), name, nullable(teamID), ms(time.Now()))
	if err != nil {
		return nil, err
	}
	return s.Product(ctx, name)
}

// Products lists products by name.
func (s *Store) Products(ctx context.Context) ([]Product, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, team_id, created FROM products ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Product
	for rows.Next() {
		var p Product
		var team sql.NullString
		var created int64
		if err := rows.Scan(&p.ID, &p.Name, &team, &created); err != nil {
			return nil, err
		}
		p.TeamID, p.Created = team.String, fromMS(created)
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeleteProduct removes a product with its releases and findings.
func (s *Store) DeleteProduct(ctx context.Context, id string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DELETE FROM finding_ids WHERE release_id IN (SELECT id FROM releases WHERE product_id = ?)`,
		`DELETE FROM findings WHERE release_id IN (SELECT id FROM releases WHERE product_id = ?)`,
		`DELETE FROM components WHERE release_id IN (SELECT id FROM releases WHERE product_id = ?)`,
		`DELETE FROM vex WHERE release_id IN (SELECT id FROM releases WHERE product_id = ?)`,
		`DELETE FROM releases WHERE product_id = ?`,
		`DELETE FROM webhooks WHERE product_id = ?`,
		`DELETE FROM products WHERE id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, s.q(q), id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Release is a shipped version of a product.
type Release struct {
	ID, ProductID, Product, Version, Format string
	// TeamID is the team owning the product ("" for none), for access
	// checks without a query per release.
	TeamID     string `json:"-"`
	Created    time.Time
	Components int
}

// Component is one package of a release, as stored.
type Component struct {
	ReleaseID string
	Index     int
	Package   sbom.Package
	MatchName string
}

// StoredFinding is a finding of one package of one release.
type StoredFinding struct {
	ReleaseID, Package, VulnID, Ecosystem, MatchName string
	Aliases                                          []string
	Severity                                         string
	Score                                            float64
	Summary                                          string
	Fixed                                            []string
	FirstSeen                                        time.Time
	Resolved                                         *time.Time
	// VEX is the current triage (zero Status: none).
	VEX VEX
}

// ReleaseInput is what PutRelease stores, in one transaction.
type ReleaseInput struct {
	// ProductID names the product; when it is "", the product named
	// ProductName (owned by TeamID) is created in the same transaction
	// unless it exists.
	ProductID, ProductName, TeamID string
	Version                        string
	SBOM                           []byte
	Format                         string // "cyclonedx" or "spdx"
	Manifest                       []byte
	Components                     []Component // Package and MatchName set
	Findings                       []StoredFinding
	// NameStates are the advisory fingerprints the findings were matched
	// with, recorded for names that have none yet (a name already known
	// keeps its state until the monitor re-matches it).
	NameStates map[EcoName]string
	// VEX are triage statements that came with the upload.
	VEX []VEX
	Now time.Time
	// Events, when set, makes the webhook deliveries of the findings new
	// with this upload (all of a new release's; of a release replaced,
	// those it did not have open), queued in the same transaction: the
	// release's id and product are known only there.
	Events func(releaseID, productID string, fresh []StoredFinding) []Delivery
	// BeforeCommit, when set, runs last inside the transaction (tests stop
	// a process there).
	BeforeCommit func() error
}

// openFindingKeys reads the (package, advisory) pairs a query returns.
func openFindingKeys(ctx context.Context, tx *sql.Tx, query string, args ...any) (map[[2]string]bool, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[[2]string]bool{}
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}

// PutRelease stores a release with its components and findings, replacing
// a release of the same product and version: nothing is half-stored.
func (s *Store) PutRelease(ctx context.Context, in ReleaseInput) (*Release, error) {
	// Everything that needs no database is done before the transaction:
	// SQLite has one writer, and the time it holds the lock is the ingest
	// rate of the server.
	sbomBlob, err := packSBOM(in.SBOM)
	if err != nil {
		return nil, err
	}
	compRows, err := componentRows(in.Components)
	if err != nil {
		return nil, err
	}
	conn, tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	defer tx.Rollback()
	if in.ProductID == "" {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO products (id, name, team_id, created) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`),
			NewID(), in.ProductName, nullable(in.TeamID), ms(in.Now)); err != nil {
			return nil, fmt.Errorf("store product: %w", err)
		}
		if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM products WHERE name = ?`), in.ProductName).Scan(&in.ProductID); err != nil {
			return nil, fmt.Errorf("store product: %w", err)
		}
	}
	var id string
	var known map[[2]string]bool // a replaced release's open findings
	err = tx.QueryRowContext(ctx, s.q(`SELECT id FROM releases WHERE product_id = ? AND version = ?`), in.ProductID, in.Version).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		id = NewID()
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO releases (id, product_id, version, created, sbom_format) VALUES (?, ?, ?, ?, ?)`),
			id, in.ProductID, in.Version, ms(in.Now), in.Format)
		if err == nil {
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO release_documents (release_id, sbom, manifest) VALUES (?, ?, ?)`), id, sbomBlob, in.Manifest)
		}
	case err == nil:
		// A release of the same product and version is replaced; its id
		// (and with it its triage) stays.
		if in.Events != nil {
			if known, err = openFindingKeys(ctx, tx, s.q(`SELECT package, vuln_id FROM findings WHERE release_id = ? AND resolved IS NULL`), id); err != nil {
				return nil, fmt.Errorf("store release: %w", err)
			}
		}
		for _, q := range []string{`DELETE FROM finding_ids WHERE release_id = ?`, `DELETE FROM findings WHERE release_id = ?`, `DELETE FROM components WHERE release_id = ?`} {
			if _, err = tx.ExecContext(ctx, s.q(q), id); err != nil {
				break
			}
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE releases SET sbom_format = ?, created = ? WHERE id = ?`), in.Format, ms(in.Now), id)
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE release_documents SET sbom = ?, manifest = ? WHERE release_id = ?`), sbomBlob, in.Manifest, id)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store release: %w", err)
	}
	names, err := s.nameIDs(ctx, tx, in.Components)
	if err != nil {
		return nil, err
	}
	for i, r := range compRows {
		r[0], r[len(r)-1] = id, names.ids[i]
	}
	if err := s.insertRows(ctx, conn, tx, "components", componentColumns, compRows); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE releases SET components = ? WHERE id = ?`), len(in.Components), id); err != nil {
		return nil, err
	}
	for i := range in.Findings {
		in.Findings[i].ReleaseID = id
	}
	if err := s.insertFindings(ctx, conn, tx, in.Findings); err != nil {
		return nil, err
	}
	if err := s.upsertNameStates(ctx, tx, in.NameStates, false); err != nil {
		return nil, err
	}
	for _, v := range in.VEX {
		v.ReleaseID = id
		if err := s.addVEX(ctx, tx, v); err != nil {
			return nil, err
		}
	}
	if in.Events != nil {
		var fresh []StoredFinding
		for _, f := range in.Findings {
			if !known[[2]string{f.Package, f.VulnID}] {
				fresh = append(fresh, f)
			}
		}
		if ds := in.Events(id, in.ProductID, fresh); len(ds) > 0 {
			if err := (&Tx{s: s, conn: conn, tx: tx}).EnqueueDeliveries(ctx, ds); err != nil {
				return nil, fmt.Errorf("store release: queue events: %w", err)
			}
		}
	}
	if in.BeforeCommit != nil {
		if err := in.BeforeCommit(); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store release: %w", err)
	}
	s.names.add(names.added)
	s.markStated(in.NameStates)
	return s.Release(ctx, id)
}

// HasNameState reports whether n is known to have a recorded state (false
// when this process has not seen one: the name may still have one).
func (s *Store) HasNameState(n EcoName) bool {
	s.stated.Lock()
	defer s.stated.Unlock()
	return s.stated.m[n]
}

// markStated records that names have a state, once it is committed.
func (s *Store) markStated(states map[EcoName]string) {
	s.stated.Lock()
	defer s.stated.Unlock()
	if s.stated.m == nil {
		s.stated.m = map[EcoName]bool{}
	}
	for n := range states {
		s.stated.m[n] = true
	}
}

// upsertNameStates records fingerprints for names, in name order:
// replacing those recorded when replace is set, for names that have none
// otherwise.
func (s *Store) upsertNameStates(ctx context.Context, tx *sql.Tx, states map[EcoName]string, replace bool) error {
	names := make([]EcoName, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b EcoName) int {
		return cmp.Or(cmp.Compare(a.Ecosystem, b.Ecosystem), cmp.Compare(a.Name, b.Name))
	})
	rows := make([][]any, len(names))
	for i, n := range names {
		rows[i] = []any{n.Ecosystem, n.Name, states[n]}
	}
	conflict := ` ON CONFLICT (ecosystem, match_name) DO NOTHING`
	if replace {
		conflict = ` ON CONFLICT (ecosystem, match_name) DO UPDATE SET fingerprint = excluded.fingerprint`
	}
	return s.insertValues(ctx, tx, "name_state", []string{"ecosystem", "match_name", "fingerprint"}, rows, conflict)
}

// componentColumns are the columns of a component row, as componentRows
// orders its values: the release id first and the package name's id last,
// both filled in inside the transaction.
var componentColumns = []string{"release_id", "idx", "purl", "purl_base", "ecosystem", "name", "match_name", "version", "pkg", "name_ref"}

// componentRows prepares the rows of a release's components. A stored
// package leaves out what the row's columns hold (its name, version,
// ecosystem, purl, and an id equal to the purl); scanComponents puts them
// back.
func componentRows(comps []Component) ([][]any, error) {
	rows := make([][]any, len(comps))
	for i, c := range comps {
		b, err := json.Marshal(storedPackage(c.Package))
		if err != nil {
			return nil, err
		}
		rows[i] = []any{"", i, c.Package.PURL, PURLBase(c.Package.PURL), string(c.Package.Ecosystem), c.Package.Name, c.MatchName, c.Package.Version, b, int64(0)}
	}
	return rows, nil
}

// insertRows writes rows into table's columns inside tx, which runs on
// conn: with COPY on PostgreSQL (one stream instead of a statement per
// hundred rows, each with a thousand parameters to bind), with
// insertValues on SQLite. Rows must not conflict with stored ones.
func (s *Store) insertRows(ctx context.Context, conn *sql.Conn, tx *sql.Tx, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if s.dialect == Postgres {
		return conn.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("store %s: unexpected driver connection %T", table, dc)
			}
			n, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
			if err == nil && n != int64(len(rows)) {
				err = fmt.Errorf("%d of %d rows copied", n, len(rows))
			}
			if err != nil {
				return fmt.Errorf("store %s: %w", table, err)
			}
			return nil
		})
	}
	return s.insertValues(ctx, tx, table, cols, rows, "")
}

// insertValues writes rows into table's columns inside tx in multi-row
// INSERTs of about a thousand values each (a fraction of the cost of one
// statement per row), each ending with suffix (an ON CONFLICT clause, or
// "").
func (s *Store) insertValues(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any, suffix string) error {
	batch := max(1, 1000/len(cols))
	marks := "(?" + strings.Repeat(", ?", len(cols)-1) + ")"
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		var q strings.Builder
		q.WriteString(`INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `)
		args := make([]any, 0, (end-start)*len(cols))
		for i, r := range rows[start:end] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(marks)
			args = append(args, r...)
		}
		q.WriteString(suffix)
		if _, err := tx.ExecContext(ctx, s.q(q.String()), args...); err != nil {
			return fmt.Errorf("store %s: %w", table, err)
		}
	}
	return nil
}

// storedPackage is p without the fields its component row holds.
func storedPackage(p sbom.Package) sbom.Package {
	if p.ID == p.PURL {
		p.ID = ""
	}
	p.PURL, p.Name, p.Version, p.Ecosystem = "", "", "", ""
	return p
}

// findingColumns and findingIDColumns are the columns insertFindings
// writes.
var (
	findingColumns   = []string{"release_id", "package", "vuln_id", "ecosystem", "match_name", "aliases", "severity", "score", "summary", "fixed", "first_seen", "resolved"}
	findingIDColumns = []string{"release_id", "package", "vuln_id", "alias"}
)

// insertFindings stores new findings and the ids they are known by (the
// id and its aliases, each once), inside tx on conn.
func (s *Store) insertFindings(ctx context.Context, conn *sql.Conn, tx *sql.Tx, fs []StoredFinding) error {
	rows := make([][]any, len(fs))
	var ids [][]any
	for i, f := range fs {
		var resolved any
		if f.Resolved != nil {
			resolved = ms(*f.Resolved)
		}
		rows[i] = []any{f.ReleaseID, f.Package, f.VulnID, f.Ecosystem, f.MatchName, strings.Join(f.Aliases, " "), f.Severity, f.Score, f.Summary, strings.Join(f.Fixed, " "), ms(f.FirstSeen), resolved}
		seen := map[string]bool{}
		for _, a := range append([]string{f.VulnID}, f.Aliases...) {
			if !seen[a] {
				seen[a] = true
				ids = append(ids, []any{f.ReleaseID, f.Package, f.VulnID, a})
			}
		}
	}
	if err := s.insertRows(ctx, conn, tx, "findings", findingColumns, rows); err != nil {
		return err
	}
	return s.insertRows(ctx, conn, tx, "finding_ids", findingIDColumns, ids)
}

const releaseCols = `r.id, r.product_id, p.name, r.version, r.sbom_format, r.created, r.components, p.team_id`

func scanRelease(sc interface{ Scan(...any) error }, more ...any) (*Release, error) {
	var r Release
	var created int64
	var team sql.NullString
	if err := sc.Scan(append([]any{&r.ID, &r.ProductID, &r.Product, &r.Version, &r.Format, &created, &r.Components, &team}, more...)...); err != nil {
		return nil, err
	}
	r.Created = fromMS(created)
	r.TeamID = team.String
	return &r, nil
}

// Release returns a release by id.
func (s *Store) Release(ctx context.Context, id string) (*Release, error) {
	r, err := scanRelease(s.db.QueryRowContext(ctx, s.q(`SELECT `+releaseCols+` FROM releases r JOIN products p ON p.id = r.product_id WHERE r.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return r, err
}

// ReleaseByVersion returns a product's release of that version.
func (s *Store) ReleaseByVersion(ctx context.Context, productID, version string) (*Release, error) {
	r, err := scanRelease(s.db.QueryRowContext(ctx, s.q(`SELECT `+releaseCols+` FROM releases r JOIN products p ON p.id = r.product_id WHERE r.product_id = ? AND r.version = ?`), productID, version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return r, err
}

// Releases lists a product's releases, newest first.
func (s *Store) Releases(ctx context.Context, productID string) ([]Release, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+releaseCols+` FROM releases r JOIN products p ON p.id = r.product_id WHERE r.product_id = ? ORDER BY r.created DESC, r.version DESC`), productID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Release
	for rows.Next() {
		r, err := scanRelease(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// ReleaseIndex returns every release by id (a re-match names the
// releases of its webhook events from it).
func (s *Store) ReleaseIndex(ctx context.Context) (map[string]Release, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+releaseCols+` FROM releases r JOIN products p ON p.id = r.product_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Release{}
	for rows.Next() {
		r, err := scanRelease(rows)
		if err != nil {
			return nil, err
		}
		out[r.ID] = *r
	}
	return out, rows.Err()
}

// SBOM returns a release's stored SBOM document and format.
func (s *Store) SBOM(ctx context.Context, releaseID string) ([]byte, string, error) {
	var b []byte
	var f string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT d.sbom, r.sbom_format FROM releases r JOIN release_documents d ON d.release_id = r.id WHERE r.id = ?`), releaseID).Scan(&b, &f)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", err
	}
	b, err = unpackSBOM(b)
	return b, f, err
}

// Components returns a release's components.
func (s *Store) Components(ctx context.Context, releaseID string) ([]Component, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT release_id, idx, match_name, pkg, purl, ecosystem, name, version FROM components WHERE release_id = ? ORDER BY idx`), releaseID)
	if err != nil {
		return nil, err
	}
	return scanComponents(rows)
}

// ComponentsNamed returns, across every release, the components of one
// package name (the delta re-match reads only these).
func (s *Store) ComponentsNamed(ctx context.Context, ecosystem, matchName string) ([]Component, error) {
	// Ids first, as in ReleasesWithPackage.
	ids, err := s.nameIDsOf(ctx, `ecosystem = ? AND match_name = ?`, ecosystem, matchName)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT release_id, idx, match_name, pkg, purl, ecosystem, name, version FROM components
		WHERE name_ref IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`), ids...)
	if err != nil {
		return nil, err
	}
	return scanComponents(rows)
}

func scanComponents(rows *sql.Rows) ([]Component, error) {
	defer rows.Close()
	var out []Component
	for rows.Next() {
		var c Component
		var b []byte
		var purl, eco, name, version string
		if err := rows.Scan(&c.ReleaseID, &c.Index, &c.MatchName, &b, &purl, &eco, &name, &version); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &c.Package); err != nil {
			return nil, fmt.Errorf("stored component: %w", err)
		}
		// The row's columns (older rows hold them in the JSON too).
		c.Package.PURL, c.Package.Ecosystem, c.Package.Name, c.Package.Version = purl, sbom.Ecosystem(eco), name, version
		if c.Package.ID == "" {
			c.Package.ID = purl
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// EcoName is a package name in an ecosystem, as matching looks it up.
type EcoName struct{ Ecosystem, Name string }

// DistinctNames lists every (ecosystem, name) a release contains or
// contained: package names are never deleted (nameCache), and a name whose
// releases are all gone has no components to re-match. Asking components
// which names they use was a scan of every component whenever
// PostgreSQL's statistics chose a hash join (0.8 s at a million).
func (s *Store) DistinctNames(ctx context.Context) ([]EcoName, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT ecosystem, match_name FROM package_names ORDER BY ecosystem, match_name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []EcoName
	for rows.Next() {
		var n EcoName
		if err := rows.Scan(&n.Ecosystem, &n.Name); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// NameStates returns the advisory fingerprint recorded per name.
func (s *Store) NameStates(ctx context.Context) (map[EcoName]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ecosystem, match_name, fingerprint FROM name_state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[EcoName]string{}
	for rows.Next() {
		var n EcoName
		var fp string
		if err := rows.Scan(&n.Ecosystem, &n.Name, &fp); err != nil {
			return nil, err
		}
		out[n] = fp
	}
	return out, rows.Err()
}

// Change is a finding that appeared or was resolved by a re-match.
type Change struct {
	Finding  StoredFinding
	Resolved bool
}

// UpdateFindings replaces, for the given releases, the open findings of one
// package name by found: findings new to a release are added (first seen
// now), open ones no longer found are resolved (now), others are kept with
// their first-seen time. It returns the changes, in one transaction.
func (s *Store) UpdateFindings(ctx context.Context, n EcoName, releaseIDs []string, found []StoredFinding, now time.Time) ([]Change, error) {
	conn, tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	defer tx.Rollback()
	changes, err := (&Tx{s: s, conn: conn, tx: tx}).UpdateNames(ctx, []NameUpdate{{Name: n, ReleaseIDs: releaseIDs, Found: found, Now: now}})
	if err != nil {
		return nil, err
	}
	return changes[0], tx.Commit()
}

// NameUpdate is the re-match of one package name: the releases it was
// looked for in, what was found there, and the fingerprint of the
// advisories it was matched with.
type NameUpdate struct {
	Name       EcoName
	ReleaseIDs []string
	Found      []StoredFinding
	Now        time.Time
	// Fingerprint, when set, is recorded as the name's state.
	Fingerprint string
}

// UpdateNames applies UpdateFindings to each name and records their
// fingerprints; the new findings of all names are written together, and
// the states in a few statements. It returns each name's changes.
func (t *Tx) UpdateNames(ctx context.Context, us []NameUpdate) ([][]Change, error) {
	out := make([][]Change, len(us))
	var added []StoredFinding
	states := map[EcoName]string{}
	for i, u := range us {
		changes, add, err := t.diffFindings(ctx, u)
		if err != nil {
			return nil, err
		}
		out[i] = changes
		added = append(added, add...)
		if u.Fingerprint != "" {
			states[u.Name] = u.Fingerprint
		}
	}
	if err := t.s.insertFindings(ctx, t.conn, t.tx, added); err != nil {
		return nil, err
	}
	if err := t.s.upsertNameStates(ctx, t.tx, states, true); err != nil {
		return nil, err
	}
	return out, nil
}

// diffFindings compares a name's stored findings in u's releases with
// u.Found: it reopens and resolves stored ones, and returns the changes
// and the findings to add.
func (t *Tx) diffFindings(ctx context.Context, u NameUpdate) ([]Change, []StoredFinding, error) {
	s, tx := t.s, t.tx
	n, now := u.Name, u.Now
	type key struct{ rel, pkg, vuln string }
	want := map[key]StoredFinding{}
	for _, f := range u.Found {
		want[key{f.ReleaseID, f.Package, f.VulnID}] = f
	}
	inScope := make(map[string]bool, len(u.ReleaseIDs))
	for _, r := range u.ReleaseIDs {
		inScope[r] = true
	}
	// One query for the name across releases (findings_name), not one per
	// release: a popular name is in most releases.
	rows, err := tx.QueryContext(ctx, s.q(`SELECT release_id, package, vuln_id, resolved FROM findings WHERE ecosystem = ? AND match_name = ?`), n.Ecosystem, n.Name)
	if err != nil {
		return nil, nil, err
	}
	have := map[key]bool{}
	var toResolve, toReopen []key
	for rows.Next() {
		var k key
		var resolved sql.NullInt64
		if err := rows.Scan(&k.rel, &k.pkg, &k.vuln, &resolved); err != nil {
			rows.Close()
			return nil, nil, err
		}
		if !inScope[k.rel] {
			continue
		}
		have[k] = true
		_, still := want[k]
		switch {
		case !still && !resolved.Valid:
			toResolve = append(toResolve, k)
		case still && resolved.Valid:
			toReopen = append(toReopen, k) // affected again after a data change
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	var changes []Change
	for _, k := range toReopen {
		changes = append(changes, Change{Finding: want[k]})
	}
	for _, k := range toResolve {
		changes = append(changes, Change{Finding: StoredFinding{ReleaseID: k.rel, Package: k.pkg, VulnID: k.vuln, Ecosystem: n.Ecosystem, MatchName: n.Name, Resolved: &now}, Resolved: true})
	}
	// Reopened and resolved findings, 300 a statement.
	for _, set := range []struct {
		keys     []key
		resolved any
	}{{toReopen, nil}, {toResolve, ms(now)}} {
		for start := 0; start < len(set.keys); start += 300 {
			part := set.keys[start:min(start+300, len(set.keys))]
			args := make([]any, 0, 1+3*len(part))
			args = append(args, set.resolved)
			for _, k := range part {
				args = append(args, k.rel, k.pkg, k.vuln)
			}
			q := `UPDATE findings SET resolved = ? WHERE (release_id, package, vuln_id) IN ((?, ?, ?)` + strings.Repeat(", (?, ?, ?)", len(part)-1) + `)`
			if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
				return nil, nil, err
			}
		}
	}
	var added []StoredFinding
	for _, f := range u.Found {
		k := key{f.ReleaseID, f.Package, f.VulnID}
		if have[k] || !inScope[k.rel] {
			continue
		}
		have[k] = true
		f.FirstSeen = now
		added = append(added, f)
		changes = append(changes, Change{Finding: f})
	}
	return changes, added, nil
}

// EnqueueDeliveries records events for receivers inside a job's
// transaction, once per (receiver, event id), many a statement: a re-match
// that changes thousands of findings queues as many events per receiver.
// Each delivery's WebhookID, EventID, Payload and Created are used; it is
// due at Created.
func (t *Tx) EnqueueDeliveries(ctx context.Context, ds []Delivery) error {
	rows := make([][]any, len(ds))
	for i, d := range ds {
		rows[i] = []any{NewID(), d.WebhookID, d.EventID, d.Payload, "pending", 0, ms(d.Created), "", ms(d.Created)}
	}
	return t.s.insertValues(ctx, t.tx, "deliveries", []string{"id", "webhook_id", "event_id", "payload", "status", "attempts", "next_at", "last_error", "created"},
		rows, ` ON CONFLICT (webhook_id, event_id) DO NOTHING`)
}

// Findings returns a release's findings with their current VEX status;
// openOnly leaves out resolved ones and those VEX marks not_affected or
// fixed.
func (s *Store) Findings(ctx context.Context, releaseID string, openOnly bool) ([]StoredFinding, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT release_id, package, vuln_id, ecosystem, match_name, aliases, severity, score, summary, fixed, first_seen, resolved
		FROM findings WHERE release_id = ? ORDER BY package, vuln_id`), releaseID)
	if err != nil {
		return nil, err
	}
	fs, err := scanFindings(rows)
	if err != nil {
		return nil, err
	}
	vex, err := s.currentVEX(ctx, releaseID)
	if err != nil {
		return nil, err
	}
	out := fs[:0]
	for _, f := range fs {
		f.VEX = vex[f.VulnID+"\x00"+f.Package]
		if openOnly && (f.Resolved != nil || f.VEX.Closes()) {
			continue
		}
		out = append(out, f)
	}
	return out, nil
}

func scanFindings(rows *sql.Rows) ([]StoredFinding, error) {
	defer rows.Close()
	var out []StoredFinding
	for rows.Next() {
		var f StoredFinding
		dest, done := findingDest(&f)
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		done()
		out = append(out, f)
	}
	return out, rows.Err()
}

// findingDest returns the scan destinations of a findings row's columns
// (release_id through resolved, as selected everywhere) and the step that
// fills f from them once scanned.
func findingDest(f *StoredFinding) (dest []any, done func()) {
	var aliases, fixed string
	var first int64
	var resolved sql.NullInt64
	dest = []any{&f.ReleaseID, &f.Package, &f.VulnID, &f.Ecosystem, &f.MatchName, &aliases, &f.Severity, &f.Score, &f.Summary, &fixed, &first, &resolved}
	return dest, func() {
		f.Aliases, f.Fixed = strings.Fields(aliases), strings.Fields(fixed)
		f.FirstSeen = fromMS(first)
		if resolved.Valid {
			t := fromMS(resolved.Int64)
			f.Resolved = &t
		}
	}
}

// AffectedRelease is a release affected by an advisory.
type AffectedRelease struct {
	Release
	Findings []StoredFinding
}

// Affected lists the releases with an open finding for advisory id or any
// of its aliases, with each finding's VEX status.
func (s *Store) Affected(ctx context.Context, id string) ([]AffectedRelease, error) {
	// Two queries whatever the number of releases: the findings with their
	// releases, then the VEX statements about them.
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT DISTINCT `+releaseCols+`, f.release_id, f.package, f.vuln_id, f.ecosystem, f.match_name, f.aliases, f.severity, f.score, f.summary, f.fixed, f.first_seen, f.resolved
		FROM finding_ids i JOIN findings f ON f.release_id = i.release_id AND f.package = i.package AND f.vuln_id = i.vuln_id
		JOIN releases r ON r.id = f.release_id JOIN products p ON p.id = r.product_id
		WHERE i.alias = ? AND f.resolved IS NULL ORDER BY f.release_id, f.package`), id)
	if err != nil {
		return nil, err
	}
	var out []AffectedRelease
	idx := map[string]int{}
	err = func() error {
		defer rows.Close()
		for rows.Next() {
			var f StoredFinding
			dest, done := findingDest(&f)
			r, err := scanRelease(rows, dest...)
			if err != nil {
				return err
			}
			done()
			i, ok := idx[r.ID]
			if !ok {
				i = len(out)
				idx[r.ID] = i
				out = append(out, AffectedRelease{Release: *r})
			}
			out[i].Findings = append(out[i].Findings, f)
		}
		return rows.Err()
	}()
	if err != nil || len(out) == 0 {
		return out, err
	}
	vrows, err := s.db.QueryContext(ctx, s.q(`SELECT v.release_id, v.vuln_id, v.package, v.status, v.justification, v.detail, v.fixed_in, v.author, v.at FROM vex v
		WHERE EXISTS (SELECT 1 FROM finding_ids i WHERE i.alias = ? AND i.release_id = v.release_id AND i.vuln_id = v.vuln_id AND i.package = v.package)
		ORDER BY v.seq`), id)
	if err != nil {
		return nil, err
	}
	all, err := scanVEX(vrows)
	if err != nil {
		return nil, err
	}
	current := map[[3]string]VEX{} // the latest statement wins
	for _, v := range all {
		current[[3]string{v.ReleaseID, v.VulnID, v.Package}] = v
	}
	for i := range out {
		for j := range out[i].Findings {
			f := &out[i].Findings[j]
			f.VEX = current[[3]string{f.ReleaseID, f.VulnID, f.Package}]
		}
	}
	return out, nil
}

// ComponentHit is a release containing a package.
type ComponentHit struct {
	Release
	PURL, Version string
}

// ReleasesWithPackage lists the releases containing the package purlBase
// names (a purl without version or qualifiers), at any version when
// version is "".
func (s *Store) ReleasesWithPackage(ctx context.Context, purlBase, version string) ([]ComponentHit, error) {
	// The name ids first, then the components by those ids: a join of the
	// two let PostgreSQL's planner, with statistics a fast-growing table
	// had outrun, scan every component (150 ms at 100,000 rows, growing)
	// where the index finds the few it needs.
	ids, err := s.nameIDsOf(ctx, `purl_base = ?`, purlBase)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	q := `SELECT ` + releaseCols + `, c.purl, c.version FROM components c JOIN releases r ON r.id = c.release_id JOIN products p ON p.id = r.product_id
		WHERE c.name_ref IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
	args := ids
	if version != "" {
		q += ` AND c.version = ?`
		args = append(args, version)
	}
	rows, err := s.db.QueryContext(ctx, s.q(q+` ORDER BY p.name, r.version`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ComponentHit
	for rows.Next() {
		var h ComponentHit
		var version string
		r, err := scanRelease(rows, &h.PURL, &version)
		if err != nil {
			return nil, err
		}
		h.Release, h.Version = *r, version
		out = append(out, h)
	}
	return out, rows.Err()
}

// nameIDsOf returns the ids of the package names matching cond.
func (s *Store) nameIDsOf(ctx context.Context, cond string, args ...any) ([]any, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id FROM package_names WHERE `+cond), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// PURLBase strips a purl's version, qualifiers and subpath:
// pkg:npm/ws@8.17.1?x=y -> pkg:npm/ws.
func PURLBase(purl string) string {
	if i := strings.IndexAny(purl, "?#"); i >= 0 {
		purl = purl[:i]
	}
	if i := strings.LastIndexByte(purl, '@'); i > strings.LastIndexByte(purl, '/') {
		purl = purl[:i]
	}
	return purl
}

// VEX is one triage statement about a finding.
type VEX struct {
	ReleaseID, VulnID, Package                     string
	Status, Justification, Detail, FixedIn, Author string
	At                                             time.Time
}

// Closes reports whether a finding whose current triage has this status
// is closed (not open): not_affected or fixed. OpenFindingCounts says the
// same in SQL.
func (v VEX) Closes() bool { return v.Status == "not_affected" || v.Status == "fixed" }

// AddVEX records a triage statement; the newest is the current one, the
// older ones its history.
func (s *Store) AddVEX(ctx context.Context, v VEX) error {
	return s.addVEX(ctx, s.w, v)
}

func (s *Store) addVEX(ctx context.Context, db execer, v VEX) error {
	_, err := db.ExecContext(ctx, s.q(`INSERT INTO vex (release_id, vuln_id, package, status, justification, detail, fixed_in, author, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		v.ReleaseID, v.VulnID, v.Package, v.Status, v.Justification, v.Detail, v.FixedIn, v.Author, ms(v.At))
	return err
}

// VEXHistory returns every statement about a finding, oldest first.
func (s *Store) VEXHistory(ctx context.Context, releaseID, vulnID, pkg string) ([]VEX, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT release_id, vuln_id, package, status, justification, detail, fixed_in, author, at FROM vex
		WHERE release_id = ? AND vuln_id = ? AND package = ? ORDER BY seq`), releaseID, vulnID, pkg)
	if err != nil {
		return nil, err
	}
	return scanVEX(rows)
}

func (s *Store) currentVEX(ctx context.Context, releaseID string) (map[string]VEX, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT release_id, vuln_id, package, status, justification, detail, fixed_in, author, at FROM vex WHERE release_id = ? ORDER BY seq`), releaseID)
	if err != nil {
		return nil, err
	}
	all, err := scanVEX(rows)
	if err != nil {
		return nil, err
	}
	out := map[string]VEX{}
	for _, v := range all {
		out[v.VulnID+"\x00"+v.Package] = v
	}
	return out, nil
}

func scanVEX(rows *sql.Rows) ([]VEX, error) {
	defer rows.Close()
	var out []VEX
	for rows.Next() {
		var v VEX
		var at int64
		if err := rows.Scan(&v.ReleaseID, &v.VulnID, &v.Package, &v.Status, &v.Justification, &v.Detail, &v.FixedIn, &v.Author, &at); err != nil {
			return nil, err
		}
		v.At = fromMS(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// KV reads a server setting ("" when unset).
func (s *Store) KV(ctx context.Context, k string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT v FROM kv WHERE k = ?`), k).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetKV writes a server setting.
func (s *Store) SetKV(ctx context.Context, k, v string) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`), k, v)
	return err
}

// BOMToken records a Dependency-Track upload token for a release.
func (s *Store) BOMToken(ctx context.Context, releaseID string) (string, error) {
	t := NewID()
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO bom_tokens (token, release_id, created) VALUES (?, ?, ?)`), t, releaseID, ms(time.Now()))
	return t, err
}

// BOMTokenKnown reports whether a Dependency-Track upload token exists.
func (s *Store) BOMTokenKnown(ctx context.Context, token string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM bom_tokens WHERE token = ?`), token).Scan(&n)
	return n > 0, err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// DeleteRelease removes one release with its components and findings.
func (s *Store) DeleteRelease(ctx context.Context, id string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM finding_ids WHERE release_id = ?`, `DELETE FROM findings WHERE release_id = ?`,
		`DELETE FROM components WHERE release_id = ?`, `DELETE FROM vex WHERE release_id = ?`, `DELETE FROM bom_tokens WHERE release_id = ?`, `DELETE FROM releases WHERE id = ?`} {
		if _, err := tx.ExecContext(ctx, s.q(q), id); err != nil {
			return err
		}
	}
	return tx.Commit()
}
