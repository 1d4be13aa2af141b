package server

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/store"
)

//go:embed ui
var uiFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{"join": func(xs []string) string { return strings.Join(xs, ", ") }}).
	ParseFS(uiFS, "ui/templates.html"))

type page struct {
	Title, User, CSRF string
	Admin, Uploader   bool
	Error             string
	Data              any
}

func (s *Server) uiRoutes(m *http.ServeMux) {
	v, u := store.RoleViewer, store.RoleUploader
	m.HandleFunc("GET /static/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		b, _ := uiFS.ReadFile("ui/style.css")
		w.Write(b)
	})
	m.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) { s.render(w, r, "login", "Log in", nil, "") })
	m.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limits.ServerFormBytes)
		if !s.limiter.allow(clientIP(r), s.now()) {
			apiError(w, http.StatusTooManyRequests, "rate_limited", "too many attempts")
			return
		}
		if r.ParseForm() != nil || !s.login(w, r, r.PostFormValue("token")) {
			s.renderStatus(w, r, http.StatusUnauthorized, "login", "Log in", nil, "That token is not valid.")
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	m.HandleFunc("POST /logout", s.require(v, func(w http.ResponseWriter, r *http.Request) {
		s.logout(w, r)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}))
	m.HandleFunc("GET /{$}", s.require(v, s.uiDashboard))
	m.HandleFunc("GET /products/{product}", s.require(v, s.uiProduct))
	m.HandleFunc("GET /releases/{id}", s.require(v, s.uiRelease))
	m.HandleFunc("POST /releases/{id}/triage", s.require(u, s.uiTriage))
	m.HandleFunc("GET /affected", s.require(v, s.uiAffected))
	m.HandleFunc("GET /notifications", s.require(store.RoleAdmin, s.uiNotifications))
	m.HandleFunc("GET /upload", s.require(u, func(w http.ResponseWriter, r *http.Request) { s.renderUpload(w, r, "") }))
	m.HandleFunc("POST /upload", s.require(u, s.uiUpload))
	m.HandleFunc("GET /releases/{id}/components", s.require(v, s.uiComponents))
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name, title string, data any, errMsg string) {
	s.renderStatus(w, r, http.StatusOK, name, title, data, errMsg)
}

// renderStatus renders a page with an HTTP status: its headers are set
// before the status is written, after which they could not be.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, errMsg string) {
	p := page{Title: title, Error: errMsg}
	if pr := who(r); pr != nil {
		p.User, p.CSRF, p.Admin, p.Uploader = pr.Name, pr.csrf, pr.can(store.RoleAdmin), pr.can(store.RoleUploader)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, merge(p, data)); err != nil {
		s.log.Error("render", "page", name, "err", err)
	}
}

// merge flattens the page fields and the page's own data for templates.
func merge(p page, data any) map[string]any {
	m := map[string]any{"Title": p.Title, "User": p.User, "CSRF": p.CSRF, "Admin": p.Admin, "Uploader": p.Uploader, "Error": p.Error}
	if d, ok := data.(map[string]any); ok {
		for k, v := range d {
			m[k] = v
		}
	}
	return m
}

type bar struct {
	Label, Color         string
	N, W, Y, TextY, NumX int
}

func (s *Server) uiDashboard(w http.ResponseWriter, r *http.Request) {
	ps, err := s.visibleProducts(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	sev := []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"}
	colors := map[string]string{"CRITICAL": "#a4001f", "HIGH": "#d1495b", "MEDIUM": "#edae49", "LOW": "#9ecae1", "UNKNOWN": "#bbbbbb"}
	ages := []struct {
		label string
		max   time.Duration
	}{{"< 7 days", 7 * 24 * time.Hour}, {"7–30 days", 30 * 24 * time.Hour}, {"> 30 days", 1 << 62}}
	counts := map[string]int{}
	total := 0
	visible := map[string]bool{}
	for _, p := range ps {
		visible[p.ID] = true
	}
	// One aggregate query, not one per release: the dashboard of a store
	// of 1,000 releases took 0.5 s.
	now := s.now()
	since := make([]time.Time, len(ages)-1)
	for i := range since {
		since[i] = now.Add(-ages[i].max)
	}
	cs, err := s.st.OpenFindingCounts(r.Context(), since)
	if err != nil {
		s.fail(w, err)
		return
	}
	for _, c := range cs {
		if visible[c.ProductID] && c.Band < len(ages) {
			counts[c.Severity+"|"+ages[c.Band].label] += c.N
			total += c.N
		}
	}
	var bars []bar
	maxN := 1
	for _, n := range counts {
		maxN = max(maxN, n)
	}
	y := 4
	for _, sv := range sev {
		for _, a := range ages {
			n := counts[sv+"|"+a.label]
			if n == 0 {
				continue
			}
			wd := max(2, n*330/maxN)
			bars = append(bars, bar{Label: strings.ToLower(sv) + ", " + a.label, Color: colors[sv], N: n, W: wd, Y: y, TextY: y + 14, NumX: 175 + wd})
			y += 24
		}
	}
	chart := map[string]any{"Bars": bars, "Height": max(y+4, 30)}
	s.render(w, r, "dashboard", "Dashboard", map[string]any{"Products": ps, "Chart": chart, "OpenTotal": total}, "")
}

func (s *Server) uiProduct(w http.ResponseWriter, r *http.Request) {
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
	type row struct {
		store.Release
		Open int
	}
	var rows []row
	for _, rel := range rs {
		fs, _ := s.st.Findings(r.Context(), rel.ID, true)
		rows = append(rows, row{rel, len(fs)})
	}
	s.render(w, r, "product", p.Name, map[string]any{"Product": p, "Releases": rows}, "")
}

func (s *Server) uiRelease(w http.ResponseWriter, r *http.Request) {
	rel, err := s.releaseFor(r, r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	fs, err := s.st.Findings(r.Context(), rel.ID, false)
	if err != nil {
		s.fail(w, err)
		return
	}
	var open, closed []store.StoredFinding
	for _, f := range fs {
		if f.Resolved != nil || f.VEX.Closes() {
			closed = append(closed, f)
		} else {
			open = append(open, f)
		}
	}
	vex, err := s.st.ReleaseVEX(r.Context(), rel.ID)
	if err != nil {
		s.fail(w, err)
		return
	}
	history := map[string][]store.VEX{} // "vuln|package" -> statements, oldest first
	for _, v := range vex {
		k := v.VulnID + "|" + v.Package
		history[k] = append(history[k], v)
	}
	s.render(w, r, "release", rel.Product+" "+rel.Version, map[string]any{"Release": rel, "Open": open, "Closed": closed, "History": history}, "")
}

// uiComponents lists a release's components, narrowed by ?q= (a part of
// the name or purl, any case), at most limits.ServerComponentsShown.
func (s *Server) uiComponents(w http.ResponseWriter, r *http.Request) {
	rel, err := s.releaseFor(r, r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	cs, err := s.st.Components(r.Context(), rel.ID)
	if err != nil {
		s.fail(w, err)
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	lq := strings.ToLower(q)
	var shown []store.Component
	matched := 0
	for _, c := range cs {
		if lq != "" && !strings.Contains(strings.ToLower(c.Package.Name), lq) && !strings.Contains(strings.ToLower(c.Package.PURL), lq) {
			continue
		}
		matched++
		if len(shown) < limits.ServerComponentsShown {
			shown = append(shown, c)
		}
	}
	s.render(w, r, "components", "Components of "+rel.Product+" "+rel.Version, map[string]any{"Release": rel, "Components": shown,
		"Matched": matched, "Total": len(cs), "Q": q, "Limit": limits.ServerComponentsShown}, "")
}

func (s *Server) renderUpload(w http.ResponseWriter, r *http.Request, errMsg string) {
	ps, err := s.visibleProducts(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	status := http.StatusOK
	if errMsg != "" {
		status = http.StatusBadRequest
	}
	s.renderStatus(w, r, status, "upload", "Upload a release", map[string]any{"Products": ps, "Product": r.PostFormValue("product"), "Version": r.PostFormValue("version")}, errMsg)
}

// uiUpload stores a release uploaded from the browser (multipart: product,
// version, the SBOM file, an optional VEX file), as the API's upload does,
// and shows its findings.
func (s *Server) uiUpload(w http.ResponseWriter, r *http.Request) {
	p := who(r)
	product, version := strings.TrimSpace(r.PostFormValue("product")), strings.TrimSpace(r.PostFormValue("version"))
	if s.mayUpload(r, product) != nil {
		s.renderUpload(w, r, "Your team cannot upload releases of "+product+".")
		return
	}
	file := func(name string) ([]byte, error) {
		if r.MultipartForm == nil || len(r.MultipartForm.File[name]) == 0 {
			return nil, nil
		}
		f, err := r.MultipartForm.File[name][0].Open()
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return io.ReadAll(io.LimitReader(f, limits.ServerSBOMBytes+1))
	}
	sb, err := file("sbom")
	if err == nil && sb == nil {
		err = fmt.Errorf("%w: choose the SBOM file (CycloneDX or SPDX JSON)", ErrBadInput)
	}
	var vx []byte
	if err == nil {
		vx, err = file("vex")
	}
	var rel *store.Release
	if err == nil {
		rel, err = s.Ingest(r.Context(), Upload{Product: product, Version: version, TeamID: p.TeamID, AutoCreate: true, SBOM: sb, VEX: vx})
	}
	if errors.Is(err, ErrBadInput) {
		s.renderUpload(w, r, err.Error())
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	http.Redirect(w, r, "/releases/"+rel.ID, http.StatusSeeOther)
}

func (s *Server) uiTriage(w http.ResponseWriter, r *http.Request) {
	t := Triage{Vulnerability: r.PostFormValue("vulnerability"), Package: r.PostFormValue("package"), Status: r.PostFormValue("status"),
		Justification: r.PostFormValue("justification"), Detail: r.PostFormValue("detail")}
	if err := s.triage(r, r.PathValue("id"), t); err != nil {
		s.fail(w, err)
		return
	}
	http.Redirect(w, r, "/releases/"+r.PathValue("id"), http.StatusSeeOther)
}

func (s *Server) uiAffected(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	var results []AffectedReleaseJSON
	if id != "" {
		var err error
		if results, err = s.affected(r, id); err != nil {
			s.fail(w, err)
			return
		}
	}
	s.render(w, r, "affected", "Affected by "+id, map[string]any{"ID": id, "Results": results}, "")
}
