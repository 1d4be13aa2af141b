package scan

import (
	"fmt"
	"io"
	"time"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/policy"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/vex"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// Gate is a compiled policy with what evaluating it needs: VEX statements
// and, when the policy has vulnerability rules, the local vulnerability
// store (nil when it holds no data).
type Gate struct {
	File       string
	Policy     *policy.Policy
	DB         *vulndb.DB
	Statements []vex.Statement
}

// OpenGate loads and compiles the policy file, reads the VEX files and opens
// the vulnerability store in dbDir when the policy needs findings, warning
// on warn when the store holds no data. Call it before reading anything
// else: a broken policy stops everything.
func OpenGate(file, dbDir string, vexFiles []string, warn io.Writer) (*Gate, error) {
	pol, err := policy.Load(file)
	if err != nil {
		return nil, err
	}
	stmts, err := ReadVEX(vexFiles)
	if err != nil {
		return nil, err
	}
	g := &Gate{File: file, Policy: pol, Statements: stmts}
	if pol.NeedsFindings() {
		db, err := OpenDB(dbDir)
		if err != nil {
			return nil, err
		}
		if db == nil {
			fmt.Fprintf(warn, "hallmark: warning: no vulnerability data in %s: vulnerability rules cannot be evaluated (run hallmark db update or hallmark db import)\n", dbDir)
		}
		g.DB = db
	}
	return g, nil
}

// Close releases the vulnerability store.
func (g *Gate) Close() {
	if g.DB != nil {
		g.DB.Close()
	}
}

// Evaluate matches doc against the vulnerability store when one is open
// (applying the VEX statements) and evaluates the policy at now.
func (g *Gate) Evaluate(doc *sbom.Document, now time.Time) (*policy.Report, error) {
	var result *match.Result
	if g.DB != nil {
		var err error
		if result, err = Match(doc, g.DB, g.Statements); err != nil {
			return nil, err
		}
	} else {
		doc.Normalize()
	}
	return policy.Evaluate(g.Policy, doc, result, now)
}

// Verdict is the outcome of a policy evaluation.
type Verdict int

// Verdicts.
const (
	Pass       Verdict = iota // no violation of a fail rule
	Fail                      // a fail rule is violated
	Incomplete                // no violation, but vulnerability rules were not evaluated (no data)
)

// String returns "pass", "fail" or "incomplete".
func (v Verdict) String() string {
	switch v {
	case Fail:
		return "fail"
	case Incomplete:
		return "incomplete"
	}
	return "pass"
}

// PolicyVerdict turns a report of the policy in file into a verdict and, for
// anything but Pass, an error saying why.
func PolicyVerdict(file string, rep *policy.Report) (Verdict, error) {
	fail, _ := rep.Counts()
	switch {
	case rep.Failed():
		return Fail, fmt.Errorf("policy %s violated: %d violation(s) of fail rules", file, fail)
	case rep.Incomplete():
		return Incomplete, fmt.Errorf("policy %s: no violations found, but vulnerability rules were not evaluated (no vulnerability data)", file)
	}
	return Pass, nil
}
