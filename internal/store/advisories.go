package store

import (
	"context"
	"fmt"
	"time"
)

// ReleaseVEX returns every triage statement about a release's findings,
// oldest first: the history from which the CSAF advisories' revisions are
// derived.
func (s *Store) ReleaseVEX(ctx context.Context, releaseID string) ([]VEX, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT release_id, vuln_id, package, status, justification, detail, fixed_in, author, at FROM vex
		WHERE release_id = ? ORDER BY seq`), releaseID)
	if err != nil {
		return nil, err
	}
	return scanVEX(rows)
}

// OpenCount is how many open findings (unresolved, and not closed by
// their current VEX as not_affected or fixed) of one severity, first seen
// in one age band, a product has.
type OpenCount struct {
	ProductID, Severity string
	Band, N             int
}

// OpenFindingCounts counts every product's open findings by severity and
// age band: band i holds those first seen after since[i] (and not after
// since[i-1]); the last band, len(since), the older ones. One
// query, whatever the number of releases (the dashboard's chart).
func (s *Store) OpenFindingCounts(ctx context.Context, since []time.Time) ([]OpenCount, error) {
	band := "CASE"
	var args []any
	for i, t := range since {
		band += fmt.Sprintf(" WHEN f.first_seen > ? THEN %d", i)
		args = append(args, ms(t))
	}
	band += fmt.Sprintf(" ELSE %d END", len(since))
	if len(since) == 0 {
		band = "0"
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT r.product_id, f.severity, `+band+` AS band, COUNT(*)
		FROM findings f JOIN releases r ON r.id = f.release_id
		WHERE f.resolved IS NULL AND NOT EXISTS (
			SELECT 1 FROM vex v WHERE v.release_id = f.release_id AND v.vuln_id = f.vuln_id AND v.package = f.package
			AND v.status IN ('not_affected', 'fixed') -- VEX.Closes
			AND v.seq = (SELECT MAX(v2.seq) FROM vex v2 WHERE v2.release_id = f.release_id AND v2.vuln_id = f.vuln_id AND v2.package = f.package))
		GROUP BY r.product_id, f.severity, band`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OpenCount
	for rows.Next() {
		var c OpenCount
		if err := rows.Scan(&c.ProductID, &c.Severity, &c.Band, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
