package attest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// ScanReportSchema is the schema URI of hallmark's JSON scan report
// (`hallmark scan -o json`).
const ScanReportSchema = "https://hallmark.dev/schemas/scan/v1"

// scanReport is the part of hallmark's scan report a vulns predicate needs.
type scanReport struct {
	Schema   string    `json:"schema"`
	Source   string    `json:"source"`
	Created  time.Time `json:"created"`
	Database []struct {
		Ecosystem string    `json:"ecosystem"`
		Source    string    `json:"source"`
		FetchedAt time.Time `json:"fetchedAt"`
	} `json:"database"`
	Findings []struct {
		Package  string   `json:"package"`
		ID       string   `json:"id"`
		Aliases  []string `json:"aliases"`
		Severity struct {
			Level  string  `json:"level"`
			Score  float64 `json:"score"`
			Vector string  `json:"vector"`
			Source string  `json:"source"`
		} `json:"severity"`
		Status string `json:"status"`
	} `json:"findings"`
}

// IsScanReport reports whether b is a hallmark JSON scan report.
func IsScanReport(b []byte) bool {
	var r struct {
		Schema string `json:"schema"`
	}
	return json.Unmarshal(b, &r) == nil && r.Schema == ScanReportSchema
}

// VulnsFromScan converts a hallmark JSON scan report into an in-toto vulns
// predicate v0.1
// (https://github.com/in-toto/attestation/blob/main/spec/predicates/vulns_02.md):
// scanner (uri, version, db, result[id, severity, annotations]) and
// metadata (scan start and end).
func VulnsFromScan(report []byte, scannerVersion string) ([]byte, error) {
	var r scanReport
	if err := json.Unmarshal(report, &r); err != nil {
		return nil, fmt.Errorf("read scan report: %w", err)
	}
	if r.Schema != ScanReportSchema {
		return nil, fmt.Errorf("not a hallmark scan report (schema %q)", r.Schema)
	}
	type severity struct {
		Method string `json:"method"`
		Score  string `json:"score"`
	}
	type result struct {
		ID          string           `json:"id"`
		Severity    []severity       `json:"severity,omitempty"`
		Annotations []map[string]any `json:"annotations,omitempty"`
	}
	results := []result{}
	for _, f := range r.Findings {
		res := result{ID: f.ID}
		if f.Severity.Vector != "" {
			res.Severity = append(res.Severity, severity{Method: f.Severity.Vector, Score: strconv.FormatFloat(f.Severity.Score, 'f', -1, 64)})
		} else if f.Severity.Level != "" {
			res.Severity = append(res.Severity, severity{Method: "level", Score: f.Severity.Level})
		}
		ann := map[string]any{"package": f.Package}
		if len(f.Aliases) > 0 {
			ann["aliases"] = f.Aliases
		}
		if f.Status != "" {
			ann["status"] = f.Status
		}
		res.Annotations = []map[string]any{ann}
		results = append(results, res)
	}
	db := map[string]any{}
	var last time.Time
	for _, d := range r.Database {
		if d.FetchedAt.After(last) {
			last = d.FetchedAt
			db["uri"] = d.Source
		}
	}
	if !last.IsZero() {
		db["lastUpdate"] = last.UTC().Format(time.RFC3339)
	}
	pred := map[string]any{
		"scanner": map[string]any{
			"uri":     "https://github.com/hallmark-dev/hallmark",
			"version": scannerVersion,
			"db":      db,
			"result":  results,
		},
		"metadata": map[string]any{
			"scanStartedOn":  r.Created.UTC().Format(time.RFC3339),
			"scanFinishedOn": r.Created.UTC().Format(time.RFC3339),
		},
	}
	return json.Marshal(pred)
}
