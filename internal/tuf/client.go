package tuf

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"
)

// ClientOptions configure Fetch.
type ClientOptions struct {
	// RepoURL is the repository's base URL (its metadata/ and targets/).
	RepoURL string
	// Root is the trusted root metadata the customer received out of band.
	Root []byte
	// CacheDir keeps the trusted metadata between runs.
	CacheDir string
	// Now, when set, is the reference time (tests; the conformance suite's
	// faked clock).
	Now        time.Time
	HTTPClient *http.Client
}

// Fetch runs the TUF client workflow (root rotation, timestamp, snapshot,
// targets: rollback, freeze, mix-and-match and endless-data attacks are
// refused by go-tuf's updater) and downloads target name, verified by
// length and hashes, into dst (written atomically). It returns the
// target's custom metadata. A corrupt local cache is discarded and the
// workflow restarts from the trusted root.
func Fetch(opts ClientOptions, name, dst string) (map[string]any, error) {
	tf, data, err := fetch(opts, name)
	var verr *metadata.ErrRepository
	if err != nil && !errors.As(err, &verr) && opts.CacheDir != "" && localCorrupt(err) {
		os.RemoveAll(opts.CacheDir)
		tf, data, err = fetch(opts, name)
	}
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(dst, data); err != nil {
		return nil, err
	}
	var custom map[string]any
	if tf.Custom != nil {
		_ = jsonUnmarshal(*tf.Custom, &custom)
	}
	return custom, nil
}

func localCorrupt(err error) bool {
	s := err.Error()
	return strings.Contains(s, "local") || strings.Contains(s, "unexpected end of JSON") || strings.Contains(s, "invalid character")
}

func fetch(opts ClientOptions, name string) (*metadata.TargetFiles, []byte, error) {
	cfg, err := config.New(strings.TrimRight(opts.RepoURL, "/")+"/metadata", opts.Root)
	if err != nil {
		return nil, nil, err
	}
	cache := opts.CacheDir
	if cache == "" {
		if cache, err = os.MkdirTemp("", "hallmark-tuf-"); err != nil {
			return nil, nil, err
		}
		defer os.RemoveAll(cache)
	}
	cfg.LocalMetadataDir = filepath.Join(cache, "metadata")
	cfg.LocalTargetsDir = filepath.Join(cache, "targets")
	cfg.RemoteTargetsURL = strings.TrimRight(opts.RepoURL, "/") + "/targets"
	cfg.PrefixTargetsWithHash = true
	if opts.HTTPClient != nil {
		if err := cfg.SetDefaultFetcherHTTPClient(opts.HTTPClient); err != nil {
			return nil, nil, err
		}
	}
	if err := cfg.EnsurePathsExist(); err != nil {
		return nil, nil, err
	}
	up, err := updater.New(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("trusted root: %w", err)
	}
	if !opts.Now.IsZero() {
		up.UnsafeSetRefTime(opts.Now)
	}
	if err := up.Refresh(); err != nil {
		return nil, nil, fmt.Errorf("refresh metadata: %w", err)
	}
	tf, err := up.GetTargetInfo(name)
	if err != nil {
		return nil, nil, fmt.Errorf("target %s: %w", name, err)
	}
	_, data, err := up.DownloadTarget(tf, filepath.Join(cache, "download"), "")
	if err != nil {
		return nil, nil, fmt.Errorf("download %s: %w", name, err)
	}
	return tf, data, nil
}
