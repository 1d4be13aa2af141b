package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
)

// nameKey is one row of package_names: a package name as the components
// index knows it.
type nameKey struct{ ecosystem, name, matchName, purlBase string }

func componentName(c Component) nameKey {
	return nameKey{string(c.Package.Ecosystem), c.Package.Name, c.MatchName, PURLBase(c.Package.PURL)}
}

// nameCache holds the ids of package names this process has seen
// committed. Ids never change and rows are never deleted, so a cached id
// stays right for every replica.
type nameCache struct {
	mu  sync.Mutex
	ids map[nameKey]int64
}

func (c *nameCache) add(m map[nameKey]int64) {
	if len(m) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil {
		c.ids = map[nameKey]int64{}
	}
	for k, v := range m {
		c.ids[k] = v
	}
}

// releaseNames are the name ids of a release's components, in order, and
// those not in the cache before (added to it once the transaction commits).
type releaseNames struct {
	ids   []int64
	added map[nameKey]int64
}

// nameIDs returns the package_names ids of comps, inserting the names that
// have none, inside tx.
func (s *Store) nameIDs(ctx context.Context, tx *sql.Tx, comps []Component) (releaseNames, error) {
	out := releaseNames{ids: make([]int64, len(comps)), added: map[nameKey]int64{}}
	keys := make([]nameKey, len(comps))
	var missing []nameKey
	s.names.mu.Lock()
	for i, c := range comps {
		keys[i] = componentName(c)
		if _, ok := s.names.ids[keys[i]]; !ok {
			if _, seen := out.added[keys[i]]; !seen {
				out.added[keys[i]] = 0
				missing = append(missing, keys[i])
			}
		}
	}
	s.names.mu.Unlock()
	const batch = 200
	for start := 0; start < len(missing); start += batch {
		part := missing[start:min(start+batch, len(missing))]
		var ins, sel strings.Builder
		ins.WriteString(`INSERT INTO package_names (ecosystem, name, match_name, purl_base) VALUES `)
		sel.WriteString(`SELECT id, ecosystem, name, match_name, purl_base FROM package_names WHERE (ecosystem, name, match_name, purl_base) IN (`)
		args := make([]any, 0, 4*len(part))
		for i, k := range part {
			if i > 0 {
				ins.WriteString(", ")
				sel.WriteString(", ")
			}
			ins.WriteString("(?, ?, ?, ?)")
			sel.WriteString("(?, ?, ?, ?)")
			args = append(args, k.ecosystem, k.name, k.matchName, k.purlBase)
		}
		ins.WriteString(` ON CONFLICT DO NOTHING`)
		sel.WriteString(`)`)
		if _, err := tx.ExecContext(ctx, s.q(ins.String()), args...); err != nil {
			return out, fmt.Errorf("store package names: %w", err)
		}
		rows, err := tx.QueryContext(ctx, s.q(sel.String()), args...)
		if err != nil {
			return out, fmt.Errorf("store package names: %w", err)
		}
		for rows.Next() {
			var id int64
			var k nameKey
			if err := rows.Scan(&id, &k.ecosystem, &k.name, &k.matchName, &k.purlBase); err != nil {
				rows.Close()
				return out, err
			}
			out.added[k] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return out, err
		}
	}
	s.names.mu.Lock()
	defer s.names.mu.Unlock()
	for i, k := range keys {
		id, ok := out.added[k]
		if !ok || id == 0 {
			id, ok = s.names.ids[k]
		}
		if !ok || id == 0 {
			return out, fmt.Errorf("store package names: no id for %s %s", k.ecosystem, k.name)
		}
		out.ids[i] = id
	}
	return out, nil
}
