package rpm

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/knqyf263/go-rpmdb/pkg/bdb"
)

// go-rpmdb reads a Berkeley DB or NDB database in a goroutine of its own.
// On some corrupt files that goroutine loops forever (an overflow chain
// through a page of another type, or a cycle), panics (an index past the
// page, where no recover of the caller can catch it and the process
// dies), allocates what a length field says (up to 4 GiB), or prints to
// standard output. check walks the file first, with go-rpmdb's own page
// parsers, the way its reader will, and refuses those shapes. What it lets
// through, go-rpmdb either reads or reports as an error.
//
// For SQLite, go-rpmdb's reader stops at the first row it cannot read
// without saying so (a damaged overflow page truncates the package list),
// and on a database without the Packages table its goroutine blocks
// forever. check counts the table's rows first; Catalog compares.

var errCorrupt = errors.New("corrupt rpm database")

// check returns the number of packages the database holds when it can
// tell (SQLite), else -1.
func check(f *os.File) (int, error) {
	st, err := f.Stat()
	if err != nil {
		return -1, err
	}
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	if len(head) >= 4 && binary.LittleEndian.Uint32(head) == ndbMagic {
		return -1, checkNDB(f, st.Size())
	}
	if bytes.HasPrefix(head, []byte("SQLite format 3\x00")) {
		return countSQLite(f.Name())
	}
	if len(head) == 512 {
		if md, err := bdb.ParseHashMetadataPage(head); err == nil {
			return -1, checkBDB(f, st.Size(), md)
		}
	}
	return -1, nil // not a database: go-rpmdb says so
}

func checkBDB(f io.ReaderAt, size int64, md *bdb.HashMetadataPage) error {
	ps := int64(md.PageSize)
	if ps < 512 || ps > 65536 || ps&(ps-1) != 0 {
		return nil // go-rpmdb refuses the page size itself
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if md.Swapped {
		order = binary.BigEndian
	}
	page := make([]byte, ps)
	data := make([]byte, ps)
	used := map[uint32]bool{} // overflow pages already reached: each belongs to one item
	for n := int64(0); n <= int64(md.LastPageNo) && (n+1)*ps <= size; n++ {
		if _, err := f.ReadAt(page, n*ps); err != nil {
			return nil
		}
		hp, err := bdb.ParseHashPage(page, md.Swapped)
		if err != nil {
			return nil
		}
		if hp.PageType != bdb.HashUnsortedPageType && hp.PageType != bdb.HashPageType {
			continue
		}
		if hp.NumEntries%2 != 0 {
			return nil // go-rpmdb reports an invalid hash index
		}
		if bdb.PageHeaderSize+int64(hp.NumEntries)*bdb.HashIndexEntrySize > ps {
			return fmt.Errorf("%w: page %d lists %d entries, more than fit", errCorrupt, n, hp.NumEntries)
		}
		for i := 1; i < int(hp.NumEntries); i += 2 {
			off := int64(order.Uint16(page[bdb.PageHeaderSize+i*bdb.HashIndexEntrySize:]))
			if off >= ps {
				return fmt.Errorf("%w: page %d: entry offset %d past the page", errCorrupt, n, off)
			}
			if page[off] != bdb.HashOffIndexPageType {
				continue
			}
			if off+bdb.HashOffPageSize > ps {
				return fmt.Errorf("%w: page %d: entry at %d past the page", errCorrupt, n, off)
			}
			e, err := bdb.ParseHashOffPageEntry(page[off:off+bdb.HashOffPageSize], md.Swapped)
			if err != nil {
				return nil
			}
			for cur := e.PageNo; cur != 0; {
				if used[cur] {
					return fmt.Errorf("%w: overflow page %d reached twice (a cycle or a shared chain)", errCorrupt, cur)
				}
				used[cur] = true
				// go-rpmdb computes the offset in 32 bits: so does this.
				start := int64(md.PageSize * cur)
				if start+ps > size {
					return fmt.Errorf("%w: overflow page %d past the end of the file", errCorrupt, cur)
				}
				if _, err := f.ReadAt(data, start); err != nil {
					return nil
				}
				cp, err := bdb.ParseHashPage(data, md.Swapped)
				if err != nil {
					return nil
				}
				if cp.PageType != bdb.OverflowPageType {
					return fmt.Errorf("%w: page %d in an overflow chain has type %d", errCorrupt, cur, cp.PageType)
				}
				if cp.NextPageNo == 0 && bdb.PageHeaderSize+int64(cp.FreeAreaOffset) > ps {
					return fmt.Errorf("%w: overflow page %d: length %d past the page", errCorrupt, cur, cp.FreeAreaOffset)
				}
				cur = cp.NextPageNo
			}
		}
	}
	return nil
}

// NDB (rpm's lib/backend/ndb/rpmpkg.c): a 32-byte header, SlotNPages
// pages of 4 KiB holding 16-byte slots (the first two slots' room is the
// header), each slot naming a blob at BlkOffset*16: a 16-byte header,
// then BlobLen bytes.
const (
	ndbMagic     = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	ndbSlotMagic = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbBlobMagic = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	ndbMaxPages  = 2048 // go-rpmdb's own limit
)

func checkNDB(f io.ReaderAt, size int64) error {
	hdr := make([]byte, 32)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return nil
	}
	le := binary.LittleEndian
	pages := le.Uint32(hdr[12:])
	if le.Uint32(hdr[4:]) != 0 || pages == 0 || pages > ndbMaxPages {
		return nil // go-rpmdb refuses it
	}
	slots := make([]byte, (int64(pages)*256-2)*16)
	if _, err := f.ReadAt(slots, 32); err != nil {
		return nil // go-rpmdb reports the short read
	}
	blob := make([]byte, 16)
	for i := 0; i+16 <= len(slots); i += 16 {
		s := slots[i : i+16]
		if le.Uint32(s) != ndbSlotMagic {
			return fmt.Errorf("%w: NDB slot %d: bad magic %#x", errCorrupt, i/16, le.Uint32(s))
		}
		pkg, blk := le.Uint32(s[4:]), int64(le.Uint32(s[8:]))*16
		if pkg == 0 {
			continue
		}
		if blk+16 > size {
			return fmt.Errorf("%w: NDB package %d: blob at %d past the end of the file", errCorrupt, pkg, blk)
		}
		if _, err := f.ReadAt(blob, blk); err != nil {
			return nil
		}
		if le.Uint32(blob) != ndbBlobMagic || le.Uint32(blob[4:]) != pkg {
			return fmt.Errorf("%w: NDB package %d: no blob at %d", errCorrupt, pkg, blk)
		}
		if n := int64(le.Uint32(blob[12:])); n > size-blk-16 {
			return fmt.Errorf("%w: NDB package %d: blob of %d bytes past the end of the file", errCorrupt, pkg, n)
		}
	}
	return nil
}

func countSQLite(file string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: file}).EscapedPath()+"?mode=ro&immutable=1")
	if err != nil {
		return -1, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM Packages").Scan(&n); err != nil {
		return -1, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	return n, nil
}
