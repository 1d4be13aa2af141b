package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Session is a browser login: the token it was opened with (its name,
// role and team) and the CSRF token its forms carry.
type Session struct {
	Token   Token
	CSRF    string
	Expires time.Time
}

// CreateSession stores a session under the hash of id (the cookie's
// value, never stored itself), dropping expired ones.
func (s *Store) CreateSession(ctx context.Context, id, tokenID, csrf string, expires, now time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE expires < ?`), ms(now)); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO sessions (id_hash, token_id, csrf, expires) VALUES (?, ?, ?, ?)`), HashToken(id), tokenID, csrf, ms(expires))
	return err
}

// SessionByID returns the live session a cookie names; ErrNotFound when
// there is none, it expired, or its token was revoked (the session went
// with it).
func (s *Store) SessionByID(ctx context.Context, id string, now time.Time) (*Session, error) {
	var ss Session
	var team sql.NullString
	var expires, created int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT t.id, t.name, t.role, t.team_id, t.created, x.csrf, x.expires
		FROM sessions x JOIN tokens t ON t.id = x.token_id WHERE x.id_hash = ? AND x.expires > ?`), HashToken(id), ms(now)).
		Scan(&ss.Token.ID, &ss.Token.Name, &ss.Token.Role, &team, &created, &ss.CSRF, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	ss.Token.TeamID, ss.Token.Created, ss.Expires = team.String, fromMS(created), fromMS(expires)
	return &ss, nil
}

// DeleteSession ends a session (logout).
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.w.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE id_hash = ?`), HashToken(id))
	return err
}
