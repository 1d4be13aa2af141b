package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/store/storetest"
)

// smtpd is a real SMTP server on loopback: aiosmtpd (Debian's
// python3-aiosmtpd, .ci/setup.d/aiosmtpd.sh), storing what it accepts in a
// Maildir.
type smtpd struct {
	addr, maildir string
}

// startSMTPD starts aiosmtpd, with STARTTLS under certFile/keyFile when
// given.
func startSMTPD(t *testing.T, certFile, keyFile string) smtpd {
	t.Helper()
	py := os.Getenv("HALLMARK_TEST_AIOSMTPD")
	if py == "" {
		t.Skip("HALLMARK_TEST_AIOSMTPD unset: a python3 with aiosmtpd (.ci/setup.d/aiosmtpd.sh installs Debian's python3-aiosmtpd)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := smtpd{addr: addr, maildir: filepath.Join(t.TempDir(), "Maildir")}
	args := []string{"-m", "aiosmtpd", "-n", "-l", addr}
	if certFile != "" {
		args = append(args, "--tlscert", certFile, "--tlskey", keyFile)
	}
	args = append(args, "-c", "aiosmtpd.handlers.Mailbox", s.maildir)
	cmd := exec.Command(py, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Ready when it greets.
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			b := make([]byte, 3)
			_, err = io.ReadFull(c, b)
			c.Close()
			if err == nil && string(b) == "220" {
				return s
			}
		}
		if i == 1200 { // a minute
			t.Fatalf("aiosmtpd on %s did not start: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// messages reads the Maildir's delivered messages.
func (s smtpd) messages(t *testing.T) []*mail.Message {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(s.maildir, "new", "*"))
	var out []*mail.Message
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(strings.NewReader(string(b)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, m)
	}
	return out
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and the pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hallmark test smtpd"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kd, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600)
	return certFile, keyFile, pool
}

// E-mail receivers: findings that appear after a data update reach a
// mailto: receiver as one message over STARTTLS, through a real SMTP
// server; a server that offers no STARTTLS gets nothing in clear.
func TestMailNotifications(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	startSMTPD(t, "", "") // skips early without aiosmtpd
	sb := npmSBOM(t)
	storetest.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		tlsd := startSMTPD(t, certFile, keyFile)
		plaind := startSMTPD(t, "", "")
		ctx := context.Background()
		dbDir := t.TempDir()
		clk := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}

		// Without --smtp-server, a mailto: receiver is refused.
		off := server.New(server.Config{Store: st, DBDir: dbDir, Now: clk.now})
		admin, err := off.Bootstrap(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		hsOff := httptest.NewServer(off.Handler())
		defer hsOff.Close()
		body, _ := json.Marshal(map[string]string{"product": "", "url": "mailto:security@example.com"})
		if code, b := (api{t, hsOff.URL}).do("POST", "/api/v1/webhooks", admin, body, "application/json"); code != 400 || !strings.Contains(string(b), "--smtp-server") {
			t.Errorf("mailto without SMTP: %d %s", code, b)
		}

		srv := server.New(server.Config{Store: st, DBDir: dbDir, Now: clk.now,
			Mail: server.MailConfig{Server: tlsd.addr, From: "hallmark@vendor.example", RootCAs: pool}})
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		c := api{t, hs.URL}
		for _, bad := range []string{"mailto:", "mailto:not-an-address", "mailto:Sec <sec@example.com>", "mailto:a@example.com?subject=x", "mailto:a@example.com\r\nBcc: x@evil.example"} {
			body, _ := json.Marshal(map[string]string{"url": bad})
			if code, _ := c.do("POST", "/api/v1/webhooks", admin, body, "application/json"); code != 400 {
				t.Errorf("receiver %q: %d, want 400", bad, code)
			}
		}
		if _, err := server.Push(ctx, http.DefaultClient, hs.URL, admin, "npm-cli", "10.9.0", sb, nil); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"mailto:security@vendor.example,psirt@vendor.example", "mailto:other@vendor.example"} {
			body, _ := json.Marshal(map[string]string{"product": "npm-cli", "url": u})
			if code, b := c.do("POST", "/api/v1/webhooks", admin, body, "application/json"); code != 201 {
				t.Fatalf("mailto receiver: %d %s", code, b)
			}
		}
		importDB(t, dbDir)
		n, err := srv.Rematch(ctx, false)
		if err != nil || n == 0 {
			t.Fatalf("rematch: %d %v", n, err)
		}

		// A replica whose mail server offers no STARTTLS sends nothing in
		// clear: the deliveries wait for a retry, the reason recorded.
		clear := server.New(server.Config{Store: st, DBDir: dbDir, Now: clk.now,
			Mail: server.MailConfig{Server: plaind.addr, From: "hallmark@vendor.example"}})
		if sent, _ := clear.Deliver(ctx); sent != 0 || len(plaind.messages(t)) != 0 {
			t.Errorf("without STARTTLS: %d sent, %d received", sent, len(plaind.messages(t)))
		}
		ds, err := st.Deliveries(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Status != "pending" || !strings.Contains(d.LastError, "offers no STARTTLS") {
				t.Errorf("delivery after a refused STARTTLS: %s %q", d.Status, d.LastError)
			}
		}

		// After the backoff, over STARTTLS: one message per receiver,
		// each listing every event.
		clk.add(time.Minute)
		sent, err := srv.Deliver(ctx)
		if err != nil || sent != 2*n {
			t.Fatalf("deliver: %d sent of %d, %v", sent, 2*n, err)
		}
		msgs := tlsd.messages(t)
		if len(msgs) != 2 {
			t.Fatalf("%d messages, want one per receiver", len(msgs))
		}
		var tos []string
		for _, m := range msgs {
			tos = append(tos, m.Header.Get("To"))
			if got := m.Header.Get("Subject"); !strings.HasPrefix(got, "[hallmark] ") || !strings.Contains(got, "new finding") || !strings.Contains(got, "npm-cli 10.9.0") {
				t.Errorf("Subject: %q", got)
			}
			if m.Header.Get("From") != "hallmark@vendor.example" || m.Header.Get("Auto-Submitted") != "auto-generated" {
				t.Errorf("headers: %v", m.Header)
			}
			text, err := io.ReadAll(quotedprintable.NewReader(m.Body))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"NEW  npm-cli 10.9.0: ", "package:  pkg:npm/ws@7.5.9", "CVE-2024-37890", "fixed in: 7.5.10"} {
				if !strings.Contains(string(text), want) {
					t.Errorf("body lacks %q:\n%s", want, text)
				}
			}
			if got := strings.Count(string(text), "\nNEW  ") + strings.Count(string(text), "\nRESOLVED  "); got != n {
				t.Errorf("body lists %d events, want %d", got, n)
			}
		}
		slices.Sort(tos)
		if want := []string{"other@vendor.example", "security@vendor.example, psirt@vendor.example"}; !slices.Equal(tos, want) {
			t.Errorf("To: %q, want %q", tos, want)
		}
		// Delivered once: a later round sends nothing.
		clk.add(time.Hour)
		if again, _ := srv.Deliver(ctx); again != 0 || len(tlsd.messages(t)) != 2 {
			t.Errorf("second round: %d sent", again)
		}
	})
}
