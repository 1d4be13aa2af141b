// Package license reads and writes SPDX license expressions
// (SPDX 2.3 Annex D, https://spdx.github.io/spdx-spec/v2.3/SPDX-license-expressions/)
// for the SBOM codecs: it tells a valid expression from free text, puts
// identifiers in their canonical case, and makes LicenseRef- identifiers
// for license text that is no expression.
//
// Identifiers are checked against the SPDX License List (ids.go, generated
// by gen.sh), matched case-insensitively as the specification says.
package license

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Bounds on expressions read from untrusted documents.
const (
	maxLen   = 4096
	maxDepth = 32
)

// The lookup tables are built on first use, not at start-up: most runs of
// the hallmark binary (scan, verify, sign) never parse a license.
var (
	licenses   = sync.OnceValue(func() map[string]string { return index(licenseIDs) })
	exceptions = sync.OnceValue(func() map[string]string { return index(exceptionIDs) })
)

func index(ids []string) map[string]string {
	m := make(map[string]string, len(ids))
	for _, id := range ids {
		m[strings.ToLower(id)] = id
	}
	return m
}

// ID returns the canonical spelling of an SPDX License List identifier
// (current or deprecated), matched case-insensitively, and whether s is one.
func ID(s string) (string, bool) {
	id, ok := licenses()[strings.ToLower(s)]
	return id, ok
}

// ExceptionID returns the canonical spelling of an SPDX license exception
// identifier and whether s is one.
func ExceptionID(s string) (string, bool) {
	id, ok := exceptions()[strings.ToLower(s)]
	return id, ok
}

type kind int

const (
	kindID   kind = iota // a listed license, maybe with "+"
	kindRef              // LicenseRef-x or DocumentRef-y:LicenseRef-x
	kindWith             // license WITH exception
	kindAnd
	kindOr
)

type node struct {
	kind kind
	name string // kindID, kindRef: the identifier; kindWith: the exception
	plus bool   // kindID: "or later"
	args []*node
}

// Expression is a parsed, valid SPDX license expression.
type Expression struct{ root *node }

// ErrInvalid is wrapped by every Parse error.
var ErrInvalid = errors.New("not a valid SPDX license expression")

// Parse reads an SPDX license expression. Operators are accepted in any
// case; license and exception identifiers must be on the SPDX License List
// (any case) or be LicenseRef-/DocumentRef- references.
func Parse(s string) (*Expression, error) {
	if len(s) > maxLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalid, maxLen)
	}
	p := &parser{toks: tokenize(s)}
	if len(p.toks) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrInvalid)
	}
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, fmt.Errorf("%w: unexpected %q", ErrInvalid, p.toks[p.i])
	}
	return &Expression{n}, nil
}

// Valid reports whether s is a valid SPDX license expression.
func Valid(s string) bool {
	_, err := Parse(s)
	return err == nil
}

func tokenize(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(' || r == ')':
			flush()
			toks = append(toks, string(r))
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

type parser struct {
	toks []string
	i    int
}

func (p *parser) peekOp(op string) bool {
	return p.i < len(p.toks) && strings.EqualFold(p.toks[p.i], op)
}

func (p *parser) or(depth int) (*node, error) {
	return p.binary(depth, "OR", kindOr, p.and)
}

func (p *parser) and(depth int) (*node, error) {
	return p.binary(depth, "AND", kindAnd, p.with)
}

func (p *parser) binary(depth int, op string, k kind, next func(int) (*node, error)) (*node, error) {
	first, err := next(depth)
	if err != nil {
		return nil, err
	}
	args := []*node{first}
	for p.peekOp(op) {
		p.i++
		n, err := next(depth)
		if err != nil {
			return nil, err
		}
		args = append(args, n)
	}
	if len(args) == 1 {
		return first, nil
	}
	// Flatten a AND (b AND c) into one n-ary node.
	var flat []*node
	for _, a := range args {
		if a.kind == k {
			flat = append(flat, a.args...)
		} else {
			flat = append(flat, a)
		}
	}
	return &node{kind: k, args: flat}, nil
}

func (p *parser) with(depth int) (*node, error) {
	n, err := p.primary(depth)
	if err != nil {
		return nil, err
	}
	if !p.peekOp("WITH") {
		return n, nil
	}
	if n.kind != kindID && n.kind != kindRef {
		return nil, fmt.Errorf("%w: WITH must follow a license identifier", ErrInvalid)
	}
	p.i++
	if p.i >= len(p.toks) {
		return nil, fmt.Errorf("%w: WITH without an exception", ErrInvalid)
	}
	exc, ok := ExceptionID(p.toks[p.i])
	if !ok {
		return nil, fmt.Errorf("%w: %q is not an SPDX license exception", ErrInvalid, p.toks[p.i])
	}
	p.i++
	return &node{kind: kindWith, name: exc, args: []*node{n}}, nil
}

func (p *parser) primary(depth int) (*node, error) {
	if p.i >= len(p.toks) {
		return nil, fmt.Errorf("%w: ends too early", ErrInvalid)
	}
	t := p.toks[p.i]
	if t == "(" {
		if depth >= maxDepth {
			return nil, fmt.Errorf("%w: nested deeper than %d", ErrInvalid, maxDepth)
		}
		p.i++
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.i >= len(p.toks) || p.toks[p.i] != ")" {
			return nil, fmt.Errorf("%w: missing )", ErrInvalid)
		}
		p.i++
		return n, nil
	}
	if t == ")" || strings.EqualFold(t, "AND") || strings.EqualFold(t, "OR") || strings.EqualFold(t, "WITH") {
		return nil, fmt.Errorf("%w: unexpected %q", ErrInvalid, t)
	}
	p.i++
	if ref, ok := licenseRef(t); ok {
		return &node{kind: kindRef, name: ref}, nil
	}
	plus := false
	if strings.HasSuffix(t, "+") {
		plus, t = true, strings.TrimSuffix(t, "+")
	}
	id, ok := ID(t)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not on the SPDX License List", ErrInvalid, t)
	}
	return &node{kind: kindID, name: id, plus: plus}, nil
}

// licenseRef reports whether t is ["DocumentRef-"idstring":"]"LicenseRef-"idstring,
// returning it with its prefixes in canonical case.
func licenseRef(t string) (string, bool) {
	doc := ""
	if len(t) > len("DocumentRef-") && strings.EqualFold(t[:len("DocumentRef-")], "DocumentRef-") {
		i := strings.IndexByte(t, ':')
		if i < 0 || !idstring(t[len("DocumentRef-"):i]) {
			return "", false
		}
		doc, t = "DocumentRef-"+t[len("DocumentRef-"):i]+":", t[i+1:]
	}
	if len(t) <= len("LicenseRef-") || !strings.EqualFold(t[:len("LicenseRef-")], "LicenseRef-") || !idstring(t[len("LicenseRef-"):]) {
		return "", false
	}
	return doc + "LicenseRef-" + t[len("LicenseRef-"):], true
}

// idstring reports whether s matches 1*(ALPHA / DIGIT / "-" / ".").
func idstring(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// String returns the expression in canonical form: identifiers in their
// listed case, operators in upper case, single spaces, and parentheses only
// where precedence needs them.
func (e *Expression) String() string {
	var b strings.Builder
	e.root.write(&b, false)
	return b.String()
}

func (n *node) write(b *strings.Builder, inAnd bool) {
	switch n.kind {
	case kindID:
		b.WriteString(n.name)
		if n.plus {
			b.WriteByte('+')
		}
	case kindRef:
		b.WriteString(n.name)
	case kindWith:
		n.args[0].write(b, false)
		b.WriteString(" WITH ")
		b.WriteString(n.name)
	case kindAnd, kindOr:
		op := " AND "
		if n.kind == kindOr {
			op = " OR "
		}
		paren := n.kind == kindOr && inAnd
		if paren {
			b.WriteByte('(')
		}
		for i, a := range n.args {
			if i > 0 {
				b.WriteString(op)
			}
			a.write(b, n.kind == kindAnd)
		}
		if paren {
			b.WriteByte(')')
		}
	}
}

// SingleID returns the listed license identifier when the whole expression
// is one identifier without "+" or WITH (what CycloneDX calls a license id).
func (e *Expression) SingleID() (string, bool) {
	if e.root.kind == kindID && !e.root.plus {
		return e.root.name, true
	}
	return "", false
}

// Refs returns the LicenseRef- identifiers of this document the expression
// uses (DocumentRef- references to other documents are not included).
func (e *Expression) Refs() []string {
	var out []string
	var walk func(n *node)
	walk = func(n *node) {
		if n.kind == kindRef && strings.HasPrefix(n.name, "LicenseRef-") {
			out = append(out, n.name)
		}
		for _, a := range n.args {
			walk(a)
		}
	}
	walk(e.root)
	return out
}

// Conjuncts returns the operands of a top-level AND, each in canonical form,
// or the whole expression when it is no conjunction.
func (e *Expression) Conjuncts() []string {
	if e.root.kind != kindAnd {
		return []string{e.String()}
	}
	out := make([]string, len(e.root.args))
	for i, a := range e.root.args {
		var b strings.Builder
		a.write(&b, false)
		out[i] = b.String()
	}
	return out
}

// And joins valid expressions into one conjunction, parenthesising
// disjunctions. It returns nil for no expressions.
func And(exprs ...*Expression) *Expression {
	switch len(exprs) {
	case 0:
		return nil
	case 1:
		return exprs[0]
	}
	n := &node{kind: kindAnd}
	for _, e := range exprs {
		if e.root.kind == kindAnd {
			n.args = append(n.args, e.root.args...)
		} else {
			n.args = append(n.args, e.root)
		}
	}
	return &Expression{n}
}

// Ref returns a LicenseRef- identifier for license text that is not a valid
// expression: "LicenseRef-" followed by the text with every character outside
// [A-Za-z0-9.-] replaced by "-" (runs collapsed), shortened to 64 characters.
// Text with no usable character gets a name from its SHA-256 digest.
func Ref(text string) string {
	var b strings.Builder
	dash := false
	for i := 0; i < len(text) && b.Len() < 64; i++ {
		c := text[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' {
			b.WriteByte(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if s == "" {
		sum := sha256.Sum256([]byte(text))
		s = hex.EncodeToString(sum[:8])
	}
	return "LicenseRef-" + s
}

// HashedRef returns Ref(text) with a short digest of text appended, for when
// two different texts would otherwise share a reference.
func HashedRef(text string) string {
	sum := sha256.Sum256([]byte(text))
	return Ref(text) + "-" + hex.EncodeToString(sum[:4])
}
