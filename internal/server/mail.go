package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// MailConfig configures e-mail notifications: a receiver registered with a
// mailto: URL gets, per delivery round, one message listing the finding
// events of its products, sent through this SMTP server.
type MailConfig struct {
	// Server is the SMTP submission server, HOST:PORT; "" turns e-mail off.
	Server string
	// From is the sender's address.
	From string
	// TLS is "starttls" (the default: the server must offer STARTTLS),
	// "tls" (implicit TLS, port 465) or "none" (plain text, for a relay on
	// loopback; no authentication is sent in clear).
	TLS string
	// Username and Password authenticate with AUTH PLAIN, over TLS only.
	Username, Password string
	// RootCAs verifies the server's certificate; nil means the system's.
	RootCAs *x509.CertPool
	// Timeout bounds one message's SMTP conversation; zero means 30 s.
	Timeout time.Duration
}

// Check reports a configuration that cannot work.
func (m MailConfig) Check() error {
	if m.Server == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(m.Server); err != nil {
		return fmt.Errorf("SMTP server %q: want HOST:PORT", m.Server)
	}
	if a, err := mail.ParseAddress(m.From); err != nil || a.Name != "" {
		return fmt.Errorf("SMTP sender %q: want an address (security@example.com)", m.From)
	}
	switch m.TLS {
	case "", "starttls", "tls", "none":
	default:
		return fmt.Errorf("SMTP TLS %q: want starttls, tls or none", m.TLS)
	}
	return nil
}

// mailRecipients reads a mailto: URL's addresses (RFC 6068: comma
// separated, no query): each a bare address, at most
// limits.MailRecipients.
func mailRecipients(u string) ([]string, error) {
	rest, ok := strings.CutPrefix(u, "mailto:")
	if !ok || rest == "" || strings.ContainsAny(rest, "?\r\n") {
		return nil, errors.New("want mailto:ADDRESS[,ADDRESS...]")
	}
	var out []string
	for _, part := range strings.Split(rest, ",") {
		a, err := mail.ParseAddress(strings.TrimSpace(part))
		if err != nil || a.Name != "" || !strings.Contains(a.Address, "@") {
			return nil, fmt.Errorf("%q is not an e-mail address", part)
		}
		if !slices.Contains(out, a.Address) {
			out = append(out, a.Address)
		}
	}
	if len(out) > limits.MailRecipients {
		return nil, fmt.Errorf("%d addresses: at most %d per receiver", len(out), limits.MailRecipients)
	}
	return out, nil
}

// send delivers one message to the recipients. The whole conversation,
// from the dial to QUIT, is bounded by the timeout and ends with ctx.
func (m MailConfig) send(ctx context.Context, to []string, msg []byte) error {
	host, _, err := net.SplitHostPort(m.Server)
	if err != nil {
		return err
	}
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tlsConf := &tls.Config{ServerName: host, RootCAs: m.RootCAs, MinVersion: tls.VersionTLS12}
	d := &net.Dialer{Timeout: timeout}
	var conn net.Conn
	if m.TLS == "tls" {
		conn, err = (&tls.Dialer{NetDialer: d, Config: tlsConf}).DialContext(ctx, "tcp", m.Server)
	} else {
		conn, err = d.DialContext(ctx, "tcp", m.Server)
	}
	if err != nil {
		return fmt.Errorf("SMTP %s: %w", m.Server, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("SMTP %s: %w", m.Server, err)
	}
	defer c.Close()
	if m.TLS == "" || m.TLS == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("SMTP %s offers no STARTTLS: nothing is sent in clear (--smtp-tls none for a relay on loopback)", m.Server)
		}
		if err := c.StartTLS(tlsConf); err != nil {
			return fmt.Errorf("SMTP %s: STARTTLS: %w", m.Server, err)
		}
	}
	if m.Username != "" {
		// net/smtp's PLAIN refuses to send a password without TLS,
		// except to localhost.
		if err := c.Auth(smtp.PlainAuth("", m.Username, m.Password, host)); err != nil {
			return fmt.Errorf("SMTP %s: authentication: %w", m.Server, err)
		}
	}
	if err := c.Mail(m.From); err != nil {
		return fmt.Errorf("SMTP %s: MAIL FROM: %w", m.Server, err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("SMTP %s: RCPT TO %s: %w", m.Server, r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("SMTP %s: DATA: %w", m.Server, err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("SMTP %s: %w", m.Server, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("SMTP %s: message refused: %w", m.Server, err)
	}
	return c.Quit()
}

// headerText makes untrusted text (product names, versions: an uploader
// chooses them) safe in a header: no control characters (so no header
// injection), at most n runes, encoded words when not ASCII.
func headerText(s string, n int) string {
	s = plainText(s, n)
	for _, r := range s {
		if r > unicode.MaxASCII {
			return mime.QEncoding.Encode("utf-8", s)
		}
	}
	return s
}

// plainText drops control characters and cuts s to n runes.
func plainText(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if n == 0 {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) {
			r = ' '
		}
		b.WriteRune(r)
		n--
	}
	return b.String()
}

// mailMessage renders the events for one receiver as an RFC 5322
// message: a subject that counts them, a text body listing each.
func mailMessage(from string, to []string, evs []Event, now time.Time) []byte {
	var newN, resolvedN int
	var releases []string
	ids := sha256.New()
	for _, ev := range evs {
		if ev.Type == eventResolved {
			resolvedN++
		} else {
			newN++
		}
		if r := ev.Product + " " + ev.Version; !slices.Contains(releases, r) {
			releases = append(releases, r)
		}
		ids.Write([]byte(ev.ID))
	}
	var what []string
	if newN > 0 {
		what = append(what, plural(newN, "new finding", "new findings"))
	}
	if resolvedN > 0 {
		what = append(what, plural(resolvedN, "finding resolved", "findings resolved"))
	}
	in := strings.Join(releases[:min(len(releases), 3)], ", ")
	if len(releases) > 3 {
		in += fmt.Sprintf(" and %d more", len(releases)-3)
	}
	subject := "[hallmark] " + strings.Join(what, ", ") + " in " + in

	var body bytes.Buffer
	fmt.Fprintf(&body, "%s in %s.\n\n", strings.Join(what, ", "), in)
	for _, ev := range evs {
		verb := "NEW"
		if ev.Type == eventResolved {
			verb = "RESOLVED"
		}
		sev := ev.Severity
		if sev == "" {
			sev = "severity unknown"
		}
		fmt.Fprintf(&body, "%s  %s %s: %s (%s)\n", verb, plainText(ev.Product, 200), plainText(ev.Version, 100), plainText(ev.Advisory, 100), sev)
		fmt.Fprintf(&body, "    package:  %s\n", plainText(ev.Package, 500))
		if len(ev.Aliases) > 0 {
			fmt.Fprintf(&body, "    aliases:  %s\n", plainText(strings.Join(ev.Aliases, ", "), 300))
		}
		if len(ev.Fixed) > 0 {
			fmt.Fprintf(&body, "    fixed in: %s\n", plainText(strings.Join(ev.Fixed, ", "), 300))
		}
		if ev.Summary != "" {
			fmt.Fprintf(&body, "    summary:  %s\n", plainText(ev.Summary, limits.MailSummaryBytes))
		}
		fmt.Fprintf(&body, "    release:  %s (event %s)\n\n", ev.Release, ev.ID)
	}
	body.WriteString("-- \nSent by hallmark serve to the e-mail receivers of these products.\n")

	var msg bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&msg, "%s: %s\r\n", k, v) }
	h("From", from)
	h("To", strings.Join(to, ", "))
	h("Subject", headerText(subject, 200))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", "<"+hex.EncodeToString(ids.Sum(nil)[:16])+"@hallmark>")
	h("Auto-Submitted", "auto-generated")
	h("MIME-Version", "1.0")
	h("Content-Type", `text/plain; charset="utf-8"`)
	h("Content-Transfer-Encoding", "quoted-printable")
	msg.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&msg)
	qp.Write(bytes.ReplaceAll(body.Bytes(), []byte("\n"), []byte("\r\n")))
	qp.Close()
	return msg.Bytes()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
