package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// ANSI colours for severities on a terminal.
var levelColours = map[match.Level]string{
	match.Critical: "\033[1;31m",
	match.High:     "\033[31m",
	match.Medium:   "\033[33m",
	match.Low:      "\033[36m",
	match.Unknown:  "\033[35m",
}

const colourReset = "\033[0m"

// FindingsTable writes the findings grouped by package (one row per
// finding, the package named on its first row), with the fixed versions
// and the smallest upgrade, then the suppressed findings with their VEX
// justification, the unchecked packages and a summary line. colour adds
// ANSI severity colours (for a terminal).
func FindingsTable(w io.Writer, res *match.Result, colour bool) error {
	doc := res.Document
	paint := func(l match.Level, s string) string {
		if !colour {
			return s
		}
		return levelColours[l] + s + colourReset
	}
	active := res.Active()
	if len(active) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PACKAGE\tVERSION\tECOSYSTEM\tID\tSEVERITY\tFIXED IN\tUPGRADE TO\tSUMMARY")
		last := ""
		for _, f := range active {
			p := doc.Package(f.PackageID)
			name, ver, eco, up := "", "", "", ""
			if f.PackageID != last {
				name, ver, eco = p.Name, p.Version, string(p.Ecosystem)
				up = res.Upgrades[p.ID]
				switch leaves := res.UpgradeLeaves[p.ID]; {
				case up == "":
					up = "(no fix)"
				case len(leaves) > 0:
					up += " (leaves " + strings.Join(leaves, ", ") + ": no fix)"
				}
				last = f.PackageID
			}
			sev := f.Severity.Level.String()
			if f.Severity.Score > 0 {
				sev = fmt.Sprintf("%s %.1f", sev, f.Severity.Score)
			}
			if f.Kind == match.Malicious {
				sev = "MALICIOUS"
			}
			// Pad before colouring so that escapes do not upset alignment.
			sev = paint(levelOf(f), fmt.Sprintf("%-13s", sev))
			ids := f.ID
			if len(f.Aliases) > 0 {
				ids += " (" + strings.Join(f.Aliases, ", ") + ")"
			}
			fixed := strings.Join(f.Fixed, ", ")
			if fixed == "" {
				fixed = "-"
			}
			summary := oneLine(f.Summary, 80)
			if f.Possible != "" {
				summary = "POSSIBLY AFFECTED (moving tag): " + summary
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, ver, eco, ids, sev, fixed, up, summary)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	var suppressed []match.Finding
	for _, f := range res.Findings {
		if f.Status.Suppressed() {
			suppressed = append(suppressed, f)
		}
	}
	if len(suppressed) > 0 {
		fmt.Fprintf(w, "\nSuppressed by VEX (%d):\n", len(suppressed))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PACKAGE\tVERSION\tID\tSTATUS\tJUSTIFICATION\tFROM")
		for _, f := range suppressed {
			p := doc.Package(f.PackageID)
			just := f.Justification
			if f.StatusDetail != "" {
				just = strings.TrimSpace(just + " " + oneLine(f.StatusDetail, 60))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Version, f.ID, f.Status, just, f.StatusSource)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(res.Unchecked) > 0 {
		fmt.Fprintf(w, "\nNot checked (%d):\n", len(res.Unchecked))
		// A reason many packages share (a whole ecosystem without data:
		// every package of an image's distribution) is said once, with
		// the packages it covers; the others get a row each.
		byReason := map[string][]*sbom.Package{}
		for _, u := range res.Unchecked {
			byReason[u.Reason] = append(byReason[u.Reason], doc.Package(u.PackageID))
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		header := false
		for _, u := range res.Unchecked {
			if len(byReason[u.Reason]) >= groupUnchecked {
				continue
			}
			if !header {
				fmt.Fprintln(tw, "PACKAGE\tVERSION\tECOSYSTEM\tREASON")
				header = true
			}
			p := doc.Package(u.PackageID)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, p.Version, p.Ecosystem, u.Reason)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		done := map[string]bool{}
		for _, u := range res.Unchecked {
			ps := byReason[u.Reason]
			if len(ps) < groupUnchecked || done[u.Reason] {
				continue
			}
			done[u.Reason] = true
			if err := uncheckedGroup(w, u.Reason, ps); err != nil {
				return err
			}
		}
	}
	if len(res.SDK) > 0 {
		fmt.Fprintf(w, "\nProvided by an SDK (%d):\n", len(res.SDK))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PACKAGE\tMATCHED AT\tECOSYSTEM\tHOW")
		for _, s := range res.SDK {
			p := doc.Package(s.PackageID)
			v := s.Version
			switch {
			case v == "":
				v = "-"
			case s.LowerBound:
				v = ">=" + v
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, v, p.Ecosystem, s.Reason)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	var notes []string
	for _, f := range active {
		if f.Possible != "" && !slices.Contains(notes, f.Possible) {
			notes = append(notes, f.Possible)
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\nPossibly affected (%d):\n", len(notes))
		for _, n := range notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	s := Summarize(res)
	if len(active) > 0 || len(suppressed) > 0 || len(res.Unchecked) > 0 || len(res.SDK) > 0 {
		fmt.Fprintln(w)
	}
	var parts []string
	for _, l := range []match.Level{match.Critical, match.High, match.Medium, match.Low, match.Unknown} {
		if n := s.BySeverity[l.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ToLower(l.String())))
		}
	}
	if s.Possible > 0 {
		parts = append(parts, fmt.Sprintf("%d possibly affected", s.Possible))
	}
	detail := ""
	if len(parts) > 0 {
		detail = " (" + strings.Join(parts, ", ") + ")"
	}
	local := ""
	if s.Local > 0 {
		local = fmt.Sprintf(", %d local to the project", s.Local)
	}
	if s.SDK > 0 {
		local += fmt.Sprintf(", %d provided by an SDK", s.SDK)
	}
	_, err := fmt.Fprintf(w, "%d packages: %d checked, %d not checked%s; %d findings%s, %d malicious, %d suppressed by VEX\n",
		s.Packages, s.Checked, s.Unchecked, local, s.Findings, detail, s.Malicious, s.Suppressed)
	return err
}

func levelOf(f match.Finding) match.Level {
	if f.Kind == match.Malicious {
		return match.Critical
	}
	return f.Severity.Level
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max-3] + "..."
	}
	return s
}

// groupUnchecked is how many packages must share a reason for the table to
// say it once for all of them.
const groupUnchecked = 5

// uncheckedGroup writes one reason and the packages it covers: their
// ecosystems, and the first of them by name and version.
func uncheckedGroup(w io.Writer, reason string, ps []*sbom.Package) error {
	var ecos []string
	for _, p := range ps {
		if e := string(p.Ecosystem); !slices.Contains(ecos, e) {
			ecos = append(ecos, e)
		}
	}
	const shown = 8
	var names []string
	for _, p := range ps[:min(len(ps), shown)] {
		names = append(names, p.Name+" "+p.Version)
	}
	more := ""
	if len(ps) > shown {
		more = fmt.Sprintf(", and %d more (-o json lists each)", len(ps)-shown)
	}
	_, err := fmt.Fprintf(w, "%d packages (%s): %s\n  %s%s\n", len(ps), strings.Join(ecos, ", "), reason, strings.Join(names, ", "), more)
	return err
}
