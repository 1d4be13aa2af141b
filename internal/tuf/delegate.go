package tuf

import (
	"crypto"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Delegations: the top-level targets role (offline key) delegates paths
// such as "app/*/*" to a role of their own ("app") whose key a product team
// holds. The team publishes its releases by itself (AddToRole, with its key
// and the online key); its key cannot publish another product's paths, and
// the client (go-tuf's updater) trusts a target only from the role its path
// is delegated to.

// Delegation describes a delegated targets role.
type Delegation struct {
	Role      string
	Paths     []string // path patterns, e.g. "app/*/*" (a "*" does not match "/")
	Keys      []crypto.PublicKey
	Threshold int
}

// reservedRole reports the top-level role names.
func reservedRole(name string) bool {
	switch name {
	case metadata.ROOT, metadata.TARGETS, metadata.SNAPSHOT, metadata.TIMESTAMP:
		return true
	}
	return false
}

// Delegate adds a delegated targets role to the top-level targets (or
// replaces the one of the same name: its paths, keys and threshold), signed
// with k.Offline, the targets key. Delegated roles are terminating: a
// target matching a role's paths is looked up in that role only.
func Delegate(dir string, k Keys, exp Expiries, now time.Time, d Delegation) error {
	if d.Role == "" || reservedRole(d.Role) || strings.ContainsAny(d.Role, `/\`) || strings.Contains(d.Role, "..") {
		return fmt.Errorf("delegated role name %q", d.Role)
	}
	if len(d.Paths) == 0 || len(d.Keys) == 0 {
		return fmt.Errorf("delegation %s needs paths and keys", d.Role)
	}
	if d.Threshold < 1 || d.Threshold > len(d.Keys) {
		return fmt.Errorf("delegation %s: threshold %d with %d key(s)", d.Role, d.Threshold, len(d.Keys))
	}
	targets, err := loadTargets(dir)
	if err != nil {
		return err
	}
	if targets.Signed.Delegations == nil {
		targets.Signed.Delegations = &metadata.Delegations{Keys: map[string]*metadata.Key{}}
	}
	dl := targets.Signed.Delegations
	role := metadata.DelegatedRole{Name: d.Role, Threshold: d.Threshold, Terminating: true, Paths: d.Paths}
	for _, pub := range d.Keys {
		key, err := metadata.KeyFromPublicKey(pub)
		if err != nil {
			return fmt.Errorf("delegation %s: %w", d.Role, err)
		}
		id, err := key.ID()
		if err != nil {
			return err
		}
		dl.Keys[id] = key
		role.KeyIDs = append(role.KeyIDs, id)
	}
	replaced := false
	for i := range dl.Roles {
		if dl.Roles[i].Name == d.Role {
			dl.Roles[i], replaced = role, true
		}
	}
	if !replaced {
		dl.Roles = append(dl.Roles, role)
	}
	// Keys no role uses any more are dropped.
	used := map[string]bool{}
	for _, r := range dl.Roles {
		for _, id := range r.KeyIDs {
			used[id] = true
		}
	}
	for id := range dl.Keys {
		if !used[id] {
			delete(dl.Keys, id)
		}
	}
	targets.Signed.Version++
	targets.Signed.Expires = now.Add(exp.Targets)
	return publish(dir, k, exp, now, targets)
}

// delegatedRole returns the top-level targets' delegation of role.
func delegatedRole(targets *metadata.Metadata[metadata.TargetsType], role string) (*metadata.DelegatedRole, error) {
	if targets.Signed.Delegations != nil {
		for i := range targets.Signed.Delegations.Roles {
			if targets.Signed.Delegations.Roles[i].Name == role {
				return &targets.Signed.Delegations.Roles[i], nil
			}
		}
	}
	return nil, fmt.Errorf("the repository delegates no role %q (hallmark tuf delegate)", role)
}

// keyID is the TUF key id of a public key.
func keyID(pub crypto.PublicKey) (string, error) {
	key, err := metadata.KeyFromPublicKey(pub)
	if err != nil {
		return "", err
	}
	return key.ID()
}

// AddToRole publishes targets in role: "targets" (k.Offline is the
// top-level targets key) or a delegated role (k.Offline is a key of that
// role, and every name must fall within the role's paths). k.Online signs
// the new snapshot and timestamp.
func AddToRole(dir, role string, k Keys, exp Expiries, now time.Time, files []Target) error {
	if role == "" || role == metadata.TARGETS {
		return Add(dir, k, exp, now, files)
	}
	targets, err := loadTargets(dir)
	if err != nil {
		return err
	}
	d, err := delegatedRole(targets, role)
	if err != nil {
		return err
	}
	if err := requireKeys(d.KeyIDs, role, k.Offline); err != nil {
		return fmt.Errorf("%w: it cannot publish %s", err, strings.Join(d.Paths, ", "))
	}
	t, err := loadRole(dir, role)
	if err != nil {
		return err
	}
	if t == nil {
		t = metadata.Targets(now.Add(exp.Targets))
	} else {
		t.Signed.Version++
		t.Signed.Expires = now.Add(exp.Targets)
	}
	allowed := func(name string) error {
		ok, err := d.IsDelegatedPath(name)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("target %s is outside role %s's paths (%s)", name, role, strings.Join(d.Paths, ", "))
		}
		return nil
	}
	if err := noneStaged(dir, role); err != nil {
		return err // before copying files in
	}
	if err := addFiles(dir, t, files, allowed); err != nil {
		return err
	}
	return publishRole(dir, role, t, []crypto.Signer{k.Offline}, k.Online, exp, now)
}

// RoleFor returns the delegated role whose paths include name, or
// "targets" when none does.
func RoleFor(dir, name string) (string, error) {
	targets, err := loadTargets(dir)
	if err != nil {
		return "", err
	}
	if targets.Signed.Delegations != nil {
		for _, r := range targets.Signed.Delegations.Roles {
			if ok, err := r.IsDelegatedPath(name); err == nil && ok {
				return r.Name, nil
			}
		}
	}
	return metadata.TARGETS, nil
}

// Remove withdraws targets from role (a new version of it, snapshot and
// timestamp); k.Offline is a key of the role. The files stay under
// targets/ so that a client in the middle of an update still finds what
// the snapshot it holds names; clients that refresh no longer see them.
func Remove(dir, role string, k Keys, exp Expiries, now time.Time, names []string) error {
	if role == "" {
		role = metadata.TARGETS
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
	if err := requireKeys(ids, role, k.Offline); err != nil {
		return err
	}
	for _, n := range names {
		if _, ok := t.Signed.Targets[n]; !ok {
			return fmt.Errorf("role %s lists no target %s", role, n)
		}
		delete(t.Signed.Targets, n)
	}
	t.Signed.Version++
	t.Signed.Expires = now.Add(exp.Targets)
	return publishRole(dir, role, t, []crypto.Signer{k.Offline}, k.Online, exp, now)
}

// roleKeyIDs are the key ids and threshold of a targets role: the
// top-level targets' from root, a delegated role's from the top-level
// targets.
func roleKeyIDs(dir, role string) ([]string, int, error) {
	if role == metadata.TARGETS {
		cur, _, err := rootState(dir)
		if err != nil {
			return nil, 0, err
		}
		r := cur.Signed.Roles[metadata.TARGETS]
		return r.KeyIDs, r.Threshold, nil
	}
	top, err := loadTargets(dir)
	if err != nil {
		return nil, 0, err
	}
	d, err := delegatedRole(top, role)
	if err != nil {
		return nil, 0, err
	}
	return d.KeyIDs, d.Threshold, nil
}

// requireKeys refuses a key that is not one of the role's.
func requireKeys(ids []string, role string, keys ...crypto.Signer) error {
	for _, k := range keys {
		id, err := keyID(k.Public())
		if err != nil {
			return err
		}
		if !slices.Contains(ids, id) {
			return fmt.Errorf("the key %.12s… is not a key of role %s", id, role)
		}
	}
	return nil
}
