package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/config"
	"github.com/hallmark-dev/hallmark/internal/jsonindent"
	"github.com/hallmark-dev/hallmark/internal/report"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/internal/sbom/spdx"
	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/source"
)

var sbomFormats = []string{"cyclonedx-json", "spdx-json", "table", "json"}

type sbomFlags struct {
	format     string
	outFile    string
	cdxVersion string
	strict     bool
	src        sourceFlags
}

func newSBOMCmd(e *env) *cobra.Command {
	var f sbomFlags
	cmd := &cobra.Command{
		Use:   "sbom [PATH]",
		Short: "Catalog a directory, lockfile or SBOM and write an SBOM",
		Long: `Catalog the packages in PATH (default ".") and write a software bill of materials.

PATH is a directory (walked, every lockfile and manifest hallmark knows is read),
a single lockfile or manifest, or an existing CycloneDX or SPDX JSON document
(read back, so that sbom converts between formats).

Files that cannot be read are reported on stderr; the SBOM is still written and
the exit status is 3 (incomplete), or 2 with --strict.`,
		Example: `  hallmark sbom .
  hallmark sbom . -o spdx-json --output app.spdx.json
  hallmark sbom package-lock.json -o table
  hallmark sbom app.spdx.json -o cyclonedx-json --cyclonedx-version 1.6`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			return runSBOM(cmd, e, path, f)
		},
	}
	cmd.Flags().StringVarP(&f.format, "output-format", "o", "cyclonedx-json", "output format: cyclonedx-json, spdx-json, table, json")
	cmd.Flags().StringVar(&f.outFile, "output", "", "write to FILE instead of standard output")
	cmd.Flags().StringVar(&f.cdxVersion, "cyclonedx-version", "1.7", "CycloneDX spec version: 1.7 or 1.6")
	cmd.Flags().BoolVar(&f.strict, "strict", false, "fail (exit 2, write nothing) when any file cannot be read")
	addSourceFlags(cmd, &f.src)
	return cmd
}

func runSBOM(cmd *cobra.Command, e *env, path string, f sbomFlags) error {
	err := applyConfig(cmd, path, func(s setting, c *config.File) {
		s.strs("exclude", &f.src.exclude, c.Exclude)
		s.str("output-format", &f.format, c.Output["sbom"])
	})
	if err != nil {
		return err
	}
	if err := checkChoice("output format", f.format, sbomFormats); err != nil {
		return withCode(ExitError, err)
	}
	if err := checkChoice("CycloneDX version", f.cdxVersion, []string{"1.6", "1.7"}); err != nil {
		return withCode(ExitError, err)
	}
	res, err := loadSource(cmd, e, path, f.src)
	if err != nil {
		return withCode(ExitError, err)
	}
	incomplete := reportProblems(e, res.Problems)
	if incomplete && f.strict {
		return withCode(ExitError, fmt.Errorf("%d file(s) could not be read (--strict)", len(res.Problems)))
	}
	err = writeOutput(e, f.outFile, func(w io.Writer) error { return encodeSBOM(w, res.Document, f.format, f.cdxVersion) })
	if err != nil {
		return withCode(ExitError, err)
	}
	if incomplete {
		return withCode(ExitIncomplete, fmt.Errorf("incomplete: %d file(s) could not be read", len(res.Problems)))
	}
	return nil
}

// encodeSBOM writes doc in one of sbomFormats (cdxVersion for CycloneDX).
func encodeSBOM(w io.Writer, doc *sbom.Document, format, cdxVersion string) error {
	switch format {
	case "cyclonedx-json":
		return cyclonedx.Encode(w, doc, cyclonedx.Options{Version: cdxVersion})
	case "spdx-json":
		return spdx.Encode(w, doc)
	case "table":
		return report.PackageTable(w, doc)
	default:
		return jsonindent.Encode(w, doc, "  ", true)
	}
}

// loadSource loads PATH with every cataloger, showing progress on a terminal.
func loadSource(cmd *cobra.Command, e *env, path string, sf sourceFlags) (*source.Result, error) {
	if err := checkChoice("--scope", sf.scope, []string{"squashed", "all-layers"}); err != nil {
		return nil, err
	}
	created, err := sourceDateEpoch(e)
	if err != nil {
		return nil, err
	}
	var prog catalog.Progress
	stop := startProgress(cmd, e, &prog)
	defer stop()
	return scan.Load(cmd.Context(), path, scan.LoadOptions{
		Progress: &prog,
		Created:  created,
		Tool:     sbom.Tool{Vendor: "hallmark", Name: "hallmark", Version: Build().Version},
		Exclude:  sf.exclude,
		Image: source.ImageOptions{
			Platform:           sf.platform,
			AllLayers:          sf.scope == "all-layers",
			InsecureRegistries: sf.insecure,
			Note:               func(s string) { fmt.Fprintf(e.stderr, "hallmark: %s\n", s) },
		},
	})
}

// sourceDateEpoch returns the time SOURCE_DATE_EPOCH names, or zero.
func sourceDateEpoch(e *env) (time.Time, error) {
	return scan.SourceDateEpoch(e.getenv("SOURCE_DATE_EPOCH"))
}

// reportProblems prints each problem on stderr and reports whether there
// were any.
func reportProblems(e *env, problems []catalog.Problem) bool {
	for _, p := range problems {
		fmt.Fprintf(e.stderr, "hallmark: warning: %v\n", p)
	}
	return len(problems) > 0
}

func checkChoice(what, got string, choices []string) error {
	for _, c := range choices {
		if got == c {
			return nil
		}
	}
	return fmt.Errorf("unknown %s %q (choose from %v)", what, got, choices)
}
