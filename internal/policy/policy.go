// Package policy evaluates a supplier's component policy over an SBOM and
// its vulnerability findings: named rules (built-in kinds and CEL
// conditions), each with a severity (fail or warn) and a scope, and
// exceptions that waive a rule for named packages or findings until an
// expiry date.
//
// A policy is loaded and compiled once (Load, Parse): every error in the
// file — YAML syntax, an unknown key or rule kind, a wrong type, a CEL
// expression that does not compile or does not return a bool, an exception
// without expiry — is reported with file:line:column before anything is
// evaluated. Evaluate then applies the compiled policy to a document and
// an optional match.Result; it is deterministic for a given `now` (the
// only clock it reads), and safe for concurrent use with different inputs.
//
// Built-in rule kinds:
//
//   - vulnerabilities: findings at or above a severity (optionally only
//     those with a fix); malicious packages always violate.
//   - licenses: allow and deny lists of SPDX identifiers applied to SPDX
//     license expressions (OR picks the best alternative, AND needs every
//     operand); missing and unknown licenses are outcomes of their own.
//   - integrity: every registry package carries an integrity hash;
//     resolved URLs use https and come from allowed registries; GitHub
//     Actions are pinned to full commit SHAs.
//   - bans: named packages, or version ranges of them, never allowed.
//   - hygiene: more than N versions of one package; dependencies from git
//     URLs or local paths.
//   - cel: a CEL condition over the documented input (see Input).
package policy

import (
	"time"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Severity is what a violated rule does to the verdict.
type Severity string

// Severities. Warnings are reported and never fail.
const (
	Fail Severity = "fail"
	Warn Severity = "warn"
)

// Kind is a rule kind.
type Kind string

// Rule kinds.
const (
	KindVulnerabilities Kind = "vulnerabilities"
	KindLicenses        Kind = "licenses"
	KindIntegrity       Kind = "integrity"
	KindBans            Kind = "bans"
	KindHygiene         Kind = "hygiene"
	KindCEL             Kind = "cel"
)

var kinds = []Kind{KindVulnerabilities, KindLicenses, KindIntegrity, KindBans, KindHygiene, KindCEL}

// Policy is a loaded and compiled policy file.
type Policy struct {
	// File is the path the policy was read from, as given.
	File       string
	Rules      []*Rule
	Exceptions []*Exception
}

// Rule is one named rule.
type Rule struct {
	ID          string
	Description string
	Severity    Severity
	Kind        Kind
	Scope       Scope
	// Line is the rule's line in the policy file.
	Line int

	check checker
}

// NeedsFindings reports whether the rule reads vulnerability findings.
func (r *Rule) NeedsFindings() bool { return r.check.needsFindings() }

// NeedsFindings reports whether any rule reads vulnerability findings, so
// that a caller knows to match the document against the vulnerability
// database first.
func (p *Policy) NeedsFindings() bool {
	for _, r := range p.Rules {
		if r.NeedsFindings() {
			return true
		}
	}
	return false
}

// Violation is one rule broken by one package (or, for document-wide
// rules, by the packages it names).
type Violation struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// Package is the package's purl (its ID when it has none).
	Package   string          `json:"package"`
	PackageID string          `json:"packageId"`
	Name      string          `json:"name"`
	Version   string          `json:"version,omitempty"`
	Ecosystem sbom.Ecosystem  `json:"ecosystem,omitempty"`
	Locations []sbom.Location `json:"locations,omitempty"`
	// Fact is what broke the rule, e.g. "license GPL-3.0-only not in
	// allow list" or "resolved from http://registry.example.com".
	Fact string `json:"fact"`
	// Fix says how to resolve it: the upgrade that fixes every finding,
	// the allowed alternative.
	Fix string `json:"fix,omitempty"`
	// Findings are the vulnerability ids (primary ids) involved.
	Findings []string `json:"findings,omitempty"`
	// Waiver is set when an exception or a VEX statement waives the
	// violation; waived violations never fail.
	Waiver *Waiver `json:"waiver,omitempty"`
	// Expired is set when an exception matched but had expired: the
	// violation stands.
	Expired *Waiver `json:"expiredException,omitempty"`
}

// Waiver records why a violation does not count.
type Waiver struct {
	// Kind is "exception" or "vex".
	Kind    string `json:"kind"`
	Owner   string `json:"owner,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Expires string `json:"expires,omitempty"` // YYYY-MM-DD
	// Line is the exception's line in the policy file.
	Line int `json:"line,omitempty"`
	// Justification and Source come from a VEX statement.
	Justification string `json:"justification,omitempty"`
	Source        string `json:"source,omitempty"`
}

// ExceptionNote reports an exception that no longer waives anything.
type ExceptionNote struct {
	Rule    string `json:"rule"`
	Owner   string `json:"owner"`
	Reason  string `json:"reason"`
	Expires string `json:"expires"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// RuleResult summarises one rule.
type RuleResult struct {
	ID          string   `json:"id"`
	Description string   `json:"description,omitempty"`
	Kind        Kind     `json:"kind"`
	Severity    Severity `json:"severity"`
	// Packages is how many packages were in the rule's scope.
	Packages   int `json:"packages"`
	Violations int `json:"violations"`
	Waived     int `json:"waived"`
	// Unchecked is how many packages in a vulnerability rule's scope
	// could not be checked (no data for their ecosystem, no version): the
	// rule passing says nothing about them.
	Unchecked int `json:"unchecked,omitempty"`
	// NotEvaluated says why the rule (or part of it) could not be
	// evaluated, e.g. no vulnerability data; such a rule never passes
	// silently.
	NotEvaluated string `json:"notEvaluated,omitempty"`
}

// Report is the outcome of evaluating a policy.
type Report struct {
	Policy string `json:"policy"`
	// Subject names the evaluated document.
	Subject   string       `json:"subject"`
	Evaluated time.Time    `json:"evaluated"`
	Packages  int          `json:"packages"`
	Rules     []RuleResult `json:"rules"`
	// Violations are the unwaived violations, failing and warning, in
	// rule then package order.
	Violations []Violation `json:"violations"`
	// Waived are violations an exception or a VEX statement waives.
	Waived []Violation `json:"waived"`
	// Expired lists exceptions past their expiry date; Stale lists active
	// exceptions that matched nothing.
	Expired []ExceptionNote `json:"expiredExceptions"`
	Stale   []ExceptionNote `json:"staleExceptions"`
	// Notes are facts a reader must know to trust the verdict (packages
	// that could not be checked for vulnerabilities, rules not evaluated).
	Notes []string `json:"notes,omitempty"`
}

// Failed reports whether an unwaived violation of a fail rule exists.
func (r *Report) Failed() bool {
	for _, v := range r.Violations {
		if v.Severity == Fail {
			return true
		}
	}
	return false
}

// Incomplete reports whether some rule could not be evaluated.
func (r *Report) Incomplete() bool {
	for _, rr := range r.Rules {
		if rr.NotEvaluated != "" {
			return true
		}
	}
	return false
}

// Counts returns the number of failing and warning violations.
func (r *Report) Counts() (fail, warn int) {
	for _, v := range r.Violations {
		if v.Severity == Fail {
			fail++
		} else {
			warn++
		}
	}
	return fail, warn
}
