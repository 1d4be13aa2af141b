package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/policy"
	"github.com/hallmark-dev/hallmark/internal/report"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/vex"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

var policyFormats = []string{"table", "json", "sarif", "junit"}

func newPolicyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Policy gates for component use: licenses, integrity, vulnerabilities, bans, CEL rules",
	}
	cmd.AddCommand(newPolicyInitCmd(e), newPolicyCheckCmd(e))
	return cmd
}

func newPolicyInitCmd(e *env) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write a commented starter policy (default " + policy.DefaultFile + "; - for standard output)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := policy.DefaultFile
			if len(args) == 1 {
				file = args[0]
			}
			if file == "-" {
				_, err := e.stdout.Write(policy.Starter)
				return err
			}
			if _, err := os.Stat(file); err == nil && !force {
				return withCode(ExitError, fmt.Errorf("%s exists; use --force to overwrite it", file))
			}
			if err := writeOutput(e, file, func(w io.Writer) error { _, err := w.Write(policy.Starter); return err }); err != nil {
				return withCode(ExitError, err)
			}
			fmt.Fprintf(e.stderr, "hallmark: wrote %s; check it with: hallmark policy check --policy %s .\n", file, file)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return cmd
}

type policyFlags struct {
	policy  string
	format  string
	outFile string
	db      string
	vex     []string
	strict  bool
}

func newPolicyCheckCmd(e *env) *cobra.Command {
	var f policyFlags
	cmd := &cobra.Command{
		Use:   "check [PATH|SBOM]",
		Short: "Evaluate a policy against a directory, lockfile or SBOM",
		Long: `Catalog PATH (default ".") or read the SBOM it names, match it against the
local vulnerability database when the policy has vulnerability rules, and
evaluate the policy (--policy, default ` + policy.DefaultFile + `).

The policy is compiled first: an invalid policy (not YAML, an unknown key or
rule kind, a wrong type, a CEL expression that does not compile, an exception
without expiry) is reported with file:line:column and nothing is scanned.

Exit status:
  0  no violation of a "fail" rule (warnings never fail)
  1  a "fail" rule is violated (and not waived by an active exception or VEX)
  2  usage, policy or input error; nothing evaluated
  4  no violation, but vulnerability rules could not be evaluated: no
     vulnerability data (run hallmark db update or db import)`,
		Example: `  hallmark policy init
  hallmark policy check .
  hallmark policy check --policy ci/policy.yaml package-lock.json -o sarif --output policy.sarif
  hallmark policy check app.cdx.json -o junit --output policy-junit.xml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			return runPolicyCheck(cmd, e, path, f)
		},
	}
	cmd.Flags().StringVar(&f.policy, "policy", policy.DefaultFile, "policy file")
	cmd.Flags().StringVarP(&f.format, "output-format", "o", "table", "output format: "+strings.Join(policyFormats, ", "))
	cmd.Flags().StringVar(&f.outFile, "output", "", "write to FILE instead of standard output")
	addDBFlag(cmd, &f.db)
	cmd.Flags().StringArrayVar(&f.vex, "vex", nil, "apply an OpenVEX or CycloneDX VEX document (repeatable)")
	cmd.Flags().BoolVar(&f.strict, "strict", false, "fail (exit 2) when any file cannot be read")
	return cmd
}

func runPolicyCheck(cmd *cobra.Command, e *env, path string, f policyFlags) error {
	if err := checkChoice("output format", f.format, policyFormats); err != nil {
		return withCode(ExitError, err)
	}
	// The policy first: a broken policy stops everything before any scan.
	gate, err := openPolicyGate(e, f.policy, f.db, f.vex)
	if err != nil {
		return err
	}
	defer gate.close()

	res, err := loadSource(cmd, e, path)
	if err != nil {
		return withCode(ExitError, err)
	}
	incomplete := reportProblems(e, res.Problems)
	if incomplete && f.strict {
		return withCode(ExitError, fmt.Errorf("%d file(s) could not be read (--strict)", len(res.Problems)))
	}
	rep, err := gate.evaluate(res.Document)
	if err != nil {
		return withCode(ExitError, err)
	}
	err = writeOutput(e, f.outFile, func(w io.Writer) error {
		switch f.format {
		case "json":
			return report.PolicyJSON(w, rep)
		case "sarif":
			return report.PolicySARIF(w, rep, report.SARIFOptions{ToolVersion: Build().Version, Base: sarifBase(res.Kind, path), Fallback: filepath.ToSlash(path)})
		case "junit":
			return report.JUnit(w, rep)
		default:
			return report.PolicyTable(w, rep)
		}
	})
	if err != nil {
		return withCode(ExitError, err)
	}
	fail, warn := rep.Counts()
	if f.format != "table" {
		fmt.Fprintf(e.stderr, "hallmark: policy %s: %d packages, %d failing, %d warnings, %d waived\n", f.policy, rep.Packages, fail, warn, len(rep.Waived))
		for _, n := range append(rep.Expired, rep.Stale...) {
			fmt.Fprintf(e.stderr, "hallmark: warning: %s\n", n.Message)
		}
	}
	if code, err := policyVerdict(f.policy, rep); err != nil {
		return withCode(code, err)
	}
	return nil
}

// policyGate is a compiled policy with what evaluating it needs: VEX
// statements and, when the policy has vulnerability rules, the local
// vulnerability store (nil when it holds no data). hallmark policy check
// and hallmark verify --policy evaluate through it.
type policyGate struct {
	pol   *policy.Policy
	db    *vulndb.DB
	stmts []vex.Statement
}

// openPolicyGate loads and compiles the policy file, reads the VEX files
// and opens the vulnerability store when the policy needs findings, warning
// on stderr when the store holds no data. Its errors carry ExitError: a
// broken policy stops everything before anything is read or verified.
func openPolicyGate(e *env, file, dbFlag string, vexFiles []string) (*policyGate, error) {
	pol, err := policy.Load(file)
	if err != nil {
		return nil, withCode(ExitError, err)
	}
	stmts, err := readVEX(vexFiles)
	if err != nil {
		return nil, withCode(ExitError, err)
	}
	g := &policyGate{pol: pol, stmts: stmts}
	if pol.NeedsFindings() {
		db, dir, err := openDB(e, dbFlag)
		if err != nil {
			return nil, withCode(ExitError, err)
		}
		if db == nil {
			fmt.Fprintf(e.stderr, "hallmark: warning: no vulnerability data in %s: vulnerability rules cannot be evaluated (run hallmark db update or hallmark db import)\n", dir)
		}
		g.db = db
	}
	return g, nil
}

// close releases the vulnerability store.
func (g *policyGate) close() {
	if g.db != nil {
		g.db.Close()
	}
}

// evaluate normalizes doc, matches it against the vulnerability store when
// one is open (applying the VEX statements), and evaluates the policy.
func (g *policyGate) evaluate(doc *sbom.Document) (*policy.Report, error) {
	doc.Normalize()
	var result *match.Result
	if g.db != nil {
		var err error
		if result, err = match.Match(doc, g.db); err != nil {
			return nil, err
		}
		if len(g.stmts) > 0 {
			vex.Apply(result, g.stmts)
		}
	}
	return policy.Evaluate(g.pol, doc, result, time.Now().UTC())
}

// policyVerdict turns a report into an exit status: ExitFindings when a
// fail rule is violated, ExitNoData when there was no violation but the
// vulnerability rules could not be evaluated, ExitOK (and a nil error)
// otherwise.
func policyVerdict(file string, rep *policy.Report) (int, error) {
	fail, _ := rep.Counts()
	switch {
	case rep.Failed():
		return ExitFindings, fmt.Errorf("policy %s violated: %d violation(s) of fail rules", file, fail)
	case rep.Incomplete():
		return ExitNoData, fmt.Errorf("policy %s: no violations found, but vulnerability rules were not evaluated (no vulnerability data)", file)
	}
	return ExitOK, nil
}
