package cli

import (
	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// openDB opens the vulnerability store named by --db (or its default). It
// returns a nil DB and no error when the store holds no data at all, with
// the directory it looked in, so that each command says so in its own way;
// a store that exists but cannot be read is an error.
func openDB(e *env, flag string) (db *vulndb.DB, dir string, err error) {
	dir, err = dbDir(e, flag)
	if err != nil {
		return nil, "", err
	}
	db, err = scan.OpenDB(dir)
	return db, dir, err
}
