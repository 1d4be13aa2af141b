// Package apk catalogs the Alpine packages installed in a root filesystem
// (Alpine, Wolfi, Chainguard images): the apk database /lib/apk/db/installed
// (https://wiki.alpinelinux.org/wiki/Apk_spec#Installed_Database_V2), one
// block of "K:value" lines per package: P name, V version, A architecture,
// o origin (the source package advisories name), L licence, m maintainer,
// C checksum (Q1 + base64 SHA-1 of the control data), F/R the files owned.
package apk

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/distro"
	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Property keys, shared with the other OS catalogers.
const (
	PropSource        = catalog.PropOSSource
	PropSourceVersion = catalog.PropOSSourceVersion
	PropArch          = catalog.PropOSArch
	PropDistro        = catalog.PropOSDistro
)

// Cataloger reads apk databases.
type Cataloger struct{}

// New returns the apk cataloger.
func New() Cataloger { return Cataloger{} }

// Name implements catalog.Cataloger.
func (Cataloger) Name() string { return "apk" }

// Claims implements catalog.Cataloger.
func (Cataloger) Claims(p string, _ fs.FileMode) bool {
	return p == "lib/apk/db/installed" || strings.HasSuffix(p, "/lib/apk/db/installed")
}

// ErrMalformed reports an apk database that cannot be read.
var ErrMalformed = errors.New("malformed apk database")

// Record is one installed package.
type Record struct {
	Name, Version, Arch, Origin, License, Maintainer, Checksum string
	Files                                                      []string
	Line                                                       int
}

// Parse reads an installed database.
func Parse(b []byte) ([]Record, error) {
	if len(b) > limits.ManifestBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, limits.ManifestBytes)
	}
	var out []Record
	var cur Record
	dir := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), limits.DpkgLineBytes)
	n := 0
	flush := func() {
		if cur.Name != "" {
			out = append(out, cur)
		}
		cur, dir = Record{}, ""
	}
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" {
			flush()
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			return nil, fmt.Errorf("%w: line %d: not KEY:value", ErrMalformed, n)
		}
		v := line[2:]
		switch line[0] {
		case 'P':
			cur.Name, cur.Line = v, n
		case 'V':
			cur.Version = v
		case 'A':
			cur.Arch = v
		case 'o':
			cur.Origin = v
		case 'L':
			cur.License = v
		case 'm':
			cur.Maintainer = v
		case 'C':
			cur.Checksum = v
		case 'F':
			dir = v
		case 'R':
			if len(cur.Files) < limits.ApkFilesPerPackage {
				cur.Files = append(cur.Files, strings.TrimPrefix(dir+"/"+v, "/"))
			}
		}
		if len(out) > limits.DpkgPackages {
			return nil, fmt.Errorf("%w: more than %d packages", ErrMalformed, limits.DpkgPackages)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	flush()
	return out, nil
}

// Catalog implements catalog.Cataloger.
func (Cataloger) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	recs, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	root, rel := catalog.RootRelease(fsys, p, "lib/apk/db/installed")
	r := distro.Release{ID: rel.ID, VersionID: rel.VersionID}
	if r.ID == "" {
		r.ID = "alpine"
	}
	ns := r.ID
	res := &catalog.Result{Owns: map[string]string{}}
	for _, rec := range recs {
		if rec.Version == "" {
			continue
		}
		q := packageurl.Qualifiers{}
		if rec.Arch != "" {
			q = append(q, packageurl.Qualifier{Key: "arch", Value: rec.Arch})
		}
		if d := r.PURLDistro(); d != "" {
			q = append(q, packageurl.Qualifier{Key: "distro", Value: d})
		}
		eco := r.Ecosystem()
		if eco == "" {
			eco = "Alpine"
		}
		pkg := sbom.Package{
			Name: rec.Name, Version: rec.Version, Ecosystem: sbom.Ecosystem(eco),
			PURL:      packageurl.NewPackageURL("apk", ns, rec.Name, rec.Version, q, "").ToString(),
			Locations: []sbom.Location{{Path: p, Line: rec.Line}}, Direct: true, Supplier: rec.Maintainer,
		}
		if rec.License != "" {
			pkg.Licenses = []string{apkLicense(rec.License)}
		}
		if h, ok := checksum(rec.Checksum); ok {
			pkg.Hashes = []sbom.Hash{{Algorithm: "SHA-1", Value: h}}
		}
		pkg.SetProperty(PropSource, rec.Origin)
		pkg.SetProperty(PropSourceVersion, rec.Version)
		pkg.SetProperty(PropArch, rec.Arch)
		pkg.SetProperty(PropDistro, r.PURLDistro())
		pkg.ID = pkg.Key()
		for _, f := range rec.Files {
			if root != "" {
				f = root + "/" + f
			}
			res.Owns[f] = pkg.ID
		}
		res.Packages = append(res.Packages, pkg)
	}
	return res, nil
}

// apkLicense turns apk's space-separated licence list ("MIT BSD-2-Clause",
// "GPL-2.0-or-later AND MIT") into one SPDX expression.
func apkLicense(l string) string {
	f := strings.Fields(l)
	for _, w := range f {
		if w == "AND" || w == "OR" || w == "WITH" {
			return l
		}
	}
	return strings.Join(f, " AND ")
}

// checksum decodes "Q1<base64 sha1>" to hex.
func checksum(c string) (string, bool) {
	v, ok := strings.CutPrefix(c, "Q1")
	if !ok {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != 20 {
		return "", false
	}
	return hex.EncodeToString(b), true
}
