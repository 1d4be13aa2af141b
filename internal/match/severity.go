package match

import (
	"encoding/json"
	"math"
	"strings"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/hallmark-dev/hallmark/internal/osv"
)

// Level is a qualitative severity. The zero value is unknown.
type Level int

// Levels, ordered.
const (
	Unknown Level = iota
	Low
	Medium
	High
	Critical
)

var levelNames = [...]string{"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return "UNKNOWN"
	}
	return levelNames[l]
}

// MarshalText writes the level's name.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// ParseLevel reads a level name as GHSA's database_specific.severity and
// CVSS ratings spell them ("MODERATE" is MEDIUM). ok is false for anything
// else (including "NONE").
func ParseLevel(s string) (Level, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "CRITICAL":
		return Critical, true
	case "HIGH":
		return High, true
	case "MEDIUM", "MODERATE":
		return Medium, true
	case "LOW":
		return Low, true
	}
	return Unknown, false
}

// LevelOfScore maps a CVSS base score to its rating (CVSS v3.1 and v4.0
// specifications, "Qualitative Severity Rating Scale"). 0.0 ("None") is
// reported as Low: an advisory still exists.
func LevelOfScore(score float64) Level {
	switch {
	case score >= 9.0:
		return Critical
	case score >= 7.0:
		return High
	case score >= 4.0:
		return Medium
	default:
		return Low
	}
}

// Severity is the severity of an advisory or finding.
type Severity struct {
	Level Level `json:"level"`
	// Score is the CVSS base score, 0 when no vector was given.
	Score float64 `json:"score,omitempty"`
	// Vector is the CVSS vector the score comes from.
	Vector string `json:"vector,omitempty"`
	// Source says where the severity comes from: "CVSS_V4", "CVSS_V3",
	// "database_specific", or "" when unknown.
	Source string `json:"source,omitempty"`
}

// cvssScore computes the base score of a CVSS v3.0, v3.1 or v4.0 vector
// with github.com/pandatix/go-cvss.
func cvssScore(typ, vector string) (float64, bool) {
	switch {
	case typ == osv.SeverityCVSSv4 || strings.HasPrefix(vector, "CVSS:4.0/"):
		v, err := gocvss40.ParseVector(vector)
		if err != nil {
			return 0, false
		}
		return v.Score(), true
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		v, err := gocvss31.ParseVector(vector)
		if err != nil {
			return 0, false
		}
		return v.BaseScore(), true
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		v, err := gocvss30.ParseVector(vector)
		if err != nil {
			return 0, false
		}
		return v.BaseScore(), true
	}
	return 0, false
}

// severityOf computes an advisory's severity for one package: the
// affected entry's own severity first, then the record's; CVSS v4.0 is
// preferred to v3.x; database_specific.severity (GHSA's rating) is used
// when no vector parses.
func severityOf(e *osv.Entry, aff []osv.Affected) Severity {
	var lists [][]osv.Severity
	for _, a := range aff {
		if len(a.Severity) > 0 {
			lists = append(lists, a.Severity)
		}
	}
	lists = append(lists, e.Severity)
	for _, want := range []string{osv.SeverityCVSSv4, osv.SeverityCVSSv3} {
		for _, l := range lists {
			for _, s := range l {
				if s.Type != want {
					continue
				}
				if score, ok := cvssScore(s.Type, s.Score); ok {
					score = math.Round(score*10) / 10
					return Severity{Level: LevelOfScore(score), Score: score, Vector: s.Score, Source: s.Type}
				}
			}
		}
	}
	for _, raw := range append(affDBSpecific(aff), e.DatabaseSpecific) {
		var ds struct {
			Severity any `json:"severity"`
		}
		if len(raw) == 0 || json.Unmarshal(raw, &ds) != nil {
			continue
		}
		if s, ok := ds.Severity.(string); ok {
			if l, ok := ParseLevel(s); ok {
				return Severity{Level: l, Source: "database_specific"}
			}
		}
	}
	return Severity{}
}

func affDBSpecific(aff []osv.Affected) []json.RawMessage {
	var out []json.RawMessage
	for _, a := range aff {
		out = append(out, a.DatabaseSpecific)
	}
	return out
}
