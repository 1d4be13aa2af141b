package server

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/store"
)

// The Dependency-Track compatible API (https://docs.dependencytrack.org/
// integrations/rest-api/): the subset CI integrations and the
// @dependency-track/bom client use, answered in Dependency-Track's JSON
// shape. A DT "project" is a hallmark release (product = project name,
// release version = project version); its uuid is the release id.
func (s *Server) dtRoutes(m *http.ServeMux) {
	v, u := store.RoleViewer, store.RoleUploader
	m.HandleFunc("PUT /api/v1/bom", s.require(u, s.dtUpload))
	m.HandleFunc("POST /api/v1/bom", s.require(u, s.dtUpload))
	m.HandleFunc("GET /api/v1/bom/token/{token}", s.require(v, s.dtToken))
	m.HandleFunc("GET /api/v1/event/token/{token}", s.require(v, s.dtToken))
	m.HandleFunc("GET /api/v1/project", s.require(v, s.dtProjects))
	m.HandleFunc("GET /api/v1/project/lookup", s.require(v, s.dtLookup))
	m.HandleFunc("GET /api/v1/project/{uuid}", s.require(v, s.dtProject))
	m.HandleFunc("DELETE /api/v1/project/{uuid}", s.require(u, s.dtDelete))
	m.HandleFunc("GET /api/v1/finding/project/{uuid}", s.require(v, s.dtFindings))
	m.HandleFunc("GET /api/v1/metrics/project/{uuid}/current", s.require(v, s.dtMetrics))
}

// dtUpload: JSON {"projectName", "projectVersion", "autoCreate", "bom":
// base64} (PUT), or multipart with the same fields (POST).
func (s *Server) dtUpload(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Project        string `json:"project"`
		ProjectName    string `json:"projectName"`
		ProjectVersion string `json:"projectVersion"`
		AutoCreate     bool   `json:"autoCreate"`
		BOM            string `json:"bom"`
	}
	var bom []byte
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") {
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			s.fail(w, err)
			return
		}
		in.ProjectName, in.ProjectVersion = r.FormValue("projectName"), r.FormValue("projectVersion")
		in.AutoCreate = r.FormValue("autoCreate") == "true"
		in.Project = r.FormValue("project")
		if f, _, err := r.FormFile("bom"); err == nil {
			bom, err = io.ReadAll(f)
			f.Close()
			if err != nil {
				s.fail(w, err)
				return
			}
		} else {
			bom = []byte(r.FormValue("bom"))
		}
	} else {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			apiError(w, 400, "bad_input", "body: "+err.Error())
			return
		}
		b, err := base64.StdEncoding.DecodeString(in.BOM)
		if err != nil {
			apiError(w, 400, "bad_input", "bom: not base64")
			return
		}
		bom = b
	}
	if in.ProjectName == "" && in.Project != "" {
		rel, err := s.releaseFor(r, in.Project)
		if err != nil {
			s.fail(w, err)
			return
		}
		in.ProjectName, in.ProjectVersion = rel.Product, rel.Version
	}
	if err := s.mayUpload(r, in.ProjectName); err != nil {
		s.fail(w, err)
		return
	}
	rel, err := s.Ingest(r.Context(), Upload{Product: in.ProjectName, Version: in.ProjectVersion, TeamID: who(r).TeamID, AutoCreate: in.AutoCreate, SBOM: bom})
	if errors.Is(err, store.ErrNotFound) {
		apiError(w, 404, "not_found", "the project does not exist (set autoCreate)")
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	tok, err := s.st.BOMToken(r.Context(), rel.ID)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, 200, map[string]string{"token": tok})
}

// dtToken: hallmark processes an upload before answering it, so a known
// token is never still processing.
func (s *Server) dtToken(w http.ResponseWriter, r *http.Request) {
	ok, err := s.st.BOMTokenKnown(r.Context(), r.PathValue("token"))
	if err != nil {
		s.fail(w, err)
		return
	}
	if !ok {
		apiError(w, 404, "not_found", "unknown token")
		return
	}
	writeJSON(w, 200, map[string]bool{"processing": false})
}

// dtProjectJSON is a Dependency-Track Project (the fields served).
type dtProjectJSON struct {
	UUID          string `json:"uuid"`
	Name          string `json:"name"`
	Version       string `json:"version"`
	Classifier    string `json:"classifier"`
	Active        bool   `json:"active"`
	LastBomImport int64  `json:"lastBomImport"`
}

func projectJSON(rel store.Release) dtProjectJSON {
	return dtProjectJSON{UUID: rel.ID, Name: rel.Product, Version: rel.Version, Classifier: "APPLICATION", Active: true, LastBomImport: rel.Created.UnixMilli()}
}

func (s *Server) dtProjects(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	ps, err := s.visibleProducts(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	out := []dtProjectJSON{}
	for _, p := range ps {
		if name != "" && p.Name != name {
			continue
		}
		rs, err := s.st.Releases(r.Context(), p.ID)
		if err != nil {
			s.fail(w, err)
			return
		}
		for _, rel := range rs {
			out = append(out, projectJSON(rel))
		}
	}
	writeJSON(w, 200, out)
}

func (s *Server) dtLookup(w http.ResponseWriter, r *http.Request) {
	p, err := s.productFor(r, r.URL.Query().Get("name"))
	if err != nil {
		s.fail(w, err)
		return
	}
	rel, err := s.st.ReleaseByVersion(r.Context(), p.ID, r.URL.Query().Get("version"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, 200, projectJSON(*rel))
}

func (s *Server) dtProject(w http.ResponseWriter, r *http.Request) {
	rel, err := s.releaseFor(r, r.PathValue("uuid"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, 200, projectJSON(*rel))
}

// dtDelete removes a release (a DT project is one version).
func (s *Server) dtDelete(w http.ResponseWriter, r *http.Request) {
	rel, err := s.releaseFor(r, r.PathValue("uuid"))
	if err != nil {
		s.fail(w, err)
		return
	}
	if err := s.st.DeleteRelease(r.Context(), rel.ID); err != nil {
		s.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func dtSeverity(s string) string {
	switch strings.ToUpper(s) {
	case "CRITICAL", "HIGH", "MEDIUM", "LOW":
		return strings.ToUpper(s)
	}
	return "UNASSIGNED"
}

func (s *Server) dtFindings(w http.ResponseWriter, r *http.Request) {
	rel, err := s.releaseFor(r, r.PathValue("uuid"))
	if err != nil {
		s.fail(w, err)
		return
	}
	fs, err := s.st.Findings(r.Context(), rel.ID, false)
	if err != nil {
		s.fail(w, err)
		return
	}
	out := []map[string]any{}
	for _, f := range fs {
		if f.Resolved != nil {
			continue
		}
		suppressed := f.VEX.Closes()
		state := map[string]string{"": "NOT_SET", "under_investigation": "IN_TRIAGE", "affected": "EXPLOITABLE", "not_affected": "NOT_AFFECTED", "fixed": "RESOLVED"}[f.VEX.Status]
		var aliases []map[string]string
		for _, a := range f.Aliases {
			if strings.HasPrefix(a, "CVE-") {
				aliases = append(aliases, map[string]string{"cveId": a})
			}
		}
		name, version := purlNameVersion(f.Package)
		out = append(out, map[string]any{
			"component": map[string]any{"uuid": f.Package, "name": name, "version": version, "purl": f.Package, "project": rel.ID},
			"vulnerability": map[string]any{"uuid": f.VulnID, "vulnId": f.VulnID, "source": sourceOf(f.VulnID), "severity": dtSeverity(f.Severity),
				"cvssV3BaseScore": f.Score, "title": f.Summary, "description": f.Summary, "aliases": aliases, "patchedVersions": strings.Join(f.Fixed, ", ")},
			"analysis":    map[string]any{"state": state, "isSuppressed": suppressed},
			"attribution": map[string]any{"analyzerIdentity": "INTERNAL_ANALYZER", "attributedOn": f.FirstSeen.UnixMilli()},
			"matrix":      rel.ID + ":" + f.Package + ":" + f.VulnID,
		})
	}
	writeJSON(w, 200, out)
}

func (s *Server) dtMetrics(w http.ResponseWriter, r *http.Request) {
	rel, err := s.releaseFor(r, r.PathValue("uuid"))
	if err != nil {
		s.fail(w, err)
		return
	}
	fs, err := s.st.Findings(r.Context(), rel.ID, false)
	if err != nil {
		s.fail(w, err)
		return
	}
	m := map[string]int{"critical": 0, "high": 0, "medium": 0, "low": 0, "unassigned": 0}
	vulnComps := map[string]bool{}
	total, suppressed, audited := 0, 0, 0
	for _, f := range fs {
		if f.Resolved != nil {
			continue
		}
		if f.VEX.Closes() {
			suppressed++
			audited++
			continue
		}
		if f.VEX.Status != "" {
			audited++
		}
		total++
		vulnComps[f.Package] = true
		m[strings.ToLower(dtSeverity(f.Severity))]++
	}
	score := 10*m["critical"] + 5*m["high"] + 3*m["medium"] + 1*m["low"] + 5*m["unassigned"]
	writeJSON(w, 200, map[string]any{
		"critical": m["critical"], "high": m["high"], "medium": m["medium"], "low": m["low"], "unassigned": m["unassigned"],
		"vulnerabilities": total, "vulnerableComponents": len(vulnComps), "components": rel.Components,
		"suppressed": suppressed, "findingsTotal": total, "findingsAudited": audited, "findingsUnaudited": total - min(audited, total),
		"inheritedRiskScore": score, "policyViolationsTotal": 0,
		"firstOccurrence": rel.Created.UnixMilli(), "lastOccurrence": s.now().UnixMilli(),
	})
}

func sourceOf(id string) string {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return "NVD"
	case strings.HasPrefix(id, "GHSA-"):
		return "GITHUB"
	}
	return "OSV"
}

// purlNameVersion splits pkg:type/ns/name@version into name and version.
func purlNameVersion(purl string) (string, string) {
	base := store.PURLBase(purl)
	name := base[strings.LastIndexByte(base, '/')+1:]
	v := strings.TrimPrefix(strings.TrimPrefix(purl, base), "@")
	if i := strings.IndexAny(v, "?#"); i >= 0 {
		v = v[:i]
	}
	return name, v
}
