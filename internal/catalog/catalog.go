// Package catalog finds packages in a source. A Cataloger reads one kind of
// file (a lockfile format, installed package metadata, a binary); this package
// walks a file tree in parallel, hands every file a cataloger claims to it,
// and merges the results into one sbom.Document.
//
// Each ecosystem's catalogers live in a sub-package (npm, python, golang, ...)
// and are listed in package catalog/all.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Cataloger reads one kind of file.
type Cataloger interface {
	// Name identifies the cataloger in messages and properties, e.g.
	// "npm-package-lock".
	Name() string
	// Claims reports whether the cataloger reads the file at path
	// (slash-separated, relative to the source root). mode is the file's
	// type and permission bits (for executables). It is called for every
	// file walked, so it must only look at the path and mode.
	Claims(path string, mode fs.FileMode) bool
	// Catalog reads the file at path in fsys. It may read other files of
	// fsys the format refers to (go.sum beside go.mod, -r includes, a parent
	// pom). Locations in the result are relative to fsys's root.
	//
	// A malformed file gives an error; a partly readable one may give both
	// packages and an error.
	Catalog(ctx context.Context, fsys fs.FS, path string) (*Result, error)
}

// ModeClaimer is implemented by a Cataloger whose Claims needs the file's
// permission bits (executables). The walker otherwise passes only the type
// bits, which reading a directory gives for free; the permission bits cost a
// stat per file. MayClaim reports, from the path alone, whether the
// cataloger could claim the file; only then does the walker stat it and call
// Claims with the full mode.
type ModeClaimer interface {
	MayClaim(path string) bool
}

// AloneClaimer is implemented by a Cataloger that also reads a file named
// on its own (hallmark sbom crates/core/Cargo.toml) which a directory walk
// leaves to another file it reads anyway (the workspace's Cargo.lock).
type AloneClaimer interface {
	ClaimsAlone(path string) bool
}

// ClaimsAlone reports whether c reads the file at path when that file is
// named on its own: whatever it Claims, and what it ClaimsAlone.
func ClaimsAlone(c Cataloger, path string, mode fs.FileMode) bool {
	if c.Claims(path, mode) {
		return true
	}
	a, ok := c.(AloneClaimer)
	return ok && a.ClaimsAlone(path)
}

// InNodeModules reports whether path (slash-separated) lies inside a
// node_modules directory. Lockfiles and manifests there belong to installed
// JavaScript packages, not to the project, and catalogers do not claim them
// (the installed-package cataloger, which exists for exactly those, aside).
func InNodeModules(path string) bool {
	return strings.HasPrefix(path, "node_modules/") || strings.Contains(path, "/node_modules/")
}

// Result is what one cataloger found in one file.
type Result struct {
	Packages      []sbom.Package
	Relationships []sbom.Relationship
	// Owns maps files (slash paths relative to the source root) to the
	// package of this result that installed them: an OS package database
	// lists the files of each package. A package another cataloger finds
	// only in files an OS package owns (python3-requests' dist-info inside
	// the Debian package) is that OS package's content, reported once, as
	// the OS package, as Syft does.
	Owns map[string]string
}

// ErrTooLarge reports a file over the size limit.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads a file of fsys, refusing files larger than
// limits.ManifestBytes.
func ReadFile(fsys fs.FS, path string) ([]byte, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		if size = st.Size(); size > limits.ManifestBytes {
			return nil, fmt.Errorf("%s: %w (%d bytes, limit %d)", path, ErrTooLarge, size, limits.ManifestBytes)
		}
	}
	// A buffer of the size Stat gives (one byte more, to see the end), as
	// os.ReadFile does, instead of io.ReadAll's doublings from 512 bytes:
	// catalogers read thousands of files in an image.
	lr := io.LimitReader(f, limits.ManifestBytes+1)
	b := make([]byte, 0, max(size, 0)+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, rerr := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if len(b) > limits.ManifestBytes {
		return nil, fmt.Errorf("%s: %w (limit %d bytes)", path, ErrTooLarge, limits.ManifestBytes)
	}
	return b, nil
}

// Open opens a file of fsys for streaming, refusing files larger than
// limits.ManifestBytes and limiting what can be read to that.
func Open(fsys fs.FS, path string) (io.ReadCloser, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.Size() > limits.ManifestBytes {
		f.Close()
		return nil, fmt.Errorf("%s: %w (%d bytes, limit %d)", path, ErrTooLarge, st.Size(), limits.ManifestBytes)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, limits.ManifestBytes), f}, nil
}
