package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/store/storetest"
)

// Receivers scoped to a product, to a team's products, or to every
// product get exactly their events; the API lists them without secrets,
// removes them, and shows the delivery log with each delivery's state.
func TestReceivers(t *testing.T) {
	sb := npmSBOM(t)
	storetest.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dbDir := t.TempDir()
		clk := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
		srv := server.New(server.Config{Store: st, DBDir: dbDir, Now: clk.now})
		admin, _ := srv.Bootstrap(ctx, "")
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		c := api{t, hs.URL}
		teamA, viewer := c.token(admin, "uploader", "team-a"), c.token(admin, "viewer", "")
		// app-a belongs to team-a (its uploader created it), app-b to no team.
		if _, err := server.Push(ctx, http.DefaultClient, hs.URL, teamA, "app-a", "1.0", sb, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := server.Push(ctx, http.DefaultClient, hs.URL, admin, "app-b", "1.0", sb, nil); err != nil {
			t.Fatal(err)
		}

		var mu sync.Mutex
		got := map[string]map[string]int{} // receiver -> product -> events
		recv := func(name string, status int) *httptest.Server {
			got[name] = map[string]int{}
			return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var ev server.Event
				b, _ := io.ReadAll(r.Body)
				json.Unmarshal(b, &ev)
				mu.Lock()
				defer mu.Unlock()
				if status == 200 {
					got[name][ev.Product]++
				}
				w.WriteHeader(status)
			}))
		}
		team, prod, all, down := recv("team", 200), recv("product", 200), recv("all", 200), recv("down", 503)
		for _, r := range []*httptest.Server{team, prod, all, down} {
			defer r.Close()
		}
		add := func(scope map[string]string) (int, string) {
			body, _ := json.Marshal(scope)
			code, b := c.do("POST", "/api/v1/webhooks", admin, body, "application/json")
			var out struct{ ID string }
			json.Unmarshal(b, &out)
			return code, out.ID
		}
		secret := "0123456789abcdef-secret"
		if code, _ := add(map[string]string{"team": "team-a", "url": team.URL, "secret": secret}); code != 201 {
			t.Fatalf("team receiver: %d", code)
		}
		if code, _ := add(map[string]string{"product": "app-b", "url": prod.URL, "secret": secret}); code != 201 {
			t.Fatalf("product receiver: %d", code)
		}
		if code, _ := add(map[string]string{"url": all.URL, "secret": secret, "format": "json"}); code != 201 {
			t.Fatalf("every-product receiver: %d", code)
		}
		code, downID := add(map[string]string{"product": "app-a", "url": down.URL, "secret": secret})
		if code != 201 {
			t.Fatalf("down receiver: %d", code)
		}
		if code, _ := add(map[string]string{"product": "app-a", "team": "team-a", "url": all.URL, "secret": secret}); code != 400 {
			t.Errorf("product and team: %d, want 400", code)
		}
		if code, _ := add(map[string]string{"url": all.URL, "secret": secret, "format": "xml"}); code != 400 {
			t.Errorf("unknown format: %d, want 400", code)
		}

		importDB(t, dbDir)
		n, err := srv.Rematch(ctx, false)
		if err != nil || n == 0 || n%2 != 0 {
			t.Fatalf("rematch: %d %v", n, err)
		}
		perProduct := n / 2 // the same SBOM in both products
		srv.Deliver(ctx)
		mu.Lock()
		want := map[string]map[string]int{"team": {"app-a": perProduct}, "product": {"app-b": perProduct},
			"all": {"app-a": perProduct, "app-b": perProduct}, "down": {}}
		for name, w := range want {
			for p, k := range w {
				if got[name][p] != k {
					t.Errorf("receiver %s: %d events of %s, want %d", name, got[name][p], p, k)
				}
			}
			if len(got[name]) != len(w) {
				t.Errorf("receiver %s got events of %v, want only %v", name, got[name], w)
			}
		}
		mu.Unlock()

		// The delivery log: delivered ones, and the down receiver's waiting
		// with the reason.
		code, b := c.do("GET", "/api/v1/webhooks/deliveries?limit=1000", admin, nil, "")
		var log []server.DeliveryInfo
		if err := json.Unmarshal(b, &log); code != 200 || err != nil {
			t.Fatalf("deliveries: %d %s", code, b)
		}
		status := map[string]int{}
		for _, d := range log {
			status[d.Status]++
			if d.Receiver == downID && (d.Status != "pending" || !strings.Contains(d.LastError, "503") || d.Attempts != 1) {
				t.Errorf("down receiver's delivery: %+v", d)
			}
		}
		if status["delivered"] != 4*perProduct || status["pending"] != perProduct {
			t.Errorf("delivery log: %v, want %d delivered and %d pending", status, 4*perProduct, perProduct)
		}

		// Listed without secrets; removed; viewers see none of it.
		code, b = c.do("GET", "/api/v1/webhooks", admin, nil, "")
		var rs []server.Receiver
		json.Unmarshal(b, &rs)
		if code != 200 || len(rs) != 4 || strings.Contains(string(b), secret) {
			t.Fatalf("receivers: %d %s", code, b)
		}
		scopes := map[string]string{}
		for _, r := range rs {
			scopes[r.URL] = r.Product + "|" + r.Team
		}
		if scopes[team.URL] != "|team-a" || scopes[prod.URL] != "app-b|" || scopes[all.URL] != "|" {
			t.Errorf("scopes: %v", scopes)
		}
		if code, _ := c.do("DELETE", "/api/v1/webhooks/"+downID, admin, nil, ""); code != 204 {
			t.Errorf("delete: %d", code)
		}
		if code, _ := c.do("DELETE", "/api/v1/webhooks/"+downID, admin, nil, ""); code != 404 {
			t.Errorf("delete again: %d", code)
		}
		clk.add(time.Hour)
		if sent, _ := srv.Deliver(ctx); sent != 0 {
			t.Errorf("a removed receiver's deliveries were sent: %d", sent)
		}
		for _, p := range []string{"/api/v1/webhooks", "/api/v1/webhooks/deliveries"} {
			if code, _ := c.do("GET", p, viewer, nil, ""); code != 403 {
				t.Errorf("viewer GET %s: %d", p, code)
			}
		}

		// A release pushed when the data is already there: its findings are
		// new too, and reach the receivers of its product; pushed again
		// unchanged, it brings none.
		before := map[string]int{}
		mu.Lock()
		for name, ps := range got {
			before[name] = ps["app-a"]
		}
		mu.Unlock()
		for range 2 {
			if _, err := server.Push(ctx, http.DefaultClient, hs.URL, teamA, "app-a", "2.0", sb, nil); err != nil {
				t.Fatal(err)
			}
			clk.add(time.Minute)
			srv.Deliver(ctx)
		}
		mu.Lock()
		for name, want := range map[string]int{"team": perProduct, "all": perProduct, "product": 0} {
			if d := got[name]["app-a"] - before[name]; d != want {
				t.Errorf("receiver %s: %d events for the pushed release, want %d", name, d, want)
			}
		}
		mu.Unlock()
	})
}
