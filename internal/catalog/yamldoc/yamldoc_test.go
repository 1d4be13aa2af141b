package yamldoc

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

func TestParseDepth(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	// The root node is depth 0 and the document node above it -1, so a
	// flow sequence nested n deep puts its innermost node at depth n.
	if _, err := Parse([]byte(nest(limits.YAMLDepth - 1))); err != nil {
		t.Errorf("depth %d: %v", limits.YAMLDepth-1, err)
	}
	if _, err := Parse([]byte(nest(limits.YAMLDepth + 1))); !errors.Is(err, ErrTooDeep) {
		t.Errorf("depth %d: err = %v, want ErrTooDeep", limits.YAMLDepth+1, err)
	}
	if n, err := Parse(nil); n != nil || err != nil {
		t.Errorf("Parse(nil) = %v, %v", n, err)
	}
	if _, err := Parse([]byte("a: [")); err == nil {
		t.Error("no error for invalid YAML")
	}
}

func TestWalkerBudget(t *testing.T) {
	// Ten levels of ten aliases each: 10^10 nodes if expanded.
	var b strings.Builder
	b.WriteString("a: &a [x,x,x,x,x,x,x,x,x,x]\n")
	for c := 'b'; c <= 'k'; c++ {
		p := string(c - 1)
		fmt.Fprintf(&b, "%c: &%c [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", c, c, p, p, p, p, p, p, p, p, p, p)
	}
	root, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	w := NewWalker(Budget(b.Len()))
	visits := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		visits++
		w.Items(n, func(v *yaml.Node) bool { walk(v); return w.Err() == nil })
	}
	walk(w.Get(root, "k"))
	if !errors.Is(w.Err(), ErrAliasBudget) {
		t.Errorf("Err() = %v, want ErrAliasBudget", w.Err())
	}
	if visits > Budget(b.Len())+1 {
		t.Errorf("%d visits, budget %d", visits, Budget(b.Len()))
	}
}

func TestWalkerLookups(t *testing.T) {
	root, err := Parse([]byte("base: &b {name: x, n: 1}\nuse: *b\nlist: [1, *b]\nloop: &l [*l]\n"))
	if err != nil {
		t.Fatal(err)
	}
	w := NewWalker(1000)
	if got := w.Str(w.Get(root, "use"), "name"); got != "x" {
		t.Errorf("Str through alias = %q", got)
	}
	if got := w.Str(root, "missing"); got != "" {
		t.Errorf("missing key = %q", got)
	}
	if got := w.Str(root, "list"); got != "" {
		t.Errorf("Str of a sequence = %q", got)
	}
	var n int
	w.Items(w.Get(root, "list"), func(*yaml.Node) bool { n++; return true })
	w.Pairs(w.Get(root, "base"), func(_, _ *yaml.Node) bool { n++; return true })
	if n != 4 {
		t.Errorf("visited %d, want 4", n)
	}
	if w.Err() != nil {
		t.Error(w.Err())
	}
}
