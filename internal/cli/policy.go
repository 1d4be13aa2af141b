package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/config"
	"github.com/hallmark-dev/hallmark/internal/policy"
	"github.com/hallmark-dev/hallmark/internal/report"
	"github.com/hallmark-dev/hallmark/internal/scan"
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
	src     sourceFlags
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
	cmd.Flags().StringArrayVar(&f.vex, "vex", nil, "apply an OpenVEX, CycloneDX VEX or CSAF 2.0 document (repeatable)")
	cmd.Flags().BoolVar(&f.strict, "strict", false, "fail (exit 2) when any file cannot be read")
	addSourceFlags(cmd, &f.src)
	return cmd
}

func runPolicyCheck(cmd *cobra.Command, e *env, path string, f policyFlags) error {
	err := applyConfig(cmd, path, func(s setting, c *config.File) {
		s.str("db", &f.db, c.DB)
		s.strs("exclude", &f.src.exclude, c.Exclude)
		s.str("policy", &f.policy, c.Policy)
		s.strs("vex", &f.vex, c.VEX)
		s.str("output-format", &f.format, c.Output["policy"])
	})
	if err != nil {
		return err
	}
	if err := checkChoice("output format", f.format, policyFormats); err != nil {
		return withCode(ExitError, err)
	}
	// The policy first: a broken policy stops everything before any scan.
	gate, err := openPolicyGate(e, f.policy, f.db, f.vex)
	if err != nil {
		return err
	}
	defer gate.Close()

	res, err := loadSource(cmd, e, path, f.src)
	if err != nil {
		return withCode(ExitError, err)
	}
	incomplete := reportProblems(e, res.Problems)
	if incomplete && f.strict {
		return withCode(ExitError, fmt.Errorf("%d file(s) could not be read (--strict)", len(res.Problems)))
	}
	rep, err := gate.Evaluate(res.Document, time.Now().UTC())
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

// openPolicyGate opens the policy gate (scan.OpenGate) with --db resolved.
// Its errors carry ExitError: a broken policy stops everything before
// anything is read or verified.
func openPolicyGate(e *env, file, dbFlag string, vexFiles []string) (*scan.Gate, error) {
	dir, err := dbDir(e, dbFlag)
	if err != nil {
		return nil, withCode(ExitError, err)
	}
	g, err := scan.OpenGate(file, dir, vexFiles, e.stderr)
	if err != nil {
		return nil, withCode(ExitError, err)
	}
	return g, nil
}

// policyVerdict turns a report into an exit status: ExitFindings when a
// fail rule is violated, ExitNoData when there was no violation but the
// vulnerability rules could not be evaluated, ExitOK (and a nil error)
// otherwise.
func policyVerdict(file string, rep *policy.Report) (int, error) {
	v, err := scan.PolicyVerdict(file, rep)
	switch v {
	case scan.Fail:
		return ExitFindings, err
	case scan.Incomplete:
		return ExitNoData, err
	}
	return ExitOK, nil
}
