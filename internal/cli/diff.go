package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/diff"
	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/scan"
)

func newDiffCmd(e *env) *cobra.Command {
	var format, dbFlag string
	var vexFiles []string
	var src sourceFlags
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Compare two releases: components added, removed, upgraded; vulnerabilities fixed and new",
		Long: `Compare two releases (each a directory, lockfile, SBOM or image, as for scan):
components added, removed and changed in version and, when the local
vulnerability store holds data, the vulnerabilities the newer release fixes
and the ones it brings. For patch notes and EU CRA advisories.`,
		Example: `  hallmark diff app-1.2.0.cdx.json app-1.3.0.cdx.json
  hallmark diff docker-archive:app-1.2.tar docker-archive:app-1.3.tar -o json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkChoice("output format", format, []string{"table", "json"}); err != nil {
				return withCode(ExitError, err)
			}
			stmts, err := scan.ReadVEX(vexFiles)
			if err != nil {
				return withCode(ExitError, err)
			}
			db, _, err := openDB(e, dbFlag)
			if err != nil {
				return withCode(ExitError, err)
			}
			if db != nil {
				defer db.Close()
			} else {
				fmt.Fprintln(e.stderr, "hallmark: warning: no vulnerability data: comparing components only (run hallmark db update)")
			}
			var docs [2]*match.Result
			for i, p := range args {
				res, err := loadSource(cmd, e, p, src)
				if err != nil {
					return withCode(ExitError, err)
				}
				reportProblems(e, res.Problems)
				docs[i] = &match.Result{Document: res.Document}
				if db != nil {
					if docs[i], err = scan.Match(res.Document, db, stmts); err != nil {
						return withCode(ExitError, err)
					}
				}
			}
			var ra, rb *match.Result
			if db != nil {
				ra, rb = docs[0], docs[1]
			}
			d := diff.Compare(docs[0].Document, docs[1].Document, ra, rb)
			return writeOutput(e, "", func(w io.Writer) error {
				if format == "json" {
					return writeJSON(w, d)
				}
				return diff.Table(w, d, args[0], args[1])
			})
		},
	}
	cmd.Flags().StringVarP(&format, "output-format", "o", "table", "output format: table, json")
	addDBFlag(cmd, &dbFlag)
	cmd.Flags().StringArrayVar(&vexFiles, "vex", nil, "apply a VEX document to both (repeatable)")
	addSourceFlags(cmd, &src)
	return cmd
}
