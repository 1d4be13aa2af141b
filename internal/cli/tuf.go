package cli

import (
	"crypto"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/keys"
	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/tuf"
	"github.com/hallmark-dev/hallmark/internal/verify"
)

func newTUFCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "tuf", Short: "Publish a TUF repository for secure delivery of updates (init, add, refresh, status)"}
	var offline, online string
	addKeys := func(c *cobra.Command) {
		c.Flags().StringVar(&offline, "key", "", "offline key: signs root and targets")
		c.Flags().StringVar(&online, "online-key", "", "online key: signs snapshot and timestamp (kept apart from --key)")
	}
	load := func() (tuf.Keys, error) {
		if offline == "" || online == "" {
			return tuf.Keys{}, errors.New("--key and --online-key are required")
		}
		var ks [2]crypto.Signer
		for i, p := range []string{offline, online} {
			s, err := keys.ReadPrivateFile(p, prompter(e).Func())
			if err != nil {
				return tuf.Keys{}, err
			}
			ks[i] = s
		}
		return tuf.Keys{Offline: ks[0], Online: ks[1]}, nil
	}
	initCmd := &cobra.Command{
		Use: "init DIR", Short: "Create a repository (root 1 year, targets 3 months, snapshot 1 week, timestamp 1 day)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := load()
			if err != nil {
				return withCode(ExitError, err)
			}
			if err := tuf.Init(args[0], k, tuf.DefaultExpiries, time.Now().UTC()); err != nil {
				return withCode(ExitError, err)
			}
			fmt.Fprintf(e.stderr, "hallmark: TUF repository in %s; give customers %s\n", args[0], filepath.Join(args[0], "metadata", "1.root.json"))
			return nil
		},
	}
	addKeys(initCmd)
	var prefix string
	addCmd := &cobra.Command{
		Use: "add DIR FILE...", Short: "Publish files as targets (PREFIX/NAME), atomically", Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := load()
			if err != nil {
				return withCode(ExitError, err)
			}
			var ts []tuf.Target
			for _, f := range args[1:] {
				name := filepath.Base(f)
				if prefix != "" {
					name = strings.Trim(prefix, "/") + "/" + name
				}
				ts = append(ts, tuf.Target{Name: name, Path: f})
			}
			if err := tuf.Add(args[0], k, tuf.DefaultExpiries, time.Now().UTC(), ts); err != nil {
				return withCode(ExitError, err)
			}
			fmt.Fprintf(e.stderr, "hallmark: published %d target(s)\n", len(ts))
			return nil
		},
	}
	addKeys(addCmd)
	addCmd.Flags().StringVar(&prefix, "prefix", "", "target path prefix, e.g. PRODUCT/VERSION")
	refreshCmd := &cobra.Command{
		Use: "refresh DIR", Short: "Re-sign snapshot and timestamp before they expire (run from cron)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := load()
			if err != nil {
				return withCode(ExitError, err)
			}
			if err := tuf.Refresh(args[0], k, tuf.DefaultExpiries, time.Now().UTC()); err != nil {
				return withCode(ExitError, err)
			}
			return nil
		},
	}
	addKeys(refreshCmd)
	statusCmd := &cobra.Command{
		Use: "status DIR", Short: "Versions and expiries of each role", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := tuf.Describe(args[0], time.Now().UTC())
			if err != nil {
				return withCode(ExitError, err)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ROLE\tVERSION\tEXPIRES\tTARGETS")
			expired := false
			for _, s := range st {
				exp := s.Expires.Format(time.RFC3339)
				if s.Expired {
					exp += " (EXPIRED)"
					expired = true
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%d\n", s.Role, s.Version, exp, s.Targets)
			}
			tw.Flush()
			if expired {
				return withCode(ExitFindings, errors.New("expired metadata: clients refuse it (hallmark tuf refresh)"))
			}
			return nil
		},
	}
	cmd.AddCommand(initCmd, addCmd, refreshCmd, statusCmd)
	return cmd
}

func newUpdateCmd(e *env) *cobra.Command {
	var repo, rootFile, to, key, policy, builderID, sourceURI, db string
	cmd := &cobra.Command{
		Use:   "update TARGET",
		Short: "Download a target from a TUF repository safely, verify its signature, provenance and SBOM, and install it",
		Long: `Run the TUF client workflow (go-tuf's updater: root rotation; rollback, freeze,
mix-and-match, endless-data and arbitrary-software attacks refused) for TARGET;
then, with --key, verify the target's signature and provenance bundles (and,
with --policy, its SBOM attestation against your policy) — themselves TUF
targets that hallmark release --repo published — and only then install the
file into --to, atomically. Trusted metadata is kept in the user cache
directory; a corrupt cache restarts from the trusted root.`,
		Example: `  hallmark update --repo https://updates.example.com --root 1.root.json app/1.4.0/app-linux-amd64 --to /opt/app --key vendor.pub --builder-id https://ci.example.com/b`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if repo == "" || rootFile == "" || to == "" {
				return withCode(ExitError, errors.New("--repo, --root and --to are required"))
			}
			rootBytes, err := os.ReadFile(rootFile)
			if err != nil {
				return withCode(ExitError, err)
			}
			var gate *scan.Gate
			if policy != "" {
				if key == "" {
					return withCode(ExitError, errors.New("--policy needs --key (only a verified SBOM is evaluated)"))
				}
				if gate, err = openPolicyGate(e, policy, db, nil); err != nil {
					return err
				}
				defer gate.Close()
			}
			cache, err := os.UserCacheDir()
			if err != nil {
				return withCode(ExitError, err)
			}
			if err := os.MkdirAll(to, 0o755); err != nil {
				return withCode(ExitError, err)
			}
			work, err := os.MkdirTemp(to, ".hallmark-update-")
			if err != nil {
				return withCode(ExitError, err)
			}
			defer os.RemoveAll(work)
			opts := tuf.ClientOptions{RepoURL: repo, Root: rootBytes, CacheDir: filepath.Join(cache, "hallmark", "tuf", sanitizeHost(repo))}
			tmp := filepath.Join(work, filepath.Base(args[0]))
			custom, err := tuf.Fetch(opts, args[0], tmp)
			if err != nil {
				return withCode(ExitFindings, fmt.Errorf("update refused: %w", err))
			}
			if key != "" {
				pub, err := keys.ReadPublicFile(key)
				if err != nil {
					return withCode(ExitError, err)
				}
				checks := []string{"signature", "slsa-provenance"}
				if gate != nil {
					checks = append(checks, "cyclonedx")
				}
				for _, kind := range checks {
					target, _ := custom["bundle:"+kind].(string)
					if target == "" {
						return withCode(ExitFindings, fmt.Errorf("update refused: %s has no %s bundle in the repository", args[0], kind))
					}
					bp := filepath.Join(work, kind+".sigstore.json")
					if _, err := tuf.Fetch(opts, target, bp); err != nil {
						return withCode(ExitFindings, fmt.Errorf("update refused: %s bundle: %w", kind, err))
					}
					b, err := verify.ReadBundleFile(bp)
					if err != nil {
						return withCode(ExitFindings, fmt.Errorf("update refused: %w", err))
					}
					o := verify.Options{PublicKey: pub}
					if kind != "signature" {
						o.PredicateType = kind
					}
					if kind == "slsa-provenance" {
						o.BuilderID, o.SourceURI = builderID, sourceURI
					}
					res, err := verify.File(cmd.Context(), b, tmp, o)
					if err != nil {
						return withCode(ExitFindings, fmt.Errorf("update refused: %s: %w", kind, err))
					}
					if kind == "cyclonedx" {
						doc, err := verifiedSBOM(res, bp)
						if err != nil {
							return err
						}
						rep, err := gate.Evaluate(doc, time.Now().UTC())
						if err != nil {
							return withCode(ExitError, err)
						}
						if v, verr := scan.PolicyVerdict(policy, rep); v != scan.Pass {
							return withCode(ExitFindings, fmt.Errorf("update refused: %w", verr))
						}
					}
				}
			}
			dst := filepath.Join(to, filepath.Base(args[0]))
			if err := os.Rename(tmp, dst); err != nil {
				return withCode(ExitError, err)
			}
			what := "the repository's signed metadata"
			if key != "" {
				what += ", its signature and provenance"
				if gate != nil {
					what += " and your policy"
				}
			}
			fmt.Fprintf(e.stderr, "hallmark: installed %s (verified against %s)\n", dst, what)
			return nil
		},
	}
	cmd.Flags().StringVar(&repo, "repo", "", "repository base URL")
	cmd.Flags().StringVar(&rootFile, "root", "", "the trusted root metadata (1.root.json), received out of band")
	cmd.Flags().StringVar(&to, "to", "", "directory to install into")
	cmd.Flags().StringVar(&key, "key", "", "the supplier's public key: verify the target's signature and provenance before installing")
	cmd.Flags().StringVar(&policy, "policy", "", "your policy over the target's verified SBOM")
	cmd.Flags().StringVar(&builderID, "builder-id", "", "the builder the provenance must name")
	cmd.Flags().StringVar(&sourceURI, "source-uri", "", "the source repository the provenance must name")
	addDBFlag(cmd, &db)
	return cmd
}

func sanitizeHost(u string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, u)
}
