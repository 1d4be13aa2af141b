package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/assess"
	"github.com/hallmark-dev/hallmark/internal/attest"
	"github.com/hallmark-dev/hallmark/internal/config"
	"github.com/hallmark-dev/hallmark/internal/digest"
	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/sign"
)

var assessFormats = []string{"table", "json", "sarif", "markdown", "html"}

func newAssessCmd(e *env) *cobra.Command {
	var format, outFile, release, explain, dbFlag, attestKey string
	var doAttest bool
	var failUnder float64
	var exclude []string
	cmd := &cobra.Command{
		Use:   "assess [PATH]",
		Short: "Assess a supplier's practice from its repository, offline: Scorecard-like checks mapped to NIST SSDF, the CISA form and the EU CRA",
		Long: `Check the repository at PATH (default ".") offline: the OpenSSF Scorecard checks
that local files allow, with Scorecard's meaning (Binary-Artifacts,
Dangerous-Workflow, Dependency-Update-Tool, Fuzzing, License, Packaging,
Pinned-Dependencies, SAST, Security-Policy, Token-Permissions, CI-Tests,
Signed-Releases with --release), and hallmark's supply-chain checks (SBOM and
vulnerability gate in CI, provenance, VEX, update channel, lockfiles,
dependency sources, malicious dependencies with --db data, committed secrets).
Each result says why it matters and how to fix it; -o markdown|html is a
report per framework (NIST SSDF SP 800-218, CISA attestation form, EU CRA
Annex I, ESF) to hand to a customer or a regulator.

Exit status: 0, or 1 when the score is below --fail-under; 2 on usage error.`,
		Example: `  hallmark assess .
  hallmark assess . -o html --output assessment.html
  hallmark assess . -o sarif --output assess.sarif --fail-under 7
  hallmark assess --explain pinned-dependencies`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if explain != "" {
				if err := assess.Explain(e.stdout, explain); err != nil {
					return withCode(ExitError, err)
				}
				return nil
			}
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			err := applyConfig(cmd, path, func(s setting, c *config.File) {
				s.strs("exclude", &exclude, c.Exclude)
				s.str("db", &dbFlag, c.DB)
			})
			if err != nil {
				return err
			}
			if err := checkChoice("output format", format, assessFormats); err != nil {
				return withCode(ExitError, err)
			}
			if doAttest && (attestKey == "" || outFile == "" || format != "json") {
				return withCode(ExitError, errors.New("--attest needs --key, -o json and --output FILE (the attestation's subject)"))
			}
			if st, err := os.Stat(path); err != nil || !st.IsDir() {
				return withCode(ExitError, fmt.Errorf("%s: not a directory", path))
			}
			o := assess.Options{Exclude: exclude}
			if release != "" {
				b, err := scan.ReadBounded(release, limits.ManifestBytes)
				if err != nil {
					return withCode(ExitError, err)
				}
				o.Release = b
			}
			if o.DBDir, err = dbDir(e, dbFlag); err != nil {
				return withCode(ExitError, err)
			}
			rep, err := assess.Run(cmd.Context(), path, o)
			if err != nil {
				return withCode(ExitError, err)
			}
			err = writeOutput(e, outFile, func(w io.Writer) error {
				switch format {
				case "json":
					return assess.JSON(w, rep)
				case "sarif":
					return assess.SARIF(w, rep, Build().Version)
				case "markdown":
					return assess.Markdown(w, rep)
				case "html":
					return assess.HTML(w, rep)
				}
				return assess.Table(w, rep)
			})
			if err != nil {
				return withCode(ExitError, err)
			}
			if format != "table" {
				fmt.Fprintf(e.stderr, "hallmark: assess %s: score %.1f/10\n", path, rep.Score)
			}
			if doAttest {
				if err := attestAssessment(cmd, e, outFile, attestKey); err != nil {
					return withCode(ExitError, err)
				}
			}
			if failUnder > 0 && rep.Score < failUnder {
				return withCode(ExitFindings, fmt.Errorf("score %.1f is below --fail-under %.1f", rep.Score, failUnder))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output-format", "o", "table", "output format: table, json, sarif, markdown, html")
	cmd.Flags().StringVar(&outFile, "output", "", "write to FILE instead of standard output")
	cmd.Flags().StringVar(&release, "release", "", "a hallmark release manifest, for the Signed-Releases and provenance checks")
	cmd.Flags().StringVar(&explain, "explain", "", "print why a check matters and how to fix it, then exit")
	cmd.Flags().Float64Var(&failUnder, "fail-under", 0, "exit 1 when the overall score (0-10) is below this")
	cmd.Flags().StringArrayVar(&exclude, "exclude", nil, "skip paths matching this glob (repeatable)")
	cmd.Flags().BoolVar(&doAttest, "attest", false, "sign the JSON report (--output) as an in-toto attestation, predicate type "+assess.Schema)
	cmd.Flags().StringVar(&attestKey, "key", "", "with --attest: the signing key")
	addDBFlag(cmd, &dbFlag)
	return cmd
}

// attestAssessment signs the written JSON report as an in-toto statement
// whose subject is the report file and whose predicate is the report, so
// that hallmark verify REPORT --type https://hallmark.dev/assess/v1 checks it.
func attestAssessment(cmd *cobra.Command, e *env, report, key string) error {
	kp, err := loadKeypair(e, key)
	if err != nil {
		return err
	}
	b, err := scan.ReadBounded(report, limits.PredicateBytes)
	if err != nil {
		return err
	}
	set, _, err := digest.File(cmd.Context(), report, digest.SHA256, digest.SHA512)
	if err != nil {
		return err
	}
	stmt, err := attest.Statement([]attest.Subject{{Name: filepath.Base(report), Digest: set.HexMap()}}, assess.Schema, b)
	if err != nil {
		return err
	}
	bdl, err := sign.DSSE(cmd.Context(), attest.PayloadType, stmt, kp)
	if err != nil {
		return err
	}
	data, err := sign.Marshal(bdl)
	if err != nil {
		return err
	}
	out := report + ".sigstore.json"
	if err := writeOutput(e, out, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "hallmark: attested %s; verify with: hallmark verify %s --key PUB --type %s\n", report, report, assess.Schema)
	return nil
}
