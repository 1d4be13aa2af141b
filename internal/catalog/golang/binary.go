package golang

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"io"
	"io/fs"
	"path"
	"runtime/debug"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// More property keys, set on packages found in binaries.
const (
	// PropMainModule marks the main module of a binary ("true").
	PropMainModule = "hallmark:go:main-module"
	// PropGoVersion is the Go toolchain that built a binary, as the
	// binary records it (e.g. "go1.26.8", possibly with " X:experiment").
	PropGoVersion = "hallmark:go:toolchain"
	// PropBuildPrefix prefixes the build settings of a binary
	// ("hallmark:go:build:vcs.revision", "...:GOOS", "...:-ldflags").
	PropBuildPrefix = "hallmark:go:build:"
)

// StdlibName is the name of the Go standard library as a package, as OSV's Go
// ecosystem and govulncheck name it.
const StdlibName = "stdlib"

// Binary reads the build information Go embeds in executables
// (https://pkg.go.dev/debug/buildinfo, the data `go version -m` prints).
//
// It claims every regular file with an execute bit and every *.exe file;
// files that are not Go executables (shell scripts, C programs) give no
// packages and no error. Only the headers and the build information section
// are read, not the whole file.
//
// Packages: the main module (property PropMainModule; version empty when the
// binary says "(devel)", with the VCS revision as a build property), every
// module linked in (with its go.sum "h1" hash; a replaced module is
// reported as its replacement, the original in PropReplaces), and the Go
// standard library as "stdlib" at the toolchain version ("go1.26.8", as Go
// spells it: matching must drop the "go" prefix as it drops the "v" of module
// versions). Edges go from the main module to every other package: a binary
// records which modules are linked, not who imports whom. No package is
// marked Direct: a binary does not say which modules its go.mod required
// directly.
type Binary struct{}

// Name implements catalog.Cataloger.
func (Binary) Name() string { return "go-binary" }

// notBinary lists extensions of files that are executable by mode at times
// (scripts, sources, data checked in with +x) but never a compiled Go
// program. Ruling them out by name spares the walker a stat per file: in a
// node_modules tree almost every file has one of these extensions.
var notBinary = map[string]bool{
	".js": true, ".mjs": true, ".cjs": true, ".ts": true, ".mts": true, ".cts": true, ".tsx": true, ".jsx": true,
	".json": true, ".map": true, ".md": true, ".markdown": true, ".txt": true, ".yml": true, ".yaml": true,
	".toml": true, ".xml": true, ".html": true, ".htm": true, ".css": true, ".scss": true, ".less": true,
	".py": true, ".pyi": true, ".pyc": true, ".rb": true, ".go": true, ".c": true, ".h": true, ".cc": true,
	".rs": true, ".java": true, ".class": true, ".php": true, ".lock": true, ".sum": true, ".mod": true,
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".svg": true, ".ico": true, ".webp": true,
	".woff": true, ".woff2": true, ".ttf": true, ".eot": true, ".flow": true, ".coffee": true, ".vue": true,
	".svelte": true, ".gz": true, ".tgz": true, ".zip": true, ".jar": true, ".patch": true,
	".snap": true, ".csv": true, ".cfg": true, ".ini": true, ".sh": true, ".bash": true, ".ps1": true, ".bat": true,
	".cmd": true, ".pl": true, ".lua": true, ".d": true, ".ziphash": true, ".info": true,
}

// MayClaim implements catalog.ModeClaimer: only files whose extension does
// not rule them out are stat'ed for their executable bit.
func (Binary) MayClaim(p string) bool {
	base := path.Base(p)
	i := strings.LastIndexByte(base, '.')
	return i <= 0 || !notBinary[strings.ToLower(base[i:])]
}

// Claims implements catalog.Cataloger.
func (Binary) Claims(p string, mode fs.FileMode) bool {
	if !mode.IsRegular() {
		return false
	}
	return mode&0o111 != 0 || strings.HasSuffix(strings.ToLower(path.Base(p)), ".exe")
}

// executable magic numbers: ELF, PE, Mach-O (32/64, both byte orders, fat),
// XCOFF, WebAssembly.
var magics = [][]byte{
	[]byte("\x7fELF"),
	[]byte("MZ"),
	{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf},
	{0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe},
	{0xca, 0xfe, 0xba, 0xbe},
	{0x01, 0xdf}, {0x01, 0xf7},
	[]byte("\x00asm"),
}

// Catalog implements catalog.Cataloger.
func (Binary) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limits.BinaryBytes {
		return nil, nil // too large to be inspected; not reported, like any non-Go file
	}
	var head [4]byte
	n, _ := io.ReadFull(f, head[:])
	if !isExecutable(head[:n]) {
		return nil, nil
	}
	ra, ok := f.(io.ReaderAt)
	if !ok {
		// The file system gives no random access (an archive member):
		// read the file, within the manifest limit.
		if st.Size() > limits.ManifestBytes {
			return nil, nil
		}
		rest, err := io.ReadAll(io.LimitReader(f, limits.ManifestBytes))
		if err != nil {
			return nil, err
		}
		ra = bytes.NewReader(append(head[:n:n], rest...))
	}
	bi, err := buildinfo.Read(ra)
	if err != nil {
		// Not a Go executable, or one without build information (built
		// before Go 1.13, or a damaged file): nothing to report.
		return nil, nil
	}
	return fromBuildInfo(bi, p), nil
}

func isExecutable(head []byte) bool {
	for _, m := range magics {
		if bytes.HasPrefix(head, m) {
			return true
		}
	}
	return false
}

// fromBuildInfo turns a binary's build information into packages.
func fromBuildInfo(bi *debug.BuildInfo, p string) *catalog.Result {
	loc := []sbom.Location{{Path: p}}
	res := &catalog.Result{}

	var mainID string
	if bi.Main.Path != "" {
		m := modulePackage(&bi.Main, loc)
		if m.Version == "(devel)" {
			m.Version = ""
			m.PURL = purl.New(sbom.EcosystemGo, m.Name, "")
			m.ID = m.Key()
		}
		m.SetProperty(PropMainModule, "true")
		m.SetProperty(PropGoVersion, bi.GoVersion)
		for _, s := range bi.Settings {
			m.SetProperty(PropBuildPrefix+s.Key, s.Value) // empty values are skipped
		}
		mainID = m.ID
		res.Packages = append(res.Packages, m)
	}
	for _, d := range bi.Deps {
		if d == nil || d.Path == "" {
			continue
		}
		res.Packages = append(res.Packages, modulePackage(d, loc))
	}
	if v := stdlibVersion(bi.GoVersion); v != "" {
		s := sbom.Package{
			Name:       StdlibName,
			Version:    v,
			Ecosystem:  sbom.EcosystemGo,
			PURL:       purl.New(sbom.EcosystemGo, StdlibName, v),
			Locations:  loc,
			Properties: map[string]string{PropGoVersion: bi.GoVersion},
		}
		s.ID = s.Key()
		res.Packages = append(res.Packages, s)
	}
	if mainID != "" {
		for _, q := range res.Packages[1:] {
			res.Relationships = append(res.Relationships, sbom.Relationship{From: mainID, To: q.ID})
		}
	}
	return res
}

// stdlibVersion returns the release a GoVersion string names: "go1.26.8"
// for "go1.26.8 X:boringcrypto", "" for a development toolchain
// ("devel go1.27-abcdef").
func stdlibVersion(v string) string {
	v, _, _ = strings.Cut(v, " ")
	if !strings.HasPrefix(v, "go1") {
		return ""
	}
	return v
}

func modulePackage(m *debug.Module, loc []sbom.Location) sbom.Package {
	pkg := sbom.Package{
		Name:      m.Path,
		Version:   m.Version,
		Ecosystem: sbom.EcosystemGo,
		Locations: loc,
	}
	sum := m.Sum
	if r := m.Replace; r != nil {
		applyReplace(&pkg, m.Path, m.Version, r.Path, r.Version)
		sum = r.Sum
	}
	if h, ok := h1Hash(sum); ok {
		pkg.Hashes = []sbom.Hash{h}
		pkg.SetProperty(PropHashKind, "h1")
	}
	pkg.PURL = purl.New(sbom.EcosystemGo, pkg.Name, pkg.Version)
	pkg.ID = pkg.Key()
	return pkg
}
