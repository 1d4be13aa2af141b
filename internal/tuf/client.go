package tuf

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/hallmark-dev/hallmark/internal/digest"
	"github.com/hallmark-dev/hallmark/internal/limits"
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
	// MetadataURL, TargetsURL and MetadataDir, when set, replace what
	// RepoURL and CacheDir imply (RepoURL/metadata, RepoURL/targets,
	// CacheDir/metadata): the conformance client's protocol names each.
	MetadataURL, TargetsURL, MetadataDir string
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
	s, err := Open(opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Get(name, dst)
}

// Session is one run of the client workflow: metadata refreshed once, then
// any number of targets downloaded against it.
type Session struct {
	up         *updater.Updater
	cache      string
	done       func()
	targetsURL string
	client     *http.Client
}

// Open refreshes the metadata (see Fetch); a corrupt local cache is
// discarded and the workflow restarts from the trusted root.
func Open(opts ClientOptions) (*Session, error) {
	up, cache, done, err := refreshed(opts)
	if err != nil {
		return nil, err
	}
	targetsURL := strings.TrimRight(opts.RepoURL, "/") + "/targets"
	if opts.TargetsURL != "" {
		targetsURL = strings.TrimRight(opts.TargetsURL, "/")
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: limits.TUFTargetTimeout}
	}
	return &Session{up: up, cache: cache, done: done, targetsURL: targetsURL, client: client}, nil
}

// Close removes the session's temporary files.
func (s *Session) Close() { s.done() }

// Get downloads target name, verified by length and hashes against the
// session's trusted metadata, into dst (atomically), and returns its
// custom metadata.
func (s *Session) Get(name, dst string) (map[string]any, error) {
	tf, err := s.up.GetTargetInfo(name)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", name, err)
	}
	if err := s.download(tf, dst); err != nil {
		return nil, fmt.Errorf("download %s: %w", name, err)
	}
	var custom map[string]any
	if tf.Custom != nil {
		_ = jsonUnmarshal(*tf.Custom, &custom)
	}
	return custom, nil
}

// download streams a target to dst, verified against its trusted length
// and every hash its metadata lists before it is renamed into place.
// go-tuf's updater would hold the whole target in memory (its fetcher
// returns a byte slice): a 2 GB image would need 2 GB and more.
func (s *Session) download(tf *metadata.TargetFiles, dst string) error {
	if len(tf.Hashes) == 0 {
		return errors.New("the metadata lists no hash for it")
	}
	var algs []digest.Algorithm
	for name := range tf.Hashes {
		a, err := digest.ParseAlgorithm(name)
		if err != nil || (a != digest.SHA256 && a != digest.SHA512) {
			return fmt.Errorf("hash algorithm %q is not one a TUF client checks", name)
		}
		algs = append(algs, a)
	}
	// Consistent snapshots: targets are fetched as HASH.NAME.
	remote := tf.Path
	if s.up.GetTrustedMetadataSet().Root.Signed.ConsistentSnapshot {
		var h string
		for _, v := range tf.Hashes {
			h = hex.EncodeToString(v)
			break
		}
		if i := strings.LastIndexByte(remote, '/'); i >= 0 {
			remote = remote[:i+1] + h + "." + remote[i+1:]
		} else {
			remote = h + "." + remote
		}
	}
	resp, err := s.client.Get(s.targetsURL + "/" + remote)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", remote, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// One byte more than the trusted length is read: endless data stops there.
	set, n, err := digest.Reader(context.Background(), io.TeeReader(io.LimitReader(resp.Body, tf.Length+1), tmp), algs...)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if n != tf.Length {
		return fmt.Errorf("length mismatch: %d bytes or more, the trusted metadata says %d", n, tf.Length)
	}
	for name, want := range tf.Hashes {
		a, _ := digest.ParseAlgorithm(name)
		if !bytes.Equal(set[a], want) {
			return fmt.Errorf("%s mismatch: the file is not the one the trusted metadata lists", name)
		}
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// cleanLocal removes the cached metadata files that are not metadata of
// their role at all (truncated, corrupt, another role's): go-tuf's updater
// sets aside local metadata that fails verification, but stops on one it
// cannot even parse. Such a file cannot be what the updater wrote after
// verifying it, so nothing trusted is lost; well-formed files stay, so
// their versions keep protecting against rollback. root.json is left to
// trustedRoot.
func cleanLocal(metaDir string) {
	entries, err := os.ReadDir(metaDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() || name == metadata.ROOT {
			continue
		}
		p := filepath.Join(metaDir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		switch name {
		case metadata.TIMESTAMP:
			_, err = metadata.Timestamp().FromBytes(b)
		case metadata.SNAPSHOT:
			_, err = metadata.Snapshot().FromBytes(b)
		default: // targets and delegated targets roles
			_, err = metadata.Targets().FromBytes(b)
		}
		if err != nil {
			os.Remove(p)
		}
	}
}

// trustedRoot is the root to start the workflow from: the newest root the
// updater verified and kept in the cache when it is newer than the one the
// customer gave (and signed by a threshold of its own root keys), else the
// customer's. Starting from the customer's root 1 on every run would let
// whoever holds root keys retired since then sign a new chain from there.
func trustedRoot(metaDir string, given []byte) []byte {
	b, err := os.ReadFile(filepath.Join(metaDir, "root.json"))
	if err != nil {
		return given
	}
	cached, err := metadata.Root().FromBytes(b)
	if err != nil {
		return given
	}
	g, err := metadata.Root().FromBytes(given)
	if err != nil || cached.Signed.Version <= g.Signed.Version || cached.VerifyDelegate(metadata.ROOT, cached) != nil {
		return given
	}
	return b
}

// refreshed runs the top-level metadata workflow (root, timestamp,
// snapshot, targets) and returns the updater, its cache directory and a
// function that removes a temporary cache.
func refreshed(opts ClientOptions) (*updater.Updater, string, func(), error) {
	done := func() {}
	repoURL := strings.TrimRight(opts.RepoURL, "/")
	metaURL, targetsURL := repoURL+"/metadata", repoURL+"/targets"
	if opts.MetadataURL != "" {
		metaURL = opts.MetadataURL
	}
	if opts.TargetsURL != "" {
		targetsURL = opts.TargetsURL
	}
	cfg, err := config.New(metaURL, opts.Root)
	if err != nil {
		return nil, "", done, err
	}
	cache := opts.CacheDir
	if cache == "" {
		if cache, err = os.MkdirTemp("", "hallmark-tuf-"); err != nil {
			return nil, "", done, err
		}
		tmp := cache
		done = func() { os.RemoveAll(tmp) }
	}
	fail := func(err error) (*updater.Updater, string, func(), error) {
		done()
		return nil, "", func() {}, err
	}
	cfg.LocalMetadataDir = filepath.Join(cache, "metadata")
	if opts.MetadataDir != "" {
		cfg.LocalMetadataDir = opts.MetadataDir
	}
	cleanLocal(cfg.LocalMetadataDir)
	cfg.LocalTrustedRoot = trustedRoot(cfg.LocalMetadataDir, opts.Root)
	cfg.LocalTargetsDir = filepath.Join(cache, "targets")
	cfg.RemoteTargetsURL = targetsURL
	cfg.PrefixTargetsWithHash = true
	if opts.HTTPClient != nil {
		if err := cfg.SetDefaultFetcherHTTPClient(opts.HTTPClient); err != nil {
			return fail(err)
		}
	}
	if err := cfg.EnsurePathsExist(); err != nil {
		return fail(err)
	}
	up, err := updater.New(cfg)
	if err != nil {
		return fail(fmt.Errorf("trusted root: %w", err))
	}
	if !opts.Now.IsZero() {
		up.UnsafeSetRefTime(opts.Now)
	}
	if err := up.Refresh(); err != nil {
		return fail(fmt.Errorf("refresh metadata: %w", err))
	}
	return up, cache, done, nil
}

// TargetInfo is what the repository's trusted targets metadata says of one
// target.
type TargetInfo struct {
	Length int64
	Hashes map[string]string // algorithm -> hex
}

// ErrNotATarget reports a name the trusted targets do not list.
var ErrNotATarget = errors.New("not in the repository's signed targets")

// Lookup runs the client workflow (so expired, rolled-back or wrongly
// signed metadata is refused as for Fetch) and returns what the trusted
// targets metadata says of each name; a name it does not list maps to
// ErrNotATarget in the second result.
func Lookup(opts ClientOptions, names []string) (map[string]TargetInfo, map[string]error, error) {
	up, _, done, err := refreshed(opts)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	infos, errs := map[string]TargetInfo{}, map[string]error{}
	for _, n := range names {
		tf, err := up.GetTargetInfo(n)
		if err != nil {
			// go-tuf says so only in words (updater.preOrderDepthFirstWalk).
			if err.Error() == "target "+n+" not found" {
				err = ErrNotATarget
			}
			errs[n] = err
			continue
		}
		ti := TargetInfo{Length: tf.Length, Hashes: map[string]string{}}
		for alg, h := range tf.Hashes {
			ti.Hashes[alg] = h.String()
		}
		infos[n] = ti
	}
	return infos, errs, nil
}

// Repository returns the base URL and HTTP client for a repository given as
// an http(s) URL or as a local directory (a mirror or a copy handed to an
// offline site: read through net/http's file transport, so the client
// workflow is the same).
func Repository(repo string) (string, *http.Client, error) {
	if strings.HasPrefix(repo, "http://") || strings.HasPrefix(repo, "https://") {
		return repo, nil, nil
	}
	abs, err := filepath.Abs(repo)
	if err != nil {
		return "", nil, err
	}
	if st, err := os.Stat(filepath.Join(abs, "metadata")); err != nil || !st.IsDir() {
		return "", nil, fmt.Errorf("%s: not a TUF repository directory (no metadata/)", repo)
	}
	t := &http.Transport{}
	t.RegisterProtocol("file", http.NewFileTransport(http.Dir(abs)))
	return "file:///", &http.Client{Transport: t}, nil
}
