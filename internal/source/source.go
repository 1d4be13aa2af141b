// Package source turns what a user names on the command line (a directory,
// a single lockfile or manifest, or an existing SBOM) into an sbom.Document.
package source

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/internal/sbom/spdx"
)

// Kind says what a source turned out to be.
type Kind string

// Kinds of source.
const (
	KindDirectory Kind = "directory"
	KindFile      Kind = "file"
	KindCycloneDX Kind = "cyclonedx"
	KindSPDX      Kind = "spdx"
)

// Options configure Load.
type Options struct {
	Catalog catalog.Options
	// Created is the document timestamp for cataloged sources; zero means
	// now.
	Created time.Time
	// Image configures container image sources.
	Image ImageOptions
}

// Result is a loaded source.
type Result struct {
	Kind     Kind
	Document *sbom.Document
	// Problems are files that could not be read; the document is then
	// incomplete.
	Problems []catalog.Problem
}

// Load reads the source at path.
//
// path may name its kind with a scheme, as Syft and Grype users type it:
// docker-archive:FILE, oci-dir:DIR, oci-archive:FILE, registry:REF, dir:DIR.
// Without one, a tar holding manifest.json or oci-layout, or a directory
// holding oci-layout, is read as an image.
func Load(ctx context.Context, path string, opts Options) (*Result, error) {
	if opts.Created.IsZero() {
		opts.Created = time.Now().UTC().Truncate(time.Second)
	}
	scheme, rest := splitScheme(path)
	switch scheme {
	case SchemeDockerArchive, SchemeOCIDir, SchemeOCIArchive:
		if _, err := os.Stat(rest); err != nil {
			return nil, err
		}
		return loadImage(ctx, scheme, rest, path, opts)
	case SchemeRegistry:
		return loadImage(ctx, scheme, rest, path, opts)
	case SchemeDir:
		st, err := os.Stat(rest)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("%s: not a directory", path)
		}
		res, err := Load(ctx, rest, opts)
		if err == nil {
			res.Kind = KindRootFS
		}
		return res, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if sc := sniffImage(path, st); sc != "" {
		return loadImage(ctx, sc, path, path, opts)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	created := opts.Created
	if created.IsZero() {
		created = time.Now().UTC().Truncate(time.Second)
	}
	if st.IsDir() {
		doc, problems := catalog.Walk(ctx, os.DirFS(abs), opts.Catalog)
		for i := range problems {
			// Name files as the user can find them: under the path given.
			problems[i].Path = filepath.Join(path, filepath.FromSlash(problems[i].Path))
		}
		doc.Name = filepath.Base(abs)
		doc.Source = path
		doc.Created = created
		return &Result{Kind: KindDirectory, Document: doc, Problems: problems}, nil
	}
	// Catalogers claim some files by their directory too
	// (requirements/dev.txt, .github/workflows/ci.yml), so a single file is
	// offered as base name first, then with its parent directories.
	for root, name := filepath.Split(abs); ; {
		root = filepath.Clean(root)
		for _, c := range opts.Catalog.Catalogers {
			if !catalog.ClaimsAlone(c, name, st.Mode()) {
				continue
			}
			// The format may refer to files outside the file's folder (a
			// parent pom at ../pom.xml, -r ../requirements/base.txt): the
			// cataloger reads from the enclosing repository (bounded), and
			// locations are then told relative to the file's folder again.
			wide, prefix := widenRoot(root)
			doc, problems, err := catalog.File(ctx, os.DirFS(wide), joinSlash(prefix, name), opts.Catalog)
			if err != nil {
				return nil, err
			}
			relocate(doc, prefix)
			for i := range problems {
				problems[i].Path = path // the one file, as the user named it
			}
			doc.Name = filepath.Base(abs)
			doc.Source = path
			doc.Created = created
			return &Result{Kind: KindFile, Document: doc, Problems: problems}, nil
		}
		parent := filepath.Dir(root)
		if parent == root || strings.Count(name, "/") >= maxClaimDepth {
			break
		}
		name = filepath.Base(root) + "/" + name
		root = parent
	}
	return loadSBOM(path)
}

// maxClaimDepth is how many parent directories of a single file are tried
// when no cataloger claims it by its base name.
const maxClaimDepth = 2

// loadSBOM reads a CycloneDX or SPDX JSON document, telling them apart by
// their marker fields.
func loadSBOM(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	notSBOM := fmt.Errorf("%s: not a lockfile or manifest hallmark reads, nor a CycloneDX or SPDX JSON document", path)
	// A JSON document starts with "{" (after a BOM or blanks): anything else
	// is refused from its first bytes, never read whole (a 5 GB tarball).
	br := bufio.NewReader(f)
	head, _ := br.Peek(512)
	if t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n"); len(t) > 0 && t[0] != '{' || len(head) == 0 {
		return nil, notSBOM
	}
	b, err := io.ReadAll(io.LimitReader(br, limits.SBOMBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > limits.SBOMBytes {
		return nil, fmt.Errorf("%s: %w (limit %d bytes)", path, catalog.ErrTooLarge, limits.SBOMBytes)
	}
	switch Sniff(b) {
	case KindCycloneDX:
		doc, err := cyclonedx.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("read CycloneDX %s: %w", path, err)
		}
		doc.Source = path
		return &Result{Kind: KindCycloneDX, Document: doc}, nil
	case KindSPDX:
		doc, err := spdx.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("read SPDX %s: %w", path, err)
		}
		doc.Source = path
		return &Result{Kind: KindSPDX, Document: doc}, nil
	}
	return nil, notSBOM
}

// Sniff tells a CycloneDX JSON document from an SPDX JSON document by their
// required marker fields. It returns "" for anything else.
func Sniff(b []byte) Kind {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return ""
	}
	switch {
	case bytes.Contains(b, []byte(`"bomFormat"`)) && bytes.Contains(b, []byte(`"CycloneDX"`)):
		return KindCycloneDX
	case bytes.Contains(b, []byte(`"spdxVersion"`)):
		return KindSPDX
	}
	return ""
}

// widenRoot returns the directory a single file's cataloger may read from,
// so that a parent pom at ../pom.xml or -r ../requirements/base.txt is
// found: the nearest ancestor of dir holding a .git entry (the enclosing
// repository) at most limits.SingleFileParents levels up; with no
// repository that close, limits.SingleFileParentsNoRepo levels up (an
// unpacked source archive). prefix is dir relative to root, slash-separated
// ("." when they are the same). Nothing above root can be opened.
func widenRoot(dir string) (root, prefix string) {
	root = dir
	for i := 0; i < limits.SingleFileParents; i++ {
		if _, err := os.Lstat(filepath.Join(root, ".git")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			break
		}
		root = parent
	}
	if _, err := os.Lstat(filepath.Join(root, ".git")); err != nil {
		// No repository within reach: stay as close as the formats need.
		root = dir
		for i := 0; i < limits.SingleFileParentsNoRepo; i++ {
			parent := filepath.Dir(root)
			if parent == root {
				break
			}
			root = parent
		}
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return dir, "."
	}
	return root, filepath.ToSlash(rel)
}

// relocate rewrites package locations, relative to the widened root, to be
// relative to the file's own folder (prefix): the file itself as before
// ("pom.xml"), a file above it as "../pom.xml".
func relocate(doc *sbom.Document, prefix string) {
	if prefix == "." {
		return
	}
	for i := range doc.Packages {
		// Catalogers may share one Locations slice between packages (every
		// module of a Go binary is at the binary): rewrite a copy, once
		// per package.
		doc.Packages[i].Locations = slices.Clone(doc.Packages[i].Locations)
		for j := range doc.Packages[i].Locations {
			l := &doc.Packages[i].Locations[j]
			if rel, err := filepath.Rel(filepath.FromSlash(prefix), filepath.FromSlash(l.Path)); err == nil {
				l.Path = filepath.ToSlash(rel)
			}
		}
	}
}

// joinSlash joins a slash-separated prefix and name ("." is no prefix).
func joinSlash(prefix, name string) string {
	if prefix == "." {
		return name
	}
	return prefix + "/" + name
}
