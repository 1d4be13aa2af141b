package elixir

import (
	"errors"
	"fmt"
	"strings"
)

// This file reads the subset of Elixir term syntax mix.lock uses: maps
// (%{"key": value} and %{"key" => value}), tuples, lists, keyword lists
// ([hex: :plug, optional: false]), atoms (:name, :"quoted"), strings with
// backslash escapes, integers, true/false/nil and # comments. Anything
// else (interpolation, sigils, function calls, floats) is an error: a
// lockfile never contains it. Nesting is bounded by maxDepth and the input
// by catalog.ReadFile's size limit; the parser is iterative over lists and
// recursive only in depth.

// maxDepth is the deepest term nesting accepted. A mix.lock nests four
// deep (map, tuple, list of deps, dep tuple, options list).
const maxDepth = 64

// ErrTooDeep reports terms nested deeper than maxDepth.
var ErrTooDeep = errors.New("terms nested too deeply")

type termKind int

const (
	kindAtom termKind = iota + 1
	kindString
	kindInt
	kindList
	kindTuple
	kindMap
)

// term is a parsed Elixir value. Keyword-list pairs are tuples of an atom
// and a value, as in Elixir; map entries are held in keys and items.
type term struct {
	kind  termKind
	s     string // atom name (without the colon), string value, integer text
	items []term // list or tuple elements; map values
	keys  []term // map keys
	line  int
}

type tokKind int

const (
	tEOF    tokKind = iota
	tPunct          // { } [ ] , %{  =>
	tAtom           // :name or :"name"
	tString         // "..."
	tKey            // name: or "name": (keyword / map key)
	tIdent          // true false nil
	tInt            // 123
)

type token struct {
	kind tokKind
	s    string
	line int
}

type lexer struct {
	src  string
	pos  int
	line int
}

func (l *lexer) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s", l.line, fmt.Sprintf(format, args...))
}

func isIdentStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || '0' <= c && c <= '9' || c == '@' }

// next returns the next token.
func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\n':
			l.line++
			l.pos++
		case c == ' ' || c == '\t' || c == '\r':
			l.pos++
		case c == '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
		default:
			return l.token()
		}
	}
	return token{kind: tEOF, line: l.line}, nil
}

func (l *lexer) token() (token, error) {
	start, line := l.pos, l.line
	c := l.src[l.pos]
	switch {
	case c == '{' || c == '}' || c == '[' || c == ']' || c == ',':
		l.pos++
		return token{tPunct, l.src[start:l.pos], line}, nil
	case c == '%':
		if strings.HasPrefix(l.src[l.pos:], "%{") {
			l.pos += 2
			return token{tPunct, "%{", line}, nil
		}
	case c == '=':
		if strings.HasPrefix(l.src[l.pos:], "=>") {
			l.pos += 2
			return token{tPunct, "=>", line}, nil
		}
	case c == '"':
		s, err := l.str()
		if err != nil {
			return token{}, err
		}
		if l.pos < len(l.src) && l.src[l.pos] == ':' && l.pos+1 < len(l.src) && isSpace(l.src[l.pos+1]) {
			l.pos++
			return token{tKey, s, line}, nil
		}
		return token{tString, s, line}, nil
	case c == ':':
		l.pos++
		if l.pos < len(l.src) && l.src[l.pos] == '"' {
			s, err := l.str()
			if err != nil {
				return token{}, err
			}
			return token{tAtom, s, line}, nil
		}
		i := l.pos
		for i < len(l.src) && isIdentChar(l.src[i]) {
			i++
		}
		if i < len(l.src) && (l.src[i] == '?' || l.src[i] == '!') {
			i++
		}
		if i == l.pos || !isIdentStart(l.src[l.pos]) {
			return token{}, l.errorf("bad atom")
		}
		s := l.src[l.pos:i]
		l.pos = i
		return token{tAtom, s, line}, nil
	case '0' <= c && c <= '9' || c == '-':
		i := l.pos + 1
		for i < len(l.src) && ('0' <= l.src[i] && l.src[i] <= '9' || l.src[i] == '_') {
			i++
		}
		s := l.src[l.pos:i]
		if s == "-" {
			break
		}
		l.pos = i
		return token{tInt, s, line}, nil
	case isIdentStart(c):
		i := l.pos
		for i < len(l.src) && isIdentChar(l.src[i]) {
			i++
		}
		s := l.src[l.pos:i]
		l.pos = i
		if l.pos < len(l.src) && l.src[l.pos] == ':' && l.pos+1 < len(l.src) && isSpace(l.src[l.pos+1]) {
			l.pos++
			return token{tKey, s, line}, nil
		}
		switch s {
		case "true", "false", "nil":
			return token{tIdent, s, line}, nil
		}
		return token{}, l.errorf("unexpected identifier %q", truncate(s))
	}
	return token{}, l.errorf("unexpected character %q", c)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// str reads a double-quoted string at l.pos.
func (l *lexer) str() (string, error) {
	line := l.line
	l.pos++ // opening quote
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch c {
		case '"':
			l.pos++
			return b.String(), nil
		case '\n':
			l.line++
		case '\\':
			if l.pos+1 >= len(l.src) {
				return "", fmt.Errorf("line %d: unterminated string", line)
			}
			l.pos++
			switch e := l.src[l.pos]; e {
			case 'n':
				c = '\n'
			case 't':
				c = '\t'
			case 'r':
				c = '\r'
			case '0':
				c = 0
			case '\n':
				l.line++
				c = '\n'
			default:
				c = e // \" \\ \# and the rest stand for themselves
			}
		case '#':
			if l.pos+1 < len(l.src) && l.src[l.pos+1] == '{' {
				return "", fmt.Errorf("line %d: string interpolation is not a literal", l.line)
			}
		}
		b.WriteByte(c)
		l.pos++
	}
	return "", fmt.Errorf("line %d: unterminated string", line)
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// parser is a recursive-descent parser over the lexer with one token of
// look-ahead.
type parser struct {
	lex  lexer
	tok  token
	peek bool
}

func parseTerm(src string) (term, error) {
	p := &parser{lex: lexer{src: src, line: 1}}
	t, err := p.value(0)
	if err != nil {
		return term{}, err
	}
	end, err := p.next()
	if err != nil {
		return term{}, err
	}
	if end.kind != tEOF {
		return term{}, fmt.Errorf("line %d: unexpected %q after the term", end.line, truncate(end.s))
	}
	return t, nil
}

func (p *parser) next() (token, error) {
	if p.peek {
		p.peek = false
		return p.tok, nil
	}
	t, err := p.lex.next()
	p.tok = t
	return t, err
}

func (p *parser) unread() { p.peek = true }

func (p *parser) value(depth int) (term, error) {
	if depth > maxDepth {
		return term{}, fmt.Errorf("line %d: %w (more than %d levels)", p.lex.line, ErrTooDeep, maxDepth)
	}
	t, err := p.next()
	if err != nil {
		return term{}, err
	}
	switch t.kind {
	case tAtom:
		return term{kind: kindAtom, s: t.s, line: t.line}, nil
	case tString:
		return term{kind: kindString, s: t.s, line: t.line}, nil
	case tInt:
		return term{kind: kindInt, s: t.s, line: t.line}, nil
	case tIdent:
		return term{kind: kindAtom, s: t.s, line: t.line}, nil
	case tPunct:
		switch t.s {
		case "{":
			items, err := p.seq(depth, "}")
			return term{kind: kindTuple, items: items, line: t.line}, err
		case "[":
			items, err := p.seq(depth, "]")
			return term{kind: kindList, items: items, line: t.line}, err
		case "%{":
			return p.mapBody(depth, t.line)
		}
	case tEOF:
		return term{}, fmt.Errorf("line %d: unexpected end of input", t.line)
	}
	return term{}, fmt.Errorf("line %d: unexpected %q", t.line, truncate(t.s))
}

// seq reads comma-separated elements up to close; keyword pairs (key: v)
// become two-element tuples. A trailing comma is allowed.
func (p *parser) seq(depth int, close string) ([]term, error) {
	var items []term
	for {
		t, err := p.next()
		if err != nil {
			return nil, err
		}
		if t.kind == tPunct && t.s == close {
			return items, nil
		}
		if t.kind == tKey {
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			items = append(items, term{kind: kindTuple, line: t.line, items: []term{{kind: kindAtom, s: t.s, line: t.line}, v}})
		} else {
			p.unread()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		t, err = p.next()
		if err != nil {
			return nil, err
		}
		switch {
		case t.kind == tPunct && t.s == ",":
		case t.kind == tPunct && t.s == close:
			return items, nil
		case t.kind == tEOF:
			return nil, fmt.Errorf("line %d: unexpected end of input, want %q", t.line, close)
		default:
			return nil, fmt.Errorf("line %d: unexpected %q, want \",\" or %q", t.line, truncate(t.s), close)
		}
	}
}

// mapBody reads map entries after "%{": `"key": value` or `key => value`.
func (p *parser) mapBody(depth, line int) (term, error) {
	m := term{kind: kindMap, line: line}
	for {
		t, err := p.next()
		if err != nil {
			return term{}, err
		}
		if t.kind == tPunct && t.s == "}" {
			return m, nil
		}
		var k term
		if t.kind == tKey {
			k = term{kind: kindString, s: t.s, line: t.line}
		} else {
			p.unread()
			if k, err = p.value(depth + 1); err != nil {
				return term{}, err
			}
			arrow, err := p.next()
			if err != nil {
				return term{}, err
			}
			if arrow.kind != tPunct || arrow.s != "=>" {
				return term{}, fmt.Errorf("line %d: want \"=>\" after a map key", arrow.line)
			}
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return term{}, err
		}
		m.keys = append(m.keys, k)
		m.items = append(m.items, v)
		t, err = p.next()
		if err != nil {
			return term{}, err
		}
		switch {
		case t.kind == tPunct && t.s == ",":
		case t.kind == tPunct && t.s == "}":
			return m, nil
		case t.kind == tEOF:
			return term{}, fmt.Errorf("line %d: unexpected end of input in a map", t.line)
		default:
			return term{}, fmt.Errorf("line %d: unexpected %q in a map", t.line, truncate(t.s))
		}
	}
}

// keyword returns the value of key in a keyword list, or a zero term.
func (t term) keyword(key string) term {
	if t.kind != kindList {
		return term{}
	}
	for _, it := range t.items {
		if it.kind == kindTuple && len(it.items) == 2 && it.items[0].kind == kindAtom && it.items[0].s == key {
			return it.items[1]
		}
	}
	return term{}
}

// text returns the string or atom text of t, or "".
func (t term) text() string {
	if t.kind == kindString || t.kind == kindAtom {
		return t.s
	}
	return ""
}
