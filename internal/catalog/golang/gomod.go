// Package golang catalogs Go modules: go.mod files (with go.sum hashes),
// compiled Go executables (their embedded build information) and Go module
// caches (GOMODCACHE).
package golang

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Property keys set on Go packages.
const (
	// PropHashKind says what the SHA-256 hash of a Go module is: "h1", the
	// go.sum dirhash (https://pkg.go.dev/golang.org/x/mod/sumdb/dirhash#Hash1),
	// a hash over the module's file list, not a hash of any one file.
	PropHashKind = "hallmark:go:hash"
	// PropReplaces names the module a replace directive replaced
	// ("path@version", or "path" for a replace of every version).
	PropReplaces = "hallmark:go:replaces"
	// PropRequiredBy names the main module whose go.mod requires the package.
	PropRequiredBy = "hallmark:go:required-by"
)

// GoMod reads go.mod files, applying their replace and exclude directives and
// taking module hashes from the go.sum beside them
// (https://go.dev/ref/mod#go-mod-file).
//
// The packages are the modules of the require list. Since Go 1.17 (module
// graph pruning) a go.mod lists every module needed to build the main
// module's packages and tests, so the require list is the truth; go.sum also
// holds "/go.mod" hashes of modules only consulted for version selection,
// which are not packages. For a go.mod older than "go 1.17" the require list
// omits the indirect requirements of its dependencies; only a build list
// (`go list -m all`, which needs the module sources) would add them.
//
// The main module is not a package: it is the project itself. Its path is
// recorded on each package as the PropRequiredBy property. go.mod records
// no edges other than main -> required, so no relationships are returned.
//
// The `go` and `toolchain` lines do not produce a "stdlib" package: they
// name the minimum Go that may build the module, not the one that will, and
// a stdlib package at that minimum would match every standard library
// vulnerability fixed since. The standard library is reported for compiled
// binaries, where the Go version is known.
type GoMod struct{}

// Name implements catalog.Cataloger.
func (GoMod) Name() string { return "go-mod" }

// Claims implements catalog.Cataloger. It claims go.mod files except those
// inside a module cache (a "<module>@<version>" directory: there each go.mod
// lists a dependency's requirements, not the project's; ModCache reads the
// cache) and inside vendor directories.
func (GoMod) Claims(p string, mode fs.FileMode) bool {
	if path.Base(p) != "go.mod" {
		return false
	}
	dir := path.Dir(p)
	for dir != "." && dir != "/" && dir != "" {
		b := path.Base(dir)
		if b == "vendor" || strings.Contains(b, "@v") {
			return false
		}
		dir = path.Dir(dir)
	}
	return true
}

// Catalog implements catalog.Cataloger.
func (GoMod) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	data, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	f, err := modfile.Parse(p, data, nil)
	if err != nil {
		return nil, fmt.Errorf("parse go.mod: %w", err)
	}
	sums, sumErr := readGoSum(fsys, path.Join(path.Dir(p), "go.sum"))

	var mainPath string
	if f.Module != nil {
		mainPath = f.Module.Mod.Path
	}
	excluded := map[string]bool{}
	for _, x := range f.Exclude {
		excluded[x.Mod.Path+"@"+x.Mod.Version] = true
	}
	// Replacements: exact path@version first, then path (any version).
	repl := map[string]*modfile.Replace{}
	for _, r := range f.Replace {
		key := r.Old.Path
		if r.Old.Version != "" {
			key += "@" + r.Old.Version
		}
		repl[key] = r
	}

	res := &catalog.Result{}
	for _, r := range f.Require {
		old := r.Mod
		if excluded[old.Path+"@"+old.Version] {
			continue
		}
		pkg := sbom.Package{
			Name:      old.Path,
			Version:   old.Version,
			Ecosystem: sbom.EcosystemGo,
			Direct:    !r.Indirect,
			Locations: []sbom.Location{{Path: p, Line: lineOf(r.Syntax)}},
		}
		if mainPath != "" {
			pkg.Properties = map[string]string{PropRequiredBy: mainPath}
		}
		rp := repl[old.Path+"@"+old.Version]
		if rp == nil {
			rp = repl[old.Path]
		}
		if rp != nil {
			applyReplace(&pkg, old.Path, old.Version, rp.New.Path, rp.New.Version)
		}
		if h, ok := sums[pkg.Name+" "+pkg.Version]; ok && pkg.SourceKind == "" {
			pkg.Hashes = []sbom.Hash{h}
			pkg.SetProperty(PropHashKind, "h1")
		}
		pkg.PURL = purl.New(sbom.EcosystemGo, pkg.Name, pkg.Version)
		pkg.ID = pkg.Key()
		res.Packages = append(res.Packages, pkg)
	}
	if sumErr != nil {
		return res, sumErr
	}
	return res, nil
}

// applyReplace points pkg, a requirement of oldPath@oldVersion, at the
// replacement newPath@newVersion. A replacement without a version is a local
// directory: the package keeps the module path (that is what its packages
// are imported as) but has no version, since the code is whatever the
// directory holds.
func applyReplace(pkg *sbom.Package, oldPath, oldVersion, newPath, newVersion string) {
	pkg.SetProperty(PropReplaces, oldPath+"@"+oldVersion)
	if newVersion == "" || newVersion == "(devel)" || modfile.IsDirectoryPath(newPath) {
		pkg.Name, pkg.Version = oldPath, ""
		pkg.SourceKind = "path"
		pkg.ResolvedURL = newPath
		return
	}
	pkg.Name, pkg.Version = newPath, newVersion
}

func lineOf(l *modfile.Line) int {
	if l == nil {
		return 0
	}
	return l.Start.Line
}

// readGoSum reads the module hashes ("path version h1:base64") of a go.sum,
// skipping the "/go.mod" hashes. A missing go.sum is no error.
func readGoSum(fsys fs.FS, p string) (map[string]sbom.Hash, error) {
	data, err := catalog.ReadFile(fsys, p)
	if err != nil {
		if isNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read go.sum: %w", err)
	}
	return parseGoSum(data), nil
}

func parseGoSum(data []byte) map[string]sbom.Hash {
	sums := map[string]sbom.Hash{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 || strings.HasSuffix(fields[1], "/go.mod") {
			continue
		}
		if h, ok := h1Hash(fields[2]); ok {
			sums[fields[0]+" "+fields[1]] = h
		}
	}
	return sums
}

// h1Hash converts a go.sum "h1:<base64 SHA-256>" to a hex hash.
func h1Hash(s string) (sbom.Hash, bool) {
	b64, ok := strings.CutPrefix(s, "h1:")
	if !ok {
		return sbom.Hash{}, false
	}
	return catalog.HexHash(sbom.SHA256, b64, base64.StdEncoding)
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
