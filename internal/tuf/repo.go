// Package tuf publishes a TUF repository (https://theupdateframework.github.io/specification/latest/)
// with go-tuf v2's metadata library, and updates from one with its
// updater. The publishing workflow is hallmark's: root and targets are
// signed with the offline key, snapshot and timestamp with the online key
// (kept apart, so that the server's key cannot publish targets),
// consistent snapshots are on, and a change becomes visible to clients
// only when timestamp.json is renamed into place last: an interrupted
// publish leaves the previous consistent state.
//
// Layout: DIR/metadata/{N.root.json, root.json, N.targets.json,
// N.snapshot.json, timestamp.json} and DIR/targets/{SHA256}.{NAME}; any
// static web server or object store serves it.
package tuf

import (
	"crypto"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Expiries are how long each role's metadata is valid; the defaults are the
// TUF specification's suggestions.
type Expiries struct{ Root, Targets, Snapshot, Timestamp time.Duration }

// DefaultExpiries: root 1 year, targets 3 months, snapshot 1 week, timestamp 1 day.
var DefaultExpiries = Expiries{Root: 365 * 24 * time.Hour, Targets: 90 * 24 * time.Hour, Snapshot: 7 * 24 * time.Hour, Timestamp: 24 * time.Hour}

// Keys are the signing keys of a repository.
type Keys struct {
	// Offline signs root and targets; Online signs snapshot and timestamp.
	Offline, Online crypto.Signer
}

func signer(k crypto.Signer) (signature.Signer, error) {
	return signature.LoadSigner(k, crypto.SHA256)
}

func metaDir(dir string) string    { return filepath.Join(dir, "metadata") }
func targetsDir(dir string) string { return filepath.Join(dir, "targets") }

// Init creates a repository in dir (which must not hold one).
func Init(dir string, k Keys, exp Expiries, now time.Time) error {
	if _, err := os.Stat(filepath.Join(metaDir(dir), "root.json")); err == nil {
		return fmt.Errorf("%s already holds a TUF repository", dir)
	}
	if err := os.MkdirAll(metaDir(dir), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(targetsDir(dir), 0o755); err != nil {
		return err
	}
	root := metadata.Root(now.Add(exp.Root))
	root.Signed.ConsistentSnapshot = true
	off, err := metadata.KeyFromPublicKey(k.Offline.Public())
	if err != nil {
		return fmt.Errorf("offline key: %w", err)
	}
	on, err := metadata.KeyFromPublicKey(k.Online.Public())
	if err != nil {
		return fmt.Errorf("online key: %w", err)
	}
	for role, key := range map[string]*metadata.Key{metadata.ROOT: off, metadata.TARGETS: off, metadata.SNAPSHOT: on, metadata.TIMESTAMP: on} {
		if err := root.Signed.AddKey(key, role); err != nil {
			return err
		}
	}
	s, err := signer(k.Offline)
	if err != nil {
		return err
	}
	if _, err := root.Sign(s); err != nil {
		return err
	}
	if err := writeMeta(dir, "1.root.json", root); err != nil {
		return err
	}
	if err := writeMeta(dir, "root.json", root); err != nil {
		return err
	}
	targets := metadata.Targets(now.Add(exp.Targets))
	return publish(dir, k, exp, now, targets)
}

// Target is a file to publish, with custom metadata (the paths of its
// signature bundle, SBOM and VEX, themselves targets).
type Target struct {
	Name, Path string
	Custom     map[string]any
}

// Add publishes targets (a new targets, snapshot and timestamp version).
func Add(dir string, k Keys, exp Expiries, now time.Time, files []Target) error {
	targets, err := loadTargets(dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.Name == "" || strings.Contains(f.Name, "..") || strings.HasPrefix(f.Name, "/") {
			return fmt.Errorf("target name %q", f.Name)
		}
		b, err := os.ReadFile(f.Path)
		if err != nil {
			return err
		}
		tf, err := metadata.TargetFile().FromBytes(f.Name, b, "sha256", "sha512")
		if err != nil {
			return err
		}
		if len(f.Custom) > 0 {
			c, _ := json.Marshal(f.Custom)
			raw := json.RawMessage(c)
			tf.Custom = &raw
		}
		// Consistent snapshots: one copy per hash the metadata lists, as
		// a client may ask for the file under any of them (go-tuf picks one).
		for _, h := range tf.Hashes {
			dst := filepath.Join(targetsDir(dir), filepath.FromSlash(pathDir(f.Name)), hex.EncodeToString(h)+"."+baseName(f.Name))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := writeFileAtomic(dst, b); err != nil {
				return err
			}
		}
		targets.Signed.Targets[f.Name] = tf
	}
	targets.Signed.Version++
	targets.Signed.Expires = now.Add(exp.Targets)
	return publish(dir, k, exp, now, targets)
}

// Refresh re-signs snapshot and timestamp with fresh expiries (a cron job
// keeps clients from refusing a frozen repository).
func Refresh(dir string, k Keys, exp Expiries, now time.Time) error {
	targets, err := loadTargets(dir)
	if err != nil {
		return err
	}
	return publishSnapshot(dir, k, exp, now, targets.Signed.Version)
}

// publish signs and writes targets, then snapshot and timestamp.
func publish(dir string, k Keys, exp Expiries, now time.Time, targets *metadata.Metadata[metadata.TargetsType]) error {
	s, err := signer(k.Offline)
	if err != nil {
		return err
	}
	targets.ClearSignatures()
	if _, err := targets.Sign(s); err != nil {
		return err
	}
	if err := writeMeta(dir, fmt.Sprintf("%d.targets.json", targets.Signed.Version), targets); err != nil {
		return err
	}
	return publishSnapshot(dir, k, exp, now, targets.Signed.Version)
}

func publishSnapshot(dir string, k Keys, exp Expiries, now time.Time, targetsVersion int64) error {
	s, err := signer(k.Online)
	if err != nil {
		return err
	}
	snap := metadata.Snapshot(now.Add(exp.Snapshot))
	if old, err := (&metadata.Metadata[metadata.SnapshotType]{}).FromFile(filepath.Join(metaDir(dir), "snapshot.json")); err == nil {
		snap.Signed.Version = old.Signed.Version + 1
	}
	snap.Signed.Meta["targets.json"] = metadata.MetaFile(targetsVersion)
	if _, err := snap.Sign(s); err != nil {
		return err
	}
	if err := writeMeta(dir, fmt.Sprintf("%d.snapshot.json", snap.Signed.Version), snap); err != nil {
		return err
	}
	if err := writeMeta(dir, "snapshot.json", snap); err != nil {
		return err
	}
	ts := metadata.Timestamp(now.Add(exp.Timestamp))
	if old, err := (&metadata.Metadata[metadata.TimestampType]{}).FromFile(filepath.Join(metaDir(dir), "timestamp.json")); err == nil {
		ts.Signed.Version = old.Signed.Version + 1
	}
	ts.Signed.Meta["snapshot.json"] = metadata.MetaFile(snap.Signed.Version)
	if _, err := ts.Sign(s); err != nil {
		return err
	}
	// Last: clients see the new state only from here on.
	return writeMeta(dir, "timestamp.json", ts)
}

func loadTargets(dir string) (*metadata.Metadata[metadata.TargetsType], error) {
	snap, err := (&metadata.Metadata[metadata.SnapshotType]{}).FromFile(filepath.Join(metaDir(dir), "snapshot.json"))
	if err != nil {
		return nil, fmt.Errorf("%s: not a hallmark TUF repository: %w", dir, err)
	}
	mf, ok := snap.Signed.Meta["targets.json"]
	if !ok {
		return nil, errors.New("snapshot lists no targets")
	}
	return (&metadata.Metadata[metadata.TargetsType]{}).FromFile(filepath.Join(metaDir(dir), fmt.Sprintf("%d.targets.json", mf.Version)))
}

type toFiler interface {
	ToBytes(bool) ([]byte, error)
}

func writeMeta(dir, name string, m toFiler) error {
	b, err := m.ToBytes(true)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(metaDir(dir), name), b)
}

// writeFileAtomic writes a file under a temporary name and renames it.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func pathDir(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return ""
}

func baseName(name string) string { return name[strings.LastIndexByte(name, '/')+1:] }

// Status describes a repository's roles.
type Status struct {
	Role    string    `json:"role"`
	Version int64     `json:"version"`
	Expires time.Time `json:"expires"`
	Expired bool      `json:"expired"`
	Targets int       `json:"targets,omitempty"`
}

// Describe returns each top-level role's version and expiry.
func Describe(dir string, now time.Time) ([]Status, error) {
	root, err := (&metadata.Metadata[metadata.RootType]{}).FromFile(filepath.Join(metaDir(dir), "root.json"))
	if err != nil {
		return nil, err
	}
	targets, err := loadTargets(dir)
	if err != nil {
		return nil, err
	}
	snap, err := (&metadata.Metadata[metadata.SnapshotType]{}).FromFile(filepath.Join(metaDir(dir), "snapshot.json"))
	if err != nil {
		return nil, err
	}
	ts, err := (&metadata.Metadata[metadata.TimestampType]{}).FromFile(filepath.Join(metaDir(dir), "timestamp.json"))
	if err != nil {
		return nil, err
	}
	return []Status{
		{"root", root.Signed.Version, root.Signed.Expires, root.Signed.IsExpired(now), 0},
		{"targets", targets.Signed.Version, targets.Signed.Expires, targets.Signed.IsExpired(now), len(targets.Signed.Targets)},
		{"snapshot", snap.Signed.Version, snap.Signed.Expires, snap.Signed.IsExpired(now), 0},
		{"timestamp", ts.Signed.Version, ts.Signed.Expires, ts.Signed.IsExpired(now), 0},
	}, nil
}
