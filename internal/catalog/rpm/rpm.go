// Package rpm catalogs the RPM packages installed in a root filesystem
// (RHEL, CentOS, AlmaLinux, Rocky Linux, Fedora, SUSE, Oracle, Amazon
// Linux): the rpm database, read with github.com/knqyf263/go-rpmdb, the
// pure-Go reader Trivy and Syft use, in its three formats: Berkeley DB
// (/var/lib/rpm/Packages: RHEL/CentOS 5-8, AlmaLinux and Rocky 8), SQLite
// (rpmdb.sqlite: RHEL 9 and its rebuilds, Fedora 33+) through
// modernc.org/sqlite, and NDB (Packages.db: SUSE 15).
package rpm

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"

	rpmdb "github.com/knqyf263/go-rpmdb/pkg"
	packageurl "github.com/package-url/packageurl-go"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver go-rpmdb opens rpmdb.sqlite with

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/distro"
	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Property keys.
const (
	PropSourceRPM = "hallmark:rpm:source-rpm"
	PropEpoch     = "hallmark:rpm:epoch"
	PropVendor    = "hallmark:rpm:vendor"
	// PropModularityLabel is a module stream package's label
	// ("nodejs:10:8020020200707141642:6a468ee4": RHEL 8 and its rebuilds).
	PropModularityLabel = "hallmark:rpm:modularitylabel"
	PropArch            = catalog.PropOSArch
	PropDistro          = catalog.PropOSDistro
)

// Cataloger reads rpm databases.
type Cataloger struct{}

// New returns the rpm cataloger.
func New() Cataloger { return Cataloger{} }

// Name implements catalog.Cataloger.
func (Cataloger) Name() string { return "rpm" }

// The database paths: /var/lib/rpm (RHEL, CentOS, Alma, Rocky) and
// /usr/lib/sysimage/rpm (Fedora 36+, SUSE: Berkeley DB before SLE 15 SP3
// and Leap 15.3, NDB since).
var dbFiles = []string{"var/lib/rpm/Packages", "var/lib/rpm/rpmdb.sqlite", "var/lib/rpm/Packages.db",
	"usr/lib/sysimage/rpm/Packages", "usr/lib/sysimage/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/Packages.db"}

// Claims implements catalog.Cataloger.
func (Cataloger) Claims(p string, _ fs.FileMode) bool {
	for _, f := range dbFiles {
		if strings.HasSuffix(p, f) && (len(p) == len(f) || p[len(p)-len(f)-1] == '/') {
			return true
		}
	}
	return false
}

// Catalog implements catalog.Cataloger.
func (Cataloger) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// go-rpmdb reads a file by name: copy the database (bounded) to a
	// temporary file when it is not one on disk (an image's view).
	tmp, err := os.CreateTemp("", "hallmark-rpmdb-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	n, err := tmp.ReadFrom(ioLimit(f))
	held := -1
	if err == nil && n <= limits.RPMDBBytes {
		held, err = check(tmp)
	}
	tmp.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if n > limits.RPMDBBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", p, limits.RPMDBBytes)
	}
	pkgs, err := list(tmp.Name())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if held >= 0 && len(pkgs) != held {
		return nil, fmt.Errorf("%s: %w: read %d of the %d packages it holds (a damaged page)", p, errCorrupt, len(pkgs), held)
	}
	root, rel := catalog.RootRelease(fsys, p, dbFile(p))
	r := distro.Release{ID: rel.ID, VersionID: rel.VersionID}
	eco := r.Ecosystem()
	if eco == "" {
		eco = strings.TrimSpace(rel.ID) // CentOS, Amazon, Oracle: no OSV ecosystem of their own
		if eco == "" {
			eco = "rpm"
		}
	}
	res := &catalog.Result{Owns: map[string]string{}}
	for _, pi := range pkgs {
		if isPubkey(pi) {
			continue
		}
		v := pi.Version + "-" + pi.Release
		epoch := pi.EpochNum()
		if epoch > 0 {
			v = strconv.Itoa(epoch) + ":" + v
		}
		q := packageurl.Qualifiers{{Key: "arch", Value: pi.Arch}}
		if epoch > 0 {
			q = append(q, packageurl.Qualifier{Key: "epoch", Value: strconv.Itoa(epoch)})
		}
		if d := r.PURLDistro(); d != "" {
			q = append(q, packageurl.Qualifier{Key: "distro", Value: d})
		}
		ns := purlNamespace(r.ID)
		pkg := sbom.Package{
			Name: pi.Name, Version: v, Ecosystem: sbom.Ecosystem(eco),
			PURL:      packageurl.NewPackageURL("rpm", ns, pi.Name, pi.Version+"-"+pi.Release, q, "").ToString(),
			Locations: []sbom.Location{{Path: p}}, Direct: true, Supplier: pi.Vendor,
		}
		if pi.License != "" {
			pkg.Licenses = []string{pi.License}
		}
		pkg.SetProperty(PropSourceRPM, pi.SourceRpm)
		if epoch > 0 {
			pkg.SetProperty(PropEpoch, strconv.Itoa(epoch))
		}
		pkg.SetProperty(PropVendor, pi.Vendor)
		pkg.SetProperty(PropModularityLabel, pi.Modularitylabel)
		pkg.SetProperty(PropArch, pi.Arch)
		pkg.SetProperty(PropDistro, r.PURLDistro())
		pkg.ID = pkg.Key()
		if files, err := pi.InstalledFileNames(); err == nil {
			for _, f := range files {
				f = strings.TrimPrefix(f, "/")
				if root != "" {
					f = root + "/" + f
				}
				res.Owns[f] = pkg.ID
			}
		}
		res.Packages = append(res.Packages, pkg)
	}
	return res, nil
}

// isPubkey reports rpm's gpg-pubkey entries: the signing keys imported
// into the database (rpm --import), listed by rpm -qa but no software (no
// source RPM, no architecture); SBOM tools leave them out.
func isPubkey(pi *rpmdb.PackageInfo) bool {
	return pi.Name == "gpg-pubkey" && pi.SourceRpm == "" && pi.Arch == ""
}

// purlNamespace is the purl namespace (the vendor) of a distribution's rpm
// packages, as the purl specification's examples and Syft write it:
// "redhat" for RHEL, "opensuse" for openSUSE's flavours, "suse" for SLES,
// else os-release's ID ("fedora", "centos", "almalinux", "rocky").
func purlNamespace(id string) string {
	switch {
	case id == "" || id == "rhel":
		return "redhat"
	case strings.HasPrefix(id, "opensuse"):
		return "opensuse"
	case id == "sles" || id == "sled" || id == "sles_sap" || id == "sle_hpc" || id == "sle-micro":
		return "suse"
	}
	return id
}

// dbFile returns which of the database paths p ends with.
func dbFile(p string) string {
	for _, f := range dbFiles {
		if p == f || strings.HasSuffix(p, "/"+f) {
			return f
		}
	}
	return path.Base(p)
}

// list reads every package, turning a panic of the reader on a corrupt
// database into an error. When go-rpmdb's ListPackages returns an error
// midway, its reader goroutine stays blocked on a channel nobody reads (a
// small leak per corrupt database); check refuses the shapes known to get
// there before this runs.
func list(file string) (pkgs []*rpmdb.PackageInfo, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt rpm database: %v", r)
		}
	}()
	db, err := rpmdb.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open rpm database: %w", err)
	}
	defer db.Close()
	return db.ListPackages()
}
