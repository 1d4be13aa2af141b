// Package dotnet catalogs NuGet packages from the two files .NET tooling
// writes with exact versions:
//
//   - packages.lock.json, NuGet's repeatable-restore lock file
//     (packagelock.go);
//   - <app>.deps.json, the runtime dependency manifest the .NET SDK writes
//     next to a built or published application (depsjson.go).
//
// NuGet package ids are case-insensitive; hallmark keeps the case the file
// writes (purls keep it too) and treats two spellings of one id in the same
// file as one package.
package dotnet

import (
	"bytes"
	"encoding/base64"
	"sort"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// nugetPackage returns a NuGet package with its purl.
func nugetPackage(name, version, path string, line int) sbom.Package {
	return sbom.Package{
		Name:      name,
		Version:   version,
		Ecosystem: sbom.EcosystemNuGet,
		PURL:      purl.New(sbom.EcosystemNuGet, name, version),
		Locations: []sbom.Location{{Path: path, Line: line}},
	}
}

// sha512Hash decodes a base64 SHA-512 digest (NuGet's contentHash, or the
// part of a deps.json "sha512-<base64>" after the prefix).
func sha512Hash(b64 string) []sbom.Hash {
	if h, ok := catalog.HexHash(sbom.SHA512, b64, base64.StdEncoding); ok {
		return []sbom.Hash{h}
	}
	return nil
}

// pkgKey is the case-insensitive identity of a NuGet package in one file.
func pkgKey(name, version string) string {
	return strings.ToLower(name) + "/" + strings.ToLower(version)
}

// lineIndex maps byte offsets of a file to 1-based line numbers.
type lineIndex []int

func newLineIndex(b []byte) lineIndex {
	idx := lineIndex{0}
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return idx
		}
		i += j + 1
		idx = append(idx, i)
	}
}

// line returns the line of the byte at off.
func (l lineIndex) line(off int64) int {
	return sort.Search(len(l), func(i int) bool { return int64(l[i]) > off })
}
