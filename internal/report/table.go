// Package report renders hallmark's results for people and machines.
package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// PackageTable writes one row per package, in the document's (sorted) order:
// name, version, ecosystem, scope and the files it came from.
func PackageTable(w io.Writer, doc *sbom.Document) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tECOSYSTEM\tSCOPE\tFROM")
	for _, p := range doc.Packages {
		scope := string(p.Scope)
		if scope == "" {
			scope = "prod"
		}
		if p.Direct {
			scope += ",direct"
		}
		var from []string
		for _, l := range p.Locations { // sorted by path: one entry per file
			if len(from) == 0 || from[len(from)-1] != l.Path {
				from = append(from, l.Path)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.Version, p.Ecosystem, scope, strings.Join(from, ", "))
	}
	return tw.Flush()
}
