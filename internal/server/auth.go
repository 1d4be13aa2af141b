package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/store"
)

var errForbidden = errors.New("forbidden")

// principal is who is calling: a token's role and team.
type principal struct {
	TokenID, Name, Role, TeamID string
	// csrf is the session's CSRF token (UI requests only).
	csrf string
}

func (p *principal) can(role string) bool {
	rank := map[string]int{store.RoleViewer: 1, store.RoleUploader: 2, store.RoleAdmin: 3}
	return rank[p.Role] >= rank[role]
}

// canProduct reports whether the caller may act on a product of teamID: an
// admin on any, others on their team's products (and on products without a
// team only when they have no team either).
func (p *principal) canProduct(teamID string) bool {
	return p.Role == store.RoleAdmin || p.TeamID == teamID
}

type ctxKey struct{}

func who(r *http.Request) *principal {
	p, _ := r.Context().Value(ctxKey{}).(*principal)
	return p
}

// sessionCookie names a browser login; the session itself is in the store
// (store.CreateSession), so that every replica knows it.
const sessionCookie = "hallmark_session"

// authenticate finds the caller from an API token (Authorization: Bearer,
// or Dependency-Track's X-Api-Key) or a session cookie.
func (s *Server) authenticate(r *http.Request) (*principal, bool) {
	secret := r.Header.Get("X-Api-Key")
	if a := r.Header.Get("Authorization"); secret == "" && strings.HasPrefix(a, "Bearer ") {
		secret = strings.TrimPrefix(a, "Bearer ")
	}
	if secret != "" {
		t, err := s.st.TokenBySecret(r.Context(), secret)
		if err != nil {
			return nil, false
		}
		return &principal{TokenID: t.ID, Name: t.Name, Role: t.Role, TeamID: t.TeamID}, true
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		// Sessions are in the store: any replica serves any browser, and a
		// revoked token's sessions went with it.
		if ss, err := s.st.SessionByID(r.Context(), c.Value, s.now()); err == nil {
			t := ss.Token
			return &principal{TokenID: t.ID, Name: t.Name, Role: t.Role, TeamID: t.TeamID, csrf: ss.CSRF}, true
		}
	}
	return nil, false
}

// require wraps h: the caller must hold at least role; API callers get
// JSON errors, browsers are sent to the login page.
func (s *Server) require(role string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.authenticate(r)
		if !ok {
			if !s.limiter.allow(clientIP(r), s.now()) {
				apiError(w, http.StatusTooManyRequests, "rate_limited", "too many failed attempts; slow down")
				return
			}
			if strings.HasPrefix(r.URL.Path, "/api/") {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hallmark"`)
				apiError(w, http.StatusUnauthorized, "unauthorized", "an API token is required (Authorization: Bearer TOKEN or X-Api-Key)")
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if !p.can(role) {
			apiError(w, http.StatusForbidden, "forbidden", "this token's role ("+p.Role+") may not do this")
			return
		}
		// A browser's state-changing request must carry its CSRF token.
		if r.Method != http.MethodGet && r.Method != http.MethodHead && p.csrf != "" {
			var err error
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
				err = r.ParseMultipartForm(limits.ServerFormMemory) // the UI's upload
			} else {
				err = r.ParseForm()
			}
			if err != nil || subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(p.csrf)) != 1 {
				apiError(w, http.StatusForbidden, "csrf", "missing or wrong CSRF token")
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p)))
	}
}

// login exchanges an API token for a browser session.
func (s *Server) login(w http.ResponseWriter, r *http.Request, secret string) bool {
	t, err := s.st.TokenBySecret(r.Context(), secret)
	if err != nil {
		return false
	}
	id := randomToken()
	if err := s.st.CreateSession(r.Context(), id, t.ID, randomToken(), s.now().Add(8*time.Hour), s.now()); err != nil {
		s.log.Error("login", "err", err)
		return false
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode, MaxAge: 8 * 3600})
	return true
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.st.DeleteSession(r.Context(), c.Value); err != nil {
			s.log.Error("logout", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// productFor loads a product the caller may act on.
func (s *Server) productFor(r *http.Request, name string) (*store.Product, error) {
	p, err := s.st.Product(r.Context(), name)
	if err != nil {
		return nil, err
	}
	if !who(r).canProduct(p.TeamID) {
		return nil, errForbidden
	}
	return p, nil
}

// mayUpload reports errForbidden when the product exists and belongs to a
// team the caller cannot act for; a product that does not exist yet may be
// created by the upload.
func (s *Server) mayUpload(r *http.Request, product string) error {
	if _, err := s.productFor(r, product); errors.Is(err, errForbidden) {
		return err
	}
	return nil
}

// releaseFor loads a release the caller may act on.
func (s *Server) releaseFor(r *http.Request, id string) (*store.Release, error) {
	rel, err := s.st.Release(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !who(r).canProduct(rel.TeamID) {
		return nil, errForbidden
	}
	return rel, nil
}
