// Package vulndb keeps hallmark's local copy of OSV vulnerability data: it
// imports the OSV export (one all.zip per ecosystem, from osv.dev's bucket,
// a mirror with the same layout, a directory or a zip), builds an index once,
// and answers "which advisories name this package" with a few small reads.
//
// # The index file
//
// Everything lives in one file, DIR/index.hmdb, so that an update is a
// single atomic rename: the new file is written beside the old one, synced,
// and renamed over it. A crash, kill -9, full disk or truncated download at
// any point leaves the previous file in place and usable.
//
// The file is a sequence of per-ecosystem sections followed by a JSON
// footer (Meta) and a fixed 24-byte trailer:
//
//	"HMVDB\x00\x00\x01"                      8-byte magic
//	section*                                 one per ecosystem
//	meta JSON                                Meta
//	u64 meta offset | u32 meta length | u32 CRC-32 (IEEE) of meta | "HMVDBEND"
//
// A section is self-contained, and every offset inside it is relative to its
// start, so an unchanged ecosystem is copied raw from the old file:
//
//	advisories   each advisory's JSON, DEFLATE-compressed (RFC 1951)
//	records      per package key, a JSON array of Record
//	pages        the sorted key directory in pages of PageKeys entries:
//	             uvarint len, key, uvarint record offset, uvarint length
//	sparse       JSON array of the first key and extent of every page
//
// Opening reads the trailer and the footer; a lookup reads one sparse
// index per ecosystem (a few KB), one page and one record. Memory grows with
// the packages looked up, not with the size of the database.
package vulndb

import (
	"errors"
	"time"

	"github.com/hallmark-dev/hallmark/internal/osv"
)

// FileName is the index file inside the database directory.
const FileName = "index.hmdb"

// Format is the version of the file layout this package writes and reads.
const Format = 1

// PageKeys is the number of keys per directory page.
const PageKeys = 64

var (
	magic        = [8]byte{'H', 'M', 'V', 'D', 'B', 0, 0, 1}
	trailerMagic = [8]byte{'H', 'M', 'V', 'D', 'B', 'E', 'N', 'D'}
)

const trailerLen = 24

// ErrNoData reports a database directory without an index: nothing was
// imported yet.
var ErrNoData = errors.New("no vulnerability data")

// ErrCorrupt reports an index file that cannot be read.
var ErrCorrupt = errors.New("vulnerability index corrupt")

// Meta is the index footer: one entry per imported ecosystem.
type Meta struct {
	Format     int             `json:"format"`
	Built      time.Time       `json:"built"`
	Ecosystems []EcosystemMeta `json:"ecosystems"`
}

// EcosystemMeta describes one imported ecosystem.
type EcosystemMeta struct {
	// Name is the OSV ecosystem (the export folder name).
	Name string `json:"name"`
	// Source is the URL or path the data came from.
	Source string `json:"source"`
	// FetchedAt is when the data currently held was downloaded or read.
	FetchedAt time.Time `json:"fetchedAt"`
	// CheckedAt is when the source was last asked whether it changed.
	CheckedAt time.Time `json:"checkedAt"`
	// ETag and LastModified are the HTTP validators of the export (for a
	// file, LastModified holds its modification time and size).
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"lastModified,omitempty"`

	Advisories int `json:"advisories"`
	Withdrawn  int `json:"withdrawn"`
	Malicious  int `json:"malicious"`
	Packages   int `json:"packages"`
	// Skipped counts records that were not valid OSV; SkippedExamples
	// names a few with the reason.
	Skipped         int      `json:"skipped"`
	SkippedExamples []string `json:"skippedExamples,omitempty"`
	// BadRanges counts advisories with a range version the ecosystem's
	// ordering cannot parse; matching reports affected packages as
	// unchecked for those.
	BadRanges int `json:"badRanges,omitempty"`

	Offset int64 `json:"offset"`
	Length int64 `json:"length"`
	// Sparse is the extent of the sparse page index, relative to Offset.
	SparseOff int64 `json:"sparseOff"`
	SparseLen int64 `json:"sparseLen"`
}

// Record is what the index keeps per package for matching: one advisory
// that names the package, with only the affected entries that name it.
type Record struct {
	ID        string         `json:"id"`
	Aliases   []string       `json:"aliases,omitempty"`
	Modified  string         `json:"modified,omitempty"`
	Withdrawn bool           `json:"withdrawn,omitempty"`
	Malicious bool           `json:"malicious,omitempty"`
	Affected  []osv.Affected `json:"affected"`
	// Off and Len locate the compressed advisory, relative to the section.
	Off int64 `json:"off"`
	Len int64 `json:"len"`
}

type sparseEntry struct {
	First string `json:"k"`
	Off   int64  `json:"o"`
	Len   int64  `json:"n"`
}
