package server_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/store/storetest"
)

// Admins list tokens (never a secret) and revoke them: a revoked token's
// API calls and browser sessions stop at once; the last admin token
// cannot be revoked.
func TestTokenRevocation(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		srv := server.New(server.Config{Store: st, DBDir: t.TempDir()})
		admin, _ := srv.Bootstrap(ctx, "")
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		c := api{t, hs.URL}
		up := c.token(admin, "uploader", "team-a")

		// A browser session opened with the uploader's token.
		browser := c.browser(up)
		if resp, err := browser.Get(hs.URL + "/upload"); err != nil || resp.StatusCode != 200 || resp.Request.URL.Path != "/upload" {
			t.Fatalf("session page: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}

		code, b := c.do("GET", "/api/v1/tokens", admin, nil, "")
		var ts []server.TokenInfo
		json.Unmarshal(b, &ts)
		if code != 200 || len(ts) != 2 || strings.Contains(string(b), up) || strings.Contains(string(b), admin) {
			t.Fatalf("tokens: %d %s", code, b)
		}
		var upID, adminID string
		for _, tk := range ts {
			switch tk.Role {
			case "uploader":
				upID = tk.ID
				if tk.Team != "team-a" {
					t.Errorf("uploader's team: %q", tk.Team)
				}
			case "admin":
				adminID = tk.ID
			}
		}
		if code, _ := c.do("GET", "/api/v1/tokens", up, nil, ""); code != 403 {
			t.Errorf("an uploader lists tokens: %d", code)
		}
		// Another replica over the same store knows the session (cookies
		// ignore the port): replicas behind a load balancer need no
		// sticky sessions.
		replica := httptest.NewServer(server.New(server.Config{Store: st, DBDir: t.TempDir()}).Handler())
		defer replica.Close()
		if resp, err := browser.Get(replica.URL + "/upload"); err != nil || resp.StatusCode != 200 || resp.Request.URL.Path != "/upload" {
			t.Fatalf("the session on another replica: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}
		// Revoked through that replica, the session ends on this one too.
		if code, _ := (api{t, replica.URL}).do("DELETE", "/api/v1/tokens/"+upID, admin, nil, ""); code != 204 {
			t.Fatalf("revoke: %d", code)
		}
		if code, _ := c.do("GET", "/api/v1/products", up, nil, ""); code != 401 {
			t.Errorf("a revoked token's API call: %d, want 401", code)
		}
		// The browser is sent to the login page (the client follows the
		// redirect).
		if resp, err := browser.Get(hs.URL + "/upload"); err != nil {
			t.Fatal(err)
		} else {
			resp.Body.Close()
			if resp.Request.URL.Path != "/login" {
				t.Errorf("a revoked token's session reached %s", resp.Request.URL.Path)
			}
		}
		if code, _ := c.do("DELETE", "/api/v1/tokens/"+upID, admin, nil, ""); code != 404 {
			t.Errorf("revoke again: %d, want 404", code)
		}
		if code, b := c.do("DELETE", "/api/v1/tokens/"+adminID, admin, nil, ""); code != 409 || !strings.Contains(string(b), "last admin") {
			t.Errorf("revoke the last admin: %d %s", code, b)
		}
		other := c.token(admin, "admin", "")
		if code, _ := c.do("DELETE", "/api/v1/tokens/"+adminID, other, nil, ""); code != 204 {
			t.Errorf("revoke the first admin with a second: %d", code)
		}
		if code, _ := c.do("GET", "/api/v1/products", admin, nil, ""); code != 401 {
			t.Errorf("the revoked admin token: %d", code)
		}
	})
}
