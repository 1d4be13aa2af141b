package server

import (
	"mime"
	"strings"
	"testing"
	"time"
)

// mailRecipients reads an API caller's receiver URL: whatever it accepts
// is a list of bare addresses that cannot break out of an SMTP command or
// a header.
func FuzzMailRecipients(f *testing.F) {
	for _, s := range []string{"mailto:a@example.com", "mailto:a@example.com,b@example.com", "mailto:A <a@example.com>",
		"mailto:a@example.com\r\nRCPT TO:<x@evil.example>", "mailto:\"a,b\"@example.com", "mailto:a@[127.0.0.1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		to, err := mailRecipients(u)
		if err != nil {
			return
		}
		if len(to) == 0 || len(to) > 10 {
			t.Fatalf("%q: %d recipients", u, len(to))
		}
		for _, a := range to {
			if strings.ContainsAny(a, "\r\n<>") || !strings.Contains(a, "@") {
				t.Fatalf("%q: recipient %q", u, a)
			}
		}
		msg := string(mailMessage("hallmark@example.com", to, []Event{{ID: "1", Type: "finding.new", Product: u, Version: u, Package: u, Advisory: u, Summary: u}}, time.Unix(0, 0)))
		head, _, ok := strings.Cut(msg, "\r\n\r\n")
		if !ok || strings.Count(head, "\r\n") != 8 {
			t.Fatalf("%q: the header block is not the 9 lines written:\n%s", u, head)
		}
	})
}

func TestHeaderText(t *testing.T) {
	for in, want := range map[string]string{
		"app 1.0":                "app 1.0",
		"app\r\nBcc: x@evil":     "app  Bcc: x@evil",
		"appé":                   "appé",
		strings.Repeat("a", 300): strings.Repeat("a", 200) + "…",
	} {
		got := headerText(in, 200)
		if strings.ContainsAny(got, "\r\n") || len(got) > 998 {
			t.Errorf("headerText(%q) = %q: not one header line", in, got)
		}
		dec, err := new(mime.WordDecoder).DecodeHeader(got)
		if err != nil || dec != want {
			t.Errorf("headerText(%q) = %q, decoded %q (%v), want %q", in, got, dec, err, want)
		}
	}
}
