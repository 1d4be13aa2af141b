// Package server is hallmark serve: the inventory of shipped releases and
// what affects them. It ingests SBOMs (its own API, `hallmark push`, and
// the Dependency-Track compatible /api/v1/bom), matches them with the same
// code as hallmark scan, re-matches only the package names whose
// advisories changed when the vulnerability index is replaced, notifies
// webhooks, records VEX triage, answers "which releases contain P / are
// affected by X", and serves a web UI.
//
// Secure by default: no default credentials (a one-time admin token is
// printed at first start, or taken from HALLMARK_ADMIN_TOKEN), tokens
// stored hashed, roles admin/uploader/viewer scoped to teams, request size
// limits and timeouts everywhere.
package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/store"
)

// Config configures a server.
type Config struct {
	Store *store.Store
	// DBDir is the vulnerability index directory (hallmark db's layout).
	DBDir string
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
	// Log receives operational messages; nil discards them.
	Log *slog.Logger
	// HTTPClient delivers webhooks; nil means one with a 10 s timeout.
	HTTPClient *http.Client
	// Mail sends the events of mailto: receivers (mail.go); its Server
	// unset, such receivers are refused.
	Mail MailConfig
	// SecureCookies marks session cookies Secure (TLS, or a TLS proxy).
	SecureCookies bool
	// Advisories: the CSAF publisher and signing key (feed.go).
	Advisories AdvisoryConfig
	// Replica names this process in job leases; "" means host/pid.
	Replica string
	// JobLease is how long a claimed job stays this replica's between
	// checkpoints (a dead replica's job is taken over after it); zero
	// means a minute.
	JobLease time.Duration
	// RematchBatch is the most package names a re-match job commits in
	// one transaction, with its checkpoint (0: 256; a batch also ends at
	// 20,000 findings). A replica killed mid-job loses at most one batch,
	// which the next holder redoes.
	RematchBatch int
	// UpdateEvery, when positive, refreshes the vulnerability index from
	// UpdateSource (default osv.dev's export) on that schedule, limited to
	// UpdateEcosystems when set.
	UpdateEvery      time.Duration
	UpdateSource     string
	UpdateEcosystems []string
}

// Server serves the API and UI.
type Server struct {
	st     *store.Store
	vulns  *vulnData
	now    func() time.Time
	log    *slog.Logger
	client *http.Client
	mail   MailConfig
	// rematchBatch is the most names a re-match commits at once.
	rematchBatch int
	// ingestSlots bounds the ingests running at once (Ingest).
	ingestSlots chan struct{}
	secure      bool
	adv         AdvisoryConfig
	mux         *http.ServeMux

	replica          string
	lease            time.Duration
	updateEvery      time.Duration
	updateSource     string
	updateEcosystems []string
	wake             chan struct{}
	mu               sync.Mutex
	queuedGen        string // the index whose re-match this replica queued

	limiter *rateLimiter
}

// New returns a server over cfg.Store.
func New(cfg Config) *Server {
	s := &Server{st: cfg.Store, vulns: &vulnData{dir: cfg.DBDir}, now: cfg.Now, log: cfg.Log, client: cfg.HTTPClient, mail: cfg.Mail,
		secure: cfg.SecureCookies, adv: cfg.Advisories, limiter: newRateLimiter(20, 40),
		replica: cfg.Replica, lease: cfg.JobLease, updateEvery: cfg.UpdateEvery, updateSource: cfg.UpdateSource, updateEcosystems: cfg.UpdateEcosystems,
		wake: make(chan struct{}, 1), ingestSlots: make(chan struct{}, runtime.GOMAXPROCS(0))}
	if s.replica == "" {
		s.replica = newReplicaID()
	}
	if s.lease <= 0 {
		s.lease = defaultLease
	}
	if s.rematchBatch = cfg.RematchBatch; s.rematchBatch <= 0 {
		s.rematchBatch = 256
	}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC() }
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 10 * time.Second}
	}
	s.routes()
	return s
}

// Handler returns the server's HTTP handler with its security headers and
// body limit. Failed authentication is rate limited per client address.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		r.Body = http.MaxBytesReader(w, r.Body, limits.ServerRequestBytes)
		s.mux.ServeHTTP(w, r)
	})
}

// Bootstrap makes sure an admin can log in: with adminToken set, it is
// stored (hashed); otherwise, when no admin token exists yet, a new one is
// made and returned to be printed once.
func (s *Server) Bootstrap(ctx context.Context, adminToken string) (string, error) {
	if adminToken != "" {
		if len(adminToken) < 20 {
			return "", errors.New("HALLMARK_ADMIN_TOKEN must be at least 20 characters")
		}
		_, err := s.st.ImportToken(ctx, adminToken, "admin (HALLMARK_ADMIN_TOKEN)", store.RoleAdmin)
		return "", err
	}
	n, err := s.st.CountAdmins(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	plain, _, err := s.st.CreateToken(ctx, "first admin", store.RoleAdmin, "")
	return plain, err
}

// NewHTTPServer wraps h with the timeouts a server exposed to a network
// needs.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr: addr, Handler: h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// apiError writes a JSON error {"error": {"code", "message"}}.
func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// fail maps an error to a status.
func (s *Server) fail(w http.ResponseWriter, err error) {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		apiError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request larger than %d bytes", mbe.Limit))
	case errors.Is(err, ErrBadInput):
		apiError(w, http.StatusBadRequest, "bad_input", err.Error())
	case errors.Is(err, store.ErrNotFound):
		apiError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, errForbidden):
		apiError(w, http.StatusForbidden, "forbidden", err.Error())
	default:
		s.log.Error("request failed", "err", err)
		apiError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func clientIP(r *http.Request) string {
	h := r.RemoteAddr
	if i := strings.LastIndexByte(h, ':'); i > 0 {
		h = h[:i]
	}
	return h
}

// rateLimiter is a token bucket per client address.
type rateLimiter struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate, burst float64) *rateLimiter {
	return &rateLimiter{rate: rate, burst: burst, buckets: map[string]*bucket{}}
}

func (l *rateLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) > 100_000 {
			l.buckets = map[string]*bucket{}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
