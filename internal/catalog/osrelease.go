package catalog

import (
	"bufio"
	"bytes"
	"io/fs"
	"strconv"
	"strings"
)

// OSRelease is what /etc/os-release says of a root filesystem
// (https://www.freedesktop.org/software/systemd/man/latest/os-release.html).
type OSRelease struct {
	ID, VersionID, VersionCodename, PrettyName string
	IDLike                                     []string
}

// OSReleaseFiles are where os-release is looked for, in order.
var OSReleaseFiles = []string{"etc/os-release", "usr/lib/os-release"}

// ReadOSRelease reads os-release from a root filesystem; ok is false when
// there is none.
func ReadOSRelease(fsys fs.FS) (OSRelease, bool) {
	for _, p := range OSReleaseFiles {
		b, err := ReadFile(fsys, p)
		if err != nil {
			continue
		}
		return ParseOSRelease(b), true
	}
	return OSRelease{}, false
}

// ParseOSRelease parses os-release's KEY=value lines (values may be
// quoted, shell-style).
func ParseOSRelease(b []byte) OSRelease {
	var r OSRelease
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else {
			v = strings.Trim(v, `"'`)
		}
		switch k {
		case "ID":
			r.ID = strings.ToLower(v)
		case "VERSION_ID":
			r.VersionID = v
		case "VERSION_CODENAME":
			r.VersionCodename = v
		case "PRETTY_NAME":
			r.PrettyName = v
		case "ID_LIKE":
			r.IDLike = strings.Fields(strings.ToLower(v))
		}
	}
	return r
}

// Properties the OS package catalogers (dpkg, apk, rpm) share. Matching
// reads the source package ones (match.PropOSSource).
const (
	PropOSSource        = "hallmark:os:source"
	PropOSSourceVersion = "hallmark:os:source-version"
	PropOSArch          = "hallmark:os:arch"
	PropOSDistro        = "hallmark:os:distro"
)

// RootRelease returns, for a package database at p whose path inside a root
// filesystem is db ("var/lib/dpkg/status"), the root's prefix ("" for the
// source root) and its os-release.
func RootRelease(fsys fs.FS, p, db string) (string, OSRelease) {
	root := strings.TrimSuffix(strings.TrimSuffix(p, db), "/")
	sub := fsys
	if root != "" {
		if s, err := fs.Sub(fsys, root); err == nil {
			sub = s
		}
	}
	rel, _ := ReadOSRelease(sub)
	return root, rel
}
