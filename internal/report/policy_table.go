package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/hallmark-dev/hallmark/internal/policy"
)

// PolicyTable writes a policy report for people: one block per violation
// (rule, package, the fact that broke the rule, how to fix it), then the
// waived violations with their exception or VEX justification, expired
// and stale exceptions, notes, a per-rule summary and the verdict.
func PolicyTable(w io.Writer, rep *policy.Report) error {
	var b strings.Builder
	for _, v := range rep.Violations {
		mark := "FAIL"
		if v.Severity == policy.Warn {
			mark = "WARN"
		}
		fmt.Fprintf(&b, "%s  %s  %s\n", mark, v.Rule, v.Package)
		fmt.Fprintf(&b, "      %s\n", v.Fact)
		if loc := locationString(v); loc != "" {
			fmt.Fprintf(&b, "      at %s\n", loc)
		}
		if v.Fix != "" {
			fmt.Fprintf(&b, "      fix: %s\n", v.Fix)
		}
		if v.Expired != nil {
			fmt.Fprintf(&b, "      exception (owner %s, policy line %d) expired on %s\n", v.Expired.Owner, v.Expired.Line, v.Expired.Expires)
		}
	}
	if len(rep.Waived) > 0 {
		fmt.Fprintf(&b, "\nWaived (%d):\n", len(rep.Waived))
		for _, v := range rep.Waived {
			fmt.Fprintf(&b, "  %s  %s\n      %s\n      waived: %s\n", v.Rule, v.Package, v.Fact, waiverString(v.Waiver))
		}
	}
	for _, e := range rep.Expired {
		fmt.Fprintf(&b, "\nwarning: %s (policy line %d)", e.Message, e.Line)
	}
	for _, e := range rep.Stale {
		fmt.Fprintf(&b, "\nwarning: %s (policy line %d)", e.Message, e.Line)
	}
	if len(rep.Expired)+len(rep.Stale) > 0 {
		b.WriteString("\n")
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "\nnote: %s", n)
	}
	if len(rep.Notes) > 0 {
		b.WriteString("\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tKIND\tSEVERITY\tPACKAGES\tVIOLATIONS\tWAIVED\tSTATUS")
	// A rule's violations can be warnings although the rule fails (a
	// licenses rule with missing: warn): the status follows the violations.
	failing := map[string]bool{}
	for _, v := range rep.Violations {
		if v.Severity == policy.Fail {
			failing[v.Rule] = true
		}
	}
	for _, r := range rep.Rules {
		status := "pass"
		switch {
		case r.NotEvaluated != "":
			status = "NOT EVALUATED"
		case failing[r.ID]:
			status = "FAIL"
		case r.Violations > 0:
			status = "warn"
		}
		if r.Unchecked > 0 && r.NotEvaluated == "" {
			status += fmt.Sprintf(" (%d not checked)", r.Unchecked)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", r.ID, r.Kind, r.Severity, r.Packages, r.Violations, r.Waived, status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fail, warn := rep.Counts()
	verdict := "PASS"
	switch {
	case rep.Failed():
		verdict = "FAIL"
	case rep.Incomplete():
		verdict = "INCOMPLETE"
	}
	_, err := fmt.Fprintf(w, "\n%s: %d packages, %d rules: %d failing, %d warnings, %d waived, %d expired and %d stale exception(s)\n",
		verdict, rep.Packages, len(rep.Rules), fail, warn, len(rep.Waived), len(rep.Expired), len(rep.Stale))
	return err
}

func locationString(v policy.Violation) string {
	var locs []string
	for i, l := range v.Locations {
		if i == 3 {
			locs = append(locs, fmt.Sprintf("and %d more", len(v.Locations)-3))
			break
		}
		if l.Line > 0 {
			locs = append(locs, fmt.Sprintf("%s:%d", l.Path, l.Line))
		} else {
			locs = append(locs, l.Path)
		}
	}
	return strings.Join(locs, ", ")
}

func waiverString(w *policy.Waiver) string {
	if w == nil {
		return ""
	}
	if w.Kind == "vex" {
		s := "VEX " + w.Reason
		if w.Justification != "" {
			s += ": " + w.Justification
		}
		if w.Source != "" {
			s += " (" + w.Source + ")"
		}
		return s
	}
	return fmt.Sprintf("exception by %s until %s: %s (policy line %d)", w.Owner, w.Expires, w.Reason, w.Line)
}

// PolicyJSON writes the report as JSON (the policy.Report fields; stable
// names, documented in the README).
func PolicyJSON(w io.Writer, rep *policy.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		SchemaVersion int `json:"schemaVersion"`
		*policy.Report
		Verdict string `json:"verdict"`
	}{1, rep, verdictOf(rep)})
}

func verdictOf(rep *policy.Report) string {
	switch {
	case rep.Failed():
		return "fail"
	case rep.Incomplete():
		return "incomplete"
	}
	return "pass"
}
