package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/vex"
)

// advisoryFlags configure the CSAF advisories: hallmark serve's exports
// and hallmark serve export-feed.
type advisoryFlags struct {
	key, publisher, namespace, contact, baseURL string
}

func (f *advisoryFlags) register(cmd *cobra.Command, signing bool) {
	fl := cmd.Flags()
	if signing {
		fl.StringVar(&f.baseURL, "csaf-base-url", "", "the https URL the advisory feed is published at (hallmark serve export-feed --out DIR served there), e.g. https://example.com/.well-known/csaf: each document names its canonical URL under it")
		fl.StringVar(&f.key, "signing-key", "", "sign each CSAF document with this private key (password in $HALLMARK_PASSWORD): a Sigstore bundle beside it")
	}
	fl.StringVar(&f.publisher, "csaf-publisher", "", "the supplier named as publisher of the CSAF documents (default: the namespace's host)")
	fl.StringVar(&f.namespace, "csaf-namespace", "", "the supplier's URL in the CSAF documents, e.g. https://example.com (default: the URL the request came to)")
	fl.StringVar(&f.contact, "csaf-contact", "", "how customers reach the supplier's security team (CSAF publisher contact details)")
}

func (f advisoryFlags) config(e *env) (server.AdvisoryConfig, error) {
	c := server.AdvisoryConfig{EngineVersion: Build().Version, BaseURL: f.baseURL,
		Publisher: vex.CSAFPublisher{Name: f.publisher, Namespace: f.namespace, ContactDetails: f.contact}}
	if f.key != "" {
		kp, err := loadKeypair(e, f.key)
		if err != nil {
			return c, fmt.Errorf("--signing-key: %w", err)
		}
		c.Signer = kp
	}
	return c, nil
}

// storeDSN is the store hallmark serve opens: --database, or the SQLite
// file under --data (default: the user cache dir's hallmark/server).
func storeDSN(data, database string) (dataDir, dsn string, err error) {
	if data == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			return "", "", err
		}
		data = filepath.Join(c, "hallmark", "server")
	}
	if database != "" {
		return data, database, nil
	}
	return data, filepath.Join(data, "hallmark.db"), nil
}

func newExportFeedCmd(e *env) *cobra.Command {
	var data, database, out string
	var products []string
	var adv advisoryFlags
	cmd := &cobra.Command{
		Use:   "export-feed --out DIR --csaf-base-url URL",
		Short: "Write the customer-facing CSAF advisory feed for a static host",
		Long: `Write, from the server's store, the CSAF 2.0 VEX document of every release with
an open finding, laid out as CSAF 2.0 section 7 asks of a provider:

  DIR/provider-metadata.json
  DIR/white/index.txt, changes.csv, index.json (hallmark's JSON index)
  DIR/white/YYYY/<tracking id>.json, .sha256, .sha512, .sigstore.json

--csaf-base-url is the https URL DIR will be served at (for a CSAF provider:
https://DOMAIN/.well-known/csaf). The documents are the bytes the API serves at
/api/v1/products/{name}/advisories/ (given the same --csaf-* flags) and do not
change until the findings or triage do. DIR is replaced as a whole: a new tree is written beside it and
swapped in.`,
		Example: `  HALLMARK_PASSWORD=... hallmark serve export-feed --data /var/lib/hallmark --out /srv/www/.well-known/csaf \
      --csaf-base-url https://example.com/.well-known/csaf --csaf-publisher "Example Corp" \
      --csaf-namespace https://example.com --signing-key release.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" || adv.baseURL == "" {
				return withCode(ExitError, errors.New("--out and --csaf-base-url are required"))
			}
			if adv.namespace == "" {
				return withCode(ExitError, errors.New("--csaf-namespace is required: the documents name their publisher's URL"))
			}
			cfg, err := adv.config(e)
			if err != nil {
				return withCode(ExitError, err)
			}
			dataDir, dsn, err := storeDSN(data, database)
			if err != nil {
				return withCode(ExitError, err)
			}
			if database == "" {
				if _, err := os.Stat(dsn); err != nil {
					return withCode(ExitError, fmt.Errorf("no store at %s: %w", dataDir, err))
				}
			}
			st, err := store.Open(cmd.Context(), dsn)
			if err != nil {
				return withCode(ExitError, err)
			}
			defer st.Close()
			all, err := st.Products(cmd.Context())
			if err != nil {
				return withCode(ExitError, err)
			}
			var sel []store.Product
			for _, p := range all {
				if len(products) == 0 || slices.Contains(products, p.Name) {
					sel = append(sel, p)
				}
			}
			for _, want := range products {
				found := false
				for _, p := range sel {
					found = found || p.Name == want
				}
				if !found {
					return withCode(ExitError, fmt.Errorf("no product %q in the store", want))
				}
			}
			srv := server.New(server.Config{Store: st, Advisories: cfg})
			files, err := srv.Feed(cmd.Context(), nil, sel)
			if err != nil {
				return withCode(ExitError, err)
			}
			if err := writeTree(out, files); err != nil {
				return withCode(ExitError, err)
			}
			docs := 0
			for name := range files {
				if filepath.Ext(name) == ".json" && filepath.Base(filepath.Dir(name)) != server.FeedDir && name != server.FeedProviderMetadata &&
					!strings.HasSuffix(name, server.BundleSuffix) {
					docs++
				}
			}
			fmt.Fprintf(e.stderr, "hallmark: wrote %d CSAF documents of %d products to %s\n", docs, len(sel), out)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&data, "data", "", "data directory of hallmark serve (default: the user cache dir's hallmark/server)")
	fl.StringVar(&database, "database", "", "PostgreSQL URL (postgres://...) instead of the SQLite file under --data")
	fl.StringVar(&out, "out", "", "directory to write (replaced as a whole)")
	fl.StringArrayVar(&products, "product", nil, "only this product (repeatable; default: every product)")
	adv.register(cmd, true)
	return cmd
}

// writeTree writes files (slash-separated relative paths) as a new
// directory beside dir, then swaps it in for dir.
func writeTree(dir string, files map[string][]byte) error {
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".new-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(tmp, filepath.FromSlash(n))
		if !filepath.IsLocal(filepath.FromSlash(n)) {
			return fmt.Errorf("feed file %q escapes the directory", n)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	old := ""
	if _, err := os.Lstat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}
