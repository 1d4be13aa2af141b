package vulndb

import (
	"strings"

	"github.com/hallmark-dev/hallmark/internal/osv"
	"github.com/hallmark-dev/hallmark/internal/purl"
)

// NormalizeName returns the index key of a package name in an OSV
// ecosystem, so that spellings the ecosystem treats as the same package meet:
//   - PyPI: PEP 503 (lower case, runs of "-", "_", "." become "-");
//   - NuGet, Packagist, Pub, Hex, GitHub Actions: case-insensitive, lower case;
//   - everything else (npm, Go module paths, Maven group:artifact,
//     crates.io, RubyGems, SwiftURL, distributions): exactly as written,
//     since those registries are case-sensitive or already canonical.
func NormalizeName(eco, name string) string {
	switch osv.BaseEcosystem(eco) {
	case "PyPI":
		return purl.NormalizePyPI(name)
	case "NuGet", "Packagist", "Pub", "Hex", "GitHub Actions":
		return strings.ToLower(name)
	}
	return name
}
