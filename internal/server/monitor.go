package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/store"
)

// Rematch re-matches stored releases against the current vulnerability
// index: only the package names whose advisories changed since their last
// match (or every name, with all), recording findings that appear and
// resolving those that went away, and queuing webhook events for both. It
// returns the number of changes.
func (s *Server) Rematch(ctx context.Context, all bool) (int, error) {
	db, _, err := s.vulns.current()
	if err != nil || db == nil {
		return 0, err
	}
	names, err := s.st.DistinctNames(ctx)
	if err != nil {
		return 0, err
	}
	states, err := s.st.NameStates(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		fp := fingerprint(db, n)
		if !all && states[n] == fp {
			continue
		}
		comps, err := s.st.ComponentsNamed(ctx, n.Ecosystem, n.Name)
		if err != nil {
			return total, err
		}
		byRelease := map[string]*sbom.Document{}
		var rels []string
		for _, c := range comps {
			d, ok := byRelease[c.ReleaseID]
			if !ok {
				d = &sbom.Document{}
				byRelease[c.ReleaseID] = d
				rels = append(rels, c.ReleaseID)
			}
			d.Add(c.Package)
		}
		now := s.now()
		var found []store.StoredFinding
		for _, rel := range rels {
			res, err := match.Match(byRelease[rel], db)
			if err != nil {
				return total, err
			}
			for _, f := range storedFindings(res, now) {
				f.ReleaseID = rel
				found = append(found, f)
			}
		}
		changes, err := s.st.UpdateFindings(ctx, n, rels, found, now)
		if err != nil {
			return total, err
		}
		if err := s.st.SetNameState(ctx, n, fp); err != nil {
			return total, err
		}
		total += len(changes)
		for _, c := range changes {
			if err := s.notify(ctx, c); err != nil {
				s.log.Error("queue webhook", "err", err)
			}
		}
	}
	return total, nil
}

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

func (s *Server) notify(ctx context.Context, c store.Change) error {
	rel, err := s.st.Release(ctx, c.Finding.ReleaseID)
	if err != nil {
		return err
	}
	hooks, err := s.st.WebhooksFor(ctx, rel.ProductID)
	if err != nil || len(hooks) == 0 {
		return err
	}
	typ := "finding.new"
	if c.Resolved {
		typ = "finding.resolved"
	}
	f := c.Finding
	key := strings.Join([]string{typ, f.ReleaseID, f.Package, f.VulnID, fmt.Sprint(s.now().UnixMilli())}, "\x00")
	sum := sha256.Sum256([]byte(key))
	ev := Event{ID: hex.EncodeToString(sum[:16]), Type: typ, Product: rel.Product, Version: rel.Version, Release: rel.ID,
		Package: f.Package, Advisory: f.VulnID, Aliases: f.Aliases, Severity: f.Severity, Fixed: f.Fixed, Summary: f.Summary, Time: s.now()}
	for _, h := range hooks {
		payload, _ := json.Marshal(ev)
		if h.Format == "slack" {
			verb := "New finding"
			if c.Resolved {
				verb = "Resolved"
			}
			payload, _ = json.Marshal(map[string]string{"text": fmt.Sprintf("%s: %s %s — %s in %s (%s)%s", verb, rel.Product, rel.Version, f.VulnID, f.Package, f.Severity, fixedText(f.Fixed))})
		}
		if err := s.st.EnqueueDelivery(ctx, h.ID, ev.ID, payload, s.now()); err != nil {
			return err
		}
	}
	return nil
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

// Deliver sends the due webhook deliveries once: each POSTed with its
// HMAC-SHA256 signature (X-Hallmark-Signature-256: sha256=HEX, as GitHub
// does), its event id (X-Hallmark-Event-Id, for receivers that
// de-duplicate), retried with exponential backoff on failure.
func (s *Server) Deliver(ctx context.Context) (sent int, err error) {
	now := s.now()
	ds, err := s.st.ClaimDeliveries(ctx, now, now.Add(2*time.Minute), 50)
	if err != nil {
		return 0, err
	}
	for _, d := range ds {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, strings.NewReader(string(d.Payload)))
		if err != nil {
			s.st.FinishDelivery(ctx, d.ID, "failed", d.Attempts+1, now, err.Error())
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
			s.st.FinishDelivery(ctx, d.ID, "delivered", d.Attempts+1, now, "")
			sent++
			continue
		}
		status := "pending"
		if d.Attempts+1 >= maxAttempts {
			status = "failed"
		}
		s.st.FinishDelivery(ctx, d.ID, status, d.Attempts+1, now.Add(backoff(d.Attempts)), oneLine(err))
	}
	return sent, nil
}

// Run runs the background work until ctx ends: every interval, notice a
// replaced vulnerability index and re-match what changed, and deliver due
// webhooks.
func (s *Server) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, changed, err := s.vulns.current(); err != nil {
			s.log.Error("vulnerability index", "err", err)
		} else if changed {
			n, err := s.Rematch(ctx, false)
			s.log.Info("re-matched after a data change", "changes", n, "err", err)
		}
		if _, err := s.Deliver(ctx); err != nil {
			s.log.Error("webhooks", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) apiWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct{ Product, URL, Secret, Format string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil || !(strings.HasPrefix(in.URL, "https://") || strings.HasPrefix(in.URL, "http://")) || len(in.Secret) < 16 {
		apiError(w, 400, "bad_input", `body: {"product": NAME (or empty for every product), "url": "https://...", "secret": at least 16 characters, "format": "json" or "slack"}`)
		return
	}
	if in.Format == "" {
		in.Format = "json"
	}
	pid := ""
	if in.Product != "" {
		p, err := s.st.Product(r.Context(), in.Product)
		if err != nil {
			s.fail(w, err)
			return
		}
		pid = p.ID
	}
	h, err := s.st.AddWebhook(r.Context(), store.Webhook{ProductID: pid, URL: in.URL, Secret: in.Secret, Format: in.Format})
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, 201, map[string]string{"id": h.ID})
}
