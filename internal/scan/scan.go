// Package scan is hallmark's pipeline from a source to a verdict: load a
// source into an SBOM (source → catalog), match it against the local OSV
// store, apply VEX statements, and evaluate a policy. hallmark scan, policy
// check, verify --policy, release and serve all run it through here, so that
// a finding or a violation means the same thing whichever command reports
// it. The CLI keeps only flags, output and exit codes.
package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/all"
	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/report"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/source"
	"github.com/hallmark-dev/hallmark/internal/vex"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// LoadOptions configure Load.
type LoadOptions struct {
	// Catalogers default to every cataloger hallmark has.
	Catalogers []catalog.Cataloger
	// Progress, when set, counts the walk's work for a progress display.
	Progress *catalog.Progress
	// Created is the document timestamp; zero means now.
	Created time.Time
	// Tool, when its Name is set, is recorded as the SBOM's producer.
	Tool sbom.Tool
	// Exclude are glob patterns of paths to skip (catalog.Exclusions).
	Exclude []string
	// Image configures container image sources.
	Image source.ImageOptions
}

// Load catalogs the source at path (a directory, a single lockfile or
// manifest, or a CycloneDX or SPDX document). An interrupted walk saw only
// part of the tree and is an error: nothing it found may be written as if
// it were the whole.
func Load(ctx context.Context, path string, o LoadOptions) (*source.Result, error) {
	cats := o.Catalogers
	if cats == nil {
		cats = all.Catalogers()
	}
	ex, err := catalog.NewExclusions(o.Exclude)
	if err != nil {
		return nil, err
	}
	res, err := source.Load(ctx, path, source.Options{
		Catalog: catalog.Options{Catalogers: cats, Progress: o.Progress, Exclude: ex},
		Created: o.Created,
		Image:   o.Image,
	})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted: %w", err)
	}
	if o.Tool.Name != "" {
		res.Document.Tools = append(res.Document.Tools, o.Tool)
	}
	return res, nil
}

// SourceDateEpoch parses a SOURCE_DATE_EPOCH value
// (https://reproducible-builds.org/specs/source-date-epoch/); "" gives the
// zero time.
func SourceDateEpoch(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a non-negative integer number of seconds", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// DBDir resolves the vulnerability store's directory: flag when set, then
// $HALLMARK_DB (through getenv), then os.UserCacheDir()/hallmark/db.
func DBDir(flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if d := getenv("HALLMARK_DB"); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no --db given, HALLMARK_DB unset, and no user cache directory: %w", err)
	}
	return filepath.Join(c, "hallmark", "db"), nil
}

// OpenDB opens the vulnerability store in dir. It returns a nil DB and no
// error when the store holds no data at all, so that each caller says so in
// its own way; a store that exists but cannot be read is an error.
func OpenDB(dir string) (*vulndb.DB, error) {
	db, err := vulndb.Open(dir)
	switch {
	case errors.Is(err, vulndb.ErrNoData):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("%w (rebuild it with hallmark db update or db import)", err)
	}
	if len(db.Meta().Ecosystems) == 0 {
		db.Close()
		return nil, nil
	}
	return db, nil
}

// ReadVEX reads and parses VEX documents (OpenVEX or CycloneDX VEX), each
// bounded by limits.VEXBytes.
func ReadVEX(files []string) ([]vex.Statement, error) {
	var stmts []vex.Statement
	for _, vf := range files {
		b, err := ReadBounded(vf, limits.VEXBytes)
		if err != nil {
			return nil, fmt.Errorf("--vex: %w", err)
		}
		s, err := vex.Parse(b, vf)
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, s...)
	}
	return stmts, nil
}

// ReadBounded reads a whole file of at most max bytes.
func ReadBounded(path string, max int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return b, nil
}

// Match normalizes doc, matches it against db, records which ecosystems the
// store had data for, and applies the VEX statements.
func Match(doc *sbom.Document, db *vulndb.DB, stmts []vex.Statement) (*match.Result, error) {
	doc.Normalize()
	result, err := match.Match(doc, db)
	if err != nil {
		return nil, err
	}
	result.Ecosystems = report.EcosystemsOf(doc, db)
	if len(stmts) > 0 {
		vex.Apply(result, stmts)
	}
	return result, nil
}
