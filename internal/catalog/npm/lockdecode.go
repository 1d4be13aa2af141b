package npm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// decodeLockValid is decodeLock for a document json.Valid accepts: it walks
// the top-level object itself, decoding "packages" with decodePackages and
// keeping "dependencies" for finishLock, in one pass after the validation.
func decodeLockValid(b []byte) ([]located, map[string]v1Dep, error) {
	i := skipSpace(b, 0)
	if b[i] != '{' {
		return nil, nil, fmt.Errorf("expected '{', found %.40s", b[i:])
	}
	var (
		entries  []located
		havePkgs bool
		legacy   []byte
		lines    = lineIndex{b: b}
	)
	for i = skipSpace(b, i+1); i < len(b) && b[i] != '}'; {
		kEnd := stringEnd(b, i)
		key, err := unquote(b[i:kEnd])
		if err != nil {
			return nil, nil, err
		}
		i = skipSpace(b, skipSpace(b, kEnd)+1) // past ':'
		vEnd := valueEnd(b, i)
		switch key {
		case "packages":
			havePkgs = true
			more, err := decodePackages(b[i:vEnd], i, &lines)
			if err != nil {
				return nil, nil, err
			}
			if entries == nil {
				entries = more
			} else {
				entries = append(entries, more...)
			}
		case "dependencies":
			legacy = b[i:vEnd]
		}
		i = skipSpace(b, vEnd)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return finishLock(entries, havePkgs, legacy)
}

// decodePackages decodes the value of a package lock's "packages" object,
// raw, which json.Valid has accepted (so decodePackages only walks it) and
// which starts at byte base of the lockfile, for line numbers.
//
// Decoding each entry with encoding/json costs a second scan of its bytes and
// a reflective decode: two thirds of the cataloger's time on npm/cli's
// 590 KB lockfile. decodeEntry reads the entries npm writes (string, boolean
// and string-map members, license in any form) directly and hands anything
// else, where encoding/json's rules are subtle (escapes, invalid UTF-8,
// case-insensitive or repeated member names, wrong types), to json.Unmarshal,
// so that the result is always exactly what encoding/json decodes.
func decodePackages(raw []byte, base int, lines *lineIndex) ([]located, error) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, fmt.Errorf("packages: expected '{', found %.40s", raw[i:])
	}
	entries := []located{}
	i = skipSpace(raw, i+1)
	for i < len(raw) && raw[i] != '}' {
		kEnd := stringEnd(raw, i)
		key, err := unquote(raw[i:kEnd])
		if err != nil {
			return nil, fmt.Errorf("packages: %w", err)
		}
		line := lines.at(base + kEnd)
		i = skipSpace(raw, skipSpace(raw, kEnd)+1) // past ':'
		var e lockEntry
		vEnd, ok := decodeEntryDirect(raw, i, &e)
		if !ok {
			vEnd = valueEnd(raw, i)
			e = lockEntry{}
			if err := json.Unmarshal(raw[i:vEnd], &e); err != nil {
				return nil, fmt.Errorf("packages[%q]: %w", key, err)
			}
		}
		entries = append(entries, located{key: key, line: line, e: e})
		i = skipSpace(raw, vEnd)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return entries, nil
}

// Bits of decodeEntry's seen set, one per lockEntry field.
const (
	fName = 1 << iota
	fVersion
	fResolved
	fIntegrity
	fLink
	fDev
	fOptional
	fDevOptional
	fPeer
	fInBundle
	fLicense
	fDependencies
	fOptionalDependencies
	fPeerDependencies
	fDevDependencies
)

// entryFields are lockEntry's JSON member names, in the order of the bits
// above (TestEntryFieldsComplete keeps it in step with the struct tags).
var entryFields = []string{"name", "version", "resolved", "integrity", "link", "dev", "optional", "devOptional",
	"peer", "inBundle", "license", "dependencies", "optionalDependencies", "peerDependencies", "devDependencies"}

// decodeEntry decodes one valid JSON value into e exactly as
// json.Unmarshal(v, e) would, falling back to it for whatever the direct
// reader does not handle.
func decodeEntry(v []byte, e *lockEntry) error {
	if end, ok := decodeEntryDirect(v, 0, e); !ok || end != len(v) {
		*e = lockEntry{}
		return json.Unmarshal(v, e)
	}
	return nil
}

// decodeEntryDirect decodes the object at v[start:] into e and returns the
// index just past it, or false if json.Unmarshal must decide.
func decodeEntryDirect(v []byte, start int, e *lockEntry) (int, bool) {
	if start >= len(v) || v[start] != '{' {
		return 0, false
	}
	seen := 0
	i := skipSpace(v, start+1)
	for i < len(v) && v[i] != '}' {
		kEnd := stringEnd(v, i)
		key := v[i+1 : kEnd-1]
		i = skipSpace(v, skipSpace(v, kEnd)+1)
		vEnd := valueEnd(v, i)
		val := v[i:vEnd]
		bit, ok := entryField(key)
		if !ok {
			return 0, false
		}
		if bit != 0 {
			if seen&bit != 0 {
				return 0, false // repeated member: encoding/json merges maps
			}
			seen |= bit
			ok := true
			switch bit {
			case fName:
				ok = str(val, &e.Name)
			case fVersion:
				ok = str(val, &e.Version)
			case fResolved:
				ok = str(val, &e.Resolved)
			case fIntegrity:
				ok = str(val, &e.Integrity)
			case fLink:
				ok = boolean(val, &e.Link)
			case fDev:
				ok = boolean(val, &e.Dev)
			case fOptional:
				ok = boolean(val, &e.Optional)
			case fDevOptional:
				ok = boolean(val, &e.DevOptional)
			case fPeer:
				ok = boolean(val, &e.Peer)
			case fInBundle:
				ok = boolean(val, &e.InBundle)
			case fLicense:
				var s string
				if val[0] == '"' && str(val, &s) {
					e.License.add(s)
				} else if e.License.UnmarshalJSON(val) != nil {
					return 0, false
				}
			case fDependencies:
				ok = strMap(val, &e.Dependencies)
			case fOptionalDependencies:
				ok = strMap(val, &e.OptionalDependencies)
			case fPeerDependencies:
				ok = strMap(val, &e.PeerDependencies)
			case fDevDependencies:
				ok = strMap(val, &e.DevDependencies)
			}
			if !ok {
				return 0, false
			}
		}
		i = skipSpace(v, vEnd)
		if i < len(v) && v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
	if i >= len(v) {
		return 0, false
	}
	return i + 1, true
}

// entryField returns the seen bit of the field a member name (the raw bytes
// between its quotes) sets, 0 for a member encoding/json ignores, and false
// when encoding/json's matching must decide: an escape, non-ASCII, or a name
// that equals a field's only case-insensitively.
func entryField(key []byte) (int, bool) {
	for i, f := range entryFields {
		if string(key) == f {
			return 1 << i, true
		}
	}
	for _, c := range key {
		if c == '\\' || c >= utf8.RuneSelf {
			return 0, false
		}
	}
	for _, f := range entryFields {
		if bytes.EqualFold(key, []byte(f)) {
			return 0, false
		}
	}
	return 0, true
}

// str decodes a JSON string or null (which leaves dst alone) into dst.
func str(v []byte, dst *string) bool {
	switch v[0] {
	case 'n':
		return true
	case '"':
		s, ok := plainString(v)
		if ok {
			*dst = s
		}
		return ok
	}
	return false
}

// plainString returns the value of a JSON string token with no escapes and
// valid UTF-8, the case where its bytes are its value.
func plainString(v []byte) (string, bool) {
	in := v[1 : len(v)-1]
	if bytes.IndexByte(in, '\\') >= 0 || !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
}

func boolean(v []byte, dst *bool) bool {
	switch v[0] {
	case 'n':
		return true
	case 't':
		*dst = true
		return true
	case 'f':
		*dst = false
		return true
	}
	return false
}

// strMap decodes a JSON object of strings (a null member value is "") or
// null (which sets the map to nil) into dst.
func strMap(v []byte, dst *map[string]string) bool {
	if v[0] == 'n' {
		*dst = nil
		return true
	}
	if v[0] != '{' {
		return false
	}
	m := map[string]string{}
	i := skipSpace(v, 1)
	for i < len(v) && v[i] != '}' {
		kEnd := stringEnd(v, i)
		k, ok := plainString(v[i:kEnd])
		if !ok {
			return false
		}
		i = skipSpace(v, skipSpace(v, kEnd)+1)
		vEnd := valueEnd(v, i)
		var s string
		if !str(v[i:vEnd], &s) {
			return false
		}
		m[k] = s
		i = skipSpace(v, vEnd)
		if i < len(v) && v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
	*dst = m
	return true
}

// unquote returns the value of a JSON string token.
func unquote(v []byte) (string, error) {
	if s, ok := plainString(v); ok {
		return s, nil
	}
	var s string
	err := json.Unmarshal(v, &s)
	return s, err
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string starting at b[i].
func stringEnd(b []byte, i int) int {
	start := i
	for i++; ; {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		q := i + j
		n := 0 // backslashes before the quote: an odd number escapes it
		for k := q - 1; k > start && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		i = q + 1
	}
}

// valueEnd returns the index just past the valid JSON value starting at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\n', '\t', '\r':
			return i
		}
	}
	return len(b)
}
