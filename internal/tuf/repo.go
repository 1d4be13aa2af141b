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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	if exp.Root <= 0 || exp.Targets <= 0 || exp.Snapshot <= 0 || exp.Timestamp <= 0 {
		return fmt.Errorf("expiries must be positive: %+v", exp)
	}
	if err := saveExpiries(dir, exp); err != nil {
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

// Add publishes targets in the top-level targets role (a new targets,
// snapshot and timestamp version); k.Offline is the targets key.
func Add(dir string, k Keys, exp Expiries, now time.Time, files []Target) error {
	targets, err := loadTargets(dir)
	if err != nil {
		return err
	}
	if err := addFiles(dir, targets, files, nil); err != nil {
		return err
	}
	targets.Signed.Version++
	targets.Signed.Expires = now.Add(exp.Targets)
	return publish(dir, k, exp, now, targets)
}

// addFiles copies files into the repository's targets (one copy per hash)
// and lists them in t; allowed, when set, refuses names outside a
// delegation.
func addFiles(dir string, t *metadata.Metadata[metadata.TargetsType], files []Target, allowed func(string) error) error {
	for _, f := range files {
		if f.Name == "" || strings.Contains(f.Name, "..") || strings.HasPrefix(f.Name, "/") {
			return fmt.Errorf("target name %q", f.Name)
		}
		if allowed != nil {
			if err := allowed(f.Name); err != nil {
				return err
			}
		}
		tf, err := copyTarget(dir, f)
		if err != nil {
			return err
		}
		if len(f.Custom) > 0 {
			c, _ := json.Marshal(f.Custom)
			raw := json.RawMessage(c)
			tf.Custom = &raw
		}
		t.Signed.Targets[f.Name] = tf
	}
	return nil
}

// copyTarget streams a file into the repository's targets as HASH.NAME
// (consistent snapshots) and returns its target entry. Targets list one
// hash, SHA-256: a client checks every hash listed, so each further one
// costs every customer a pass over the file (and the repository a copy).
func copyTarget(dir string, f Target) (*metadata.TargetFiles, error) {
	src, err := os.Open(f.Path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	sub := filepath.Join(targetsDir(dir), filepath.FromSlash(pathDir(f.Name)))
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(sub, "."+baseName(f.Name)+".*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), src)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("copy %s into the repository: %w", f.Path, err)
	}
	sum := h.Sum(nil)
	if err := os.Rename(tmp.Name(), filepath.Join(sub, hex.EncodeToString(sum)+"."+baseName(f.Name))); err != nil {
		return nil, err
	}
	return &metadata.TargetFiles{Length: n, Hashes: metadata.Hashes{"sha256": sum}, Path: f.Name}, nil
}

// Refresh re-signs snapshot and timestamp with fresh expiries (a cron job
// keeps clients from refusing a frozen repository), publishing with them
// every staged targets role that has its signatures.
func Refresh(dir string, k Keys, exp Expiries, now time.Time) error {
	if _, err := loadTargets(dir); err != nil {
		return err
	}
	changed, err := publishStaged(dir)
	if err != nil {
		return err
	}
	if err := publishSnapshot(dir, k.Online, exp, now, changed); err != nil {
		return err
	}
	for role := range changed {
		if err := os.Remove(stagedRolePath(dir, role)); err != nil {
			return err
		}
	}
	return nil
}

// publish signs and writes the top-level targets, then snapshot and
// timestamp (staged when the targets threshold needs more keys).
func publish(dir string, k Keys, exp Expiries, now time.Time, targets *metadata.Metadata[metadata.TargetsType]) error {
	return publishRole(dir, metadata.TARGETS, targets, []crypto.Signer{k.Offline}, k.Online, exp, now)
}

// publishSnapshot writes a new snapshot (the previous one's roles with the
// versions in changed) and then the timestamp, signed by the online key.
func publishSnapshot(dir string, online crypto.Signer, exp Expiries, now time.Time, changed map[string]int64) error {
	s, err := signer(online)
	if err != nil {
		return err
	}
	snap := metadata.Snapshot(now.Add(exp.Snapshot))
	if old, err := (&metadata.Metadata[metadata.SnapshotType]{}).FromFile(filepath.Join(metaDir(dir), "snapshot.json")); err == nil {
		snap.Signed.Version = old.Signed.Version + 1
		for name, mf := range old.Signed.Meta {
			snap.Signed.Meta[name] = metadata.MetaFile(mf.Version)
		}
	}
	for role, v := range changed {
		snap.Signed.Meta[role+".json"] = metadata.MetaFile(v)
	}
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
	t, err := loadRole(dir, metadata.TARGETS)
	if err == nil && t == nil {
		err = errors.New("snapshot lists no targets")
	}
	return t, err
}

// loadRole reads the version of a targets role (top-level or delegated)
// that the current snapshot lists; nil when it lists none.
func loadRole(dir, role string) (*metadata.Metadata[metadata.TargetsType], error) {
	snap, err := (&metadata.Metadata[metadata.SnapshotType]{}).FromFile(filepath.Join(metaDir(dir), "snapshot.json"))
	if err != nil {
		return nil, fmt.Errorf("%s: not a hallmark TUF repository: %w", dir, err)
	}
	mf, ok := snap.Signed.Meta[role+".json"]
	if !ok {
		return nil, nil
	}
	return (&metadata.Metadata[metadata.TargetsType]{}).FromFile(filepath.Join(metaDir(dir), fmt.Sprintf("%d.%s.json", mf.Version, role)))
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
	// Signatures is "ok" when the role's threshold is met, else what is
	// missing (and, for root, a staged version waiting for signatures).
	Signatures string `json:"signatures"`
	// Paths are a delegated role's path patterns.
	Paths []string `json:"paths,omitempty"`
}

func verdict(err error) string {
	if err != nil {
		return "MISSING: " + err.Error()
	}
	return "ok"
}

// Describe returns each role's version, expiry and signature state: the
// top-level roles, then the delegated ones.
func Describe(dir string, now time.Time) ([]Status, error) {
	root, staged, err := rootState(dir)
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
	rootSig := verdict(root.VerifyDelegate(metadata.ROOT, root))
	if staged != nil {
		rootSig += fmt.Sprintf("; version %d staged: %s", staged.Signed.Version, verdict(rootComplete(root, staged)))
	}
	out := []Status{
		{Role: "root", Version: root.Signed.Version, Expires: root.Signed.Expires, Expired: root.Signed.IsExpired(now), Signatures: rootSig},
		{Role: "targets", Version: targets.Signed.Version, Expires: targets.Signed.Expires, Expired: targets.Signed.IsExpired(now), Targets: len(targets.Signed.Targets),
			Signatures: verdict(root.VerifyDelegate(metadata.TARGETS, targets)) + stagedStatus(dir, metadata.TARGETS)},
		{Role: "snapshot", Version: snap.Signed.Version, Expires: snap.Signed.Expires, Expired: snap.Signed.IsExpired(now), Signatures: verdict(root.VerifyDelegate(metadata.SNAPSHOT, snap))},
		{Role: "timestamp", Version: ts.Signed.Version, Expires: ts.Signed.Expires, Expired: ts.Signed.IsExpired(now), Signatures: verdict(root.VerifyDelegate(metadata.TIMESTAMP, ts))},
	}
	if targets.Signed.Delegations != nil {
		for _, d := range targets.Signed.Delegations.Roles {
			st := Status{Role: d.Name, Paths: d.Paths, Signatures: "nothing published yet"}
			t, err := loadRole(dir, d.Name)
			if err != nil {
				return nil, err
			}
			if t != nil {
				st.Version, st.Expires, st.Expired, st.Targets = t.Signed.Version, t.Signed.Expires, t.Signed.IsExpired(now), len(t.Signed.Targets)
				st.Signatures = verdict(targets.VerifyDelegate(d.Name, t))
			}
			st.Signatures += stagedStatus(dir, d.Name)
			out = append(out, st)
		}
	}
	return out, nil
}

// configFile keeps the expiries chosen at init beside the metadata, so that
// every later command signs with them.
const configFile = ".hallmark-tuf.json"

type repoConfig struct {
	Root, Targets, Snapshot, Timestamp string
}

func saveExpiries(dir string, exp Expiries) error {
	b, err := json.MarshalIndent(repoConfig{exp.Root.String(), exp.Targets.String(), exp.Snapshot.String(), exp.Timestamp.String()}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, configFile), append(b, '\n'))
}

// RepoExpiries are the expiries the repository in dir was created with
// (DefaultExpiries for a repository that recorded none).
func RepoExpiries(dir string) (Expiries, error) {
	b, err := os.ReadFile(filepath.Join(dir, configFile))
	if errors.Is(err, os.ErrNotExist) {
		return DefaultExpiries, nil
	}
	if err != nil {
		return Expiries{}, err
	}
	var c repoConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return Expiries{}, fmt.Errorf("%s: %w", configFile, err)
	}
	exp := DefaultExpiries
	for _, f := range []struct {
		s string
		d *time.Duration
	}{{c.Root, &exp.Root}, {c.Targets, &exp.Targets}, {c.Snapshot, &exp.Snapshot}, {c.Timestamp, &exp.Timestamp}} {
		if f.s == "" {
			continue
		}
		d, err := time.ParseDuration(f.s)
		if err != nil || d <= 0 {
			return Expiries{}, fmt.Errorf("%s: expiry %q", configFile, f.s)
		}
		*f.d = d
	}
	return exp, nil
}
