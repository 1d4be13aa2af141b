package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/version"
)

func (s *Server) routes() {
	m := http.NewServeMux()
	s.mux = m
	v, u, a := store.RoleViewer, store.RoleUploader, store.RoleAdmin
	m.HandleFunc("GET /api/v1/health", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	m.HandleFunc("POST /api/v1/products/{product}/releases/{version}", s.require(u, s.apiUpload))
	m.HandleFunc("GET /api/v1/products", s.require(v, s.apiProducts))
	m.HandleFunc("GET /api/v1/products/{product}/releases", s.require(v, s.apiReleases))
	m.HandleFunc("GET /api/v1/releases/{id}", s.require(v, s.apiRelease))
	m.HandleFunc("GET /api/v1/releases/{id}/findings", s.require(v, s.apiFindings))
	m.HandleFunc("GET /api/v1/releases/{id}/sbom", s.require(v, s.apiSBOM))
	m.HandleFunc("POST /api/v1/releases/{id}/vex", s.require(u, s.apiTriage))
	m.HandleFunc("GET /api/v1/affected", s.require(v, s.apiAffected))
	m.HandleFunc("GET /api/v1/components", s.require(v, s.apiComponents))
	m.HandleFunc("POST /api/v1/tokens", s.require(a, s.apiToken))
	m.HandleFunc("GET /api/v1/tokens", s.require(a, s.apiTokens))
	m.HandleFunc("DELETE /api/v1/tokens/{id}", s.require(a, s.apiRevokeToken))
	m.HandleFunc("POST /api/v1/webhooks", s.require(a, s.apiWebhook))
	m.HandleFunc("GET /api/v1/webhooks", s.require(a, s.apiWebhooks))
	m.HandleFunc("DELETE /api/v1/webhooks/{id}", s.require(a, s.apiDeleteWebhook))
	m.HandleFunc("GET /api/v1/webhooks/deliveries", s.require(a, s.apiDeliveries))
	m.HandleFunc("POST /api/v1/rematch", s.require(a, s.apiRematch))
	m.HandleFunc("GET /api/v1/jobs", s.require(a, s.apiJobs))
	m.HandleFunc("GET /api/v1/jobs/{id}", s.require(a, s.apiJob))
	s.dtRoutes(m)
	s.exportRoutes(m)
	s.uiRoutes(m)
}

// readUpload reads an upload: the SBOM as the body (JSON), or multipart
// with parts sbom, vex and manifest.
func readUpload(r *http.Request) (sbomDoc, vexDoc, manifest []byte, err error) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if !strings.HasPrefix(mt, "multipart/") {
		b, err := io.ReadAll(r.Body)
		return b, nil, nil, err
	}
	mr, err := r.MultipartReader()
	if err != nil || params["boundary"] == "" {
		return nil, nil, nil, fmt.Errorf("%w: malformed multipart body", ErrBadInput)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%w: multipart: %v", ErrBadInput, err)
		}
		b, err := io.ReadAll(io.LimitReader(part, limits.ServerSBOMBytes+1))
		if err != nil {
			return nil, nil, nil, err
		}
		switch part.FormName() {
		case "sbom", "bom":
			sbomDoc = b
		case "vex":
			vexDoc = b
		case "manifest":
			manifest = b
		}
	}
	if sbomDoc == nil {
		return nil, nil, nil, fmt.Errorf("%w: no sbom part", ErrBadInput)
	}
	return sbomDoc, vexDoc, manifest, nil
}

func (s *Server) apiUpload(w http.ResponseWriter, r *http.Request) {
	p := who(r)
	name := r.PathValue("product")
	if err := s.mayUpload(r, name); err != nil {
		s.fail(w, err)
		return
	}
	sb, vx, man, err := readUpload(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	rel, err := s.Ingest(r.Context(), Upload{Product: name, Version: r.PathValue("version"), TeamID: p.TeamID,
		AutoCreate: r.URL.Query().Get("autoCreate") != "false", SBOM: sb, VEX: vx, Manifest: man})
	if err != nil {
		s.fail(w, err)
		return
	}
	open, _ := s.st.Findings(r.Context(), rel.ID, true)
	writeJSON(w, http.StatusCreated, map[string]any{"release": rel, "openFindings": len(open)})
}

func (s *Server) visibleProducts(r *http.Request) ([]store.Product, error) {
	all, err := s.st.Products(r.Context())
	if err != nil {
		return nil, err
	}
	out := []store.Product{}
	for _, p := range all {
		if who(r).canProduct(p.TeamID) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *Server) apiProducts(w http.ResponseWriter, r *http.Request) {
	ps, err := s.visibleProducts(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, 200, ps)
}

func (s *Server) apiReleases(w http.ResponseWriter, r *http.Request) {
	p, err := s.productFor(r, r.PathValue("product"))
	if err != nil {
		s.fail(w, err)
		return
	}
	rs, err := s.st.Releases(r.Context(), p.ID)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, 200, orEmpty(rs))
}

func (s *Server) apiRelease(w http.ResponseWriter, r *http.Request) {
	rel, err := s.releaseFor(r, r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, 200, rel)
}

// apiSBOM answers the SBOM a release was uploaded with, as it came.
func (s *Server) apiSBOM(w http.ResponseWriter, r *http.Request) {
	rel, err := s.releaseFor(r, r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	b, format, err := s.st.SBOM(r.Context(), rel.ID)
	if err != nil {
		s.fail(w, err)
		return
	}
	ct, ext := "application/vnd.cyclonedx+json", ".cdx.json"
	if format == "spdx" {
		ct, ext = "application/spdx+json", ".spdx.json"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": rel.Product + "-" + rel.Version + ext}))
	w.Write(b)
}

func (s *Server) apiFindings(w http.ResponseWriter, r *http.Request) {
	rel, err := s.releaseFor(r, r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	fs, err := s.st.Findings(r.Context(), rel.ID, r.URL.Query().Get("open") == "true")
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, 200, orEmpty(fs))
}

// Triage is a VEX statement made through the API or the UI.
type Triage struct {
	Vulnerability string `json:"vulnerability"`
	Package       string `json:"package"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
	Detail        string `json:"detail,omitempty"`
	FixedIn       string `json:"fixedIn,omitempty"`
}

// Justifications OpenVEX and CycloneDX accept for not_affected.
var justifications = map[string]bool{
	"component_not_present": true, "vulnerable_code_not_present": true, "vulnerable_code_not_in_execute_path": true,
	"vulnerable_code_cannot_be_controlled_by_adversary": true, "inline_mitigations_already_exist": true,
}

func (t Triage) validate() error {
	switch match.Status(t.Status) {
	case match.StatusAffected, match.StatusUnderInvestigation, match.StatusFixed:
	case match.StatusNotAffected:
		if !justifications[t.Justification] {
			return fmt.Errorf("%w: not_affected needs a justification: component_not_present, vulnerable_code_not_present, vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist", ErrBadInput)
		}
	default:
		return fmt.Errorf("%w: status %q: affected, not_affected, under_investigation or fixed", ErrBadInput, t.Status)
	}
	if t.Vulnerability == "" || t.Package == "" {
		return fmt.Errorf("%w: vulnerability and package are required", ErrBadInput)
	}
	if len(t.Detail) > 4000 {
		return fmt.Errorf("%w: detail longer than 4000 characters", ErrBadInput)
	}
	return nil
}

func (s *Server) triage(r *http.Request, releaseID string, t Triage) error {
	if err := t.validate(); err != nil {
		return err
	}
	rel, err := s.releaseFor(r, releaseID)
	if err != nil {
		return err
	}
	fs, err := s.st.Findings(r.Context(), rel.ID, false)
	if err != nil {
		return err
	}
	found := false
	for _, f := range fs {
		if f.VulnID == t.Vulnerability && f.Package == t.Package {
			found = true
		}
	}
	if !found {
		return fmt.Errorf("%w: release has no finding %s in %s", store.ErrNotFound, t.Vulnerability, t.Package)
	}
	return s.st.AddVEX(r.Context(), store.VEX{ReleaseID: rel.ID, VulnID: t.Vulnerability, Package: t.Package, Status: t.Status,
		Justification: t.Justification, Detail: t.Detail, FixedIn: t.FixedIn, Author: who(r).Name, At: s.now()})
}

func (s *Server) apiTriage(w http.ResponseWriter, r *http.Request) {
	var t Triage
	if err := json.NewDecoder(io.LimitReader(r.Body, limits.ServerJSONBytes)).Decode(&t); err != nil {
		apiError(w, 400, "bad_input", "body: "+err.Error())
		return
	}
	if err := s.triage(r, r.PathValue("id"), t); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, 201, map[string]string{"status": "recorded"})
}

// AffectedAnswer is GET /api/v1/affected's answer.
type AffectedAnswer struct {
	ID       string                `json:"id"`
	Releases []AffectedReleaseJSON `json:"releases"`
}

// AffectedReleaseJSON is one affected release.
type AffectedReleaseJSON struct {
	Product  string        `json:"product"`
	Version  string        `json:"version"`
	Release  string        `json:"release"`
	Findings []FindingJSON `json:"findings"`
}

// FindingJSON is a finding as the API shows it.
type FindingJSON struct {
	Package   string   `json:"package"`
	ID        string   `json:"id"`
	Aliases   []string `json:"aliases,omitempty"`
	Severity  string   `json:"severity"`
	Fixed     []string `json:"fixed,omitempty"`
	FirstSeen string   `json:"firstSeen"`
	VEX       string   `json:"vexStatus"`
}

func (s *Server) apiAffected(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	if id == "" || len(id) > 200 {
		apiError(w, 400, "bad_input", "id is required: an advisory id or alias (GHSA-..., CVE-...)")
		return
	}
	rs, err := s.affected(r, id)
	if err != nil {
		s.fail(w, err)
		return
	}
	ans := AffectedAnswer{ID: id, Releases: rs}
	writeJSON(w, 200, ans)
}

// affected lists the releases the caller may see that are affected by id.
func (s *Server) affected(r *http.Request, id string) ([]AffectedReleaseJSON, error) {
	rs, err := s.st.Affected(r.Context(), id)
	if err != nil {
		return nil, err
	}
	out := []AffectedReleaseJSON{}
	for _, a := range rs {
		if !who(r).canProduct(a.TeamID) {
			continue
		}
		ar := AffectedReleaseJSON{Product: a.Product, Version: a.Version, Release: a.ID}
		for _, f := range a.Findings {
			ar.Findings = append(ar.Findings, findingJSON(f))
		}
		out = append(out, ar)
	}
	return out, nil
}

func findingJSON(f store.StoredFinding) FindingJSON {
	st := f.VEX.Status
	if st == "" {
		st = "affected"
	}
	return FindingJSON{Package: f.Package, ID: f.VulnID, Aliases: f.Aliases, Severity: f.Severity, Fixed: f.Fixed,
		FirstSeen: f.FirstSeen.Format("2006-01-02T15:04:05Z"), VEX: st}
}

func (s *Server) apiComponents(w http.ResponseWriter, r *http.Request) {
	arg := r.URL.Query().Get("purl")
	if !strings.HasPrefix(arg, "pkg:") || len(arg) > 2000 {
		apiError(w, 400, "bad_input", "purl is required: pkg:TYPE/NAMESPACE/NAME[@VERSION]; without a version, any version")
		return
	}
	base, at := store.PURLBase(arg), ""
	if rest := strings.TrimPrefix(arg, base); strings.HasPrefix(rest, "@") {
		at = strings.TrimPrefix(rest, "@")
		if i := strings.IndexAny(at, "?#"); i >= 0 {
			at = at[:i]
		}
	}
	var within *version.Vers
	var eco string
	if rs := r.URL.Query().Get("range"); rs != "" {
		if at != "" {
			apiError(w, 400, "bad_input", "give a version in the purl or a range, not both")
			return
		}
		p, err := purl.Parse(base)
		if err != nil {
			apiError(w, 400, "bad_input", err.Error())
			return
		}
		if eco = rangeEcosystem(p); eco == "" {
			apiError(w, 400, "bad_input", "no version ordering for purl type "+p.Type)
			return
		}
		if within, err = version.ParseVers(rs, eco); err != nil {
			apiError(w, 400, "bad_input", "range: "+err.Error()+" (want vers:"+p.Type+"/>=1.0.0|<1.2.3)")
			return
		}
		if within.Scheme != p.Type && !(p.Type == "apk" && within.Scheme == "alpine") {
			apiError(w, 400, "bad_input", "range: vers:"+within.Scheme+" does not order "+p.Type+" versions (want vers:"+p.Type+"/...)")
			return
		}
	}
	hits, err := s.st.ReleasesWithPackage(r.Context(), base, at)
	if err != nil {
		s.fail(w, err)
		return
	}
	type hit struct {
		Product string `json:"product"`
		Release string `json:"release"`
		Version string `json:"version"`
		PURL    string `json:"purl"`
	}
	out := []hit{}
	for _, h := range hits {
		if !who(r).canProduct(h.TeamID) {
			continue
		}
		if within != nil {
			// A version its ecosystem cannot parse is in no range.
			v, err := version.Parse(eco, h.Version)
			if err != nil || !within.Contains(v) {
				continue
			}
		}
		out = append(out, hit{h.Product, h.ID, h.Release.Version, h.PURL})
	}
	answer := map[string]any{"purl": arg, "releases": out}
	if within != nil {
		answer["range"] = r.URL.Query().Get("range")
	}
	writeJSON(w, 200, answer)
}

// rangeEcosystem names the version ordering of a purl's versions, for
// ranges: the ecosystem purl.Parse finds (an OS package's from its
// distribution), else, for an OS package of a distribution without an OSV
// ecosystem, its packaging family's.
func rangeEcosystem(p purl.Parsed) string {
	e := string(p.Ecosystem)
	if e == "" {
		e = map[string]string{"deb": "Debian", "rpm": "Red Hat", "apk": "Alpine"}[p.Type]
	}
	if e == "" || !version.Supported(e) {
		return ""
	}
	return e
}

func (s *Server) apiToken(w http.ResponseWriter, r *http.Request) {
	var in struct{ Name, Role, Team string }
	if err := json.NewDecoder(io.LimitReader(r.Body, limits.ServerJSONBytes)).Decode(&in); err != nil || in.Name == "" {
		apiError(w, 400, "bad_input", "body: {\"name\": ..., \"role\": admin|uploader|viewer, \"team\": ...}")
		return
	}
	team := ""
	if in.Team != "" {
		t, err := s.st.EnsureTeam(r.Context(), in.Team)
		if err != nil {
			s.fail(w, err)
			return
		}
		team = t.ID
	}
	plain, t, err := s.st.CreateToken(r.Context(), in.Name, in.Role, team)
	if err != nil {
		apiError(w, 400, "bad_input", err.Error())
		return
	}
	writeJSON(w, 201, map[string]string{"id": t.ID, "token": plain, "note": "shown once; only its hash is stored"})
}

// TokenInfo is an API token as the API lists it: never its secret.
type TokenInfo struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Team    string    `json:"team,omitempty"`
	Created time.Time `json:"created"`
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.st.Tokens(r.Context())
	if err != nil {
		s.fail(w, err)
		return
	}
	out := []TokenInfo{}
	for _, t := range ts {
		out = append(out, TokenInfo{ID: t.ID, Name: t.Name, Role: t.Role, Team: t.Team, Created: t.Created})
	}
	writeJSON(w, 200, out)
}

// apiRevokeToken deletes a token: its API calls fail from now on, and the
// browser sessions opened with it are deleted with it.
func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.st.RevokeToken(r.Context(), id); errors.Is(err, store.ErrLastAdmin) {
		apiError(w, http.StatusConflict, "last_admin", err.Error())
		return
	} else if err != nil {
		s.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiRematch queues a full re-match job (one of the replicas runs it):
// 202 with the job, to follow at /api/v1/jobs/{id}.
func (s *Server) apiRematch(w http.ResponseWriter, r *http.Request) {
	id, err := s.EnqueueRematch(r.Context(), true)
	if err != nil {
		s.fail(w, err)
		return
	}
	if id == "" {
		apiError(w, http.StatusConflict, "no_data", "no vulnerability data: import some with hallmark db update or db import")
		return
	}
	s.wakeUp()
	j, err := s.st.JobByID(r.Context(), id)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, jobJSON(j))
}

// JobInfo is a background job as the API shows it.
type JobInfo struct {
	ID       string          `json:"id"`
	Kind     string          `json:"kind"`
	State    string          `json:"state"`
	Attempts int             `json:"attempts"`
	Units    int             `json:"unitsDone"`
	Result   json.RawMessage `json:"result,omitempty"`
	Holder   string          `json:"holder,omitempty"`
	Created  time.Time       `json:"created"`
	Started  *time.Time      `json:"started,omitempty"`
	Finished *time.Time      `json:"finished,omitempty"`
}

func jobJSON(j *store.Job) JobInfo {
	out := JobInfo{ID: j.ID, Kind: j.Kind, State: j.State, Attempts: j.Attempts, Units: j.DoneUnits, Created: j.Created}
	if json.Valid([]byte(j.Result)) {
		out.Result = json.RawMessage(j.Result)
	} else if j.Result != "" {
		out.Result, _ = json.Marshal(j.Result)
	}
	if j.State == store.JobRunning {
		out.Holder = j.Owner
	}
	if !j.Started.IsZero() {
		out.Started = &j.Started
	}
	if !j.Finished.IsZero() {
		out.Finished = &j.Finished
	}
	return out
}

func (s *Server) apiJobs(w http.ResponseWriter, r *http.Request) {
	js, err := s.st.Jobs(r.Context(), 100)
	if err != nil {
		s.fail(w, err)
		return
	}
	out := []JobInfo{}
	for i := range js {
		out = append(out, jobJSON(&js[i]))
	}
	writeJSON(w, 200, out)
}

func (s *Server) apiJob(w http.ResponseWriter, r *http.Request) {
	j, err := s.st.JobByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, 200, jobJSON(j))
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
