package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// vulnData holds the vulnerability index the server matches with. hallmark
// db update/import replaces the index file by rename; the server notices
// (a stat per check: another inode, size or time) and opens the new one
// without a restart. Matches in flight keep the index they started with:
// an old index is closed when its last user releases it.
type vulnData struct {
	dir string

	mu   sync.Mutex
	cur  *dbRef
	seen os.FileInfo // the file cur was opened from
}

// dbRef is an open index with its users.
type dbRef struct {
	db *vulndb.DB
	// gen identifies the index's content: the same data imported by two
	// replicas has the same gen (its sources' validators and counts, not
	// the time it was built).
	gen     string
	refs    int
	retired bool
}

// acquire returns the current index (nil when none has been imported) and
// the function that releases it; changed reports that it was (re)opened by
// this call.
func (v *vulnData) acquire() (ref *dbRef, release func(), changed bool, err error) {
	path := filepath.Join(v.dir, vulndb.FileName)
	fi, statErr := os.Stat(path)
	v.mu.Lock()
	defer v.mu.Unlock()
	same := statErr == nil && v.seen != nil && os.SameFile(fi, v.seen) && fi.Size() == v.seen.Size() && fi.ModTime().Equal(v.seen.ModTime())
	if !same && statErr == nil {
		db, err := scan.OpenDB(v.dir)
		if err != nil {
			return nil, func() {}, false, err
		}
		if db != nil {
			g := genOf(db.Meta())
			if v.cur != nil && v.cur.gen == g {
				// Rewritten with the same content (db update found nothing new).
				db.Close()
			} else {
				v.retire()
				v.cur, changed = &dbRef{db: db, gen: g}, true
			}
			v.seen = fi
		}
	}
	if v.cur == nil {
		return nil, func() {}, false, nil
	}
	r := v.cur
	r.refs++
	var once sync.Once
	return r, func() { once.Do(func() { v.release(r) }) }, changed, nil
}

// retire drops the current index; it closes when its last user is done.
func (v *vulnData) retire() {
	if v.cur == nil {
		return
	}
	v.cur.retired = true
	if v.cur.refs == 0 {
		v.cur.db.Close()
	}
	v.cur = nil
}

func (v *vulnData) release(r *dbRef) {
	v.mu.Lock()
	defer v.mu.Unlock()
	r.refs--
	if r.refs == 0 && r.retired {
		r.db.Close()
	}
}

// close closes the index (the server is stopping).
func (v *vulnData) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.retire()
	v.seen = nil
}

// genOf hashes what identifies an index's content.
func genOf(m vulndb.Meta) string {
	type eco struct {
		Name, ETag, LastModified                          string
		Advisories, Withdrawn, Malicious, Packages, Skips int
	}
	var es []eco
	for _, e := range m.Ecosystems {
		es = append(es, eco{e.Name, e.ETag, e.LastModified, e.Advisories, e.Withdrawn, e.Malicious, e.Packages, e.Skipped})
	}
	b, _ := json.Marshal(es)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:12])
}

// current is acquire for a caller that cannot release: its use of the
// index must end within a minute (one request's match).
func (v *vulnData) current() (*vulndb.DB, bool, error) {
	ref, release, changed, err := v.acquire()
	if err != nil || ref == nil {
		return nil, changed, err
	}
	time.AfterFunc(time.Minute, release)
	return ref.db, changed, nil
}
