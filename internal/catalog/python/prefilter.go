package python

import (
	"bytes"
	"strings"
)

// prefiltered is a TOML lockfile with its bulky distribution-file arrays
// taken out before decoding. BurntSushi/toml decodes at a few MB/s, and in
// uv.lock and poetry.lock most bytes are one inline table per wheel
// ({ url = ..., hash = ..., size = ... }) of which hallmark needs only the
// hash. The lockfile writers put each array element on its own line, so a
// line scan lifts the hashes out and the decoder sees a much smaller
// document.
type prefiltered struct {
	data   []byte
	hashes [][]string // per [[package]], in order
}

// prefilterEnabled lets tests compare the filtered decode with the full one.
var prefilterEnabled = true

// prefilter removes the arrays/tables named by keys ("wheels", "sdist",
// "files") from every [[package]] and the tables whose header starts with one
// of skipTables, collecting the "hash" values it removes. ok is false when the
// layout is not the one the lockfile tools write (an array that does not end,
// a key inside a multi-line string); callers then decode the original.
func prefilter(data []byte, keys []string, skipTables []string) (pf prefiltered, ok bool) {
	if !prefilterEnabled {
		return pf, false
	}
	out := make([]byte, 0, len(data)/2)
	pkg := -1
	inPackage := false // directly in a [[package]] table, not a sub-table
	skippingTable := false
	inArray := false
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			line, data = data, nil
		}
		t := bytes.TrimSpace(line)
		if bytes.Contains(t, []byte(`"""`)) || bytes.Contains(t, []byte(`'''`)) {
			return pf, false // multi-line strings: do not guess
		}
		if inArray {
			collectHashes(&pf, pkg, t)
			if string(t) == "]" {
				inArray = false
			}
			continue
		}
		if len(t) > 0 && t[0] == '[' {
			hdr := string(t)
			skippingTable = false
			inPackage = hdr == "[[package]]"
			if inPackage {
				pkg++
				pf.hashes = append(pf.hashes, nil)
			}
			for _, s := range skipTables {
				if strings.HasPrefix(hdr, s) {
					skippingTable = true
				}
			}
		}
		if skippingTable {
			continue
		}
		if inPackage && len(t) > 0 && t[0] != '[' {
			if k, rest, found := bytes.Cut(t, []byte("=")); found && isKey(bytes.TrimSpace(k), keys) {
				rest = bytes.TrimSpace(rest)
				switch {
				case bytes.HasPrefix(rest, []byte("[")) && !bytes.HasSuffix(rest, []byte("]")):
					inArray = true
					collectHashes(&pf, pkg, rest)
				case bytes.HasPrefix(rest, []byte("[")) || bytes.HasPrefix(rest, []byte("{")) && bytes.HasSuffix(rest, []byte("}")):
					collectHashes(&pf, pkg, rest)
				default:
					return pf, false
				}
				continue
			}
		}
		out = append(out, line...)
	}
	if inArray {
		return pf, false
	}
	pf.data = out
	return pf, true
}

func isKey(k []byte, keys []string) bool {
	for _, key := range keys {
		if string(k) == key {
			return true
		}
	}
	return false
}

// collectHashes finds every `hash = "..."` in a line of inline tables.
func collectHashes(pf *prefiltered, pkg int, line []byte) {
	for {
		i := bytes.Index(line, []byte("hash"))
		if i < 0 {
			return
		}
		line = line[i+4:]
		rest := bytes.TrimLeft(line, " \t")
		if len(rest) == 0 || rest[0] != '=' {
			continue
		}
		rest = bytes.TrimLeft(rest[1:], " \t")
		if len(rest) == 0 || rest[0] != '"' {
			continue
		}
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 {
			return
		}
		pf.hashes[pkg] = append(pf.hashes[pkg], string(rest[1:end+1]))
		line = rest[end+2:]
	}
}
