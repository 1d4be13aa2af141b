package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/config"
	"github.com/hallmark-dev/hallmark/internal/distro"
	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/policy"
	"github.com/hallmark-dev/hallmark/internal/report"
	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/source"
	"github.com/hallmark-dev/hallmark/internal/vex"
)

var scanFormats = []string{"table", "json", "sarif", "cyclonedx-json", "openvex", "csaf"}

var failLevels = map[string]match.Level{"low": match.Low, "medium": match.Medium, "high": match.High, "critical": match.Critical}

type scanFlags struct {
	format     string
	outFile    string
	db         string
	vex        []string
	failOn     string
	cdxVersion string
	strict     bool
	policy     string
	// failOnUnchecked restores the strict gate: exit 3 when any package
	// could not be checked.
	failOnUnchecked bool
	src             sourceFlags
	// -o csaf: the product, its version and the publisher.
	product, productVersion string
	csaf                    advisoryFlags
}

func newScanCmd(e *env) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan [PATH|SBOM]",
		Short: "Find known vulnerabilities and malicious packages in a directory, lockfile or SBOM",
		Long: `Catalog PATH (default ".") or read the SBOM it names, and match every package
against the local OSV database (see hallmark db).

Exit status (the first that applies):
  1  findings at or above --fail-on (malicious packages and findings of unknown
     severity count at every level), or --policy violated
  2  usage or input error
  3  some input could not be read (a file, an image layer): the result is
     incomplete; with --fail-on-unchecked also when a package could not be
     checked
  4  no vulnerability data at all: run hallmark db update or hallmark db import
  0  otherwise. Packages that could not be checked (no version, an ecosystem
     without data) are listed and counted in every output, never as clean.`,
		Example: `  hallmark scan .
  hallmark scan package-lock.json --fail-on high
  hallmark scan app.cdx.json -o sarif --output hallmark.sarif
  hallmark scan . --vex triage.openvex.json -o cyclonedx-json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			return runScan(cmd, e, path, f)
		},
	}
	cmd.Flags().StringVarP(&f.format, "output-format", "o", "table", "output format: "+strings.Join(scanFormats, ", "))
	cmd.Flags().StringVar(&f.outFile, "output", "", "write to FILE instead of standard output")
	addDBFlag(cmd, &f.db)
	cmd.Flags().StringArrayVar(&f.vex, "vex", nil, "apply an OpenVEX, CycloneDX VEX or CSAF 2.0 document (repeatable)")
	cmd.Flags().StringVar(&f.failOn, "fail-on", "none", "exit 1 when a finding is at or above: none, low, medium, high, critical")
	cmd.Flags().StringVar(&f.cdxVersion, "cyclonedx-version", "1.7", "CycloneDX spec version for -o cyclonedx-json: 1.7 or 1.6")
	cmd.Flags().BoolVar(&f.strict, "strict", false, "fail (exit 2) when any file cannot be read")
	cmd.Flags().StringVar(&f.policy, "policy", "", "also evaluate this policy file (see hallmark policy) and exit 1 on a violation")
	addSourceFlags(cmd, &f.src)
	cmd.Flags().BoolVar(&f.failOnUnchecked, "fail-on-unchecked", false, "exit 3 when any package could not be checked (no version, no data for its ecosystem)")
	cmd.Flags().StringVar(&f.product, "product", "", "-o csaf: the product's name (default: the scanned path's base name)")
	cmd.Flags().StringVar(&f.productVersion, "product-version", "", "-o csaf: the release's version (required with -o csaf)")
	f.csaf.register(cmd, false)
	return cmd
}

func runScan(cmd *cobra.Command, e *env, path string, f scanFlags) error {
	err := applyConfig(cmd, path, func(s setting, c *config.File) {
		s.str("db", &f.db, c.DB)
		s.strs("exclude", &f.src.exclude, c.Exclude)
		s.str("policy", &f.policy, c.Policy)
		s.strs("vex", &f.vex, c.VEX)
		s.str("fail-on", &f.failOn, c.FailOn)
		s.boolean("fail-on-unchecked", &f.failOnUnchecked, c.FailOnUnchecked)
		s.str("output-format", &f.format, c.Output["scan"])
	})
	if err != nil {
		return err
	}
	if err := checkChoice("output format", f.format, scanFormats); err != nil {
		return withCode(ExitError, err)
	}
	if f.format == "csaf" && (f.productVersion == "" || f.csaf.namespace == "") {
		return withCode(ExitError, fmt.Errorf("-o csaf needs --product-version and --csaf-namespace (the supplier's URL)"))
	}
	threshold, gate := failLevels[f.failOn]
	if !gate && f.failOn != "none" {
		return withCode(ExitError, fmt.Errorf("unknown --fail-on %q (choose from none, low, medium, high, critical)", f.failOn))
	}
	if err := checkChoice("CycloneDX version", f.cdxVersion, []string{"1.6", "1.7"}); err != nil {
		return withCode(ExitError, err)
	}
	// Read every input before any work: a bad VEX file or a missing
	// database fails fast.
	stmts, err := scan.ReadVEX(f.vex)
	if err != nil {
		return withCode(ExitError, err)
	}
	var pol *policy.Policy
	if f.policy != "" {
		if pol, err = policy.Load(f.policy); err != nil {
			return withCode(ExitError, err)
		}
	}
	db, dir, err := openDB(e, f.db)
	if err != nil {
		return withCode(ExitError, err)
	}
	if db == nil {
		return withCode(ExitNoData, noDataError(dir))
	}
	defer db.Close()

	res, err := loadSource(cmd, e, path, f.src)
	if err != nil {
		return withCode(ExitError, err)
	}
	incomplete := reportProblems(e, res.Problems)
	if incomplete && f.strict {
		return withCode(ExitError, fmt.Errorf("%d file(s) could not be read (--strict)", len(res.Problems)))
	}
	doc := res.Document
	result, err := scan.Match(doc, db, stmts)
	if err != nil {
		return withCode(ExitError, err)
	}
	var distros []string
	for _, p := range doc.Packages {
		distros = append(distros, p.Properties["hallmark:os:distro"])
	}
	for _, n := range distro.EndOfLifeNotes(distros, time.Now()) {
		fmt.Fprintf(e.stderr, "hallmark: warning: %s\n", n)
	}
	for _, m := range result.Ecosystems {
		if m.Source != "" && time.Since(m.FetchedAt) > staleAfter {
			fmt.Fprintf(e.stderr, "hallmark: warning: %s data is %s old; run hallmark db update\n", m.Name, humanAge(time.Since(m.FetchedAt)))
		}
	}
	created, err := sourceDateEpoch(e)
	if err != nil {
		return withCode(ExitError, err)
	}
	if created.IsZero() {
		created = time.Now().UTC().Truncate(time.Second)
	}
	colour := f.outFile == "" && isTerminal(e.stdout) && e.getenv("NO_COLOR") == ""
	err = writeOutput(e, f.outFile, func(w io.Writer) error {
		switch f.format {
		case "json":
			return report.ScanJSON(w, result, created)
		case "sarif":
			return report.SARIF(w, result, report.SARIFOptions{ToolVersion: Build().Version, Base: sarifBase(res.Kind, path), Fallback: filepath.ToSlash(path)})
		case "cyclonedx-json":
			return report.CycloneDXVEX(w, result, f.cdxVersion)
		case "openvex":
			return report.OpenVEX(w, result, "hallmark", created)
		case "csaf":
			return writeScanCSAF(w, result, path, created, f)
		default:
			return report.FindingsTable(w, result, colour)
		}
	})
	if err != nil {
		return withCode(ExitError, err)
	}
	var rep *policy.Report
	if pol != nil {
		if rep, err = policy.Evaluate(pol, doc, result, time.Now().UTC()); err != nil {
			return withCode(ExitError, err)
		}
		// With table output the policy verdict follows the findings on
		// stdout; with machine output stdout holds only that document.
		w := e.stdout
		if f.format != "table" || f.outFile != "" {
			w = e.stderr
		}
		if err := report.PolicyTable(w, rep); err != nil {
			return withCode(ExitError, err)
		}
	}
	if f.format != "table" {
		// Machine output on stdout; the verdict for people on stderr.
		s := report.Summarize(result)
		fmt.Fprintf(e.stderr, "hallmark: %d packages: %d checked, %d not checked; %d findings, %d suppressed by VEX\n",
			s.Packages, s.Checked, s.Unchecked, s.Findings, s.Suppressed)
	}
	switch {
	case gate && result.Fails(threshold):
		return withCode(ExitFindings, fmt.Errorf("findings at or above %s", f.failOn))
	case rep != nil && rep.Failed():
		code, err := policyVerdict(f.policy, rep)
		return withCode(code, err)
	case incomplete:
		return withCode(ExitIncomplete, fmt.Errorf("incomplete: %d file(s) not read, %d package(s) not checked", len(res.Problems), report.Summarize(result).Unchecked))
	case f.failOnUnchecked && len(result.Unchecked) > 0:
		return withCode(ExitIncomplete, fmt.Errorf("--fail-on-unchecked: %d package(s) not checked", report.Summarize(result).Unchecked))
	}
	return nil
}

// sarifBase is the directory package locations are relative to, as the
// user named it, for SARIF URIs relative to the repository root.
func sarifBase(kind source.Kind, path string) string {
	p := filepath.ToSlash(filepath.Clean(path))
	if kind != source.KindDirectory {
		p = filepath.ToSlash(filepath.Dir(p))
	}
	if p == "." || filepath.IsAbs(path) {
		return ""
	}
	return p
}

// writeScanCSAF writes a scan as a CSAF 2.0 VEX document of one release.
func writeScanCSAF(w io.Writer, res *match.Result, path string, created time.Time, f scanFlags) error {
	product := f.product
	if product == "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return err
		}
		product = filepath.Base(abs)
	}
	in := vex.CSAFInput{Product: product, EngineVersion: Build().Version,
		Publisher: vex.CSAFPublisher{Name: f.csaf.publisher, Namespace: f.csaf.namespace, ContactDetails: f.csaf.contact},
		Releases:  []vex.CSAFRelease{vex.CSAFReleaseOf(res, f.productVersion, created)}}
	if in.Publisher.Name == "" {
		in.Publisher.Name = product
	}
	return vex.WriteCSAF(w, in)
}
