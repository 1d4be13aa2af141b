package server

// Notifications: the finding events of a re-match, as webhook and e-mail
// deliveries; their delivery with retries; the receivers' API.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/store"
)

// Event is a webhook payload: one finding that appeared in, or was
// resolved for, one release.
type Event struct {
	ID       string    `json:"id"` // idempotency id: the same event is never two ids
	Type     string    `json:"type"`
	Product  string    `json:"product"`
	Version  string    `json:"version"`
	Release  string    `json:"release"`
	Package  string    `json:"package"`
	Advisory string    `json:"advisory"`
	Aliases  []string  `json:"aliases,omitempty"`
	Severity string    `json:"severity,omitempty"`
	Fixed    []string  `json:"fixed,omitempty"`
	Summary  string    `json:"summary,omitempty"`
	Time     time.Time `json:"time"`
}

// Event types.
const (
	eventNew      = "finding.new"
	eventResolved = "finding.resolved"
)

// events builds the webhook deliveries of one change: one event per
// receiver of the release's product (or of every product), its payload in
// the receiver's format (each format rendered once).
func (s *Server) events(c store.Change, rel store.Release, hooks []store.Webhook, now time.Time) []store.Delivery {
	typ := eventNew
	if c.Resolved {
		typ = eventResolved
	}
	f := c.Finding
	key := strings.Join([]string{typ, f.ReleaseID, f.Package, f.VulnID, fmt.Sprint(now.UnixMilli())}, "\x00")
	sum := sha256.Sum256([]byte(key))
	ev := Event{ID: hex.EncodeToString(sum[:16]), Type: typ, Product: rel.Product, Version: rel.Version, Release: rel.ID,
		Package: f.Package, Advisory: f.VulnID, Aliases: f.Aliases, Severity: f.Severity, Fixed: f.Fixed, Summary: f.Summary, Time: now}
	var out []store.Delivery
	var event, slack []byte
	for _, h := range hooks {
		if !h.Receives(rel) {
			continue
		}
		if h.Format != "slack" && event == nil {
			event, _ = json.Marshal(ev)
		}
		payload := event
		if h.Format == "slack" {
			if slack == nil {
				verb := "New finding"
				if c.Resolved {
					verb = "Resolved"
				}
				slack, _ = json.Marshal(map[string]string{"text": fmt.Sprintf("%s: %s %s — %s in %s (%s)%s", verb, rel.Product, rel.Version, f.VulnID, f.Package, f.Severity, fixedText(f.Fixed))})
			}
			payload = slack
		}
		out = append(out, store.Delivery{WebhookID: h.ID, EventID: ev.ID, Payload: payload})
	}
	return out
}

func fixedText(fixed []string) string {
	if len(fixed) == 0 {
		return ""
	}
	return "; fixed in " + strings.Join(fixed, ", ")
}

// maxAttempts is how often a delivery is tried before it is marked failed.
const maxAttempts = 12

// backoff is the wait before attempt n+1: 30 s doubling, at most 6 h.
func backoff(n int) time.Duration {
	d := 30 * time.Second << min(n, 10)
	return min(d, 6*time.Hour)
}

// Deliver sends the webhook deliveries due now, 50 claimed at a time until
// none is left: each POSTed with its HMAC-SHA256 signature
// (X-Hallmark-Signature-256: sha256=HEX, as GitHub does), its event id
// (X-Hallmark-Event-Id, for receivers that de-duplicate), retried with
// exponential backoff on failure.
func (s *Server) Deliver(ctx context.Context) (sent int, err error) {
	const batch = 50
	for {
		n, claimed, err := s.deliverBatch(ctx, batch)
		sent += n
		if err != nil || claimed < batch || ctx.Err() != nil {
			return sent, err
		}
	}
}

func (s *Server) deliverBatch(ctx context.Context, batch int) (sent, claimed int, err error) {
	now := s.now()
	ds, err := s.st.ClaimDeliveries(ctx, now, now.Add(2*time.Minute), batch)
	if err != nil {
		return 0, 0, err
	}
	var mails map[string][]store.Delivery // mailto: receivers' deliveries, by URL
	var urls []string
	for _, d := range ds {
		if strings.HasPrefix(d.URL, "mailto:") {
			if mails == nil {
				mails = map[string][]store.Delivery{}
			}
			if _, ok := mails[d.URL]; !ok {
				urls = append(urls, d.URL)
			}
			mails[d.URL] = append(mails[d.URL], d)
			continue
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, strings.NewReader(string(d.Payload)))
		if err != nil {
			s.finishDelivery(ctx, d, "failed", d.Attempts+1, now, err.Error())
			continue
		}
		mac := hmac.New(sha256.New, []byte(d.Secret))
		mac.Write(d.Payload)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "hallmark-webhook")
		req.Header.Set("X-Hallmark-Event-Id", d.EventID)
		req.Header.Set("X-Hallmark-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		resp, err := s.client.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if resp.StatusCode >= 300 {
				err = fmt.Errorf("receiver answered %s", resp.Status)
			}
		}
		if err == nil {
			s.finishDelivery(ctx, d, "delivered", d.Attempts+1, now, "")
			sent++
			continue
		}
		s.retryDelivery(ctx, d, now, err)
	}
	for _, u := range urls {
		sent += s.deliverMail(ctx, u, mails[u], now)
	}
	return sent, len(ds), nil
}

// retryDelivery records a failed attempt: tried again after the backoff,
// failed for good after maxAttempts.
func (s *Server) retryDelivery(ctx context.Context, d store.Delivery, now time.Time, err error) {
	status := "pending"
	if d.Attempts+1 >= maxAttempts {
		status = "failed"
	}
	s.finishDelivery(ctx, d, status, d.Attempts+1, now.Add(backoff(d.Attempts)), oneLine(err))
}

// deliverMail sends a mailto: receiver's due events as one message (at
// most the 50 of a claim; more go in the next); it returns how many were
// delivered.
func (s *Server) deliverMail(ctx context.Context, url string, ds []store.Delivery, now time.Time) int {
	to, err := mailRecipients(url)
	if err == nil && s.mail.Server == "" {
		err = errors.New("this server has no --smtp-server: e-mail receivers cannot be served")
	}
	if err != nil {
		for _, d := range ds {
			s.finishDelivery(ctx, d, "failed", d.Attempts+1, now, err.Error())
		}
		return 0
	}
	evs := make([]Event, 0, len(ds))
	for _, d := range ds {
		var ev Event
		if err := json.Unmarshal(d.Payload, &ev); err != nil {
			s.finishDelivery(ctx, d, "failed", d.Attempts+1, now, "stored event unreadable: "+err.Error())
			continue
		}
		evs = append(evs, ev)
	}
	if len(evs) == 0 {
		return 0
	}
	err = s.mail.send(ctx, to, mailMessage(s.mail.From, to, evs, now))
	for _, d := range ds {
		if err != nil {
			s.retryDelivery(ctx, d, now, err)
		} else {
			s.finishDelivery(ctx, d, "delivered", d.Attempts+1, now, "")
		}
	}
	if err != nil {
		return 0
	}
	return len(ds)
}

func (s *Server) finishDelivery(ctx context.Context, d store.Delivery, status string, attempts int, next time.Time, lastErr string) {
	if err := s.st.FinishDelivery(ctx, d, status, attempts, next, lastErr); err != nil {
		s.log.Error("webhook delivery", "id", d.ID, "err", err)
	}
}

func (s *Server) apiWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct{ Product, Team, URL, Secret, Format string }
	const usage = `body: {"product": NAME or "team": NAME (neither: every product), "url": "https://..." with "secret": at least 16 characters and "format": "json" or "slack", or "url": "mailto:ADDRESS[,ADDRESS...]"}`
	if err := json.NewDecoder(io.LimitReader(r.Body, limits.ServerJSONBytes)).Decode(&in); err != nil {
		apiError(w, 400, "bad_input", usage)
		return
	}
	switch {
	case strings.HasPrefix(in.URL, "mailto:"):
		to, err := mailRecipients(in.URL)
		if err != nil {
			apiError(w, 400, "bad_input", "url: "+err.Error())
			return
		}
		if s.mail.Server == "" {
			apiError(w, 400, "bad_input", "e-mail receivers need a server started with --smtp-server")
			return
		}
		in.URL, in.Format, in.Secret = "mailto:"+strings.Join(to, ","), "email", ""
	case (strings.HasPrefix(in.URL, "https://") || strings.HasPrefix(in.URL, "http://")) && len(in.Secret) >= 16 && (in.Format == "" || in.Format == "json" || in.Format == "slack"):
		if in.Format == "" {
			in.Format = "json"
		}
	default:
		apiError(w, 400, "bad_input", usage)
		return
	}
	hook := store.Webhook{URL: in.URL, Secret: in.Secret, Format: in.Format}
	switch {
	case in.Product != "" && in.Team != "":
		apiError(w, 400, "bad_input", "a receiver takes one product's events or one team's, not both")
		return
	case in.Product != "":
		p, err := s.st.Product(r.Context(), in.Product)
		if err != nil {
			s.fail(w, err)
			return
		}
		hook.ProductID = p.ID
	case in.Team != "":
		t, err := s.st.EnsureTeam(r.Context(), in.Team)
		if err != nil {
			s.fail(w, err)
			return
		}
		hook.TeamID = t.ID
	}
	h, err := s.st.AddWebhook(r.Context(), hook)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, 201, map[string]string{"id": h.ID})
}

// Receiver is a webhook or e-mail receiver as the API lists it (never its
// secret).
type Receiver struct {
	ID      string    `json:"id"`
	Product string    `json:"product,omitempty"`
	Team    string    `json:"team,omitempty"`
	URL     string    `json:"url"`
	Format  string    `json:"format"`
	Created time.Time `json:"created"`
}

// DeliveryInfo is one entry of the delivery log.
type DeliveryInfo struct {
	ID        string    `json:"id"`
	Receiver  string    `json:"receiver"`
	URL       string    `json:"url"`
	Event     string    `json:"event"`
	What      string    `json:"what"`   // the event in words
	Status    string    `json:"status"` // pending, delivered, failed
	Attempts  int       `json:"attempts"`
	NextAt    time.Time `json:"nextAttempt"`
	LastError string    `json:"lastError,omitempty"`
	Created   time.Time `json:"created"`
}

func (s *Server) receivers(ctx context.Context) ([]Receiver, error) {
	hs, err := s.st.AllWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	out := []Receiver{}
	for _, h := range hs {
		out = append(out, Receiver{ID: h.ID, Product: h.Product, Team: h.Team, URL: h.URL, Format: h.Format, Created: h.Created})
	}
	return out, nil
}

// deliveryLog is the newest deliveries, newest first.
func (s *Server) deliveryLog(ctx context.Context, n int) ([]DeliveryInfo, error) {
	ds, err := s.st.Deliveries(ctx, n)
	if err != nil {
		return nil, err
	}
	out := []DeliveryInfo{}
	for _, d := range ds {
		out = append(out, DeliveryInfo{ID: d.ID, Receiver: d.WebhookID, URL: d.URL, Event: d.EventID, What: eventText(d.Format, d.Payload),
			Status: d.Status, Attempts: d.Attempts, NextAt: d.NextAt, LastError: d.LastError, Created: d.Created})
	}
	return out, nil
}

// eventText says what a stored delivery is about: a Slack payload's
// text, else the event's kind, advisory, package and release.
func eventText(format string, payload []byte) string {
	if format == "slack" {
		var m struct{ Text string }
		json.Unmarshal(payload, &m)
		return m.Text
	}
	var ev Event
	if json.Unmarshal(payload, &ev) != nil {
		return ""
	}
	verb := "new"
	if ev.Type == eventResolved {
		verb = "resolved"
	}
	return fmt.Sprintf("%s: %s in %s (%s %s)", verb, ev.Advisory, ev.Package, ev.Product, ev.Version)
}

func (s *Server) apiWebhooks(w http.ResponseWriter, r *http.Request) {
	rs, err := s.receivers(r.Context())
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, 200, rs)
}

func (s *Server) apiDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := s.st.DeleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiDeliveries is the delivery log: ?limit=N newest (default 100, at most
// 1,000).
func (s *Server) apiDeliveries(w http.ResponseWriter, r *http.Request) {
	n := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > 1000 {
			apiError(w, 400, "bad_input", "limit: a number from 1 to 1000")
			return
		}
		n = k
	}
	log, err := s.deliveryLog(r.Context(), n)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, 200, log)
}

// uiNotifications shows the receivers and the delivery log (admins).
func (s *Server) uiNotifications(w http.ResponseWriter, r *http.Request) {
	rs, err := s.receivers(r.Context())
	if err != nil {
		s.fail(w, err)
		return
	}
	log, err := s.deliveryLog(r.Context(), 200)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.render(w, r, "notifications", "Notifications", map[string]any{"Receivers": rs, "Deliveries": log}, "")
}
