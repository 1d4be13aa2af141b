package tuf

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// The TUF project's client conformance suite (tuf-conformance) drives a
// client through three commands (its CLIENT-CLI.md): init, refresh and
// download. These run hallmark's client code (refreshed: go-tuf's updater
// configured as hallmark update configures it) with the directories and
// URLs the suite names; cmd/hallmark-tuf-client is the executable.

// ConformanceInit trusts root (the file's bytes) without any request: it is
// copied into metaDir as root.json.
func ConformanceInit(metaDir, rootFile string) error {
	b, err := os.ReadFile(rootFile)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(metaDir, 0o755); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(metaDir, "root.json"), b)
}

// ConformanceRefresh runs the top-level metadata workflow, keeping the
// trusted metadata in metaDir under non-versioned names.
func ConformanceRefresh(opts ClientOptions) error {
	opts, err := conformanceOptions(opts)
	if err != nil {
		return err
	}
	_, _, done, err := refreshed(opts)
	done()
	return err
}

// ConformanceDownload refreshes, then downloads each target in order into
// targetDir (a target already there with the listed hashes is not fetched
// again), stopping at the first failure.
func ConformanceDownload(opts ClientOptions, targetDir string, names []string) error {
	opts, err := conformanceOptions(opts)
	if err != nil {
		return err
	}
	up, _, done, err := refreshed(opts)
	defer done()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(targetDir, 0o755); err != nil {
		return err
	}
	sess := &Session{up: up, targetsURL: strings.TrimRight(opts.TargetsURL, "/"), client: &http.Client{Timeout: limits.TUFTargetTimeout}}
	for _, n := range names {
		tf, err := up.GetTargetInfo(n)
		if err != nil {
			return fmt.Errorf("target %s: %w", n, err)
		}
		local := filepath.Join(targetDir, url.QueryEscape(n))
		if p, _, err := up.FindCachedTarget(tf, local); err == nil && p != "" {
			continue
		}
		// hallmark update's own download (streamed, checked against the
		// trusted length and every hash), so the suite tests that code.
		if err := sess.download(tf, local); err != nil {
			return fmt.Errorf("download %s: %w", n, err)
		}
	}
	return nil
}

// conformanceOptions reads the trusted root from the metadata directory.
func conformanceOptions(opts ClientOptions) (ClientOptions, error) {
	if opts.MetadataDir == "" || opts.MetadataURL == "" {
		return opts, fmt.Errorf("--metadata-dir and --metadata-url are required")
	}
	root, err := os.ReadFile(filepath.Join(opts.MetadataDir, "root.json"))
	if err != nil {
		return opts, fmt.Errorf("trusted root: %w", err)
	}
	opts.Root = root
	// The targets directory is the caller's; the cache only holds go-tuf's
	// scratch space.
	return opts, nil
}
