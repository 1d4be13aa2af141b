package tuf

import (
	"crypto"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Threshold signing of targets roles (top-level or delegated). A new
// version of a role whose threshold the publisher's key alone does not
// meet waits in metadata/staged/ROLE.json, unseen by clients (the snapshot
// still lists the published version), until tuf sign adds the other
// signatures; it is then published with a new snapshot and timestamp by
// whoever holds the online key (tuf sign --online-key, or the next tuf
// refresh). One version of a role waits at a time.

func stagedRolePath(dir, role string) string {
	return filepath.Join(stagedDir(dir), role+".json")
}

// loadStagedRole returns the staged version of a targets role, nil if none.
func loadStagedRole(dir, role string) (*metadata.Metadata[metadata.TargetsType], error) {
	p := stagedRolePath(dir, role)
	if _, err := os.Stat(p); err != nil {
		return nil, nil
	}
	t, err := (&metadata.Metadata[metadata.TargetsType]{}).FromFile(p)
	if err != nil {
		return nil, fmt.Errorf("staged %s: %w", role, err)
	}
	return t, nil
}

// noneStaged refuses a change to role while a version of it waits for
// signatures (the change would be lost or would skip it).
func noneStaged(dir, role string) error {
	t, err := loadStagedRole(dir, role)
	if err != nil {
		return err
	}
	if t != nil {
		return fmt.Errorf("%s version %d is staged, waiting for signatures: hallmark tuf sign it first", role, t.Signed.Version)
	}
	return nil
}

// checkRoleKeys refuses a key that is not one of role's.
func checkRoleKeys(dir, role string, keys []crypto.Signer) error {
	ids, _, err := roleKeyIDs(dir, role)
	if err != nil {
		return err
	}
	return requireKeys(ids, role, keys...)
}

// roleComplete reports whether t carries a threshold of role's signatures.
func roleComplete(dir, role string, t *metadata.Metadata[metadata.TargetsType]) error {
	if role == metadata.TARGETS {
		cur, _, err := rootState(dir)
		if err != nil {
			return err
		}
		return cur.VerifyDelegate(metadata.TARGETS, t)
	}
	top, err := loadTargets(dir)
	if err != nil {
		return err
	}
	return top.VerifyDelegate(role, t)
}

// publishRole signs t, the next version of a targets role, with keys (each
// must be a key of the role) and publishes it with a new snapshot and
// timestamp signed by online, or stages it when the role's threshold is not
// met yet (ErrStaged, wrapped with what is missing).
func publishRole(dir, role string, t *metadata.Metadata[metadata.TargetsType], keys []crypto.Signer, online crypto.Signer, exp Expiries, now time.Time) error {
	if err := noneStaged(dir, role); err != nil {
		return err
	}
	ids, threshold, err := roleKeyIDs(dir, role)
	if err != nil {
		return err
	}
	if err := requireKeys(ids, role, keys...); err != nil {
		return err
	}
	t.ClearSignatures()
	if err := signWith(t, keys...); err != nil {
		return err
	}
	// Fresh signatures by distinct keys of the role (signWith signs once
	// per key): counting them is the threshold check, without encoding a
	// large targets role once more to verify them.
	var missing error
	if len(t.Signatures) < threshold {
		missing = fmt.Errorf("%d of the %d signatures role %s needs", len(t.Signatures), threshold, role)
	}
	return completeRole(dir, role, t, missing, online, exp, now)
}

// completeRole publishes t if missing is nil (its signatures meet the
// threshold) and online is given; otherwise it stages t.
func completeRole(dir, role string, t *metadata.Metadata[metadata.TargetsType], missing error, online crypto.Signer, exp Expiries, now time.Time) error {
	if missing != nil || online == nil {
		if err := os.MkdirAll(stagedDir(dir), 0o755); err != nil {
			return err
		}
		b, err := t.ToBytes(true)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(stagedRolePath(dir, role), b); err != nil {
			return err
		}
		where := filepath.Join("metadata", "staged", role+".json")
		if missing != nil {
			return fmt.Errorf("%s version %d: %w: staged as %s until hallmark tuf sign adds them (%v)", role, t.Signed.Version, ErrStaged, where, missing)
		}
		return fmt.Errorf("%s version %d has its signatures (%w no longer) and waits in %s for the online key: hallmark tuf refresh or tuf sign --online-key publishes it", role, t.Signed.Version, ErrStaged, where)
	}
	if err := writeMeta(dir, fmt.Sprintf("%d.%s.json", t.Signed.Version, role), t); err != nil {
		return err
	}
	if err := publishSnapshot(dir, online, exp, now, map[string]int64{role: t.Signed.Version}); err != nil {
		return err
	}
	if err := os.Remove(stagedRolePath(dir, role)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// signStagedRole adds signatures to role's staged version and publishes it
// once complete (when online is given). It reports false when no version
// of role is staged.
func signStagedRole(dir, role string, keys []crypto.Signer, online crypto.Signer, exp Expiries, now time.Time) (bool, error) {
	if role == metadata.TARGETS {
		cur, next, t, err := stagedPair(dir)
		if err != nil {
			return true, err
		}
		if next != nil {
			if err := requireKeys(next.Signed.Roles[metadata.TARGETS].KeyIDs, role, keys...); err != nil {
				return true, err
			}
			if err := signWith(t, keys...); err != nil {
				return true, err
			}
			return true, publishPair(dir, cur, next, t, online, exp, now)
		}
	}
	t, err := loadStagedRole(dir, role)
	if err != nil || t == nil {
		return false, err
	}
	if err := checkRoleKeys(dir, role, keys); err != nil {
		return true, err
	}
	if err := signWith(t, keys...); err != nil {
		return true, err
	}
	return true, completeRole(dir, role, t, roleComplete(dir, role, t), online, exp, now)
}

// publishStaged publishes, with one snapshot and timestamp, every staged
// targets role that has its signatures (tuf refresh); roles still short of
// signatures stay staged.
func publishStaged(dir string) (map[string]int64, error) {
	entries, err := os.ReadDir(stagedDir(dir))
	if err != nil {
		return nil, nil
	}
	changed := map[string]int64{}
	cur, next, pair, err := stagedPair(dir)
	if err != nil {
		return nil, err
	}
	if next != nil {
		if rootComplete(cur, next) != nil || next.VerifyDelegate(metadata.TARGETS, pair) != nil {
			return changed, nil // nothing is published before the pair is
		}
		if err := publishRoot(dir, cur, next); err != nil {
			return nil, err
		}
	}
	for _, e := range entries {
		role, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasSuffix(role, ".root") {
			continue
		}
		t, err := loadStagedRole(dir, role)
		if err != nil {
			return nil, err
		}
		if roleComplete(dir, role, t) != nil {
			continue
		}
		if err := writeMeta(dir, fmt.Sprintf("%d.%s.json", t.Signed.Version, role), t); err != nil {
			return nil, err
		}
		changed[role] = t.Signed.Version
	}
	return changed, nil
}

// stagedStatus describes a role's staged version for tuf status ("" if
// none).
func stagedStatus(dir, role string) string {
	t, err := loadStagedRole(dir, role)
	if err != nil {
		return "; staged version unreadable: " + err.Error()
	}
	if t == nil {
		return ""
	}
	if role == metadata.TARGETS {
		if _, next, _, err := stagedPair(dir); err == nil && next != nil {
			return fmt.Sprintf("; version %d staged with root version %d: %s", t.Signed.Version, next.Signed.Version, verdict(next.VerifyDelegate(metadata.TARGETS, t)))
		}
	}
	if err := roleComplete(dir, role, t); err != nil {
		return fmt.Sprintf("; version %d staged: MISSING: %v", t.Signed.Version, err)
	}
	return fmt.Sprintf("; version %d staged: signed, waits for tuf refresh", t.Signed.Version)
}

// A rotation of the targets keys to a threshold the new keys given do not
// meet stages the new root version together with the targets re-signed for
// it: publishing the root alone would leave clients with targets the new
// root no longer accepts. Both are published together once tuf sign has
// added the missing targets (and, if needed, root) signatures.

// stagedPair returns the published root, the staged root and the staged
// targets when both wait together (next nil otherwise).
func stagedPair(dir string) (cur, next *metadata.Metadata[metadata.RootType], t *metadata.Metadata[metadata.TargetsType], err error) {
	cur, next, err = rootState(dir)
	if err != nil || next == nil {
		return cur, nil, nil, err
	}
	if t, err = loadStagedRole(dir, metadata.TARGETS); err != nil || t == nil {
		return cur, nil, nil, err
	}
	return cur, next, t, nil
}

// publishPair publishes the staged root and targets together when both
// have their signatures and online is given; otherwise it stages both and
// returns ErrStaged saying what is missing.
func publishPair(dir string, cur, next *metadata.Metadata[metadata.RootType], t *metadata.Metadata[metadata.TargetsType], online crypto.Signer, exp Expiries, now time.Time) error {
	rootMissing := rootComplete(cur, next)
	targetsMissing := next.VerifyDelegate(metadata.TARGETS, t)
	if rootMissing == nil && targetsMissing == nil && online != nil {
		if err := publishRoot(dir, cur, next); err != nil {
			return err
		}
		return completeRole(dir, metadata.TARGETS, t, nil, online, exp, now)
	}
	if err := os.MkdirAll(stagedDir(dir), 0o755); err != nil {
		return err
	}
	for name, m := range map[string]toFiler{fmt.Sprintf("%d.root.json", next.Signed.Version): next, metadata.TARGETS + ".json": t} {
		b, err := m.ToBytes(true)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(stagedDir(dir), name), b); err != nil {
			return err
		}
	}
	return fmt.Errorf("the targets key rotation waits in metadata/staged/, %w or the online key (root version %d: %s; targets version %d: %s): hallmark tuf sign DIR targets adds them, with --online-key to publish (or the next tuf refresh); clients keep the current root and targets meanwhile",
		ErrStaged, next.Signed.Version, verdict(rootMissing), t.Signed.Version, verdict(targetsMissing))
}
