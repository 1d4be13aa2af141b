package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/internal/match"
)

// OpenVEXContext is the OpenVEX version written.
const OpenVEXContext = "https://openvex.dev/ns/v0.2.0"

type openVEXDoc struct {
	Context    string             `json:"@context"`
	ID         string             `json:"@id"`
	Author     string             `json:"author"`
	Timestamp  string             `json:"timestamp"`
	Version    int                `json:"version"`
	Tooling    string             `json:"tooling,omitempty"`
	Statements []openVEXStatement `json:"statements"`
}

type openVEXStatement struct {
	Vulnerability   openVEXVuln      `json:"vulnerability"`
	Products        []openVEXProduct `json:"products"`
	Status          string           `json:"status"`
	Justification   string           `json:"justification,omitempty"`
	ImpactStatement string           `json:"impact_statement,omitempty"`
	ActionStatement string           `json:"action_statement,omitempty"`
	StatusNotes     string           `json:"status_notes,omitempty"`
}

type openVEXVuln struct {
	ID          string   `json:"@id,omitempty"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Aliases     []string `json:"aliases,omitempty"`
}

type openVEXProduct struct {
	ID          string            `json:"@id"`
	Identifiers map[string]string `json:"identifiers,omitempty"`
}

// openVEXJustifications are the justification labels OpenVEX defines;
// CycloneDX justifications are carried in impact_statement instead.
var openVEXJustifications = map[string]bool{
	"component_not_present":                             true,
	"vulnerable_code_not_present":                       true,
	"vulnerable_code_not_in_execute_path":               true,
	"vulnerable_code_cannot_be_controlled_by_adversary": true,
	"inline_mitigations_already_exist":                  true,
}

// OpenVEX writes one OpenVEX v0.2.0 statement per finding
// (https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md): affected
// findings with the upgrade as action statement, and findings a VEX input
// changed with their status and justification. The document id is derived
// from its content, so the same scan gives the same document.
func OpenVEX(w io.Writer, res *match.Result, author string, created time.Time) error {
	doc := openVEXDoc{Context: OpenVEXContext, Author: author, Timestamp: created.UTC().Format(time.RFC3339),
		Version: 1, Tooling: "hallmark", Statements: []openVEXStatement{}}
	for _, f := range res.Findings {
		p := res.Document.Package(f.PackageID)
		prod := openVEXProduct{ID: p.ID}
		if p.PURL != "" {
			prod.Identifiers = map[string]string{"purl": p.PURL}
		}
		st := openVEXStatement{
			Vulnerability: openVEXVuln{ID: "https://osv.dev/vulnerability/" + f.ID, Name: f.ID, Description: f.Summary, Aliases: f.Aliases},
			Products:      []openVEXProduct{prod},
			Status:        string(f.Status),
		}
		if st.Status == "" {
			st.Status = string(match.StatusAffected)
		}
		switch match.Status(st.Status) {
		case match.StatusAffected:
			if up := res.UpgradeFor(&f); up != "" {
				st.ActionStatement = "Upgrade " + p.Name + " to " + up + " or later."
			} else if f.Kind == match.Malicious {
				st.ActionStatement = "Remove " + p.Name + ": it is a known malicious package."
			} else {
				st.ActionStatement = "No fixed version is known; assess the impact and mitigate."
			}
		case match.StatusNotAffected:
			if openVEXJustifications[f.Justification] {
				st.Justification = f.Justification
				st.ImpactStatement = f.StatusDetail
			} else {
				st.ImpactStatement = strings.TrimSpace(f.Justification + " " + f.StatusDetail)
			}
		default:
			st.StatusNotes = f.StatusDetail
		}
		doc.Statements = append(doc.Statements, st)
	}
	body, err := json.Marshal(doc.Statements)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(append([]byte(res.Document.Source+"\x00"+doc.Timestamp+"\x00"), body...))
	doc.ID = "https://openvex.dev/docs/hallmark/vex-" + hex.EncodeToString(sum[:16])
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
