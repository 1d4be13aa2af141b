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
	for _, e := range strings.Split(n, "/") {
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
	var h *asyncHash
	if diffID != "" {
		h = newAsyncHash()
		defer h.stop()
		r = io.TeeReader(r, h)
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
				if cap(s.buf) < int(hdr.Size) {
					s.buf = make([]byte, hdr.Size)
				}
				b := s.buf[:hdr.Size]
				if _, err := io.ReadFull(tr, b); err != nil {
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

// asyncHash computes a SHA-256 on another goroutine, so that hashing a
// layer overlaps with reading its tar (two cores: about half the time).
// Write copies each chunk, as the writer reuses its buffer.
type asyncHash struct {
	h    hash.Hash
	ch   chan []byte
	done chan struct{}
	pool sync.Pool
	once sync.Once
}

func newAsyncHash() *asyncHash {
	a := &asyncHash{h: sha256.New(), ch: make(chan []byte, 16), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for b := range a.ch {
			a.h.Write(b)
			a.pool.Put(&b)
		}
	}()
	return a
}

func (a *asyncHash) Write(p []byte) (int, error) {
	var b []byte
	if v, ok := a.pool.Get().(*[]byte); ok && cap(*v) >= len(p) {
		b = (*v)[:len(p)]
	} else {
		b = make([]byte, len(p), max(len(p), 256<<10))
	}
	copy(b, p)
	a.ch <- b
	return len(p), nil
}

// sum waits for every chunk and returns the digest.
func (a *asyncHash) sum() []byte {
	a.stop()
	<-a.done
	return a.h.Sum(nil)
}

func (a *asyncHash) stop() { a.once.Do(func() { close(a.ch) }) }
