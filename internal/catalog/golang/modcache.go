package golang

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"golang.org/x/mod/module"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// ModCache catalogs a Go module cache (GOMODCACHE, by default
// $HOME/go/pkg/mod; https://go.dev/ref/mod#module-cache): one package per
// module version whose zip the cache holds.
//
// The cache keeps, for each downloaded module version,
// cache/download/<escaped path>/@v/<escaped version>.{info,mod,zip,ziphash}
// and the extracted tree <escaped path>@<escaped version>/. The ".ziphash"
// file exists exactly for the versions whose zip was downloaded (and
// extracted), holds their go.sum "h1" hash, and its path alone names the
// module and version unambiguously wherever the cache sits in the scanned
// tree. So ModCache claims ".ziphash" files and nothing else: versions with
// only a ".mod" file were consulted for version selection and are not
// present, and the go.mod files of the extracted modules (which list each
// module's own requirements, not what the cache holds) are claimed by no
// cataloger. Modules without a go.mod file of their own (pre-modules
// releases) are found all the same.
//
// The packages are neither Direct nor related: a cache records no
// dependency graph.
type ModCache struct{}

// Name implements catalog.Cataloger.
func (ModCache) Name() string { return "go-module-cache" }

// Claims implements catalog.Cataloger.
func (ModCache) Claims(p string, mode fs.FileMode) bool {
	if !strings.HasSuffix(p, ".ziphash") {
		return false
	}
	_, _, ok := cacheModule(p)
	return ok
}

// cacheModule reads the escaped module path and version out of
// ".../cache/download/<path>/@v/<version>.ziphash".
func cacheModule(p string) (modPath, version string, ok bool) {
	i := strings.LastIndex(p, "cache/download/")
	if i < 0 || (i > 0 && p[i-1] != '/') {
		return "", "", false
	}
	rest := strings.TrimSuffix(p[i+len("cache/download/"):], ".ziphash")
	modPath, version, ok = strings.Cut(rest, "/@v/")
	if !ok || modPath == "" || version == "" || strings.Contains(version, "/") {
		return "", "", false
	}
	return modPath, version, true
}

// Catalog implements catalog.Cataloger.
func (ModCache) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	escPath, escVersion, ok := cacheModule(p)
	if !ok {
		return nil, fmt.Errorf("not a module cache .ziphash path")
	}
	modPath, err := module.UnescapePath(escPath)
	if err != nil {
		return nil, fmt.Errorf("module path: %w", err)
	}
	version, err := module.UnescapeVersion(escVersion)
	if err != nil {
		return nil, fmt.Errorf("module version: %w", err)
	}
	pkg := sbom.Package{
		Name:      modPath,
		Version:   version,
		Ecosystem: sbom.EcosystemGo,
		PURL:      purl.New(sbom.EcosystemGo, modPath, version),
		Locations: []sbom.Location{{Path: p}},
	}
	pkg.ID = pkg.Key()
	// The .ziphash holds one line, "h1:<base64>"; read at most a little.
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return nil, err
	}
	if h, ok := h1Hash(string(bytes.TrimSpace(b))); ok {
		pkg.Hashes = []sbom.Hash{h}
		pkg.Properties = map[string]string{PropHashKind: "h1"}
	}
	return &catalog.Result{Packages: []sbom.Package{pkg}}, nil
}
