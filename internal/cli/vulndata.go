package cli

import (
	"errors"
	"fmt"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/vex"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// readVEX reads and parses every --vex file, bounded by limits.VEXBytes.
func readVEX(files []string) ([]vex.Statement, error) {
	var stmts []vex.Statement
	for _, vf := range files {
		b, err := readBounded(vf, limits.VEXBytes)
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

// openDB opens the vulnerability store named by --db (or its default). It
// returns a nil DB and no error when the store holds no data at all, with
// the directory it looked in, so that each command says so in its own way;
// a store that exists but cannot be read is an error.
func openDB(e *env, flag string) (db *vulndb.DB, dir string, err error) {
	dir, err = dbDir(e, flag)
	if err != nil {
		return nil, "", err
	}
	db, err = vulndb.Open(dir)
	switch {
	case errors.Is(err, vulndb.ErrNoData):
		return nil, dir, nil
	case err != nil:
		return nil, dir, fmt.Errorf("%w (rebuild it with hallmark db update or db import)", err)
	}
	if len(db.Meta().Ecosystems) == 0 {
		db.Close()
		return nil, dir, nil
	}
	return db, dir, nil
}
