package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// SARIFOptions configure SARIF output.
type SARIFOptions struct {
	// ToolVersion is hallmark's version.
	ToolVersion string
	// Base is prefixed to package locations so that URIs are relative to
	// the repository root GitHub code scanning resolves them against (the
	// scanned directory as given, e.g. "services/api").
	Base string
	// Fallback is the artifact to point at when a package has no location
	// (an SBOM was scanned): the SBOM's path.
	Fallback string
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

// sarifInvocation carries what the run could not check, as tool execution
// notifications: never results (they are not findings) and never silence.
type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration map[string]any `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Suppressions        []sarifSuppress   `json:"suppressions,omitempty"`
}

type sarifSuppress struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// sarifLevel maps a finding to a SARIF level.
func sarifLevel(f match.Finding) string {
	switch {
	case f.Kind == match.Malicious, f.Severity.Level >= match.High:
		return "error"
	case f.Severity.Level == match.Medium, f.Severity.Level == match.Unknown:
		return "warning"
	}
	return "note"
}

// securitySeverity is the number GitHub code scanning ranks alerts by
// ("security-severity", 0.0-10.0).
func securitySeverity(f match.Finding) string {
	switch {
	case f.Kind == match.Malicious:
		return "10.0"
	case f.Severity.Score > 0:
		return fmt.Sprintf("%.1f", f.Severity.Score)
	}
	switch f.Severity.Level {
	case match.Critical:
		return "9.5"
	case match.High:
		return "8.0"
	case match.Medium:
		return "5.5"
	case match.Low:
		return "2.0"
	}
	return "5.0"
}

// SARIF writes a SARIF 2.1.0 log
// (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html) in
// the shape GitHub code scanning accepts: one rule per advisory group, one
// result per finding, located at the package's line in its lockfile.
// Findings suppressed by VEX are included with a SARIF suppression.
func SARIF(w io.Writer, res *match.Result, opts SARIFOptions) error {
	doc := res.Document
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "hallmark", Version: opts.ToolVersion,
		InformationURI: "https://github.com/hallmark-dev/hallmark", Rules: []sarifRule{}}}, Results: []sarifResult{}}
	ruleIndex := map[string]int{}
	for _, f := range res.Findings {
		p := doc.Package(f.PackageID)
		idx, ok := ruleIndex[f.ID]
		if !ok {
			idx = len(run.Tool.Driver.Rules)
			ruleIndex[f.ID] = idx
			summary := f.Summary
			if summary == "" {
				summary = f.ID
			}
			var help strings.Builder
			fmt.Fprintf(&help, "**%s**", f.ID)
			if len(f.Aliases) > 0 {
				fmt.Fprintf(&help, " (%s)", strings.Join(f.Aliases, ", "))
			}
			fmt.Fprintf(&help, "\n\n%s\n", summary)
			if d := f.Advisories[0].Details; d != "" {
				fmt.Fprintf(&help, "\n%s\n", d)
			}
			tags := []string{"security", "vulnerability"}
			if f.Kind == match.Malicious {
				tags = []string{"security", "malicious"}
			}
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
				ID: f.ID, Name: strings.ReplaceAll(f.ID, "-", ""),
				ShortDescription:     sarifText{Text: oneLine(f.ID+": "+summary, 1000)},
				FullDescription:      sarifText{Text: oneLine(summary, 1000)},
				Help:                 sarifText{Text: help.String(), Markdown: help.String()},
				HelpURI:              "https://osv.dev/vulnerability/" + f.ID,
				DefaultConfiguration: map[string]any{"level": sarifLevel(f)},
				Properties:           map[string]any{"security-severity": securitySeverity(f), "tags": tags},
			})
		}
		locs := sarifLocations(p.Locations, opts, doc.Source)
		fix := res.UpgradeFor(&f)
		msg := fmt.Sprintf("%s %s is affected by %s", p.Name, p.Version, f.ID)
		if f.Possible != "" {
			msg = fmt.Sprintf("%s %s may be affected by %s", p.Name, p.Version, f.ID)
		}
		if f.Kind == match.Malicious {
			msg = fmt.Sprintf("%s %s is a known malicious package (%s)", p.Name, p.Version, f.ID)
		}
		if f.Summary != "" {
			msg += ": " + f.Summary
		}
		if f.Possible != "" {
			msg += ". " + f.Possible
		}
		if fix != "" {
			msg += fmt.Sprintf(". Upgrade to %s.", fix)
		} else {
			msg += ". No fixed version is known."
		}
		r := sarifResult{RuleID: f.ID, RuleIndex: idx, Level: sarifLevel(f), Message: sarifText{Text: msg}, Locations: locs,
			PartialFingerprints: map[string]string{"hallmark/package-advisory/v1": p.Name + "@" + p.Version + "/" + f.ID}}
		if f.Status.Suppressed() {
			r.Suppressions = []sarifSuppress{{Kind: "external", Status: "accepted", Justification: strings.TrimSpace(string(f.Status) + ": " + f.Justification + " " + f.StatusDetail)}}
		}
		run.Results = append(run.Results, r)
	}
	inv := sarifInvocation{ExecutionSuccessful: true}
	for _, u := range res.Unchecked {
		p := doc.Package(u.PackageID)
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: "warning",
			Message:   sarifText{Text: fmt.Sprintf("%s %s (%s) was not checked: %s", p.Name, p.Version, p.Ecosystem, u.Reason)},
			Locations: sarifLocations(p.Locations, opts, doc.Source)})
	}
	for _, s := range res.SDK {
		p := doc.Package(s.PackageID)
		level := "note"
		if s.Version == "" {
			level = "warning"
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: level,
			Message: sarifText{Text: fmt.Sprintf("%s (%s): %s", p.Name, p.Ecosystem, s.Reason)}, Locations: sarifLocations(p.Locations, opts, doc.Source)})
	}
	run.Invocations = []sarifInvocation{inv}
	s := Summarize(res)
	run.Properties = map[string]any{"hallmark/summary": s}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}

// sarifLocations turns package locations into SARIF locations relative to
// opts.Base, falling back to the scanned file (an SBOM has no locations).
func sarifLocations(ls []sbom.Location, opts SARIFOptions, source string) []sarifLocation {
	var locs []sarifLocation
	for _, l := range ls {
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: path.Join(opts.Base, l.Path)}}}
		if l.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: l.Line}
		}
		locs = append(locs, loc)
	}
	if len(locs) == 0 {
		fb := opts.Fallback
		if fb == "" {
			fb = source
		}
		locs = append(locs, sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: fb}}})
	}
	return locs
}
