package store

import (
	"context"
	"database/sql"
	"time"
)

// Webhook is a receiver of finding events: of one product (ProductID),
// of every product of one team (TeamID), or of every product (neither).
type Webhook struct {
	ID, ProductID, TeamID, URL, Secret, Format string
	// Product and Team name the scope (AllWebhooks only).
	Product, Team string
	Created       time.Time
}

// Receives reports whether h takes the events of rel.
func (h Webhook) Receives(rel Release) bool {
	return (h.ProductID == "" || h.ProductID == rel.ProductID) && (h.TeamID == "" || h.TeamID == rel.TeamID)
}

// AddWebhook registers a receiver.
func (s *Store) AddWebhook(ctx context.Context, h Webhook) (*Webhook, error) {
	h.ID, h.Created = NewID(), time.Now().UTC()
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO webhooks (id, product_id, team_id, url, secret, format, created) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		h.ID, nullable(h.ProductID), nullable(h.TeamID), h.URL, h.Secret, h.Format, ms(h.Created))
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// DeleteWebhook removes a receiver and its deliveries; ErrNotFound when
// there is none.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM webhooks WHERE id = ?`), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// AllWebhooks lists every receiver, with the names of their scopes.
func (s *Store) AllWebhooks(ctx context.Context) ([]Webhook, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT w.id, w.product_id, w.team_id, w.url, w.secret, w.format, w.created, p.name, t.name
		FROM webhooks w LEFT JOIN products p ON p.id = w.product_id LEFT JOIN teams t ON t.id = w.team_id ORDER BY w.created, w.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		var h Webhook
		var p, t, pn, tn sql.NullString
		var created int64
		if err := rows.Scan(&h.ID, &p, &t, &h.URL, &h.Secret, &h.Format, &created, &pn, &tn); err != nil {
			return nil, err
		}
		h.ProductID, h.TeamID, h.Product, h.Team, h.Created = p.String, t.String, pn.String, tn.String, fromMS(created)
		out = append(out, h)
	}
	return out, rows.Err()
}

// Delivery is one event for one receiver.
type Delivery struct {
	ID, WebhookID, EventID, Status, LastError string
	Payload                                   []byte
	Attempts                                  int
	NextAt, Created                           time.Time
	URL, Secret, Format                       string
	// Owner is the claim's token (ClaimDeliveries).
	Owner string
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// ClaimDeliveries leases up to n due deliveries until lease: on PostgreSQL
// with FOR UPDATE SKIP LOCKED, so that replicas never send the same one at
// once. A delivery whose replica died is due again when its lease ends.
func (s *Store) ClaimDeliveries(ctx context.Context, now, lease time.Time, n int) ([]Delivery, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	lock := ""
	if s.dialect == Postgres {
		lock = " FOR UPDATE OF d SKIP LOCKED"
	}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT d.id, d.webhook_id, d.event_id, d.payload, d.status, d.attempts, d.next_at, d.last_error, d.created, w.url, w.secret, w.format
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = 'pending' AND d.next_at <= ? ORDER BY d.next_at LIMIT ?`+lock), ms(now), n)
	if err != nil {
		return nil, err
	}
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var next, created int64
		if err := rows.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.Payload, &d.Status, &d.Attempts, &next, &d.LastError, &created, &d.URL, &d.Secret, &d.Format); err != nil {
			rows.Close()
			return nil, err
		}
		d.NextAt, d.Created = fromMS(next), fromMS(created)
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	owner := NewID()
	for i := range out {
		out[i].Owner = owner
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE deliveries SET next_at = ?, lease_owner = ? WHERE id = ?`), ms(lease), owner, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, tx.Commit()
}

// FinishDelivery records an attempt of a claimed delivery: delivered, or
// failed with the time of the next try (status "failed" after the last).
// A claim whose lease another replica took over records nothing
// (ErrLeaseLost).
func (s *Store) FinishDelivery(ctx context.Context, d Delivery, status string, attempts int, next time.Time, lastErr string) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE deliveries SET status = ?, attempts = ?, next_at = ?, last_error = ?, lease_owner = '' WHERE id = ? AND lease_owner = ?`),
		status, attempts, ms(next), lastErr, d.ID, d.Owner)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrLeaseLost
	}
	return nil
}

// Deliveries lists the newest deliveries (the UI's delivery log).
func (s *Store) Deliveries(ctx context.Context, n int) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT d.id, d.webhook_id, d.event_id, d.status, d.attempts, d.next_at, d.last_error, d.created, w.url, w.format, d.payload
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id ORDER BY d.created DESC, d.id LIMIT ?`), n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var next, created int64
		if err := rows.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.Status, &d.Attempts, &next, &d.LastError, &created, &d.URL, &d.Format, &d.Payload); err != nil {
			return nil, err
		}
		d.NextAt, d.Created = fromMS(next), fromMS(created)
		out = append(out, d)
	}
	return out, rows.Err()
}
