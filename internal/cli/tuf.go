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
	cmd := &cobra.Command{Use: "tuf", Short: "Publish a TUF repository for secure delivery of updates (init, delegate, add, remove, sign, rotate, refresh, status)"}
	var offline, online, role string
	var prefix string
	addKeys := func(c *cobra.Command, keyUsage string) {
		c.Flags().StringVar(&offline, "key", "", keyUsage)
		c.Flags().StringVar(&online, "online-key", "", "online key: signs snapshot and timestamp (kept apart from --key)")
	}
	readKey := func(p string) (crypto.Signer, error) { return keys.ReadPrivateFile(p, prompter(e).Func()) }
	readKeys := func(paths []string) ([]crypto.Signer, error) {
		var out []crypto.Signer
		for _, p := range paths {
			k, err := readKey(p)
			if err != nil {
				return nil, err
			}
			out = append(out, k)
		}
		return out, nil
	}
	load := func() (tuf.Keys, error) {
		if offline == "" || online == "" {
			return tuf.Keys{}, errors.New("--key and --online-key are required")
		}
		ks, err := readKeys([]string{offline, online})
		if err != nil {
			return tuf.Keys{}, err
		}
		return tuf.Keys{Offline: ks[0], Online: ks[1]}, nil
	}
	// exp: the expiries the repository was created with (tuf init's flags).
	var exp tuf.Expiries
	run := func(f func(args []string) error) func(*cobra.Command, []string) error {
		return func(c *cobra.Command, args []string) error {
			var err error
			if c.Name() != "init" {
				if exp, err = tuf.RepoExpiries(args[0]); err != nil {
					return withCode(ExitError, err)
				}
			}
			if err := f(args); err != nil {
				var ee *exitError
				if errors.As(err, &ee) {
					return err
				}
				return withCode(ExitError, err)
			}
			return nil
		}
	}
	now := func() time.Time { return time.Now().UTC() }

	initExp := tuf.DefaultExpiries
	initCmd := &cobra.Command{
		Use: "init DIR", Short: "Create a repository (root 1 year, targets 3 months, snapshot 1 week, timestamp 1 day)", Args: cobra.ExactArgs(1),
		RunE: run(func(args []string) error {
			k, err := load()
			if err != nil {
				return err
			}
			if err := tuf.Init(args[0], k, initExp, now()); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "hallmark: TUF repository in %s; give customers %s\n", args[0], filepath.Join(args[0], "metadata", "1.root.json"))
			return nil
		}),
	}
	addKeys(initCmd, "offline key: signs root and targets")
	initCmd.Flags().DurationVar(&initExp.Root, "root-expiry", initExp.Root, "how long root metadata is valid")
	initCmd.Flags().DurationVar(&initExp.Targets, "targets-expiry", initExp.Targets, "how long targets metadata (and delegated roles) are valid")
	initCmd.Flags().DurationVar(&initExp.Snapshot, "snapshot-expiry", initExp.Snapshot, "how long snapshot metadata is valid")
	initCmd.Flags().DurationVar(&initExp.Timestamp, "timestamp-expiry", initExp.Timestamp, "how long timestamp metadata is valid (tuf refresh must run more often)")

	var paths, delegateKeys []string
	var threshold, delegateThreshold int
	delegateCmd := &cobra.Command{
		Use:   "delegate DIR ROLE --delegate-key TEAM.pub [--paths 'ROLE/*/*']",
		Short: "Delegate a product's target paths to a role of their own, signed by the product team's key",
		Long: `Delegate the target paths of one product (default ROLE/*/*, i.e. ROLE/VERSION/FILE;
a "*" does not match "/") to a role signed by the product team's key(s): the team
then publishes its releases with its own key (tuf add --role ROLE, or hallmark
release --repo), and cannot publish another product's paths; clients trust a
target only from the role its path is delegated to. --key is the top-level
targets key (offline).`,
		Args: cobra.ExactArgs(2),
		RunE: run(func(args []string) error {
			k, err := load()
			if err != nil {
				return err
			}
			if len(delegateKeys) == 0 {
				return errors.New("--delegate-key is required")
			}
			var pubs []crypto.PublicKey
			for _, p := range delegateKeys {
				pub, err := keys.ReadPublicFile(p)
				if err != nil {
					return err
				}
				pubs = append(pubs, pub)
			}
			ps := paths
			if len(ps) == 0 {
				ps = []string{args[1] + "/*/*"}
			}
			if err := tuf.Delegate(args[0], k, exp, now(), tuf.Delegation{Role: args[1], Paths: ps, Keys: pubs, Threshold: delegateThreshold}); errors.Is(err, tuf.ErrStaged) {
				fmt.Fprintf(e.stderr, "hallmark: %v\n", err)
				return nil
			} else if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "hallmark: %s delegated to role %s (%d key(s), threshold %d)\n", strings.Join(ps, ", "), args[1], len(pubs), delegateThreshold)
			return nil
		}),
	}
	addKeys(delegateCmd, "the top-level targets key (offline)")
	delegateCmd.Flags().StringArrayVar(&delegateKeys, "delegate-key", nil, "public key of the product team (repeatable)")
	delegateCmd.Flags().StringArrayVar(&paths, "paths", nil, "path patterns delegated (repeatable; default ROLE/*/*)")
	delegateCmd.Flags().IntVar(&delegateThreshold, "threshold", 1, "signatures the role needs")

	addCmd := &cobra.Command{
		Use: "add DIR FILE...", Short: "Publish files as targets (PREFIX/NAME), atomically", Args: cobra.MinimumNArgs(2),
		RunE: run(func(args []string) error {
			k, err := load()
			if err != nil {
				return err
			}
			var ts []tuf.Target
			for _, f := range args[1:] {
				name := filepath.Base(f)
				if prefix != "" {
					name = strings.Trim(prefix, "/") + "/" + name
				}
				ts = append(ts, tuf.Target{Name: name, Path: f})
			}
			r := role
			if r == "" && len(ts) > 0 {
				if r, err = tuf.RoleFor(args[0], ts[0].Name); err != nil {
					return err
				}
			}
			if err := tuf.AddToRole(args[0], r, k, exp, now(), ts); errors.Is(err, tuf.ErrStaged) {
				fmt.Fprintf(e.stderr, "hallmark: %v\n", err)
				return nil
			} else if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "hallmark: published %d target(s) in role %s\n", len(ts), r)
			return nil
		}),
	}
	addKeys(addCmd, "the key of the role published in (the targets key, or the product team's for a delegated role)")
	addCmd.Flags().StringVar(&prefix, "prefix", "", "target path prefix, e.g. PRODUCT/VERSION")
	addCmd.Flags().StringVar(&role, "role", "", "the role to publish in (default: the delegated role whose paths match, else targets)")

	removeCmd := &cobra.Command{
		Use: "remove DIR TARGET...", Short: "Withdraw targets (clients that refresh no longer see them)", Args: cobra.MinimumNArgs(2),
		RunE: run(func(args []string) error {
			k, err := load()
			if err != nil {
				return err
			}
			r := role
			if r == "" {
				if r, err = tuf.RoleFor(args[0], args[1]); err != nil {
					return err
				}
			}
			if err := tuf.Remove(args[0], r, k, exp, now(), args[1:]); errors.Is(err, tuf.ErrStaged) {
				fmt.Fprintf(e.stderr, "hallmark: %v\n", err)
				return nil
			} else if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "hallmark: withdrew %d target(s) from role %s\n", len(args)-1, r)
			return nil
		}),
	}
	addKeys(removeCmd, "the key of the role the targets are in")
	removeCmd.Flags().StringVar(&role, "role", "", "the role (default: the delegated role whose paths match, else targets)")

	var signKeys []string
	signCmd := &cobra.Command{
		Use:   "sign DIR ROLE --key K [--key K2] [--online-key K]",
		Short: "Add signatures to a role's metadata (threshold signing on another machine; a staged version is published once complete)",
		Long: `Add signatures to ROLE's newest metadata: a staged version when one waits (a
root rotation, or a targets or delegated role version published with fewer keys
than its threshold), else the published one. A staged root is published once
signed by the thresholds of the previous and the new root keys; a staged targets
role once its threshold is met, with a new snapshot and timestamp signed by
--online-key, or, without it, by the next hallmark tuf refresh.`,
		Args: cobra.ExactArgs(2),
		RunE: run(func(args []string) error {
			ks, err := readKeys(signKeys)
			if err != nil {
				return err
			}
			var on crypto.Signer
			if online != "" {
				if on, err = readKey(online); err != nil {
					return err
				}
			}
			if err := tuf.Sign(args[0], args[1], ks, on, exp, now()); err != nil {
				if errors.Is(err, tuf.ErrStaged) {
					fmt.Fprintf(e.stderr, "hallmark: signed; %v\n", err)
					return nil
				}
				return err
			}
			fmt.Fprintf(e.stderr, "hallmark: %s signed\n", args[1])
			return nil
		}),
	}
	signCmd.Flags().StringArrayVar(&signKeys, "key", nil, "key to sign with (repeatable)")
	signCmd.Flags().StringVar(&online, "online-key", "", "online key: publishes a completed targets role at once (default: at the next tuf refresh)")

	var authKeys, newKeys, otherKeys []string
	rotateCmd := &cobra.Command{
		Use:   "rotate DIR ROLE --key CURRENT --new-key NEW [--online-key K]",
		Short: "Replace a role's keys (root, targets, snapshot, timestamp, or a delegated role)",
		Long: `Replace ROLE's keys with --new-key (private keys: they sign the role at once)
and --new-public-key (public keys whose holders sign later with tuf sign).
For root, targets, snapshot and timestamp, --key is the current root key(s) and
a new root version is written, signed by them and, for root, by the new keys;
a root version short of its thresholds is staged until tuf sign completes it,
and clients walk every root version in turn. For a delegated role, --key is the
top-level targets key. --online-key is the current online key.`,
		Args: cobra.ExactArgs(2),
		RunE: run(func(args []string) error {
			auth, err := readKeys(authKeys)
			if err != nil {
				return err
			}
			nk, err := readKeys(newKeys)
			if err != nil {
				return err
			}
			var others []crypto.PublicKey
			for _, p := range otherKeys {
				pub, err := keys.ReadPublicFile(p)
				if err != nil {
					return err
				}
				others = append(others, pub)
			}
			var on crypto.Signer
			if online != "" {
				if on, err = readKey(online); err != nil {
					return err
				}
			}
			r := tuf.Rotation{Role: args[1], Signers: auth, New: nk, Others: others, Threshold: threshold, Online: on}
			if on == nil && args[1] != "snapshot" && args[1] != "timestamp" && args[1] != "root" {
				return errors.New("--online-key is required (the snapshot and timestamp are signed again)")
			}
			if err := tuf.Rotate(args[0], r, exp, now()); err != nil {
				if errors.Is(err, tuf.ErrStaged) {
					fmt.Fprintf(e.stderr, "hallmark: %v\n", err)
					return nil
				}
				return err
			}
			fmt.Fprintf(e.stderr, "hallmark: %s keys rotated\n", args[1])
			return nil
		}),
	}
	rotateCmd.Flags().StringArrayVar(&authKeys, "key", nil, "current key(s) that authorise the change (repeatable)")
	rotateCmd.Flags().StringArrayVar(&newKeys, "new-key", nil, "new private key of the role (repeatable)")
	rotateCmd.Flags().StringArrayVar(&otherKeys, "new-public-key", nil, "further new public key, signed with later (repeatable)")
	rotateCmd.Flags().StringVar(&online, "online-key", "", "the current online key")
	rotateCmd.Flags().IntVar(&threshold, "threshold", 0, "the role's threshold from now on (default: unchanged)")

	refreshCmd := &cobra.Command{
		Use: "refresh DIR", Short: "Re-sign snapshot and timestamp before they expire (run from cron)", Args: cobra.ExactArgs(1),
		RunE: run(func(args []string) error {
			if online == "" {
				return errors.New("--online-key is required")
			}
			on, err := readKey(online)
			if err != nil {
				return err
			}
			return tuf.Refresh(args[0], tuf.Keys{Online: on}, exp, now())
		}),
	}
	refreshCmd.Flags().StringVar(&online, "online-key", "", "online key: signs snapshot and timestamp")
	refreshCmd.Flags().StringVar(&offline, "key", "", "unused: refresh needs only the online key (kept for old scripts)")
	refreshCmd.Flags().MarkHidden("key")
	statusCmd := &cobra.Command{
		Use: "status DIR", Short: "Versions, expiries and signature state of each role, delegations included", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := tuf.Describe(args[0], now())
			if err != nil {
				return withCode(ExitError, err)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ROLE\tVERSION\tEXPIRES\tTARGETS\tSIGNATURES\tPATHS")
			bad := ""
			for _, s := range st {
				exp := s.Expires.Format(time.RFC3339)
				if s.Version == 0 {
					exp = "-"
				}
				if s.Expired {
					exp += " (EXPIRED)"
					bad = "expired metadata: clients refuse it (hallmark tuf refresh)"
				}
				if strings.HasPrefix(s.Signatures, "MISSING") && bad == "" {
					bad = "signatures missing: clients refuse that metadata (hallmark tuf sign)"
				}
				if strings.Contains(s.Signatures, "staged") && bad == "" {
					bad = "a staged version waits (hallmark tuf sign, then tuf refresh): clients still see the published one"
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\n", s.Role, s.Version, exp, s.Targets, s.Signatures, strings.Join(s.Paths, ","))
			}
			tw.Flush()
			if bad != "" {
				return withCode(ExitFindings, errors.New(bad))
			}
			return nil
		},
	}
	cmd.AddCommand(initCmd, delegateCmd, addCmd, removeCmd, signCmd, rotateCmd, refreshCmd, statusCmd)
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
		Example: `  hallmark update --repo https://updates.example.com --root 1.root.json app/1.4.0/app-linux-amd64 --to /opt/app --key vendor.pub --builder-id https://ci.example.com/b
  hallmark update --repo /media/usb/updates --root 1.root.json app/1.4.0/app-linux-amd64 --to /opt/app --key vendor.pub   # an offline copy`,
		Args: cobra.ExactArgs(1),
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
			repoURL, client, err := tuf.Repository(repo) // a URL, or a local copy of the repository
			if err != nil {
				return withCode(ExitError, err)
			}
			opts := tuf.ClientOptions{RepoURL: repoURL, HTTPClient: client, Root: rootBytes, CacheDir: filepath.Join(cache, "hallmark", "tuf", sanitizeHost(repo))}
			tmp := filepath.Join(work, filepath.Base(args[0]))
			// One run of the client workflow for the target and its bundles.
			session, err := tuf.Open(opts)
			if err != nil {
				return withCode(ExitFindings, fmt.Errorf("update refused: %w", err))
			}
			defer session.Close()
			custom, err := session.Get(args[0], tmp)
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
					if _, err := session.Get(target, bp); err != nil {
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
	cmd.Flags().StringVar(&repo, "repo", "", "repository base URL, or a local copy of the repository (offline sites)")
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
