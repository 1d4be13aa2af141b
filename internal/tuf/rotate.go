package tuf

import (
	"crypto"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Key rotation and threshold signing. A new root version must be signed by
// a threshold of the previous root's root keys and of its own: until both
// are met it waits in metadata/staged/ (tuf sign adds signatures from other
// machines), and clients never see it. Published root versions form an
// unbroken chain 1, 2, 3...: a client holding root 1 walks every version.

func stagedDir(dir string) string { return filepath.Join(metaDir(dir), "staged") }

func loadRoot(path string) (*metadata.Metadata[metadata.RootType], error) {
	return (&metadata.Metadata[metadata.RootType]{}).FromFile(path)
}

// ErrStaged reports a root version that still lacks signatures.
var ErrStaged = errors.New("signatures missing")

// rootState is the published root and, when a rotation waits for
// signatures, the staged next version.
func rootState(dir string) (cur, staged *metadata.Metadata[metadata.RootType], err error) {
	if cur, err = loadRoot(filepath.Join(metaDir(dir), "root.json")); err != nil {
		return nil, nil, fmt.Errorf("%s: not a hallmark TUF repository: %w", dir, err)
	}
	p := filepath.Join(stagedDir(dir), fmt.Sprintf("%d.root.json", cur.Signed.Version+1))
	if _, serr := os.Stat(p); serr == nil {
		if staged, err = loadRoot(p); err != nil {
			return nil, nil, fmt.Errorf("staged root: %w", err)
		}
	}
	return cur, staged, nil
}

// rootComplete reports whether next is signed by a threshold of prev's and
// of its own root keys.
func rootComplete(prev, next *metadata.Metadata[metadata.RootType]) error {
	if err := prev.VerifyDelegate(metadata.ROOT, next); err != nil {
		return fmt.Errorf("version %d: the previous root's keys: %w", next.Signed.Version, err)
	}
	if err := next.VerifyDelegate(metadata.ROOT, next); err != nil {
		return fmt.Errorf("version %d: its own root keys: %w", next.Signed.Version, err)
	}
	return nil
}

// publishRoot publishes next if its signatures are complete, else stages
// it. It returns ErrStaged (wrapped with what is missing) when staged.
func publishRoot(dir string, prev, next *metadata.Metadata[metadata.RootType]) error {
	name := fmt.Sprintf("%d.root.json", next.Signed.Version)
	if err := rootComplete(prev, next); err != nil {
		if err := os.MkdirAll(stagedDir(dir), 0o755); err != nil {
			return err
		}
		b, err2 := next.ToBytes(true)
		if err2 != nil {
			return err2
		}
		if err2 := writeFileAtomic(filepath.Join(stagedDir(dir), name), b); err2 != nil {
			return err2
		}
		return fmt.Errorf("root %w: staged as %s until hallmark tuf sign adds them (%v)", ErrStaged, filepath.Join("metadata", "staged", name), err)
	}
	if err := writeMeta(dir, name, next); err != nil {
		return err
	}
	if err := writeMeta(dir, "root.json", next); err != nil {
		return err
	}
	os.Remove(filepath.Join(stagedDir(dir), name))
	return nil
}

// signWith adds the signatures of signers to m (once per key).
func signWith[T metadata.Roles](m *metadata.Metadata[T], signers ...crypto.Signer) error {
	for _, k := range signers {
		id, err := keyID(k.Public())
		if err != nil {
			return err
		}
		if slices.ContainsFunc(m.Signatures, func(s metadata.Signature) bool { return s.KeyID == id }) {
			continue
		}
		s, err := signer(k)
		if err != nil {
			return err
		}
		if _, err := m.Sign(s); err != nil {
			return err
		}
	}
	return nil
}

// Rotation replaces a role's keys.
type Rotation struct {
	Role string
	// Signers are the current keys that authorise the change: root keys for
	// a top-level role, the targets key for a delegated role.
	Signers []crypto.Signer
	// New are the role's new keys (private: they sign the role's metadata
	// at once); Threshold is the role's threshold from now on (0: keep).
	New       []crypto.Signer
	Threshold int
	// Others are further new keys whose holders sign elsewhere, later
	// (hallmark tuf sign): a root version that needs them is staged.
	Others []crypto.PublicKey
	// Online is the current online key (snapshot and timestamp), unless
	// the role rotated is snapshot or timestamp.
	Online crypto.Signer
}

// Rotate replaces a role's keys. For root, targets, snapshot and timestamp
// it writes the next root version (signed by the current root keys given
// and, for root, by the new ones), staging it when thresholds are not met;
// the role's metadata is then re-signed with the new key. For a delegated
// role the top-level targets change and the role is re-signed.
func Rotate(dir string, r Rotation, exp Expiries, now time.Time) error {
	if len(r.New) == 0 || len(r.Signers) == 0 {
		return errors.New("a rotation needs the current keys and the new ones")
	}
	var pubs []crypto.PublicKey
	for _, k := range r.New {
		pubs = append(pubs, k.Public())
	}
	pubs = append(pubs, r.Others...)
	if r.Role != metadata.ROOT && r.Role != metadata.SNAPSHOT && r.Role != metadata.TIMESTAMP {
		if err := noneStaged(dir, r.Role); err != nil {
			return err
		}
	}
	if !reservedRole(r.Role) {
		targets, err := loadTargets(dir)
		if err != nil {
			return err
		}
		d, err := delegatedRole(targets, r.Role)
		if err != nil {
			return err
		}
		th := d.Threshold
		if r.Threshold > 0 {
			th = r.Threshold
		}
		if err := Delegate(dir, Keys{Offline: r.Signers[0], Online: r.Online}, exp, now, Delegation{Role: r.Role, Paths: d.Paths, Keys: pubs, Threshold: th}); err != nil {
			return err
		}
		t, err := loadRole(dir, r.Role)
		if err != nil || t == nil {
			return err // nothing published in the role yet
		}
		t.Signed.Version++
		t.Signed.Expires = now.Add(exp.Targets)
		return publishRole(dir, r.Role, t, r.New, r.Online, exp, now)
	}
	cur, staged, err := rootState(dir)
	if err != nil {
		return err
	}
	if staged != nil {
		return fmt.Errorf("root version %d is staged, waiting for signatures: hallmark tuf sign it first", staged.Signed.Version)
	}
	next, err := loadRoot(filepath.Join(metaDir(dir), "root.json"))
	if err != nil {
		return err
	}
	next.Signed.Version = cur.Signed.Version + 1
	next.Signed.Expires = now.Add(exp.Root)
	role := next.Signed.Roles[r.Role]
	for _, id := range slices.Clone(role.KeyIDs) {
		if err := next.Signed.RevokeKey(id, r.Role); err != nil {
			return err
		}
	}
	for _, pub := range pubs {
		key, err := metadata.KeyFromPublicKey(pub)
		if err != nil {
			return err
		}
		if err := next.Signed.AddKey(key, r.Role); err != nil {
			return err
		}
	}
	if r.Threshold > 0 {
		next.Signed.Roles[r.Role].Threshold = r.Threshold
	}
	next.ClearSignatures()
	signers := r.Signers
	if r.Role == metadata.ROOT {
		signers = append(slices.Clone(r.Signers), r.New...)
	}
	if err := signWith(next, signers...); err != nil {
		return err
	}
	if r.Role == metadata.TARGETS && len(r.New) < next.Signed.Roles[metadata.TARGETS].Threshold {
		// The new targets keys given cannot sign the targets alone:
		// root and targets wait together (see publishPair).
		t, err := loadTargets(dir)
		if err != nil {
			return err
		}
		t.Signed.Version++
		t.Signed.Expires = now.Add(exp.Targets)
		t.ClearSignatures()
		if err := signWith(t, r.New...); err != nil {
			return err
		}
		return publishPair(dir, cur, next, t, nil, exp, now)
	}
	if err := publishRoot(dir, cur, next); err != nil {
		return err
	}
	return afterRoot(dir, r, exp, now)
}

// afterRoot re-signs, with the new keys, the metadata of a top-level role
// whose keys a new root version changed.
func afterRoot(dir string, r Rotation, exp Expiries, now time.Time) error {
	switch r.Role {
	case metadata.TARGETS:
		t, err := loadTargets(dir)
		if err != nil {
			return err
		}
		t.Signed.Version++
		t.Signed.Expires = now.Add(exp.Targets)
		return publishRole(dir, metadata.TARGETS, t, r.New, r.Online, exp, now)
	case metadata.SNAPSHOT, metadata.TIMESTAMP:
		return publishSnapshot(dir, r.New[0], exp, now, nil)
	}
	return nil
}

// Sign adds signatures to a role's newest metadata: the staged version when
// one waits (a root is published once its thresholds are met; a targets
// role once its threshold is met, with a new snapshot and timestamp signed
// by online, or by the next Refresh when online is nil), else the published
// root, targets or delegated role. Only keys of the role (for a staged
// root, also the previous root's) are accepted.
func Sign(dir, role string, keys []crypto.Signer, online crypto.Signer, exp Expiries, now time.Time) error {
	if len(keys) == 0 {
		return errors.New("no key to sign with")
	}
	cur, staged, err := rootState(dir)
	if err != nil {
		return err
	}
	check := func(ids []string) error { return requireKeys(ids, role, keys...) }
	switch role {
	case metadata.ROOT:
		if staged != nil {
			ids := slices.Concat(staged.Signed.Roles[metadata.ROOT].KeyIDs, cur.Signed.Roles[metadata.ROOT].KeyIDs)
			if err := check(ids); err != nil {
				return err
			}
			if err := signWith(staged, keys...); err != nil {
				return err
			}
			if _, next, t, err := stagedPair(dir); err != nil {
				return err
			} else if next != nil {
				return publishPair(dir, cur, staged, t, online, exp, now)
			}
			return publishRoot(dir, cur, staged)
		}
		if err := check(cur.Signed.Roles[metadata.ROOT].KeyIDs); err != nil {
			return err
		}
		if err := signWith(cur, keys...); err != nil {
			return err
		}
		if err := writeMeta(dir, fmt.Sprintf("%d.root.json", cur.Signed.Version), cur); err != nil {
			return err
		}
		return writeMeta(dir, "root.json", cur)
	case metadata.SNAPSHOT, metadata.TIMESTAMP:
		return fmt.Errorf("%s is signed by the online key on every change (hallmark tuf refresh)", role)
	}
	if staged, err := signStagedRole(dir, role, keys, online, exp, now); staged {
		return err
	}
	t, err := loadRole(dir, role)
	if err != nil {
		return err
	}
	if t == nil {
		return fmt.Errorf("no role %s is published", role)
	}
	ids, _, err := roleKeyIDs(dir, role)
	if err != nil {
		return err
	}
	if err := check(ids); err != nil {
		return err
	}
	if err := signWith(t, keys...); err != nil {
		return err
	}
	return writeMeta(dir, fmt.Sprintf("%d.%s.json", t.Signed.Version, role), t)
}
