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
	"github.com/hallmark-dev/hallmark/internal/tuf"
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
	var repo, rootFile, to string
	cmd := &cobra.Command{
		Use:     "update TARGET",
		Short:   "Download a target from a TUF repository safely (rollback, freeze, mix-and-match and tampering refused) and install it",
		Example: `  hallmark update --repo https://updates.example.com --root 1.root.json app/1.4.0/app-linux-amd64 --to /opt/app/bin`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if repo == "" || rootFile == "" || to == "" {
				return withCode(ExitError, errors.New("--repo, --root and --to are required"))
			}
			rootBytes, err := os.ReadFile(rootFile)
			if err != nil {
				return withCode(ExitError, err)
			}
			cache, err := os.UserCacheDir()
			if err != nil {
				return withCode(ExitError, err)
			}
			if err := os.MkdirAll(to, 0o755); err != nil {
				return withCode(ExitError, err)
			}
			dst := filepath.Join(to, filepath.Base(args[0]))
			_, err = tuf.Fetch(tuf.ClientOptions{RepoURL: repo, Root: rootBytes, CacheDir: filepath.Join(cache, "hallmark", "tuf", sanitizeHost(repo))}, args[0], dst)
			if err != nil {
				return withCode(ExitFindings, fmt.Errorf("update refused: %w", err))
			}
			fmt.Fprintf(e.stderr, "hallmark: installed %s (verified against the repository's signed metadata)\n", dst)
			return nil
		},
	}
	cmd.Flags().StringVar(&repo, "repo", "", "repository base URL")
	cmd.Flags().StringVar(&rootFile, "root", "", "the trusted root metadata (1.root.json), received out of band")
	cmd.Flags().StringVar(&to, "to", "", "directory to install into")
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
