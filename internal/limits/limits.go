// Package limits holds, in one place, the bounds hallmark puts on untrusted
// input. Every parser reads through these so that a hostile or broken file
// (a 2 GB lockfile, a zip bomb in a jar, absurd nesting) costs bounded time
// and memory and is reported, never followed.
package limits

const (
	// ManifestBytes is the largest lockfile or manifest read. The largest
	// real lockfiles are tens of MB; anything larger is refused.
	ManifestBytes = 256 << 20
	// SBOMBytes is the largest SBOM document read back.
	SBOMBytes = 512 << 20
	// ArchiveEntries is the most members read from one archive (jar, war).
	ArchiveEntries = 100_000
	// ArchiveEntryBytes is the most bytes decompressed from one archive member.
	ArchiveEntryBytes = 64 << 20
	// ArchiveTotalBytes is the most bytes decompressed from one archive,
	// nested archives included.
	ArchiveTotalBytes = 1 << 30
	// ArchiveDepth is how deep archives nested in archives are opened.
	ArchiveDepth = 4
	// YAMLDepth is the deepest YAML nesting accepted; real lockfiles and
	// workflows stay under 20.
	YAMLDepth = 100
	// YAMLDocuments bounds the documents of one YAML file (a pnpm 11
	// lockfile has two: pnpm's own environment, then the project).
	YAMLDocuments = 8
	// TOMLDepth is the deepest TOML key accepted: table header components,
	// dotted key components and enclosing arrays and inline tables together.
	// Real lockfiles and manifests stay under 12 ([tool.poetry.group.dev.
	// dependencies] x = { extras = [...] } is 8). BurntSushi/toml takes time
	// quadratic to cubic in this depth, so it is checked before decoding: at
	// 16 a document decodes at most a few times slower per byte than a flat
	// one, at 32 six times; at 16,000 it takes minutes, and 10 million nested
	// arrays overflow the goroutine stack (a fatal error, not a panic).
	TOMLDepth = 16
	// BinaryBytes is the largest executable inspected for build information.
	BinaryBytes = 2 << 30
	// WorkspaceManifests is the most member manifests (Cargo.toml) read
	// for one workspace; ruff, one of the largest Rust workspaces, has 51.
	WorkspaceManifests = 4096
)

// Bounds on vulnerability data (OSV exports, mirrors, the local index).
const (
	// OSVRecordBytes is the largest single OSV advisory accepted. Real
	// records stay under 1 MB (the largest Linux kernel ones).
	OSVRecordBytes = 8 << 20
	// OSVExportBytes is the largest all.zip downloaded or imported for one
	// ecosystem. The real npm export is a few hundred MB compressed.
	OSVExportBytes = 4 << 30
	// OSVExportEntries is the most records read from one export zip.
	OSVExportEntries = 2_000_000
	// OSVExportUncompressed is the most bytes decompressed from one export
	// zip, all entries together (zip bomb bound).
	OSVExportUncompressed = 32 << 30
	// OSVCompressionRatio is the highest uncompressed/compressed ratio
	// accepted for one zip member; JSON compresses about 5-20x, a bomb
	// thousands of times.
	OSVCompressionRatio = 200
	// HTTPRedirects is the most redirects followed for one download.
	HTTPRedirects = 5
	// VEXBytes is the largest VEX document read.
	VEXBytes = 64 << 20
)

// Bounds on policy files (hallmark policy, scan --policy).
const (
	// PolicyBytes is the largest policy file read.
	PolicyBytes = 4 << 20
	// PolicyRules is the most rules and the most exceptions a policy holds.
	PolicyRules = 10_000
	// CELExpressionBytes is the longest CEL condition compiled.
	CELExpressionBytes = 16 << 10
)

// VersionCacheEntries bounds the parsed versions kept for reuse (a server
// matches the same advisory ranges for every SBOM it ingests); the cache
// starts over when full.
const VersionCacheEntries = 1 << 16

// Version ranges given to the server's queries (vers: strings).
const (
	// VersBytes bounds a vers range string.
	VersBytes = 4096
	// VersConstraints bounds the constraints of one vers range.
	VersConstraints = 64
)
