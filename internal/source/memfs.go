package source

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// memFS is a read-only fs.FS over the files an image's catalogers need,
// held in memory: regular files with their contents, directories, and
// symbolic links, which Open resolves inside the image's root only (an
// absolute target is relative to the image root, ".." stops at it), as a
// container runtime would. ReadDir reports links as links, so a walk does
// not follow them.
type memFS struct {
	nodes map[string]*memNode
}

type memNode struct {
	mode     fs.FileMode
	data     []byte
	target   string   // symlink target
	children []string // names, sorted, for directories
}

func newMemFS() *memFS {
	return &memFS{nodes: map[string]*memNode{".": {mode: fs.ModeDir | 0o755}}}
}

// add records a node and the directories above it.
func (m *memFS) add(name string, n *memNode) {
	if _, ok := m.nodes[name]; !ok {
		dir := path.Dir(name)
		m.mkdirAll(dir)
		p := m.nodes[dir]
		base := path.Base(name)
		if i, found := slices.BinarySearch(p.children, base); !found {
			p.children = slices.Insert(p.children, i, base)
		}
	}
	if old, ok := m.nodes[name]; ok && old.mode.IsDir() && n.mode.IsDir() {
		return
	}
	m.nodes[name] = n
}

func (m *memFS) mkdirAll(dir string) {
	if _, ok := m.nodes[dir]; ok || dir == "." {
		return
	}
	m.add(dir, &memNode{mode: fs.ModeDir | 0o755})
}

// maxLinkHops bounds symbolic link resolution, as the kernel does (ELOOP).
const maxLinkHops = 40

// resolve follows symbolic links in every element of name, never above the
// root. It returns the final path and node.
func (m *memFS) resolve(name string, followLast bool) (string, *memNode, error) {
	hops := 0
	parts := strings.Split(name, "/")
	cur := "."
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		switch p {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, p)
		n, ok := m.nodes[next]
		if !ok {
			return "", nil, fs.ErrNotExist
		}
		if n.mode&fs.ModeSymlink != 0 && (i < len(parts)-1 || followLast) {
			hops++
			if hops > maxLinkHops {
				return "", nil, &fs.PathError{Op: "open", Path: name, Err: errLinkLoop}
			}
			// The target, made absolute inside the image: ".." stops at
			// the image root, as it does at "/" in a container.
			abs := path.Clean("/" + path.Join(cur, n.target))
			if strings.HasPrefix(n.target, "/") {
				abs = path.Clean(n.target)
			}
			rest := append(strings.Split(strings.TrimPrefix(abs, "/"), "/"), parts[i+1:]...)
			parts, i, cur = rest, -1, "."
			continue
		}
		cur = next
	}
	n, ok := m.nodes[cur]
	if !ok {
		return "", nil, fs.ErrNotExist
	}
	return cur, n, nil
}

var errLinkLoop = &linkLoopError{}

type linkLoopError struct{}

func (*linkLoopError) Error() string { return "too many levels of symbolic links" }

// Open implements fs.FS.
func (m *memFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	p, n, err := m.resolve(name, true)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &memFile{fs: m, name: p, node: n, r: bytes.NewReader(n.data)}, nil
}

// ReadDir implements fs.ReadDirFS.
func (m *memFS) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := m.Open(name)
	if err != nil {
		return nil, err
	}
	d, ok := f.(*memFile)
	if !ok || !d.node.mode.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	return d.ReadDir(-1)
}

// Stat implements fs.StatFS.
func (m *memFS) Stat(name string) (fs.FileInfo, error) {
	f, err := m.Open(name)
	if err != nil {
		return nil, err
	}
	return f.Stat()
}

type memFile struct {
	fs   *memFS
	name string
	node *memNode
	r    *bytes.Reader
	off  int
}

type memInfo struct {
	name string
	node *memNode
}

func (i memInfo) Name() string       { return path.Base(i.name) }
func (i memInfo) Size() int64        { return int64(len(i.node.data)) }
func (i memInfo) Mode() fs.FileMode  { return i.node.mode }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.node.mode.IsDir() }
func (i memInfo) Sys() any           { return nil }

type memDirEntry struct{ memInfo }

func (d memDirEntry) Type() fs.FileMode          { return d.node.mode.Type() }
func (d memDirEntry) Info() (fs.FileInfo, error) { return d.memInfo, nil }

func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo{f.name, f.node}, nil }
func (f *memFile) Read(b []byte) (int, error) {
	if f.node.mode.IsDir() {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: fs.ErrInvalid}
	}
	return f.r.Read(b)
}
func (f *memFile) ReadAt(b []byte, off int64) (int, error) { return f.r.ReadAt(b, off) }
func (f *memFile) Seek(off int64, whence int) (int64, error) {
	return f.r.Seek(off, whence)
}
func (f *memFile) Close() error { return nil }

// ReadDir implements fs.ReadDirFile.
func (f *memFile) ReadDir(n int) ([]fs.DirEntry, error) {
	var out []fs.DirEntry
	for f.off < len(f.node.children) && (n <= 0 || len(out) < n) {
		c := f.node.children[f.off]
		f.off++
		full := path.Join(f.name, c)
		if f.name == "." {
			full = c
		}
		out = append(out, memDirEntry{memInfo{full, f.fs.nodes[full]}})
	}
	if n > 0 && len(out) == 0 {
		return nil, io.EOF
	}
	return out, nil
}
