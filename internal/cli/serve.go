package cli

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

type serveFlags struct {
	adv                        advisoryFlags
	listen, data, database, db string
	tlsCert, tlsKey            string
	every, updateEvery, grace  time.Duration
	updateSource               string
	updateEcosystems           []string
	behindTLSProxy             bool
	smtpServer, smtpFrom       string
	smtpTLS, smtpUser, smtpCA  string
}

func newServeCmd(e *env) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Keep every released SBOM, re-match when vulnerability data changes, notify, record VEX; API and web UI",
		Long: `Run the hallmark server: the inventory of shipped releases and what affects them.

The store is a SQLite file under --data (nothing else to install), or PostgreSQL
with --database postgres://... (several replicas behind any load balancer).
The vulnerability index is --db (default DATA/db), the layout hallmark db
writes; replace it with hallmark db update/import --db DIR (or let the server
fetch it with --update-every) and the server notices the new index without a
restart and re-matches only the package names whose advisories changed.

Replicas over one PostgreSQL share the background work as jobs in the
database: one re-match per new index, whichever replica sees it first; a job
whose replica dies is taken over when its lease ends. SIGTERM stops
gracefully: requests and the job in flight finish (--grace).

Findings that appear or are resolved go to the webhooks registered with
POST /api/v1/webhooks (JSON signed with HMAC, or Slack) and, with --smtp-server,
to e-mail receivers (mailto:), one message per receiver per round.

No default credentials: the first start prints a one-time admin token, or
stores HALLMARK_ADMIN_TOKEN (hashed) when set.`,
		Example: `  hallmark serve --listen 127.0.0.1:8080 --data /var/lib/hallmark
  HALLMARK_ADMIN_TOKEN=... hallmark serve --database postgres://hallmark@db/hallmark --tls-cert c.pem --tls-key k.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runServe(cmd, e, f) },
	}
	cmd.Flags().StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&f.data, "data", "", "data directory: the SQLite store and, by default, the vulnerability index (default: the user cache dir's hallmark/server)")
	cmd.Flags().StringVar(&f.database, "database", "", "PostgreSQL URL (postgres://...) instead of the SQLite file under --data")
	cmd.Flags().StringVar(&f.db, "db", "", "vulnerability index directory (default DATA/db)")
	cmd.Flags().StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM)")
	cmd.Flags().StringVar(&f.tlsKey, "tls-key", "", "and this key (PEM)")
	cmd.Flags().DurationVar(&f.every, "check-every", time.Minute, "how often to look for a new vulnerability index, jobs and due webhook deliveries")
	cmd.Flags().DurationVar(&f.updateEvery, "update-every", 0, "refresh the vulnerability index from --update-source this often, as hallmark db update does (e.g. 1h; default off: db update/import by the operator)")
	cmd.Flags().StringVar(&f.updateSource, "update-source", vulndb.DefaultSource, "OSV export URL or directory for --update-every")
	cmd.Flags().StringSliceVar(&f.updateEcosystems, "update-ecosystem", nil, "with --update-every, only these OSV ecosystems (repeatable)")
	cmd.Flags().DurationVar(&f.grace, "grace", 30*time.Second, "on SIGTERM, how long requests and the job in flight may take to finish")
	cmd.Flags().BoolVar(&f.behindTLSProxy, "behind-tls-proxy", false, "mark session cookies Secure although this server speaks HTTP (a TLS-terminating proxy in front)")
	cmd.Flags().StringVar(&f.smtpServer, "smtp-server", "", "send the events of mailto: receivers through this SMTP submission server, HOST:PORT")
	cmd.Flags().StringVar(&f.smtpFrom, "smtp-from", "", "the sender address of those messages")
	cmd.Flags().StringVar(&f.smtpTLS, "smtp-tls", "starttls", "starttls (the server must offer it), tls (implicit, port 465) or none (a relay on loopback)")
	cmd.Flags().StringVar(&f.smtpUser, "smtp-user", "", "authenticate as this user (AUTH PLAIN over TLS; the password in HALLMARK_SMTP_PASSWORD)")
	cmd.Flags().StringVar(&f.smtpCA, "smtp-ca", "", "trust these CA certificates (PEM) for the SMTP server instead of the system's")
	f.adv.register(cmd, true)
	cmd.AddCommand(newExportFeedCmd(e))
	return cmd
}

func runServe(cmd *cobra.Command, e *env, f serveFlags) error {
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return withCode(ExitError, errors.New("--tls-cert and --tls-key go together"))
	}
	adv, err := f.adv.config(e)
	if err != nil {
		return withCode(ExitError, err)
	}
	mail, err := f.mailConfig(e)
	if err != nil {
		return withCode(ExitError, err)
	}
	var dsn string
	f.data, dsn, err = storeDSN(f.data, f.database)
	if err != nil {
		return withCode(ExitError, err)
	}
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return withCode(ExitError, err)
	}
	if f.db == "" {
		f.db = filepath.Join(f.data, "db")
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return withCode(ExitError, err)
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	srv := server.New(server.Config{Store: st, DBDir: f.db, Log: log, SecureCookies: f.tlsCert != "" || f.behindTLSProxy, Advisories: adv, Mail: mail,
		UpdateEvery: f.updateEvery, UpdateSource: f.updateSource, UpdateEcosystems: f.updateEcosystems})
	tok, err := srv.Bootstrap(ctx, e.getenv("HALLMARK_ADMIN_TOKEN"))
	if err != nil {
		return withCode(ExitError, err)
	}
	if tok != "" {
		fmt.Fprintf(e.stderr, "hallmark: first start: admin token (shown once, stored hashed):\n\n    %s\n\n", tok)
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return withCode(ExitError, err)
	}
	hs := server.NewHTTPServer(f.listen, srv.Handler())
	scheme := "http"
	if f.tlsCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(e.stderr, "hallmark: serving %s://%s (store %s, vulnerability data %s)\n", scheme, ln.Addr(), st.Dialect(), f.db)
	err = srv.Serve(ctx, hs, ln, f.tlsCert, f.tlsKey, f.every, f.grace)
	fmt.Fprintln(e.stderr, "hallmark: stopped")
	if err != nil {
		return withCode(ExitError, err)
	}
	return nil
}

// mailConfig reads the --smtp-* flags; without --smtp-server e-mail is off.
func (f serveFlags) mailConfig(e *env) (server.MailConfig, error) {
	m := server.MailConfig{Server: f.smtpServer, From: f.smtpFrom, TLS: f.smtpTLS, Username: f.smtpUser}
	if m.Server == "" {
		if f.smtpFrom != "" || f.smtpUser != "" || f.smtpCA != "" {
			return m, errors.New("--smtp-from, --smtp-user and --smtp-ca need --smtp-server")
		}
		return m, nil
	}
	if m.Username != "" {
		if m.Password = e.getenv("HALLMARK_SMTP_PASSWORD"); m.Password == "" {
			return m, errors.New("--smtp-user: set the password in HALLMARK_SMTP_PASSWORD")
		}
		if m.TLS == "none" {
			return m, errors.New("--smtp-user with --smtp-tls none would send the password in clear")
		}
	}
	if f.smtpCA != "" {
		b, err := os.ReadFile(f.smtpCA)
		if err != nil {
			return m, fmt.Errorf("--smtp-ca: %w", err)
		}
		m.RootCAs = x509.NewCertPool()
		if !m.RootCAs.AppendCertsFromPEM(b) {
			return m, fmt.Errorf("--smtp-ca %s: no PEM certificate", f.smtpCA)
		}
	}
	if err := m.Check(); err != nil {
		return m, fmt.Errorf("--smtp-*: %w", err)
	}
	return m, nil
}

type pushFlags struct {
	server, token, product, version, vexFile string
}

func newPushCmd(e *env) *cobra.Command {
	var f pushFlags
	cmd := &cobra.Command{
		Use:   "push [SBOM]",
		Short: "Upload a release's SBOM to a hallmark server",
		Example: `  hallmark sbom . | hallmark push --server https://hallmark.example.com --product app --version 1.2.0
  hallmark push app.cdx.json --server ... --product app --version 1.2.0 --vex triage.openvex.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.server == "" || f.product == "" || f.version == "" {
				return withCode(ExitError, errors.New("--server, --product and --version are required"))
			}
			if f.token == "" {
				f.token = e.getenv("HALLMARK_TOKEN")
			}
			var in io.Reader = e.stdin
			if len(args) == 1 && args[0] != "-" {
				fh, err := os.Open(args[0])
				if err != nil {
					return withCode(ExitError, err)
				}
				defer fh.Close()
				in = fh
			}
			b, err := io.ReadAll(io.LimitReader(in, limits.ServerSBOMBytes+1))
			if err != nil {
				return withCode(ExitError, err)
			}
			var vexDoc []byte
			if f.vexFile != "" {
				if vexDoc, err = os.ReadFile(f.vexFile); err != nil {
					return withCode(ExitError, err)
				}
			}
			out, err := server.Push(cmd.Context(), http.DefaultClient, f.server, f.token, f.product, f.version, b, vexDoc)
			if err != nil {
				return withCode(ExitError, err)
			}
			fmt.Fprintln(e.stdout, strings.TrimSpace(string(bytes.TrimSpace(out))))
			return nil
		},
	}
	cmd.Flags().StringVar(&f.server, "server", "", "server URL")
	cmd.Flags().StringVar(&f.token, "token", "", "API token (default $HALLMARK_TOKEN)")
	cmd.Flags().StringVar(&f.product, "product", "", "product name (created on first push)")
	cmd.Flags().StringVar(&f.version, "version", "", "release version")
	cmd.Flags().StringVar(&f.vexFile, "vex", "", "also upload this VEX document (OpenVEX, CycloneDX or CSAF 2.0)")
	return cmd
}
