package vulndb

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/hallmark-dev/hallmark/internal/osv"
	"github.com/hallmark-dev/hallmark/internal/version"
)

// section builds one ecosystem's section in a temporary file. add is safe
// for concurrent use; finish is not.
type section struct {
	eco string
	f   *os.File
	w   *bufio.Writer
	off int64

	mu      sync.Mutex
	recs    map[string][]Record
	meta    EcosystemMeta
	skipped []string
}

// testHookWrite, set only by tests, wraps the writer of every temporary
// file the build writes (kind is "section" or "index"), to inject write
// errors (a full disk) or to stop the process at an exact byte.
var testHookWrite func(kind string, w io.Writer) io.Writer

// fileWriter returns the buffered writer for a temporary file of the build.
func fileWriter(kind string, f *os.File) *bufio.Writer {
	var w io.Writer = f
	if testHookWrite != nil {
		w = testHookWrite(kind, f)
	}
	return bufio.NewWriterSize(w, 1<<20)
}

func newSection(dir, eco string) (*section, error) {
	f, err := os.CreateTemp(dir, ".section-*.tmp")
	if err != nil {
		return nil, err
	}
	return &section{eco: eco, f: f, w: fileWriter("section", f), recs: map[string][]Record{}, meta: EcosystemMeta{Name: eco}}, nil
}

// discard removes the temporary file.
func (s *section) discard() {
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
		s.f = nil
	}
}

// skip counts an invalid record; the first few reasons are kept.
func (s *section) skip(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.meta.Skipped++
	if len(s.skipped) < maxSkippedExamples {
		s.skipped = append(s.skipped, reason)
	}
}

// compressor is a reusable DEFLATE writer.
type compressor struct {
	buf bytes.Buffer
	w   *flate.Writer
}

func (c *compressor) compress(b []byte) []byte {
	c.buf.Reset()
	if c.w == nil {
		c.w, _ = flate.NewWriter(&c.buf, flate.BestSpeed) // only errors on a bad level
	} else {
		c.w.Reset(&c.buf)
	}
	c.w.Write(b) // bytes.Buffer never fails
	c.w.Close()
	return c.buf.Bytes()
}

// add stores an advisory (its compressed JSON in z) under every package of
// the section's ecosystem it names.
func (s *section) add(e *osv.Entry, z []byte) error {
	type keyed struct {
		key string
		aff osv.Affected
	}
	var mine []keyed
	badRange := false
	for _, a := range e.Affected {
		if a.Package.Name == "" || osv.BaseEcosystem(a.Package.Ecosystem) != s.eco {
			continue
		}
		mine = append(mine, keyed{NormalizeName(a.Package.Ecosystem, a.Package.Name), a})
		if !badRange && hasBadRange(a) {
			badRange = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	off := s.off
	if _, err := s.w.Write(z); err != nil {
		return fmt.Errorf("write index section: %w", err)
	}
	s.off += int64(len(z))
	s.meta.Advisories++
	withdrawn := e.Withdrawn != ""
	if withdrawn {
		s.meta.Withdrawn++
	}
	mal := e.IsMalicious()
	if mal {
		s.meta.Malicious++
	}
	if badRange {
		s.meta.BadRanges++
	}
	for _, k := range mine {
		list := s.recs[k.key]
		if n := len(list); n > 0 && list[n-1].ID == e.ID {
			list[n-1].Affected = append(list[n-1].Affected, k.aff)
			continue
		}
		s.recs[k.key] = append(list, Record{
			ID: e.ID, Aliases: e.Aliases, Modified: e.Modified, Withdrawn: withdrawn, Malicious: mal,
			Affected: []osv.Affected{k.aff}, Off: off, Len: int64(len(z)),
		})
	}
	return nil
}

// hasBadRange reports an ordered range whose versions the ecosystem cannot
// parse.
func hasBadRange(a osv.Affected) bool {
	if !version.Supported(a.Package.Ecosystem) {
		return false
	}
	for _, r := range a.Ranges {
		if r.Type == osv.RangeGit {
			continue
		}
		for _, ev := range r.Events {
			for _, s := range []string{ev.Introduced, ev.Fixed, ev.LastAffected} {
				if s == "" || s == "0" {
					continue
				}
				if _, err := version.Parse(a.Package.Ecosystem, s); err != nil {
					return true
				}
			}
		}
	}
	return false
}

// finish writes the records, the page directory and the sparse index, and
// returns the section's metadata with Length and the sparse extent set
// (Offset is the caller's).
func (s *section) finish() (EcosystemMeta, error) {
	keys := make([]string, 0, len(s.recs))
	for k := range s.recs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	type extent struct{ off, n int64 }
	ext := make([]extent, len(keys))
	for i, k := range keys {
		list := s.recs[k]
		slices.SortFunc(list, func(a, b Record) int { return cmpString(a.ID, b.ID) })
		b, err := json.Marshal(list)
		if err != nil {
			return EcosystemMeta{}, err
		}
		ext[i] = extent{s.off, int64(len(b))}
		if _, err := s.w.Write(b); err != nil {
			return EcosystemMeta{}, fmt.Errorf("write index section: %w", err)
		}
		s.off += int64(len(b))
	}
	var sparse []sparseEntry
	var page []byte
	for i := 0; i < len(keys); i += PageKeys {
		page = page[:0]
		for j := i; j < min(i+PageKeys, len(keys)); j++ {
			page = binary.AppendUvarint(page, uint64(len(keys[j])))
			page = append(page, keys[j]...)
			page = binary.AppendUvarint(page, uint64(ext[j].off))
			page = binary.AppendUvarint(page, uint64(ext[j].n))
		}
		sparse = append(sparse, sparseEntry{First: keys[i], Off: s.off, Len: int64(len(page))})
		if _, err := s.w.Write(page); err != nil {
			return EcosystemMeta{}, fmt.Errorf("write index section: %w", err)
		}
		s.off += int64(len(page))
	}
	sb, err := json.Marshal(sparse)
	if err != nil {
		return EcosystemMeta{}, err
	}
	s.meta.SparseOff = s.off
	s.meta.SparseLen = int64(len(sb))
	if _, err := s.w.Write(sb); err != nil {
		return EcosystemMeta{}, fmt.Errorf("write index section: %w", err)
	}
	s.off += int64(len(sb))
	if err := s.w.Flush(); err != nil {
		return EcosystemMeta{}, fmt.Errorf("write index section: %w", err)
	}
	s.meta.Length = s.off
	s.meta.Packages = len(keys)
	s.meta.SkippedExamples = s.skipped
	s.recs = nil
	return s.meta, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// writer assembles a new index file beside the old one.
type writer struct {
	dir  string
	f    *os.File
	w    *bufio.Writer
	off  int64
	meta Meta
}

func newWriter(dir string) (*writer, error) {
	f, err := os.CreateTemp(dir, ".index-*.tmp")
	if err != nil {
		return nil, err
	}
	w := &writer{dir: dir, f: f, w: fileWriter("index", f), meta: Meta{Format: Format}}
	if _, err := w.w.Write(magic[:]); err != nil {
		w.abort()
		return nil, err
	}
	w.off = int64(len(magic))
	return w, nil
}

// copySection appends length bytes of r from off and records m for them.
func (w *writer) copySection(r io.ReaderAt, m EcosystemMeta) error {
	src := io.NewSectionReader(r, m.Offset, m.Length)
	n, err := io.Copy(w.w, src)
	if err != nil {
		return fmt.Errorf("copy %s section: %w", m.Name, err)
	}
	if n != m.Length {
		return fmt.Errorf("copy %s section: %w: short section", m.Name, ErrCorrupt)
	}
	m.Offset = w.off
	w.off += n
	w.meta.Ecosystems = append(w.meta.Ecosystems, m)
	return nil
}

// addSection appends a finished section from its temporary file.
func (w *writer) addSection(s *section, m EcosystemMeta) error {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	m.Offset = 0
	return w.copySection(s.f, m)
}

// commit writes the footer, syncs and renames the file into place.
func (w *writer) commit() error {
	slices.SortFunc(w.meta.Ecosystems, func(a, b EcosystemMeta) int { return cmpString(a.Name, b.Name) })
	mb, err := json.Marshal(w.meta)
	if err != nil {
		w.abort()
		return err
	}
	var tr [trailerLen]byte
	binary.LittleEndian.PutUint64(tr[0:], uint64(w.off))
	binary.LittleEndian.PutUint32(tr[8:], uint32(len(mb)))
	binary.LittleEndian.PutUint32(tr[12:], crc(mb))
	copy(tr[16:], trailerMagic[:])
	if _, err := w.w.Write(mb); err != nil {
		w.abort()
		return fmt.Errorf("write index: %w", err)
	}
	if _, err := w.w.Write(tr[:]); err != nil {
		w.abort()
		return fmt.Errorf("write index: %w", err)
	}
	if err := w.w.Flush(); err != nil {
		w.abort()
		return fmt.Errorf("write index: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		w.abort()
		return fmt.Errorf("sync index: %w", err)
	}
	if err := w.f.Close(); err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("write index: %w", err)
	}
	if err := os.Rename(w.f.Name(), w.dir+string(os.PathSeparator)+FileName); err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("install index: %w", err)
	}
	syncDir(w.dir)
	return nil
}

func (w *writer) abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}

// syncDir makes a rename in dir durable where the platform allows.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
