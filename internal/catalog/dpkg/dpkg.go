// Package dpkg catalogs the Debian packages installed in a root filesystem
// (a container image, a debootstrap tree): the dpkg database
// /var/lib/dpkg/status, and distroless images' /var/lib/dpkg/status.d/*
// (one control file per package).
//
// Each installed package ("Status: install ok installed") becomes a package
// of the release's OSV ecosystem ("Debian:12", "Ubuntu:24.04:LTS", from
// /etc/os-release) with purl
// pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=debian-12, and with its
// source package and source version as properties (Debian's and Ubuntu's
// advisories are about source packages). The maintainer is the supplier;
// licences come from /usr/share/doc/NAME/copyright where it is in the
// machine-readable DEP-5 format. The files each package installed
// (/var/lib/dpkg/info/NAME[:ARCH].list) are reported as owned by it, so
// that a language package inside an OS package (python3-requests'
// dist-info) is reported once, as the OS package.
package dpkg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/distro"
	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Property keys.
const (
	PropSource        = catalog.PropOSSource        // source package name
	PropSourceVersion = catalog.PropOSSourceVersion // source package version
	PropArch          = catalog.PropOSArch
	PropDistro        = catalog.PropOSDistro // purl distro qualifier, e.g. debian-12
)

// Cataloger reads dpkg databases.
type Cataloger struct{}

// New returns the dpkg cataloger.
func New() Cataloger { return Cataloger{} }

// Name implements catalog.Cataloger.
func (Cataloger) Name() string { return "dpkg" }

// Claims implements catalog.Cataloger.
func (Cataloger) Claims(p string, mode fs.FileMode) bool {
	if p == "var/lib/dpkg/status" || strings.HasSuffix(p, "/var/lib/dpkg/status") {
		return true
	}
	dir, base := path.Split(p)
	return (dir == "var/lib/dpkg/status.d/" || strings.HasSuffix(dir, "/var/lib/dpkg/status.d/")) &&
		!strings.Contains(base, ".")
}

// ErrMalformed reports a status file that is not a dpkg database.
var ErrMalformed = errors.New("malformed dpkg status")

// Catalog implements catalog.Cataloger.
func (Cataloger) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	root := rootOf(p)
	rel, _ := catalog.ReadOSRelease(subFS(fsys, root))
	paras, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	res := &catalog.Result{Owns: map[string]string{}}
	r := distro.Release{ID: rel.ID, VersionID: rel.VersionID}
	if r.ID == "" {
		r.ID = "debian" // the dpkg database without os-release: a Debian tree
	}
	for _, para := range paras {
		if !installed(para) {
			continue
		}
		pkg := newPackage(para, r, p, para.line)
		if pkg.Name == "" || pkg.Version == "" {
			continue
		}
		if lic := licenses(fsys, root, pkg.Name); len(lic) > 0 {
			pkg.Licenses = lic
		}
		pkg.ID = pkg.Key()
		for _, f := range ownedFiles(fsys, root, pkg.Name, para.get("Architecture")) {
			res.Owns[f] = pkg.ID
		}
		res.Packages = append(res.Packages, pkg)
	}
	return res, nil
}

// rootOf returns the root filesystem prefix of a status path ("" for the
// root itself).
func rootOf(p string) string {
	i := strings.Index(p, "var/lib/dpkg/")
	if i <= 0 {
		return ""
	}
	return strings.TrimSuffix(p[:i], "/")
}

func subFS(fsys fs.FS, root string) fs.FS {
	if root == "" {
		return fsys
	}
	s, err := fs.Sub(fsys, root)
	if err != nil {
		return fsys
	}
	return s
}

func join(root, p string) string {
	if root == "" {
		return p
	}
	return root + "/" + p
}

// paragraph is one package's control fields, with continuation lines
// joined by "\n".
type paragraph struct {
	fields map[string]string
	line   int
}

func (p paragraph) get(k string) string { return p.fields[k] }

// Parse reads a dpkg status (or status.d control) file: paragraphs of
// "Field: value" lines separated by blank lines, continuation lines
// starting with a space or tab (deb822, Debian Policy 5.1).
func Parse(b []byte) ([]paragraph, error) {
	if len(b) > limits.ManifestBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, limits.ManifestBytes)
	}
	var out []paragraph
	cur := paragraph{fields: map[string]string{}}
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), limits.DpkgLineBytes)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			if len(cur.fields) > 0 {
				out = append(out, cur)
			}
			cur, last = paragraph{fields: map[string]string{}}, ""
		case line[0] == ' ' || line[0] == '\t':
			if last == "" {
				return nil, fmt.Errorf("%w: line %d: continuation line outside a field", ErrMalformed, n)
			}
			if len(cur.fields[last]) < limits.DpkgFieldBytes {
				cur.fields[last] += "\n" + strings.TrimSpace(line)
			}
		case line[0] == '#':
			continue
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok || k == "" || strings.ContainsAny(k, " \t") {
				return nil, fmt.Errorf("%w: line %d: not a field: %.40q", ErrMalformed, n, line)
			}
			if len(cur.fields) == 0 {
				cur.line = n
			}
			last = k
			cur.fields[k] = strings.TrimSpace(v)
			if len(out) >= limits.DpkgPackages {
				return nil, fmt.Errorf("%w: more than %d packages", ErrMalformed, limits.DpkgPackages)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(cur.fields) > 0 {
		out = append(out, cur)
	}
	return out, nil
}

// installed reports whether a paragraph is an installed package: a status
// file also lists removed packages whose configuration files remain
// ("deinstall ok config-files"). A status.d control file has no Status.
func installed(p paragraph) bool {
	s := p.get("Status")
	if s == "" {
		return true
	}
	f := strings.Fields(s)
	return len(f) == 3 && (f[2] == "installed" || f[2] == "half-configured" || f[2] == "triggers-awaited" || f[2] == "triggers-pending")
}

func newPackage(para paragraph, r distro.Release, file string, line int) sbom.Package {
	name, version, arch := para.get("Package"), para.get("Version"), para.get("Architecture")
	src, srcVersion := name, version
	if s := para.get("Source"); s != "" {
		// "Source: name" or "Source: name (version)" when they differ.
		n, v, ok := strings.Cut(s, " (")
		src = strings.TrimSpace(n)
		if ok {
			srcVersion = strings.TrimSuffix(strings.TrimSpace(v), ")")
		}
	}
	var q packageurl.Qualifiers
	if arch != "" {
		q = append(q, packageurl.Qualifier{Key: "arch", Value: arch})
	}
	pd := r.PURLDistro()
	if pd != "" {
		q = append(q, packageurl.Qualifier{Key: "distro", Value: pd})
	}
	ns := r.ID
	pkg := sbom.Package{
		Name:      name,
		Version:   version,
		Ecosystem: sbom.Ecosystem(cmpOr(r.Ecosystem(), "Debian")),
		PURL:      packageurl.NewPackageURL("deb", ns, name, version, q, "").ToString(),
		Locations: []sbom.Location{{Path: file, Line: line}},
		Direct:    true,
		Supplier:  para.get("Maintainer"),
	}
	pkg.SetProperty(PropSource, src)
	pkg.SetProperty(PropSourceVersion, srcVersion)
	pkg.SetProperty(PropArch, arch)
	pkg.SetProperty(PropDistro, pd)
	return pkg
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ownedFiles lists the files a package installed, relative to the
// source root, from /var/lib/dpkg/info/NAME.list (or NAME:ARCH.list for
// multi-arch packages).
func ownedFiles(fsys fs.FS, root, name, arch string) []string {
	var b []byte
	var err error
	for _, n := range []string{name + ".list", name + ":" + arch + ".list"} {
		if b, err = catalog.ReadFile(fsys, join(root, "var/lib/dpkg/info/"+n)); err == nil {
			break
		}
	}
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimPrefix(strings.TrimSpace(l), "/")
		if l == "" || l == "." {
			continue
		}
		out = append(out, join(root, l))
	}
	return out
}
