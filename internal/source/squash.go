package source

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// Whiteout markers of the OCI image layer specification
// (https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts).
const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
)

// ErrTampered reports a layer whose content does not hash to the diff id
// the image's configuration names: the image was changed after it was
// built.
var ErrTampered = errors.New("layer digest does not match the image configuration (tampered or corrupt)")

// squash applies an image's layers in order to one view of its root
// filesystem, as a container runtime does, reading each layer once as a
// stream: whiteouts delete, opaque whiteouts empty a directory, and a later
// layer replaces an earlier one's file. It keeps in memory only the
// contents of the files wanted says the catalogers need, with every
// version each layer wrote (for attributing packages to layers), and the
// tree of everything else as names only.
type squash struct {
	wanted func(name string, mode fs.FileMode) bool
	// entries is the squashed tree: path -> the layer that last wrote it.
	entries map[string]*sqEntry
	// history holds, for wanted paths, every version in layer order.
	history map[string][]version
	// problems are entries that were skipped (unsafe names, oversize).
	problems []string
	buf      []byte // reused for reading candidates
	// chunks are the hashing reader's buffers, reused layer after layer.
	chunks [][]byte
}

type sqEntry struct {
	layer  int
	mode   fs.FileMode
	target string // symlink target
	data   []byte // wanted regular files only
	wanted bool
}

// version is one layer's write (or deletion) of a wanted path.
type version struct {
	layer   int
	data    []byte
	deleted bool
}

func newSquash(wanted func(string, fs.FileMode) bool) *squash {
	return &squash{wanted: wanted, entries: map[string]*sqEntry{}, history: map[string][]version{}}
}

// cleanName turns a tar entry name into a slash path relative to the image
// root, refusing names that leave it ("..").
func cleanName(n string) (string, bool) {
	n = strings.TrimPrefix(n, "./")
	n = strings.TrimLeft(n, "/")
	n = strings.TrimSuffix(n, "/")
	if n == "" || n == "." {
		return ".", true
	}
	for e := range strings.SplitSeq(n, "/") {
		if e == ".." {
			return "", false
		}
	}
	c := path.Clean(n)
	return c, fs.ValidPath(c)
}

// applyLayer reads one uncompressed layer tar. diffID, when set, is the
// sha256 the stream must hash to; compressedSize, when positive, bounds the
// decompression ratio.
func (s *squash) applyLayer(idx int, r io.Reader, diffID string, compressedSize int64) error {
	var h *hashingReader
	if diffID != "" {
		h = newHashingReader(r, s.chunks, compressedSize)
		defer func() { s.chunks = h.release() }()
		r = h
	}
	cr := &countingReader{r: r, max: limits.ImageLayerBytes}
	if compressedSize > 0 {
		if m := compressedSize * limits.ImageLayerRatio; m > limits.ImageLayerRatioFloor && m < cr.max {
			cr.max = m
		}
	}
	tr := tar.NewReader(cr)
	var opaque []string // directories this layer makes opaque
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("layer %d: %w", idx, err)
		}
		name, ok := cleanName(hdr.Name)
		if !ok {
			s.problems = append(s.problems, fmt.Sprintf("layer %d: entry %q leaves the image root: skipped", idx, hdr.Name))
			continue
		}
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		if dir == "" {
			dir = "."
		}
		if base == whiteoutOpaque {
			opaque = append(opaque, dir)
			continue
		}
		if strings.HasPrefix(base, whiteoutPrefix) {
			s.remove(path.Join(dir, strings.TrimPrefix(base, whiteoutPrefix)), idx)
			continue
		}
		seen[name] = true
		var e *sqEntry
		switch hdr.Typeflag {
		case tar.TypeDir:
			if old, ok := s.entries[name]; ok && old.mode.IsDir() {
				continue // a directory stays; its contents stay
			}
			s.remove(name, idx)
			e = &sqEntry{layer: idx, mode: fs.ModeDir | fs.FileMode(hdr.Mode&0o777)}
		case tar.TypeSymlink:
			s.remove(name, idx)
			e = &sqEntry{layer: idx, mode: fs.ModeSymlink | 0o777, target: hdr.Linkname}
		case tar.TypeLink:
			target, ok := cleanName(hdr.Linkname)
			t, found := s.entries[target]
			if !ok || !found || !t.mode.IsRegular() {
				s.problems = append(s.problems, fmt.Sprintf("layer %d: hard link %s to %q: target not in the image: skipped", idx, name, hdr.Linkname))
				continue
			}
			s.remove(name, idx)
			// The same content as its target: kept when the target's was.
			e = &sqEntry{layer: idx, mode: t.mode, data: t.data, wanted: t.wanted && s.wanted(name, t.mode)}
		case tar.TypeReg:
			s.remove(name, idx)
			mode := fs.FileMode(hdr.Mode & 0o777)
			e = &sqEntry{layer: idx, mode: mode}
			if s.wanted(name, mode) {
				if hdr.Size > limits.ImageFileBytes {
					s.problems = append(s.problems, fmt.Sprintf("layer %d: %s: %d bytes, over the %d-byte limit: not read", idx, name, hdr.Size, limits.ImageFileBytes))
					break
				}
				b, err := s.readEntry(tr, hdr.Size)
				if err != nil {
					return fmt.Errorf("layer %d: %s: %w", idx, name, err)
				}
				// Executables are claimed by mode; only those that carry
				// build information a cataloger reads are worth keeping
				// (a distribution's /usr/bin is mostly C).
				if mode&0o111 != 0 && !keepExecutable(b) {
					break
				}
				e.data, e.wanted = bytes.Clone(b), true
			}
		default:
			continue // devices, fifos: nothing to catalog
		}
		s.entries[name] = e
		if e.wanted {
			s.history[name] = append(s.history[name], version{layer: idx, data: e.data})
		}
	}
	// An opaque directory hides what lower layers put in it, not what this
	// layer adds.
	for _, dir := range opaque {
		prefix := dir + "/"
		for p, e := range s.entries {
			if (dir == "." || strings.HasPrefix(p, prefix)) && e.layer < idx && !seen[p] {
				s.delete(p, idx)
			}
		}
	}
	// Read to the end, so that the whole layer is hashed.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return fmt.Errorf("layer %d: %w", idx, err)
	}
	if h != nil {
		if got := "sha256:" + hex.EncodeToString(h.sum()); got != diffID {
			return fmt.Errorf("layer %d: %w: %s, configuration says %s", idx, ErrTampered, got, diffID)
		}
	}
	return nil
}

// entryExact is the largest entry readEntry allocates for at once.
const entryExact = 16 << 20

// readEntry reads an entry's size bytes into the squash's reused buffer:
// allocated at once up to entryExact, beyond that grown (doubling) as the
// bytes arrive, never to a size only the header claims: a layer whose
// header lies about a file's size costs what the layer holds, not the
// limit.
func (s *squash) readEntry(r io.Reader, size int64) ([]byte, error) {
	b := s.buf[:0]
	if int64(cap(b)) < size && size <= entryExact {
		b = make([]byte, 0, size)
	}
	for int64(len(b)) < size {
		if len(b) == cap(b) {
			nb := make([]byte, len(b), min(int64(max(2*cap(b), entryExact)), size))
			copy(nb, b)
			b = nb
		}
		n, err := r.Read(b[len(b):int(min(int64(cap(b)), size))])
		b = b[:len(b)+n]
		if err == io.EOF && int64(len(b)) < size {
			err = io.ErrUnexpectedEOF
		}
		if err != nil && err != io.EOF {
			s.buf = b[:0]
			return nil, err
		}
	}
	s.buf = b[:0]
	return b, nil
}

// remove deletes name and everything below it (written by earlier
// layers) from the squashed view.
func (s *squash) remove(name string, idx int) {
	if _, ok := s.entries[name]; !ok {
		return
	}
	e := s.entries[name]
	s.delete(name, idx)
	if e.mode.IsDir() {
		prefix := name + "/"
		for p := range s.entries {
			if strings.HasPrefix(p, prefix) {
				s.delete(p, idx)
			}
		}
	}
}

func (s *squash) delete(p string, idx int) {
	if e := s.entries[p]; e != nil && e.wanted {
		s.history[p] = append(s.history[p], version{layer: idx, deleted: true})
	}
	delete(s.entries, p)
}

// fs returns the squashed view of the wanted files (and the links and
// directories leading to them) as an fs.FS.
func (s *squash) fs() *memFS {
	m := newMemFS()
	for p, e := range s.entries {
		switch {
		case e.wanted:
			m.add(p, &memNode{mode: e.mode, data: e.data})
		case e.mode&fs.ModeSymlink != 0:
			m.add(p, &memNode{mode: e.mode, target: e.target})
		}
	}
	return m
}

// countingReader fails once more than max bytes were read: a layer that
// decompresses beyond the bounds (a gzip bomb) is refused.
type countingReader struct {
	r   io.Reader
	n   int64
	max int64
}

// ErrLayerTooLarge reports a layer over limits.ImageLayerBytes or the
// decompression ratio limits.ImageLayerRatio.
var ErrLayerTooLarge = errors.New("layer decompresses beyond the limit (a decompression bomb?)")

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if c.n > c.max {
		return n, fmt.Errorf("%w: more than %d bytes", ErrLayerTooLarge, c.max)
	}
	return n, err
}

// Seek skips forward when the reader it counts can (archive/tar skips the
// content of entries nobody reads that way): Seek(n, io.SeekCurrent) with
// n >= 0 only. The bytes skipped count as read.
func (c *countingReader) Seek(offset int64, whence int) (int64, error) {
	sk, ok := c.r.(io.Seeker)
	if !ok || whence != io.SeekCurrent || offset < 0 {
		return 0, errors.ErrUnsupported
	}
	// Never past the limit: the read after the seek reports it.
	if c.n+offset > c.max {
		offset = c.max - c.n + 1
	}
	before, err := sk.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	after, err := sk.Seek(offset, io.SeekCurrent)
	c.n += after - before
	if err == nil && c.n > c.max {
		err = fmt.Errorf("%w: more than %d bytes", ErrLayerTooLarge, c.max)
	}
	return c.n, err
}

// buildInfoMagic marks a Go binary's build information (debug/buildinfo);
// cargo-auditable Rust binaries carry a ".dep-v0" section.
var (
	buildInfoMagic = []byte("\xff Go buildinf:")
	rustAuditable  = []byte(".dep-v0")
)

// keepExecutable reports whether an executable's content is one a
// cataloger reads: a Go binary or an audited Rust binary, or a script
// (small, and cheap to keep).
func keepExecutable(b []byte) bool {
	return len(b) < 64<<10 && bytes.HasPrefix(b, []byte("#!")) ||
		bytes.Contains(b, buildInfoMagic) || bytes.Contains(b, rustAuditable)
}

// hashingReader reads its source in large chunks on one goroutine, hashes
// each on another, and serves reads from the same chunks: with two cores,
// reading the archive and hashing it (the largest costs of reading an
// image) overlap the tar parsing, the hash sees a few large writes, not
// the tar reader's 512-byte headers, and no chunk is copied for it.
type hashingReader struct {
	h      hash.Hash
	todo   chan *chunk   // read, to hash, in order (closed at the end)
	ready  chan *chunk   // read, to serve, in order (closed at the end)
	free   chan []byte   // buffers neither side holds
	quit   chan struct{} // closed when the consumer gives up
	read   chan struct{} // closed when the reading goroutine ends
	hashed chan struct{} // closed when every chunk read is hashed
	once   sync.Once
	made   int   // buffers allocated (at most hashChunks; the reader's until read closes)
	rerr   error // why reading ended (io.EOF at the end); published by closing ready
	cur    *chunk
	off    int   // how much of cur is served
	pos    int64 // bytes served or skipped
	err    error
}

// chunk is a buffer of the source, held by the hasher and the consumer
// until both are done with it.
type chunk struct {
	b    []byte
	refs atomic.Int32
}

// hashChunk and hashChunks size the chunks in flight: the one read from,
// the ones read ahead and waiting to be hashed.
const (
	hashChunk  = 1 << 20
	hashChunks = 3
)

// newHashingReader reads src, taking its chunk buffers from chunks (the
// ones an earlier reader released) before allocating any, and only as the
// source needs them. sizeHint, when positive, is the layer's stored size:
// a small layer reads in smaller chunks.
func newHashingReader(src io.Reader, chunks [][]byte, sizeHint int64) *hashingReader {
	r := &hashingReader{h: sha256.New(), todo: make(chan *chunk, hashChunks), ready: make(chan *chunk, hashChunks),
		free: make(chan []byte, hashChunks), quit: make(chan struct{}), read: make(chan struct{}), hashed: make(chan struct{})}
	size := hashChunk
	if sizeHint > 0 && sizeHint < hashChunk {
		size = int(max(sizeHint, 64<<10))
	}
	for _, b := range chunks[:min(len(chunks), hashChunks)] {
		r.free <- b
		r.made++
	}
	go func() { // reading: never more than hashChunks chunks exist, so no send blocks
		defer close(r.read)
		defer close(r.ready)
		defer close(r.todo)
		for {
			var b []byte
			select {
			case b = <-r.free:
			default:
				if r.made < hashChunks {
					r.made++
				} else {
					select {
					case b = <-r.free:
					case <-r.quit:
						return
					}
				}
			}
			if cap(b) < size {
				b = make([]byte, size)
			}
			n, err := io.ReadFull(src, b[:cap(b)])
			if n > 0 {
				c := &chunk{b: b[:n]}
				c.refs.Store(2)
				r.todo <- c
				r.ready <- c
			} else {
				r.free <- b[:cap(b)]
			}
			if err != nil {
				if err == io.ErrUnexpectedEOF {
					err = io.EOF
				}
				r.rerr = err
				return
			}
			select {
			case <-r.quit:
				return
			default:
			}
		}
	}()
	go func() {
		defer close(r.hashed)
		for c := range r.todo {
			r.h.Write(c.b)
			r.unref(c)
		}
	}()
	return r
}

// unref releases one side's hold of c; the last frees its buffer.
func (r *hashingReader) unref(c *chunk) {
	if c.refs.Add(-1) == 0 {
		r.free <- c.b[:cap(c.b)] // never blocks: there are at most hashChunks buffers
	}
}

func (r *hashingReader) Read(p []byte) (int, error) {
	for r.cur == nil || r.off == len(r.cur.b) {
		if !r.next() {
			return 0, r.err
		}
	}
	n := copy(p, r.cur.b[r.off:])
	r.off += n
	r.pos += int64(n)
	return n, nil
}

// next moves to the next chunk read, releasing the current one; false
// once the source has ended or failed (r.err).
func (r *hashingReader) next() bool {
	if r.cur != nil {
		r.unref(r.cur)
		r.cur = nil
	}
	c, ok := <-r.ready
	if !ok {
		r.err = r.rerr
		return false
	}
	r.cur, r.off = c, 0
	return true
}

// Seek skips forward: Seek(n, io.SeekCurrent), n >= 0, moves past the next
// n bytes without copying them out (they are read and hashed all the
// same; fewer if the source ends first: the next Read reports the end). It
// returns the position in the source.
func (r *hashingReader) Seek(offset int64, whence int) (int64, error) {
	if whence != io.SeekCurrent || offset < 0 {
		return 0, errors.ErrUnsupported
	}
	for offset > 0 {
		if r.cur == nil || r.off == len(r.cur.b) {
			if !r.next() {
				break
			}
			continue
		}
		k := int(min(offset, int64(len(r.cur.b)-r.off)))
		r.off += k
		r.pos += int64(k)
		offset -= int64(k)
	}
	return r.pos, nil
}

// sum waits for every chunk read to be hashed and returns the digest; the
// source must have been read to its end.
func (r *hashingReader) sum() []byte {
	<-r.hashed
	return r.h.Sum(nil)
}

// release stops the reader, waits for both goroutines and returns the
// buffers, for the next reader.
func (r *hashingReader) release() [][]byte {
	r.once.Do(func() { close(r.quit) })
	<-r.read
	<-r.hashed
	if r.cur != nil {
		r.unref(r.cur)
		r.cur = nil
	}
	for c := range r.ready { // read, never served
		r.unref(c)
	}
	out := make([][]byte, 0, r.made)
	for range r.made {
		out = append(out, <-r.free)
	}
	return out
}
