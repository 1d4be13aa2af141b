package license

// Term is one license of an expression: a listed identifier (canonical
// case) or a LicenseRef-/DocumentRef- reference, with the "+" (or later)
// operator and the WITH exception when present.
type Term struct {
	License   string
	OrLater   bool   // "+"
	Exception string // the WITH exception, "" when none
	Ref       bool   // a LicenseRef-/DocumentRef- reference
}

// String writes the term as it appears in a canonical expression.
func (t Term) String() string {
	s := t.License
	if t.OrLater {
		s += "+"
	}
	if t.Exception != "" {
		s += " WITH " + t.Exception
	}
	return s
}

// Eval folds the expression bottom-up: leaf gives each term's value, and
// and/or combine the values of the operands of AND and OR nodes (in
// expression order, at least two). The tree is at most 32 levels deep and
// 4096 bytes long (Parse's bounds), so the fold is bounded too.
func Eval[T any](e *Expression, leaf func(Term) T, and, or func([]T) T) T {
	var walk func(n *node) T
	walk = func(n *node) T {
		switch n.kind {
		case kindID, kindRef:
			return leaf(Term{License: n.name, OrLater: n.plus, Ref: n.kind == kindRef})
		case kindWith:
			a := n.args[0]
			return leaf(Term{License: a.name, OrLater: a.plus, Ref: a.kind == kindRef, Exception: n.name})
		}
		vals := make([]T, len(n.args))
		for i, a := range n.args {
			vals[i] = walk(a)
		}
		if n.kind == kindAnd {
			return and(vals)
		}
		return or(vals)
	}
	return walk(e.root)
}
