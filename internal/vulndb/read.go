package vulndb

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/osv"
)

func crc(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

// maxMetaBytes bounds the footer read at open.
const maxMetaBytes = 64 << 20

// DB is an open index. It is safe for concurrent use.
type DB struct {
	path string
	f    *os.File
	size int64
	meta Meta

	mu    sync.Mutex
	secs  map[string]*sectionReader
	pages map[pageKey][]pageEntry
}

type sectionReader struct {
	meta   EcosystemMeta
	sparse []sparseEntry
}

type pageKey struct {
	eco string
	off int64
}

type pageEntry struct {
	key      string
	off, len int64
}

// Open opens the index in dir. It returns an error wrapping ErrNoData when
// no index has been built there yet, and one wrapping ErrCorrupt when the
// file is not a complete index.
func Open(dir string) (*DB, error) {
	path := filepath.Join(dir, FileName)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w in %s", ErrNoData, dir)
		}
		return nil, err
	}
	db, err := open(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return db, nil
}

func open(f *os.File, path string) (*DB, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size < int64(len(magic))+trailerLen {
		return nil, fmt.Errorf("%s: %w: %d bytes", path, ErrCorrupt, size)
	}
	var head [8]byte
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrCorrupt, err)
	}
	if head != magic {
		return nil, fmt.Errorf("%s: %w: not a hallmark index (or an unknown format version)", path, ErrCorrupt)
	}
	var tr [trailerLen]byte
	if _, err := f.ReadAt(tr[:], size-trailerLen); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrCorrupt, err)
	}
	if !bytes.Equal(tr[16:], trailerMagic[:]) {
		return nil, fmt.Errorf("%s: %w: truncated", path, ErrCorrupt)
	}
	moff := int64(binary.LittleEndian.Uint64(tr[0:]))
	mlen := int64(binary.LittleEndian.Uint32(tr[8:]))
	if mlen > maxMetaBytes || moff < int64(len(magic)) || moff+mlen != size-trailerLen {
		return nil, fmt.Errorf("%s: %w: bad footer", path, ErrCorrupt)
	}
	mb := make([]byte, mlen)
	if _, err := f.ReadAt(mb, moff); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrCorrupt, err)
	}
	if crc(mb) != binary.LittleEndian.Uint32(tr[12:]) {
		return nil, fmt.Errorf("%s: %w: footer checksum mismatch", path, ErrCorrupt)
	}
	db := &DB{path: path, f: f, size: size, secs: map[string]*sectionReader{}, pages: map[pageKey][]pageEntry{}}
	if err := json.Unmarshal(mb, &db.meta); err != nil {
		return nil, fmt.Errorf("%s: %w: footer: %v", path, ErrCorrupt, err)
	}
	if db.meta.Format != Format {
		return nil, fmt.Errorf("%s: %w: format %d, want %d", path, ErrCorrupt, db.meta.Format, Format)
	}
	for _, m := range db.meta.Ecosystems {
		if m.Offset < int64(len(magic)) || m.Length < 0 || m.Offset+m.Length > moff ||
			m.SparseOff < 0 || m.SparseLen < 0 || m.SparseOff+m.SparseLen > m.Length {
			return nil, fmt.Errorf("%s: %w: section %s out of bounds", path, ErrCorrupt, m.Name)
		}
	}
	return db, nil
}

// Close closes the index file.
func (db *DB) Close() error { return db.f.Close() }

// Path returns the index file's path.
func (db *DB) Path() string { return db.path }

// Meta returns the index footer.
func (db *DB) Meta() Meta { return db.meta }

// Ecosystem returns the metadata of an imported ecosystem (base name).
func (db *DB) Ecosystem(eco string) (EcosystemMeta, bool) {
	for _, m := range db.meta.Ecosystems {
		if m.Name == eco {
			return m, true
		}
	}
	return EcosystemMeta{}, false
}

func (db *DB) section(eco string) (*sectionReader, error) {
	if s, ok := db.secs[eco]; ok {
		return s, nil
	}
	m, ok := db.Ecosystem(eco)
	if !ok {
		db.secs[eco] = nil
		return nil, nil
	}
	b := make([]byte, m.SparseLen)
	if _, err := db.f.ReadAt(b, m.Offset+m.SparseOff); err != nil {
		return nil, fmt.Errorf("%s: %w: %s sparse index: %v", db.path, ErrCorrupt, eco, err)
	}
	s := &sectionReader{meta: m}
	if err := json.Unmarshal(b, &s.sparse); err != nil {
		return nil, fmt.Errorf("%s: %w: %s sparse index: %v", db.path, ErrCorrupt, eco, err)
	}
	db.secs[eco] = s
	return s, nil
}

// Lookup returns the advisories of the OSV ecosystem eco (its base name,
// e.g. "npm" or "Debian") that name the package, by its name as
// NormalizeName keys it. ok is false when the ecosystem was never imported,
// so that the caller can tell "no data" from "no advisories".
func (db *DB) Lookup(eco, name string) (recs []Record, ok bool, err error) {
	base := osv.BaseEcosystem(eco)
	key := NormalizeName(base, name)
	db.mu.Lock()
	defer db.mu.Unlock()
	s, err := db.section(base)
	if err != nil || s == nil {
		return nil, false, err
	}
	i := sort.Search(len(s.sparse), func(i int) bool { return s.sparse[i].First > key }) - 1
	if i < 0 {
		return nil, true, nil
	}
	page, err := db.page(s, s.sparse[i])
	if err != nil {
		return nil, true, err
	}
	j := sort.Search(len(page), func(j int) bool { return page[j].key >= key })
	if j == len(page) || page[j].key != key {
		return nil, true, nil
	}
	pe := page[j]
	b := make([]byte, pe.len)
	if _, err := db.f.ReadAt(b, s.meta.Offset+pe.off); err != nil {
		return nil, true, fmt.Errorf("%s: %w: %s/%s: %v", db.path, ErrCorrupt, base, key, err)
	}
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, true, fmt.Errorf("%s: %w: %s/%s: %v", db.path, ErrCorrupt, base, key, err)
	}
	return recs, true, nil
}

func (db *DB) page(s *sectionReader, se sparseEntry) ([]pageEntry, error) {
	pk := pageKey{s.meta.Name, se.Off}
	if p, ok := db.pages[pk]; ok {
		return p, nil
	}
	if se.Off < 0 || se.Len < 0 || se.Off+se.Len > s.meta.Length {
		return nil, fmt.Errorf("%s: %w: %s page out of bounds", db.path, ErrCorrupt, s.meta.Name)
	}
	b := make([]byte, se.Len)
	if _, err := db.f.ReadAt(b, s.meta.Offset+se.Off); err != nil {
		return nil, fmt.Errorf("%s: %w: %s page: %v", db.path, ErrCorrupt, s.meta.Name, err)
	}
	var p []pageEntry
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, fmt.Errorf("%s: %w: %s page", db.path, ErrCorrupt, s.meta.Name)
		}
		b = b[k:]
		key := string(b[:n])
		b = b[n:]
		off, k1 := binary.Uvarint(b)
		if k1 <= 0 {
			return nil, fmt.Errorf("%s: %w: %s page", db.path, ErrCorrupt, s.meta.Name)
		}
		b = b[k1:]
		ln, k2 := binary.Uvarint(b)
		if k2 <= 0 {
			return nil, fmt.Errorf("%s: %w: %s page", db.path, ErrCorrupt, s.meta.Name)
		}
		b = b[k2:]
		if off+ln > uint64(s.meta.Length) || ln > limits.OSVRecordBytes*64 {
			return nil, fmt.Errorf("%s: %w: %s record out of bounds", db.path, ErrCorrupt, s.meta.Name)
		}
		p = append(p, pageEntry{key, int64(off), int64(ln)})
	}
	db.pages[pk] = p
	return p, nil
}

// Advisory reads the full OSV record a Record of ecosystem eco points at.
func (db *DB) Advisory(eco string, r Record) (*osv.Entry, error) {
	base := osv.BaseEcosystem(eco)
	m, ok := db.Ecosystem(base)
	if !ok {
		return nil, fmt.Errorf("%s: no ecosystem %s", db.path, base)
	}
	if r.Off < 0 || r.Len < 0 || r.Off+r.Len > m.Length {
		return nil, fmt.Errorf("%s: %w: %s advisory %s out of bounds", db.path, ErrCorrupt, base, r.ID)
	}
	zr := flate.NewReader(io.NewSectionReader(db.f, m.Offset+r.Off, r.Len))
	defer zr.Close()
	b, err := io.ReadAll(io.LimitReader(zr, limits.OSVRecordBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %s advisory %s: %v", db.path, ErrCorrupt, base, r.ID, err)
	}
	e, err := osv.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %s advisory %s: %v", db.path, ErrCorrupt, base, r.ID, err)
	}
	return e, nil
}

// Keys calls fn with every package key of an ecosystem, in order. It is
// for tests and tools; scans use Lookup.
func (db *DB) Keys(eco string, fn func(key string) error) error {
	db.mu.Lock()
	s, err := db.section(eco)
	db.mu.Unlock()
	if err != nil || s == nil {
		return err
	}
	for _, se := range s.sparse {
		db.mu.Lock()
		p, err := db.page(s, se)
		db.mu.Unlock()
		if err != nil {
			return err
		}
		for _, pe := range p {
			if err := fn(pe.key); err != nil {
				return err
			}
		}
	}
	return nil
}
