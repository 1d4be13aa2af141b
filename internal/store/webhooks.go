package store

import (
	"context"
	"database/sql"
	"time"
)

// Webhook is a receiver of finding events for one product ("" ProductID:
// every product).
type Webhook struct {
	ID, ProductID, URL, Secret, Format string
}

// AddWebhook registers a receiver.
func (s *Store) AddWebhook(ctx context.Context, h Webhook) (*Webhook, error) {
	h.ID = NewID()
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO webhooks (id, product_id, url, secret, format, created) VALUES (?, ?, ?, ?, ?, ?)`),
		h.ID, nullable(h.ProductID), h.URL, h.Secret, h.Format, ms(time.Now()))
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// WebhooksFor lists the receivers of a product's events.
func (s *Store) WebhooksFor(ctx context.Context, productID string) ([]Webhook, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, product_id, url, secret, format FROM webhooks WHERE product_id = ? OR product_id IS NULL`), productID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		var h Webhook
		var p sql.NullString
		if err := rows.Scan(&h.ID, &p, &h.URL, &h.Secret, &h.Format); err != nil {
			return nil, err
		}
		h.ProductID = p.String
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
}

// EnqueueDelivery records an event for a receiver, once per event id.
func (s *Store) EnqueueDelivery(ctx context.Context, webhookID, eventID string, payload []byte, now time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO deliveries (id, webhook_id, event_id, payload, status, attempts, next_at, last_error, created)
		VALUES (?, ?, ?, ?, 'pending', 0, ?, '', ?) ON CONFLICT (webhook_id, event_id) DO NOTHING`), NewID(), webhookID, eventID, payload, ms(now), ms(now))
	return err
}

// ClaimDeliveries leases up to n due deliveries to owner until lease: on
// PostgreSQL with FOR UPDATE SKIP LOCKED, so that replicas never send the
// same one at once.
func (s *Store) ClaimDeliveries(ctx context.Context, now, lease time.Time, n int) ([]Delivery, error) {
	tx, err := s.db.BeginTx(ctx, nil)
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
	for _, d := range out {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE deliveries SET next_at = ? WHERE id = ?`), ms(lease), d.ID); err != nil {
			return nil, err
		}
	}
	return out, tx.Commit()
}

// FinishDelivery records an attempt: delivered, or failed with the time of
// the next try (status "failed" after the last).
func (s *Store) FinishDelivery(ctx context.Context, id, status string, attempts int, next time.Time, lastErr string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE deliveries SET status = ?, attempts = ?, next_at = ?, last_error = ? WHERE id = ?`), status, attempts, ms(next), lastErr, id)
	return err
}

// Deliveries lists the newest deliveries (the UI's delivery log).
func (s *Store) Deliveries(ctx context.Context, n int) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT d.id, d.webhook_id, d.event_id, d.status, d.attempts, d.next_at, d.last_error, d.created, w.url
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id ORDER BY d.created DESC LIMIT ?`), n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var next, created int64
		if err := rows.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.Status, &d.Attempts, &next, &d.LastError, &created, &d.URL); err != nil {
			return nil, err
		}
		d.NextAt, d.Created = fromMS(next), fromMS(created)
		out = append(out, d)
	}
	return out, rows.Err()
}
