// Package yamldoc reads untrusted YAML documents (lockfiles, CI workflows)
// into a yaml.v3 node tree with bounded nesting and bounded alias expansion,
// and offers the few lookups catalogers need on that tree while keeping
// line numbers.
//
// go.yaml.in/yaml/v3 already refuses nesting deeper than 10,000 and
// "excessive aliasing" when decoding into Go values, but a node tree keeps
// aliases unexpanded, so a cataloger walking it could still be made to visit
// an exponential number of nodes (a "billion laughs" document). Parse bounds
// the nesting to limits.YAMLDepth, and a Walker bounds the number of nodes a
// cataloger may visit through aliases.
package yamldoc

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	yaml "go.yaml.in/yaml/v3"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// ErrTooDeep reports nesting deeper than limits.YAMLDepth.
var ErrTooDeep = errors.New("YAML nested too deeply")

// ErrAliasBudget reports a document whose aliases expand to more nodes than
// a walk may visit.
var ErrAliasBudget = errors.New("YAML aliases expand too much")

// Parse parses the first YAML document of b. It returns the document's root
// content node (a mapping for every format hallmark reads), or nil for an
// empty document. It fails on invalid YAML and on nesting deeper than
// limits.YAMLDepth.
func Parse(b []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	if err := checkDepth(&doc); err != nil {
		return nil, err
	}
	return doc.Content[0], nil
}

// checkDepth walks the tree without following aliases (each node once) and
// fails when a node sits deeper than limits.YAMLDepth.
func checkDepth(root *yaml.Node) error {
	type item struct {
		n     *yaml.Node
		depth int
	}
	stack := []item{{root, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.depth > limits.YAMLDepth {
			return fmt.Errorf("%w (line %d: more than %d levels)", ErrTooDeep, it.n.Line, limits.YAMLDepth)
		}
		for _, c := range it.n.Content {
			stack = append(stack, item{c, it.depth + 1})
		}
	}
	return nil
}

// Walker resolves aliases with a budget: every node reached through Resolve
// costs one unit, and the walk fails once the budget is spent. A Walker is
// not safe for concurrent use.
type Walker struct {
	budget int
	err    error
}

// NewWalker returns a walker allowing about n node visits; catalogers pass a
// small multiple of the document's size so that honest documents, whose
// aliases repeat a few steps, never hit it.
func NewWalker(n int) *Walker { return &Walker{budget: n} }

// Err returns ErrAliasBudget once the budget is spent.
func (w *Walker) Err() error { return w.err }

// Resolve returns n with aliases followed, or nil when n is nil, the alias
// chain is broken or the budget is spent.
func (w *Walker) Resolve(n *yaml.Node) *yaml.Node {
	for hops := 0; n != nil && n.Kind == yaml.AliasNode; hops++ {
		if hops > 8 {
			return nil
		}
		n = n.Alias
	}
	if n == nil {
		return nil
	}
	w.budget--
	if w.budget < 0 {
		if w.err == nil {
			w.err = ErrAliasBudget
		}
		return nil
	}
	return n
}

// Get returns the value of key in mapping m (aliases resolved), or nil.
func (w *Walker) Get(m *yaml.Node, key string) *yaml.Node {
	m = w.Resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return w.Resolve(m.Content[i+1])
		}
	}
	return nil
}

// Str returns the value of key in mapping m when it is a scalar, else "".
func (w *Walker) Str(m *yaml.Node, key string) string {
	if v := w.Get(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// Pairs calls fn for every key/value pair of mapping m, values resolved. It
// stops early when fn returns false or the budget is spent.
func (w *Walker) Pairs(m *yaml.Node, fn func(k, v *yaml.Node) bool) {
	m = w.Resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		v := w.Resolve(m.Content[i+1])
		if v == nil {
			if w.err != nil {
				return
			}
			continue
		}
		if !fn(m.Content[i], v) {
			return
		}
	}
}

// Items calls fn for every element of sequence s, resolved. It stops early
// when fn returns false or the budget is spent.
func (w *Walker) Items(s *yaml.Node, fn func(v *yaml.Node) bool) {
	s = w.Resolve(s)
	if s == nil || s.Kind != yaml.SequenceNode {
		return
	}
	for _, c := range s.Content {
		v := w.Resolve(c)
		if v == nil {
			if w.err != nil {
				return
			}
			continue
		}
		if !fn(v) {
			return
		}
	}
}

// Budget returns a walk budget for a document of size bytes. A node takes
// several bytes, so an honest document can have each node reached a few
// times through aliases; an alias bomb stops after work linear in its size.
func Budget(size int) int { return 2*size + 1024 }

// ParseAll parses every YAML document of b (documents separated by "---",
// as pnpm 11 writes a lockfile that manages pnpm's own version). It returns
// each document's root content node in order, nil for an empty document,
// with the same bounds as Parse and at most limits.YAMLDocuments documents.
func ParseAll(b []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var roots []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return roots, nil
		}
		if err != nil {
			return nil, err
		}
		if len(roots) == limits.YAMLDocuments {
			return nil, fmt.Errorf("more than %d YAML documents", limits.YAMLDocuments)
		}
		if doc.Kind == 0 || len(doc.Content) == 0 || doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null" {
			roots = append(roots, nil) // "---" followed by nothing
			continue
		}
		if err := checkDepth(&doc); err != nil {
			return nil, err
		}
		roots = append(roots, doc.Content[0])
	}
}
