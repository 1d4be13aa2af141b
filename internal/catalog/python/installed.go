package python

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Installed reads the metadata of installed Python distributions
// (https://packaging.python.org/en/latest/specifications/core-metadata/):
// *.dist-info/METADATA (wheels, pip installs), *.egg-info/PKG-INFO and
// single-file *.egg-info (setuptools, Debian's python3-* packages), and
// EGG-INFO/PKG-INFO inside .egg directories.
//
//   - Name and Version from the headers; the description body is not read.
//   - Licenses: License-Expression (PEP 639), else classifiers mapped to
//     SPDX, else the License field (see licenses).
//   - Supplier: Author, else the name in Author-email, else Maintainer.
//   - Edges: each Requires-Dist (or egg-info requires.txt) requirement that
//     is installed beside it, in the same site-packages directory, becomes an
//     edge to that distribution's exact name and version. Requirements that
//     are not installed (unused extras, other platforms) give no edge.
//   - Direct is false: an installed tree does not say what was asked for.
type Installed struct{}

// Name implements catalog.Cataloger.
func (Installed) Name() string { return "python-installed" }

// Claims implements catalog.Cataloger.
func (Installed) Claims(p string, mode fs.FileMode) bool {
	if catalog.InNodeModules(p) {
		return false
	}
	base := path.Base(p)
	dir := path.Base(path.Dir(p))
	switch base {
	case "METADATA":
		return strings.HasSuffix(dir, ".dist-info")
	case "PKG-INFO":
		return strings.HasSuffix(dir, ".egg-info") || dir == "EGG-INFO"
	}
	return strings.HasSuffix(base, ".egg-info") && mode.IsRegular()
}

// coreMetadata holds the headers hallmark uses.
type coreMetadata struct {
	Name, Version, License, LicenseExpression string
	Author, AuthorEmail, Maintainer           string
	MaintainerEmail                           string
	Classifiers, RequiresDist                 []string
}

// maxMetadataHeaders bounds the header lines read (real files have < 200).
const maxMetadataHeaders = 10_000

// parseMetadata reads the RFC 822-style header block of a core metadata
// file, up to the first empty line. Continuation lines (starting with
// whitespace) extend the previous field.
func parseMetadata(data []byte) (coreMetadata, error) {
	var m coreMetadata
	var key string
	var val strings.Builder
	n := 0
	flush := func() {
		if key == "" {
			return
		}
		v := strings.TrimSpace(val.String())
		switch strings.ToLower(key) {
		case "name":
			m.Name = v
		case "version":
			m.Version = v
		case "license":
			m.License = v
		case "license-expression":
			m.LicenseExpression = v
		case "author":
			m.Author = v
		case "author-email":
			m.AuthorEmail = v
		case "maintainer":
			m.Maintainer = v
		case "maintainer-email":
			m.MaintainerEmail = v
		case "classifier":
			m.Classifiers = append(m.Classifiers, v)
		case "requires-dist", "requires":
			m.RequiresDist = append(m.RequiresDist, v)
		}
		key = ""
		val.Reset()
	}
	for l := range strings.Lines(string(data)) {
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		if n++; n > maxMetadataHeaders {
			return m, fmt.Errorf("more than %d header lines", maxMetadataHeaders)
		}
		if l[0] == ' ' || l[0] == '\t' {
			if key != "" {
				val.WriteByte('\n')
				val.WriteString(strings.TrimSpace(l))
			}
			continue
		}
		flush()
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue // not a header; tolerated like pip does
		}
		key = strings.TrimSpace(k)
		val.WriteString(strings.TrimSpace(v))
	}
	flush()
	if m.Name == "" {
		return m, fmt.Errorf("no Name header")
	}
	return m, nil
}

// Catalog implements catalog.Cataloger.
func (Installed) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	data, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	m, err := parseMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("parse core metadata: %w", err)
	}
	if reqName.FindString(m.Name) != m.Name {
		return nil, fmt.Errorf("parse core metadata: invalid Name %q", m.Name)
	}
	pkg := newPackage(m.Name, m.Version, p, 0)
	pkg.Licenses = licenses(m.LicenseExpression, m.License, m.Classifiers)
	pkg.Supplier = supplier(m)
	res := &catalog.Result{Packages: []sbom.Package{pkg}}

	// The metadata directory and the site-packages directory holding it.
	metaDir, site := path.Dir(p), path.Dir(path.Dir(p))
	if strings.HasSuffix(p, ".egg-info") { // single-file egg-info
		metaDir, site = "", path.Dir(p)
	}
	reqs := m.RequiresDist
	if strings.HasSuffix(metaDir, ".egg-info") {
		reqs = append(reqs, eggRequires(fsys, metaDir)...)
	}
	if len(reqs) == 0 {
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	siblings := installedSiblings(fsys, site)
	var edges edgeSet
	for _, s := range reqs {
		r, ok := parseRequirement(s)
		if !ok {
			continue
		}
		n := purl.NormalizePyPI(r.Name)
		for _, metaPath := range siblings[n] {
			if metaPath == p {
				continue
			}
			sd, err := catalog.ReadFile(fsys, metaPath)
			if err != nil {
				continue
			}
			sm, err := parseMetadata(sd)
			if err != nil || purl.NormalizePyPI(sm.Name) != n {
				continue
			}
			to := newPackage(sm.Name, sm.Version, metaPath, 0)
			edges.add(pkg.ID, to.ID)
		}
	}
	res.Relationships = edges.list
	return res, nil
}

// eggRequires reads the unconditional requirements of an egg-info
// directory's requires.txt ("[extra]" sections follow them and are skipped:
// they name optional dependencies).
func eggRequires(fsys fs.FS, dir string) []string {
	data, err := catalog.ReadFile(fsys, path.Join(dir, "requires.txt"))
	if err != nil {
		return nil
	}
	var out []string
	for l := range strings.Lines(string(data)) {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[") {
			break
		}
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// installedSiblings lists the metadata files of the distributions installed
// in dir, by normalised project name (from the directory name: PEP 427
// escapes "-" in names as "_", so the name ends at the first "-").
func installedSiblings(fsys fs.FS, dir string) map[string][]string {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil
	}
	out := map[string][]string{}
	for _, e := range entries {
		name := e.Name()
		var meta string
		switch {
		case strings.HasSuffix(name, ".dist-info") && e.IsDir():
			meta = path.Join(dir, name, "METADATA")
		case strings.HasSuffix(name, ".egg-info") && e.IsDir():
			meta = path.Join(dir, name, "PKG-INFO")
		case strings.HasSuffix(name, ".egg-info"):
			meta = path.Join(dir, name)
		default:
			continue
		}
		stem := strings.TrimSuffix(strings.TrimSuffix(name, ".dist-info"), ".egg-info")
		proj, _, _ := strings.Cut(stem, "-")
		n := purl.NormalizePyPI(proj)
		out[n] = append(out[n], meta)
	}
	return out
}

// supplier names who supplies the package: the Author, else the name part
// of Author-email ("Jane Doe <jane@example.org>"), else the Maintainer.
func supplier(m coreMetadata) string {
	for _, s := range []string{m.Author, emailName(m.AuthorEmail), m.Maintainer, emailName(m.MaintainerEmail)} {
		if s = strings.TrimSpace(s); s != "" && !strings.EqualFold(s, "UNKNOWN") {
			return s
		}
	}
	return ""
}

// emailName returns the display names of an RFC 5322 address list, or the
// address itself when it has no display name.
func emailName(s string) string {
	var names []string
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		if i := strings.IndexByte(a, '<'); i > 0 {
			a = strings.Trim(strings.TrimSpace(a[:i]), `"`)
		}
		if a != "" {
			names = append(names, a)
		}
	}
	return strings.Join(names, ", ")
}
