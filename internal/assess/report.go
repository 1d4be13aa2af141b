package assess

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// JSON writes the stable JSON report (Schema).
func JSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Table writes the checks for people.
func Table(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tRESULT\tSCORE\tREASON")
	for _, c := range r.Checks {
		s := "-"
		if c.Score >= 0 {
			s = fmt.Sprint(c.Score)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Result, s, c.Reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nscore %.1f/10 over %d scored checks; hallmark assess --explain CHECK tells why and how to fix\n", r.Score, scored(r))
	return err
}

func scored(r *Report) int {
	n := 0
	for _, c := range r.Checks {
		if c.Score >= 0 {
			n++
		}
	}
	return n
}

// Explain writes one check's long form.
func Explain(w io.Writer, id string) error {
	c, ok := catalogue[id]
	if !ok {
		var ids []string
		for k := range catalogue {
			ids = append(ids, k)
		}
		slices.Sort(ids)
		return fmt.Errorf("unknown check %q (checks: %s)", id, strings.Join(ids, ", "))
	}
	fmt.Fprintf(w, "%s (%s)\n\n", c.Name, id)
	if c.Scorecard != "" {
		fmt.Fprintf(w, "OpenSSF Scorecard: %s, with the same meaning, from local files.\n\n", c.Scorecard)
	}
	fmt.Fprintf(w, "Why it matters:\n  %s\n\nHow to fix:\n  %s\n\nEvidences:\n", c.Why, strings.ReplaceAll(c.Fix, "\n", "\n  "))
	for _, t := range c.Tasks {
		fmt.Fprintf(w, "  %s  %s\n", t, itemTitle(t))
	}
	return nil
}

func itemTitle(id string) string {
	for _, f := range Frameworks {
		for _, it := range f.Items {
			if it.ID == id {
				return it.Title + " (" + f.Name + ")"
			}
		}
	}
	return ""
}

// frameworkView is one framework item with the checks that evidence it.
type frameworkView struct {
	Framework
	Rows []frameworkRow
}

type frameworkRow struct {
	Item
	Status string
	Checks []Check
}

func frameworks(r *Report) []frameworkView {
	var out []frameworkView
	for _, f := range Frameworks {
		v := frameworkView{Framework: f}
		for _, it := range f.Items {
			row := frameworkRow{Item: it}
			for _, c := range r.Checks {
				if slices.Contains(c.Tasks, it.ID) {
					row.Checks = append(row.Checks, c)
				}
			}
			row.Status = status(it, row.Checks)
			v.Rows = append(v.Rows, row)
		}
		out = append(out, v)
	}
	return out
}

// status of a framework item: met when every check evidencing it passes,
// gap when one fails, partial otherwise; "not assessable by a tool" for
// items only people and processes can show.
func status(it Item, cs []Check) string {
	if !it.Assessable || len(cs) == 0 {
		return "not assessable by a tool"
	}
	pass, fail := 0, 0
	for _, c := range cs {
		switch c.Result {
		case Pass, NotApplicable:
			pass++
		case Fail:
			fail++
		}
	}
	switch {
	case pass == len(cs):
		return "met"
	case fail > 0:
		return "gap"
	}
	return "partial"
}

// Markdown writes the report a supplier can hand over.
func Markdown(w io.Writer, r *Report) error {
	fmt.Fprintf(w, "# Supply-chain assessment of %s\n\nScore **%.1f/10** over %d scored checks (hallmark assess, offline).\n\n", r.Path, r.Score, scored(r))
	fmt.Fprintln(w, "## Checks\n\n| check | result | score | reason |\n|---|---|---|---|")
	for _, c := range r.Checks {
		s := "–"
		if c.Score >= 0 {
			s = fmt.Sprint(c.Score)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", c.Name, c.Result, s, mdEscape(c.Reason))
	}
	for _, f := range frameworks(r) {
		fmt.Fprintf(w, "\n## %s\n\n| item | status | evidence |\n|---|---|---|\n", f.Name)
		for _, row := range f.Rows {
			var ev []string
			for _, c := range row.Checks {
				ev = append(ev, fmt.Sprintf("%s: %s", c.Name, c.Result))
			}
			fmt.Fprintf(w, "| %s %s | %s | %s |\n", row.ID, mdEscape(row.Title), row.Status, mdEscape(strings.Join(ev, "; ")))
		}
	}
	fmt.Fprintln(w, "\n## Gaps and how to fix them")
	for _, c := range r.Checks {
		if c.Result != Fail && c.Result != Partial {
			continue
		}
		fmt.Fprintf(w, "\n### %s (%s)\n\n%s\n\n**Why:** %s\n\n**Fix:** %s\n", c.Name, c.Result, mdEscape(c.Reason), c.Why, strings.ReplaceAll(c.Fix, "\n", "  \n"))
		for _, e := range c.Evidence {
			loc := e.File
			if e.Line > 0 {
				loc = fmt.Sprintf("%s:%d", e.File, e.Line)
			}
			fmt.Fprintf(w, "- `%s` %s\n", loc, mdEscape(e.Note))
		}
	}
	return nil
}

func mdEscape(s string) string { return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s) }

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"bar": func(score int) int { return score * 22 },
	"y":   func(i int) int { return 8 + i*22 },
}).Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Supply-chain assessment: {{.R.Path}}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;max-width:960px;margin:2rem auto;color:#1b1f24}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border-bottom:1px solid #ddd;padding:.3rem .45rem;text-align:left;vertical-align:top}th{background:#f0f2f5}.pass,.met{color:#17603a}.fail,.gap{color:#a4001f;font-weight:600}
.partial{color:#8a5a00}h1{margin-bottom:0}@media print{body{margin:0}h2{page-break-before:auto}table{page-break-inside:auto}tr{page-break-inside:avoid}}</style></head><body>
<h1>Supply-chain assessment</h1><p>{{.R.Path}} · score <strong>{{printf "%.1f" .R.Score}}/10</strong> · hallmark assess (offline)</p>
<svg role="img" aria-label="Score per check" width="900" height="{{.H}}" viewBox="0 0 900 {{.H}}">{{range $i, $c := .R.Checks}}
<text x="0" y="{{y $i | printf "%d"}}" dy="12" font-size="12">{{$c.Name}}</text>{{if ge $c.Score 0}}<rect x="300" y="{{y $i}}" width="{{bar $c.Score}}" height="16" fill="{{if ge $c.Score 8}}#2e8b57{{else if ge $c.Score 4}}#e0a526{{else}}#c0392b{{end}}"></rect>
<text x="{{bar $c.Score | printf "%d"}}" dx="306" y="{{y $i}}" dy="12" font-size="12">{{$c.Score}}</text>{{else}}<text x="300" y="{{y $i}}" dy="12" font-size="12" fill="#777">{{$c.Result}}</text>{{end}}{{end}}
</svg>
<h2>Checks</h2><table><tr><th>Check</th><th>Result</th><th>Reason</th><th>Evidence</th></tr>
{{range .R.Checks}}<tr><td>{{.Name}}{{if .Scorecard}}<br><small>Scorecard: {{.Scorecard}}</small>{{end}}</td><td class="{{.Result}}">{{.Result}}{{if ge .Score 0}} ({{.Score}}){{end}}</td><td>{{.Reason}}</td>
<td>{{range .Evidence}}<div><code>{{.File}}{{if .Line}}:{{.Line}}{{end}}</code> {{.Note}}</div>{{end}}</td></tr>{{end}}</table>
{{range .F}}<h2>{{.Name}}</h2><table><tr><th>Item</th><th>Status</th><th>Checks</th></tr>
{{range .Rows}}<tr><td>{{.ID}} {{.Title}}</td><td class="{{.Status}}">{{.Status}}</td><td>{{range .Checks}}{{.Name}}: {{.Result}}<br>{{end}}</td></tr>{{end}}</table>{{end}}
<h2>How to fix the gaps</h2>{{range .R.Checks}}{{if or (eq .Result "fail") (eq .Result "partial")}}<h3>{{.Name}}</h3><p><strong>Why:</strong> {{.Why}}</p><p><strong>Fix:</strong> {{.Fix}}</p>{{end}}{{end}}
</body></html>
`))

// HTML writes one self-contained page (inline CSS and SVG, no scripts).
func HTML(w io.Writer, r *Report) error {
	return htmlPage.Execute(w, map[string]any{"R": r, "F": frameworks(r), "H": 16 + 22*len(r.Checks)})
}

// SARIF writes every failing or partial check as a result for code
// scanning.
func SARIF(w io.Writer, r *Report, version string) error {
	type loc struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region *struct {
				StartLine int `json:"startLine"`
			} `json:"region,omitempty"`
		} `json:"physicalLocation"`
	}
	type result struct {
		RuleID    string         `json:"ruleId"`
		Level     string         `json:"level"`
		Message   map[string]any `json:"message"`
		Locations []loc          `json:"locations"`
	}
	var rules []map[string]any
	var results []result
	for _, c := range r.Checks {
		rules = append(rules, map[string]any{"id": c.ID, "name": c.Name, "shortDescription": map[string]string{"text": c.Name},
			"fullDescription": map[string]string{"text": c.Why}, "help": map[string]string{"text": c.Fix}})
		if c.Result != Fail && c.Result != Partial {
			continue
		}
		level := "error"
		if c.Result == Partial {
			level = "warning"
		}
		res := result{RuleID: c.ID, Level: level, Message: map[string]any{"text": c.Reason + ". " + c.Fix}}
		for _, e := range c.Evidence {
			if e.File == "" {
				continue
			}
			var l loc
			l.PhysicalLocation.ArtifactLocation.URI = e.File
			if e.Line > 0 {
				l.PhysicalLocation.Region = &struct {
					StartLine int `json:"startLine"`
				}{e.Line}
			}
			res.Locations = append(res.Locations, l)
			if len(res.Locations) == 10 {
				break
			}
		}
		if len(res.Locations) == 0 {
			var l loc
			l.PhysicalLocation.ArtifactLocation.URI = "."
			res.Locations = []loc{l}
		}
		results = append(results, res)
	}
	if results == nil {
		results = []result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
		"runs": []any{map[string]any{"tool": map[string]any{"driver": map[string]any{"name": "hallmark assess", "version": version, "informationUri": "https://github.com/hallmark-dev/hallmark", "rules": rules}}, "results": results}}})
}
