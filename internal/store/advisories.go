package store

import "context"

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
