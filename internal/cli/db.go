package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// staleAfter is the age at which db status warns.
const staleAfter = 7 * 24 * time.Hour

// addDBFlag adds --db to cmd.
func addDBFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "db", "", "vulnerability database directory (default $HALLMARK_DB, else the user cache dir's hallmark/db)")
}

// dbDir resolves the database directory: --db, $HALLMARK_DB, then
// os.UserCacheDir()/hallmark/db.
func dbDir(e *env, flag string) (string, error) { return scan.DBDir(flag, e.getenv) }

func newDBCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the local OSV vulnerability database",
		Long: `Manage the local copy of OSV vulnerability data that hallmark scan matches against.

  hallmark db update            fetch the public OSV export (https://osv.dev), only what changed
  hallmark db import DIR|ZIP    import an export directory or zip (air-gapped machines)
  hallmark db status            what is imported, from where, and how old it is`,
	}
	cmd.AddCommand(newDBUpdateCmd(e), newDBImportCmd(e), newDBStatusCmd(e))
	return cmd
}

type dbUpdateFlags struct {
	dir        string
	source     string
	ecosystems []string
	force      bool
	timeout    time.Duration
}

func newDBUpdateCmd(e *env) *cobra.Command {
	var f dbUpdateFlags
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Fetch OSV data (conditional requests: unchanged ecosystems cost one round trip)",
		Example: `  hallmark db update
  hallmark db update --ecosystem npm --ecosystem PyPI
  hallmark db update --ecosystem Debian --ecosystem Alpine --ecosystem Ubuntu --ecosystem AlmaLinux
  hallmark db update --source https://mirror.example.com/osv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDBUpdate(cmd, e, f)
		},
	}
	addDBFlag(cmd, &f.dir)
	cmd.Flags().StringVar(&f.source, "source", vulndb.DefaultSource, "export URL or directory with <ECOSYSTEM>/all.zip")
	cmd.Flags().StringSliceVar(&f.ecosystems, "ecosystem", nil, "only these OSV ecosystems (repeatable; default: all the source offers); a distribution is one folder for all its releases (Debian, not Debian:12)")
	cmd.Flags().BoolVar(&f.force, "force", false, "re-import even when the source did not change")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 30*time.Minute, "give up after this long")
	return cmd
}

func newDBImportCmd(e *env) *cobra.Command {
	var f dbUpdateFlags
	cmd := &cobra.Command{
		Use:   "import DIR|ZIP",
		Short: "Import OSV data from an export directory (<ECOSYSTEM>/all.zip) or a zip of OSV records",
		Example: `  hallmark db import ./osv
  hallmark db import npm-all.zip`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := os.Stat(args[0]); err != nil {
				return withCode(ExitError, fmt.Errorf("import: %w", err))
			}
			f.source = args[0]
			return runDBUpdate(cmd, e, f)
		},
	}
	addDBFlag(cmd, &f.dir)
	cmd.Flags().StringSliceVar(&f.ecosystems, "ecosystem", nil, "only these OSV ecosystems (repeatable)")
	cmd.Flags().BoolVar(&f.force, "force", false, "re-import even when the files did not change")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 30*time.Minute, "give up after this long")
	return cmd
}

func runDBUpdate(cmd *cobra.Command, e *env, f dbUpdateFlags) error {
	dir, err := dbDir(e, f.dir)
	if err != nil {
		return withCode(ExitError, err)
	}
	ctx := cmd.Context()
	if f.timeout > 0 {
		var cancel func()
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	var mu sync.Mutex
	var last time.Time
	progress := showProgress(cmd, e)
	opts := vulndb.Options{Dir: dir, Source: f.source, Ecosystems: f.ecosystems, Force: f.force}
	if progress {
		opts.Progress = func(p vulndb.Progress) {
			mu.Lock()
			defer mu.Unlock()
			if time.Since(last) < 100*time.Millisecond && p.Done != p.Total {
				return
			}
			last = time.Now()
			switch p.Phase {
			case "download":
				if p.Total > 0 {
					fmt.Fprintf(e.stderr, "\r\033[K%s: downloading %s %3d%% %.1f/%.1f MB", p.Ecosystem, bar(p.Done, p.Total), p.Done*100/p.Total, mb(p.Done), mb(p.Total))
				} else {
					fmt.Fprintf(e.stderr, "\r\033[K%s: downloading %.1f MB", p.Ecosystem, mb(p.Done))
				}
			default:
				fmt.Fprintf(e.stderr, "\r\033[K%s: importing %s %d/%d records", p.Ecosystem, bar(p.Done, p.Total), p.Done, p.Total)
			}
		}
	}
	res, err := vulndb.Update(ctx, opts)
	if progress {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	if err != nil {
		return withCode(ExitError, fmt.Errorf("update %s from %s: %w", dir, f.source, err))
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(e.stderr, "hallmark: warning: %s\n", w)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ECOSYSTEM\tRESULT\tADVISORIES\tPACKAGES\tSKIPPED")
	for _, r := range res.Ecosystems {
		status := r.Status
		if r.Status == vulndb.Failed && r.Kept {
			status = "failed (previous data kept)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", r.Name, status, r.Meta.Advisories, r.Meta.Packages, r.Meta.Skipped)
	}
	tw.Flush()
	failed := 0
	for _, r := range res.Ecosystems {
		if r.Status == vulndb.Failed {
			failed++
			fmt.Fprintf(e.stderr, "hallmark: %s: %v\n", r.Name, r.Err)
		}
		for _, s := range r.Meta.SkippedExamples {
			fmt.Fprintf(e.stderr, "hallmark: warning: %s: skipped invalid advisory %s\n", r.Name, s)
		}
	}
	if failed > 0 {
		return withCode(ExitError, fmt.Errorf("%d of %d ecosystem(s) failed to update", failed, len(res.Ecosystems)))
	}
	return nil
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

func bar(done, total int64) string {
	const width = 20
	if total <= 0 {
		return ""
	}
	n := int(done * width / total)
	n = min(max(n, 0), width)
	return "[" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "]"
}

func newDBStatusCmd(e *env) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show, per ecosystem, the advisories imported, their source and age",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := dbDir(e, dir)
			if err != nil {
				return withCode(ExitError, err)
			}
			db, err := vulndb.Open(d)
			if err != nil {
				if errors.Is(err, vulndb.ErrNoData) {
					return withCode(ExitNoData, noDataError(d))
				}
				return withCode(ExitError, err)
			}
			defer db.Close()
			now := time.Now()
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintf(e.stdout, "database: %s\n", db.Path())
			fmt.Fprintln(tw, "ECOSYSTEM\tADVISORIES\tWITHDRAWN\tMALICIOUS\tSKIPPED\tFETCHED\tAGE\tSOURCE")
			var stale []string
			for _, m := range db.Meta().Ecosystems {
				age := now.Sub(m.FetchedAt)
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", m.Name, m.Advisories, m.Withdrawn, m.Malicious, m.Skipped,
					m.FetchedAt.Local().Format("2006-01-02 15:04"), humanAge(age), m.Source)
				if age > staleAfter {
					stale = append(stale, m.Name)
				}
			}
			tw.Flush()
			if len(stale) > 0 {
				fmt.Fprintf(e.stderr, "hallmark: warning: data older than 7 days for %s; run hallmark db update\n", strings.Join(stale, ", "))
			}
			return nil
		},
	}
	addDBFlag(cmd, &dir)
	return cmd
}

func humanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// noDataError explains an empty database and how to fill it.
func noDataError(dir string) error {
	return fmt.Errorf("no vulnerability data in %s: nothing was checked.\n"+
		"  Get the data with:  hallmark db update            (downloads the OSV export)\n"+
		"  or, offline:        hallmark db import PATH       (an export directory such as ../shared/osv, or a zip)\n"+
		"  or point --db / HALLMARK_DB at an existing database", dir)
}
