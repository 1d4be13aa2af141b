// Package tomldoc decodes untrusted TOML documents (Cargo.lock, poetry.lock,
// uv.lock, pdm.lock, Pipfile, pyproject.toml) with bounded nesting.
//
// github.com/BurntSushi/toml (v1.6.0) takes time that grows with the square
// or the cube of a key's depth (measured on this project's 2-core machine:
// 32 KB of one dotted key
// (a.a.a...=1) takes 48 s, 64 KB of nested inline tables ({b={b=...}})
// two minutes); and it recurses once per nested array, so 10 million of them
// (a 20 MB file, far under limits.ManifestBytes) overflow the goroutine
// stack, a fatal error that no recover catches. Nothing in the library
// bounds either. Decode therefore checks the depth first, with a
// linear scan of the TOML lexical structure (https://toml.io/en/v1.0.0),
// and refuses documents nested deeper than limits.TOMLDepth; real
// lockfiles and manifests stay under 12.
package tomldoc

import (
	"errors"
	"fmt"

	"github.com/BurntSushi/toml"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// ErrTooDeep reports a document nested deeper than limits.TOMLDepth.
var ErrTooDeep = errors.New("TOML nested too deeply")

// Decode checks the nesting of data (see CheckDepth), then decodes it into v
// with toml.Decode.
func Decode(data []byte, v any) (toml.MetaData, error) {
	if err := CheckDepth(data); err != nil {
		return toml.MetaData{}, err
	}
	return toml.Decode(string(data), v)
}

// CheckDepth fails with ErrTooDeep when a key of data sits deeper than
// limits.TOMLDepth. The depth of a key counts every component of the table
// header it is under ([a.b] is 2), every component of its own dotted name,
// and every array and inline table it is nested in, dotted keys inside
// inline tables included. It runs in time linear in len(data) and does not
// validate the document: what is not well-formed TOML is left for the
// decoder to report.
func CheckDepth(data []byte) error {
	s := scanner{data: data, line: 1}
	for s.pos < len(data) {
		c := data[s.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			s.next()
		case c == '#':
			s.skipComment()
		case c == '[':
			if err := s.header(); err != nil {
				return err
			}
		default:
			if err := s.keyValue(); err != nil {
				return err
			}
		}
	}
	return nil
}

type scanner struct {
	data  []byte
	pos   int
	line  int
	table int // components of the current table header
}

func (s *scanner) next() {
	if s.data[s.pos] == '\n' {
		s.line++
	}
	s.pos++
}

func (s *scanner) check(depth int) error {
	if depth > limits.TOMLDepth {
		return fmt.Errorf("%w (line %d: more than %d levels)", ErrTooDeep, s.line, limits.TOMLDepth)
	}
	return nil
}

// skipComment skips to the end of the line (the newline is left).
func (s *scanner) skipComment() {
	for s.pos < len(s.data) && s.data[s.pos] != '\n' {
		s.pos++
	}
}

// skipString skips the string starting at s.pos (one of " ' """ ”'); an
// unterminated string ends the scan.
func (s *scanner) skipString() {
	q := s.data[s.pos]
	if s.pos+2 < len(s.data) && s.data[s.pos+1] == q && s.data[s.pos+2] == q {
		s.pos += 3
		for s.pos < len(s.data) {
			switch c := s.data[s.pos]; {
			case c == '\\' && q == '"' && s.pos+1 < len(s.data):
				s.next()
				s.next()
			case c == q && s.pos+2 < len(s.data) && s.data[s.pos+1] == q && s.data[s.pos+2] == q:
				// Up to two more quotes may close the string ("""a"""").
				s.pos += 3
				for n := 0; n < 2 && s.pos < len(s.data) && s.data[s.pos] == q; n++ {
					s.pos++
				}
				return
			default:
				s.next()
			}
		}
		return
	}
	s.pos++
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; {
		case c == '\\' && q == '"' && s.pos+1 < len(s.data) && s.data[s.pos+1] != '\n':
			s.pos += 2
		case c == q:
			s.pos++
			return
		case c == '\n':
			return // unterminated: the decoder reports it
		default:
			s.pos++
		}
	}
}

// header reads a [table] or [[array.table]] header and sets s.table.
func (s *scanner) header() error {
	s.pos++ // [
	comps := 1
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; c {
		case '"', '\'':
			s.skipString()
		case '.':
			comps++
			if err := s.check(comps); err != nil {
				return err
			}
			s.pos++
		case ']', '\n', '#':
			s.table = comps
			s.skipComment() // the rest of the line: ]], a comment
			return nil
		default:
			s.pos++
		}
	}
	s.table = comps
	return nil
}

// key reads a (dotted) key up to its '=' and returns its components. It stops
// without consuming at a newline or at a closing bracket (malformed input).
func (s *scanner) key() int {
	comps := 1
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; c {
		case '"', '\'':
			s.skipString()
		case '.':
			comps++
			s.pos++
		case '=':
			s.pos++
			return comps
		case '\n', '}', ']', '#':
			return comps
		default:
			s.pos++
		}
	}
	return comps
}

// keyValue reads one key = value statement: the key at top level, then the
// value with its nested arrays and inline tables, which may span lines.
func (s *scanner) keyValue() error {
	base := s.table + s.key()
	if err := s.check(base); err != nil {
		return err
	}
	var open []byte // the arrays ('[') and inline tables ('{') the scan is in
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; c {
		case '"', '\'':
			s.skipString()
		case '#':
			s.skipComment()
		case '\n':
			if len(open) == 0 {
				return nil
			}
			s.next()
		case '[', '{':
			open = append(open, c)
			s.pos++
			if err := s.check(base + len(open)); err != nil {
				return err
			}
			if c == '{' {
				if err := s.inlineKey(base + len(open)); err != nil {
					return err
				}
			}
		case ']', '}':
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
			s.pos++
		case ',':
			s.pos++
			if len(open) > 0 && open[len(open)-1] == '{' {
				if err := s.inlineKey(base + len(open)); err != nil {
					return err
				}
			}
		default:
			s.pos++
		}
	}
	return nil
}

// inlineKey reads the key of an inline-table entry at depth d (the table's).
func (s *scanner) inlineKey(d int) error {
	for s.pos < len(s.data) && (s.data[s.pos] == ' ' || s.data[s.pos] == '\t') {
		s.pos++
	}
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		return nil // {} or a trailing comma
	}
	return s.check(d + s.key() - 1)
}
