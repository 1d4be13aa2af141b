package cli

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/attest"
	"github.com/hallmark-dev/hallmark/internal/keys"
	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/release"
	"github.com/hallmark-dev/hallmark/internal/report"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/tuf"
)

type releaseFlags struct {
	product, version, key, policy, sbomFrom, out, db string
	repo, onlineKey                                  string
	server, token                                    string
	vex                                              []string
	builderID, sourceURI, sourceDigest               string
}

func newReleaseCmd(e *env) *cobra.Command {
	var f releaseFlags
	cmd := &cobra.Command{
		Use:   "release ARTIFACT...",
		Short: "Release in one step: SBOM, scan and policy gate, SLSA provenance, VEX, signatures, a signed manifest",
		Long: `Make a release directory (--out, default PRODUCT-VERSION) that a customer can
check offline with hallmark verify-release:

  1. hash every artifact and write a signed SHA256SUMS;
  2. make the SBOM of the source tree (--sbom-from, default ".") and of each
     artifact hallmark reads (Go binaries, jars, image archives), CycloneDX and SPDX;
  3. scan them and apply --policy: a failing gate stops the release before
     anything is signed or written (exit 1), with the policy's report;
  4. build SLSA Provenance v1 from the CI environment (GitHub Actions, GitLab CI;
     --builder-id and --source-* elsewhere), the SBOM's components as resolved
     dependencies, and an OpenVEX document of the findings and --vex statements;
  5. sign every artifact and attest SBOM, provenance and VEX (Sigstore bundles);
  6. write release.json, the signed manifest.
With SOURCE_DATE_EPOCH the SBOMs, VEX and manifest are the same bytes on every run.
The directory appears whole or not at all. With --repo (and --online-key) the
release is also published into a TUF repository as targets PRODUCT/VERSION/FILE.`,
		Example: `  hallmark release dist/app-linux-amd64 dist/app.tar.gz --product app --version 1.4.0 --key release.key --policy hallmark.policy.yaml`,
		Args:    cobra.MinimumNArgs(1),
		RunE:    func(cmd *cobra.Command, args []string) error { return runRelease(cmd, e, args, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.product, "product", "", "product name")
	fl.StringVar(&f.version, "version", "", "release version")
	fl.StringVar(&f.key, "key", "", "signing key (hallmark keys generate, or a cosign key)")
	fl.StringVar(&f.policy, "policy", "", "policy the release must pass before anything is signed")
	fl.StringVar(&f.sbomFrom, "sbom-from", ".", "the source tree the SBOM is made of")
	fl.StringVar(&f.out, "out", "", "release directory to write (default PRODUCT-VERSION)")
	fl.StringArrayVar(&f.vex, "vex", nil, "VEX statements to include (repeatable)")
	fl.StringVar(&f.builderID, "builder-id", "", "provenance builder id (default from the CI environment)")
	fl.StringVar(&f.sourceURI, "source-uri", "", "provenance source repository")
	fl.StringVar(&f.sourceDigest, "source-digest", "", "provenance source commit")
	fl.StringVar(&f.repo, "repo", "", "also publish the release into this TUF repository (hallmark tuf init), as targets PRODUCT/VERSION/FILE")
	fl.StringVar(&f.onlineKey, "online-key", "", "with --repo: the repository's online key (snapshot and timestamp)")
	fl.StringVar(&f.server, "server", "", "also upload the release (SBOM, VEX, manifest) to this hallmark server, which monitors it from then on")
	fl.StringVar(&f.token, "token", "", "with --server: an uploader's API token (default $HALLMARK_TOKEN)")
	addDBFlag(cmd, &f.db)
	return cmd
}

func runRelease(cmd *cobra.Command, e *env, artifacts []string, f releaseFlags) error {
	if f.product == "" || f.version == "" || f.key == "" {
		return withCode(ExitError, errors.New("--product, --version and --key are required"))
	}
	if f.out == "" {
		f.out = f.product + "-" + f.version
	}
	var gate *scan.Gate
	if f.policy != "" {
		var err error
		if gate, err = openPolicyGate(e, f.policy, f.db, nil); err != nil {
			return err
		}
		defer gate.Close()
	}
	stmts, err := scan.ReadVEX(f.vex)
	if err != nil {
		return withCode(ExitError, err)
	}
	db, _, err := openDB(e, f.db)
	if err != nil {
		return withCode(ExitError, err)
	}
	if db != nil {
		defer db.Close()
	} else {
		fmt.Fprintln(e.stderr, "hallmark: warning: no vulnerability data: the VEX lists no findings (run hallmark db update)")
	}
	kp, err := loadKeypair(e, f.key)
	if err != nil {
		return withCode(ExitError, err)
	}
	created, err := sourceDateEpoch(e)
	if err != nil {
		return withCode(ExitError, err)
	}
	if created.IsZero() {
		created = time.Now().UTC().Truncate(time.Second)
	}
	b, _ := attest.FromEnv(e.getenv)
	for _, kv := range [][2]*string{{&b.BuilderID, &f.builderID}, {&b.SourceURI, &f.sourceURI}, {&b.SourceCommit, &f.sourceDigest}} {
		if *kv[1] != "" {
			*kv[0] = *kv[1]
		}
	}
	if b.BuilderID == "" {
		return withCode(ExitError, errors.New("no CI environment detected: give --builder-id (and --source-uri, --source-digest)"))
	}
	if b.BuildType == "" {
		b.BuildType = attest.BuildTypeGeneric
	}
	m, rep, err := release.Make(cmd.Context(), release.Options{Artifacts: artifacts, Product: f.product, Version: f.version, Keypair: kp,
		SBOMFrom: f.sbomFrom, DB: db, Gate: gate, VEX: stmts, Out: f.out, Created: created, Build: b,
		Tool: sbom.Tool{Vendor: "hallmark", Name: "hallmark", Version: Build().Version}})
	var ge *release.ErrGate
	if errors.As(err, &ge) {
		report.PolicyTable(e.stdout, rep)
		return withCode(ExitFindings, err)
	}
	if err != nil {
		return withCode(ExitError, err)
	}
	if f.repo != "" {
		if err := publishRelease(e, f, m); errors.Is(err, tuf.ErrStaged) {
			fmt.Fprintf(e.stderr, "hallmark: %v\n", err) // threshold signing: tuf sign publishes it
		} else if err != nil {
			return withCode(ExitError, fmt.Errorf("released into %s, but publishing into %s failed: %w", f.out, f.repo, err))
		}
	}
	if f.server != "" {
		if err := uploadRelease(cmd, e, f, m); err != nil {
			return withCode(ExitError, fmt.Errorf("released into %s, but the upload to %s failed: %w", f.out, f.server, err))
		}
	}
	fmt.Fprintf(e.stdout, "released %s %s into %s: %d artifact(s), %d open finding(s)", m.Product, m.Version, f.out, len(m.Artifacts), m.Findings)
	if m.Policy != nil {
		fmt.Fprintf(e.stdout, ", policy %s: %s", m.Policy.File, m.Policy.Verdict)
	}
	fmt.Fprintln(e.stdout)
	return nil
}

func newVerifyReleaseCmd(e *env) *cobra.Command {
	var policy, db, format, builderID, sourceURI, sourceDigest, tufRepo, tufRoot string
	var signer signerFlags
	var vexFiles []string
	cmd := &cobra.Command{
		Use:   "verify-release DIR",
		Short: "Check a release offline: manifest, digests, SHA256SUMS, signatures, SBOM, provenance and VEX attestations, your policy",
		Long: `Check every artifact of a release directory made by hallmark release, offline:
the manifest's signature, each artifact's digests against the manifest and the
signed SHA256SUMS, its signature, and its SBOM, provenance (--builder-id,
--source-uri, --source-digest) and VEX attestations, each bound to the
artifact's digest; with --policy, your own policy over the verified SBOM.
One verdict per artifact and check; exit 0 only when every check passes.`,
		Example: `  hallmark verify-release app-1.4.0 --key vendor.pub --builder-id https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.4.0 --policy intake.policy.yaml`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkChoice("output format", format, []string{"table", "json"}); err != nil {
				return withCode(ExitError, err)
			}
			if signer.key == "" && signer.identity == "" && signer.identityRegexp == "" {
				return withCode(ExitError, errors.New("give the supplier's --key, or its keyless identity (--certificate-identity, --certificate-oidc-issuer, --trusted-root)"))
			}
			vo, err := signer.options()
			if err != nil {
				return withCode(ExitError, err)
			}
			vo.BuilderID, vo.SourceURI, vo.SourceDigest = builderID, sourceURI, sourceDigest
			o := release.VerifyOptions{Verify: vo, Now: time.Now().UTC()}
			if (tufRepo == "") != (tufRoot == "") {
				return withCode(ExitError, errors.New("--tuf-repo and --tuf-root go together"))
			}
			if tufRepo != "" {
				root, err := scan.ReadBounded(tufRoot, limits.ManifestBytes)
				if err != nil {
					return withCode(ExitError, fmt.Errorf("--tuf-root: %w", err))
				}
				url, client, err := tuf.Repository(tufRepo)
				if err != nil {
					return withCode(ExitError, err)
				}
				// The trusted metadata is kept where hallmark update keeps
				// it, so a rollback since the last check is refused too.
				cache, err := os.UserCacheDir()
				if err != nil {
					return withCode(ExitError, err)
				}
				o.TUF = &tuf.ClientOptions{RepoURL: url, HTTPClient: client, Root: root, CacheDir: filepath.Join(cache, "hallmark", "tuf", sanitizeHost(tufRepo))}
			}
			if policy != "" {
				if o.Gate, err = openPolicyGate(e, policy, db, vexFiles); err != nil {
					return err
				}
				defer o.Gate.Close()
			}
			v, err := release.Verify(cmd.Context(), args[0], o)
			if err != nil {
				return withCode(ExitError, err)
			}
			err = writeOutput(e, "", func(w io.Writer) error {
				if format == "json" {
					return writeJSON(w, v)
				}
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ARTIFACT\tCHECK\tRESULT\tDETAIL")
				for _, c := range v.Checks {
					r := "ok"
					if !c.OK {
						r = "FAIL"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Artifact, c.Check, r, c.Detail)
				}
				return tw.Flush()
			})
			if err != nil {
				return withCode(ExitError, err)
			}
			if !v.OK() {
				var failed []string
				for _, c := range v.Checks {
					if !c.OK {
						failed = append(failed, c.Artifact+" "+c.Check)
					}
				}
				return withCode(ExitFindings, fmt.Errorf("release %s %s NOT verified: %s", v.Product, v.Version, strings.Join(failed, "; ")))
			}
			fmt.Fprintf(e.stderr, "hallmark: release %s %s verified: %d checks passed\n", v.Product, v.Version, len(v.Checks))
			return nil
		},
	}
	signer.add(cmd, "the supplier's public key")
	cmd.Flags().StringVar(&tufRepo, "tuf-repo", "", "the supplier's TUF update repository (URL, or a local copy): it must list the release's files, fresh and signed")
	cmd.Flags().StringVar(&tufRoot, "tuf-root", "", "with --tuf-repo: the repository's root metadata you trust (e.g. 1.root.json, received out of band)")
	cmd.Flags().StringVar(&policy, "policy", "", "your policy, evaluated over each artifact's verified SBOM")
	cmd.Flags().StringArrayVar(&vexFiles, "vex", nil, "VEX statements to apply with --policy (repeatable)")
	cmd.Flags().StringVar(&builderID, "builder-id", "", "the builder the provenance must name")
	cmd.Flags().StringVar(&sourceURI, "source-uri", "", "the source repository the provenance must name")
	cmd.Flags().StringVar(&sourceDigest, "source-digest", "", "the source commit the provenance must name")
	cmd.Flags().StringVarP(&format, "output-format", "o", "table", "output format: table, json")
	addDBFlag(cmd, &db)
	return cmd
}

// publishRelease adds every file of the release directory to the TUF
// repository as PRODUCT/VERSION/FILE; each artifact's target carries, as
// custom metadata, the target paths of its bundles, SBOM and VEX (all
// targets themselves, so the client verifies them by hash too).
func publishRelease(e *env, f releaseFlags, m *release.Manifest) error {
	if f.onlineKey == "" {
		return errors.New("--repo needs --online-key")
	}
	var ks [2]crypto.Signer
	for i, p := range []string{f.key, f.onlineKey} {
		s, err := keys.ReadPrivateFile(p, prompter(e).Func())
		if err != nil {
			return err
		}
		ks[i] = s
	}
	prefix := m.Product + "/" + m.Version + "/"
	entries, err := os.ReadDir(f.out)
	if err != nil {
		return err
	}
	custom := map[string]map[string]any{}
	for _, a := range m.Artifacts {
		c := map[string]any{"manifest": prefix + release.ManifestFile, "sbom": prefix + m.SBOM.CycloneDX, "vex": prefix + m.VEX}
		if a.SBOM != nil { // the artifact's own SBOM and VEX
			c["sbom"], c["vex"] = prefix+a.SBOM.CycloneDX, prefix+a.VEX
		}
		for k, b := range a.Bundles {
			c["bundle:"+k] = prefix + b
		}
		custom[a.Name] = c
	}
	var ts []tuf.Target
	for _, en := range entries {
		if !en.Type().IsRegular() {
			continue
		}
		ts = append(ts, tuf.Target{Name: prefix + en.Name(), Path: filepath.Join(f.out, en.Name()), Custom: custom[en.Name()]})
	}
	// A product delegated to its own role (hallmark tuf delegate) is
	// published there, signed with --key, the product team's key.
	role, err := tuf.RoleFor(f.repo, prefix+release.ManifestFile)
	if err != nil {
		return err
	}
	exp, err := tuf.RepoExpiries(f.repo)
	if err != nil {
		return err
	}
	return tuf.AddToRole(f.repo, role, tuf.Keys{Offline: ks[0], Online: ks[1]}, exp, time.Now().UTC(), ts)
}

// uploadRelease sends the release's SBOM, VEX and signed manifest to a
// hallmark server, as hallmark push does.
func uploadRelease(cmd *cobra.Command, e *env, f releaseFlags, m *release.Manifest) error {
	if f.token == "" {
		f.token = e.getenv("HALLMARK_TOKEN")
	}
	var parts []server.Part
	for _, p := range []struct{ name, file string }{{"sbom", m.SBOM.CycloneDX}, {"vex", m.VEX}, {"manifest", release.ManifestFile}} {
		b, err := os.ReadFile(filepath.Join(f.out, p.file))
		if err != nil {
			return err
		}
		parts = append(parts, server.Part{Name: p.name, Data: b})
	}
	out, err := server.PushParts(cmd.Context(), http.DefaultClient, f.server, f.token, m.Product, m.Version, parts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "hallmark: uploaded to %s: %s\n", f.server, strings.TrimSpace(string(out)))
	return nil
}
