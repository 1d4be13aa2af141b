package vulndb

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSecondWriterFails: while one writer holds the directory lock, another
// Update fails at once with ErrLocked naming the lock file and the holder,
// leaves the index untouched, and readers still open it. Once the lock is
// released, an update succeeds.
func TestSecondWriterFails(t *testing.T) {
	src := exportDir(t, map[string]map[string]string{"npm": {"a.json": record("GHSA-0001-0001-0001", "npm", "left-pad", "1.3.0")}})
	dbDir := t.TempDir()
	if _, err := Update(context.Background(), Options{Dir: dbDir, Source: src}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(dbDir, FileName))
	if err != nil {
		t.Fatal(err)
	}

	// flock locks belong to an open file description, so a second open in
	// the same process conflicts just as another process would.
	held, err := lockDir(dbDir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Update(context.Background(), Options{Dir: dbDir, Source: src, Force: true})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second writer: err = %v, want ErrLocked", err)
	}
	for _, want := range []string{filepath.Join(dbDir, LockName), "process " + strconv.Itoa(os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	db, err := Open(dbDir)
	if err != nil {
		t.Fatalf("reader blocked by the writer lock: %v", err)
	}
	if ids := lookupIDs(t, db, "npm", "left-pad"); len(ids) != 1 {
		t.Errorf("lookup under lock = %v", ids)
	}
	db.Close()
	after, _ := os.ReadFile(filepath.Join(dbDir, FileName))
	if !bytes.Equal(before, after) {
		t.Error("the refused writer changed the index")
	}

	held.unlock()
	if _, err := Update(context.Background(), Options{Dir: dbDir, Source: src, Force: true}); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	// The lock is released when Update returns.
	l, err := lockDir(dbDir)
	if err != nil {
		t.Fatalf("lock still held after Update: %v", err)
	}
	l.unlock()
}
