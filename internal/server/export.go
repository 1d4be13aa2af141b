package server

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/hallmark-dev/hallmark/internal/diff"
	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/report"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/vex"
)

func (s *Server) exportRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /api/v1/releases/{id}/vex", s.require(store.RoleViewer, s.apiExportVEX))
	m.HandleFunc("GET /api/v1/products/{product}/diff", s.require(store.RoleViewer, s.apiDiff))
	m.HandleFunc("GET /api/v1/products/{product}/advisories/{path...}", s.require(store.RoleViewer, s.apiAdvisories))
}

// releaseResult re-reads a stored release and matches it with the current
// data, its triage applied as VEX: what a customer-facing VEX says today.
func (s *Server) releaseResult(r *http.Request, rel *store.Release) (*match.Result, error) {
	b, _, err := s.st.SBOM(r.Context(), rel.ID)
	if err != nil {
		return nil, err
	}
	doc, _, err := decodeSBOM(b)
	if err != nil {
		return nil, err
	}
	db, _, err := s.vulns.current()
	if err != nil {
		return nil, err
	}
	doc.Normalize()
	if db == nil {
		return &match.Result{Document: doc, Upgrades: map[string]string{}}, nil
	}
	res, err := match.Match(doc, db)
	if err != nil {
		return nil, err
	}
	fs, err := s.st.Findings(r.Context(), rel.ID, false)
	if err != nil {
		return nil, err
	}
	var stmts []vex.Statement
	for _, f := range fs {
		if f.VEX.Status == "" {
			continue
		}
		stmts = append(stmts, vex.Statement{Vulnerability: f.VulnID, Aliases: f.Aliases, Products: []string{f.Package},
			Status: match.Status(f.VEX.Status), Justification: f.VEX.Justification, Detail: f.VEX.Detail, Source: "triage by " + f.VEX.Author})
	}
	if len(stmts) > 0 {
		vex.Apply(res, stmts)
	}
	return res, nil
}

// apiExportVEX: ?format=openvex (default), cyclonedx or csaf; with csaf,
// &bundle=true answers the Sigstore bundle of the same document instead
// (the document is the same bytes until the release's findings or triage
// change).
func (s *Server) apiExportVEX(w http.ResponseWriter, r *http.Request) {
	rel, err := s.releaseFor(r, r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	if r.URL.Query().Get("format") == "csaf" {
		s.apiExportCSAF(w, r, rel)
		return
	}
	res, err := s.releaseResult(r, rel)
	if err != nil {
		s.fail(w, err)
		return
	}
	var b bytes.Buffer
	switch r.URL.Query().Get("format") {
	case "", "openvex":
		err = report.OpenVEX(&b, res, "hallmark serve: "+rel.Product, s.now())
	case "cyclonedx":
		err = report.CycloneDXVEX(&b, res, "1.6")
	default:
		apiError(w, 400, "bad_input", "format: openvex, cyclonedx or csaf")
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b.Bytes())
}

func (s *Server) apiExportCSAF(w http.ResponseWriter, r *http.Request, rel *store.Release) {
	doc, bundle, err := s.CSAF(r.Context(), r, rel)
	switch {
	case errors.Is(err, vex.ErrNoVulnerabilities):
		apiError(w, http.StatusNotFound, "no_vulnerabilities", "release "+rel.Product+" "+rel.Version+" has no open finding: a CSAF VEX document needs at least one vulnerability")
		return
	case err != nil:
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Query().Get("bundle") == "true" {
		if bundle == nil {
			apiError(w, http.StatusNotFound, "unsigned", "no signing key is configured (hallmark serve --signing-key)")
			return
		}
		w.Write(bundle)
		return
	}
	w.Write(doc)
}

// apiDiff: ?from=VERSION&to=VERSION of one product.
func (s *Server) apiDiff(w http.ResponseWriter, r *http.Request) {
	p, err := s.productFor(r, r.PathValue("product"))
	if err != nil {
		s.fail(w, err)
		return
	}
	var res [2]*match.Result
	for i, v := range []string{r.URL.Query().Get("from"), r.URL.Query().Get("to")} {
		rel, err := s.st.ReleaseByVersion(r.Context(), p.ID, v)
		if err != nil {
			s.fail(w, err)
			return
		}
		if res[i], err = s.releaseResult(r, rel); err != nil {
			s.fail(w, err)
			return
		}
	}
	writeJSON(w, 200, diff.Compare(res[0].Document, res[1].Document, res[0], res[1]))
}
