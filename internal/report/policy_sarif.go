package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/policy"
)

// PolicySARIF writes a policy report as a SARIF 2.1.0 log
// (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html): one
// SARIF rule per policy rule, one result per violation located at the
// package's line in its lockfile (fail: "error", warn: "warning"). Waived
// violations are included with a SARIF suppression carrying the
// exception's owner and reason or the VEX justification. opts are as for
// SARIF.
func PolicySARIF(w io.Writer, rep *policy.Report, opts SARIFOptions) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "hallmark", Version: opts.ToolVersion,
		InformationURI: "https://github.com/hallmark-dev/hallmark", Rules: []sarifRule{}}}, Results: []sarifResult{}}
	ruleIndex := map[string]int{}
	for _, r := range rep.Rules {
		ruleIndex[r.ID] = len(run.Tool.Driver.Rules)
		desc := r.Description
		if desc == "" {
			desc = fmt.Sprintf("hallmark policy rule %s (%s)", r.ID, r.Kind)
		}
		level := "error"
		if r.Severity == policy.Warn {
			level = "warning"
		}
		help := fmt.Sprintf("Policy rule **%s** (kind %s, severity %s) from %s.\n\n%s\n", r.ID, r.Kind, r.Severity, rep.Policy, desc)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: r.ID, Name: sarifName(r.ID),
			ShortDescription:     sarifText{Text: oneLine(desc, 1000)},
			FullDescription:      sarifText{Text: oneLine(desc, 1000)},
			Help:                 sarifText{Text: help, Markdown: help},
			DefaultConfiguration: map[string]any{"level": level},
			Properties:           map[string]any{"tags": []string{"supply-chain", "policy", string(r.Kind)}},
		})
	}
	add := func(v policy.Violation) {
		locs := sarifLocations(v.Locations, opts, rep.Subject)
		level := "error"
		if v.Severity == policy.Warn {
			level = "warning"
		}
		msg := fmt.Sprintf("%s: %s", v.Package, v.Fact)
		if v.Fix != "" {
			msg += ". Fix: " + v.Fix
		}
		if v.Expired != nil {
			msg += fmt.Sprintf(" (exception by %s expired on %s)", v.Expired.Owner, v.Expired.Expires)
		}
		res := sarifResult{RuleID: v.Rule, RuleIndex: ruleIndex[v.Rule], Level: level, Message: sarifText{Text: msg}, Locations: locs,
			PartialFingerprints: map[string]string{"hallmark/policy/v1": v.Rule + "/" + v.Package + "/" + strings.Join(v.Findings, ",") + "/" + v.Fact}}
		if v.Waiver != nil {
			res.Suppressions = []sarifSuppress{{Kind: "external", Status: "accepted", Justification: waiverString(v.Waiver)}}
		}
		run.Results = append(run.Results, res)
	}
	for _, v := range rep.Violations {
		add(v)
	}
	for _, v := range rep.Waived {
		add(v)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}

// sarifName turns a rule id into the PascalCase name SARIF suggests.
func sarifName(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		if r == '-' || r == '_' || r == '.' {
			up = true
			continue
		}
		if up {
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
