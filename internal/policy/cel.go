package policy

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
	yaml "go.yaml.in/yaml/v3"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// celCostLimit bounds one evaluation of one condition (CEL's cost units,
// roughly one per operation): a condition that iterates doc.packages for
// every package stays far below it on the largest real lockfiles, a
// runaway nested comprehension stops with an error.
const celCostLimit = 50_000_000

var (
	celEnvOnce sync.Once
	celEnv     *cel.Env
	celEnvErr  error
)

// environment returns the CEL environment (immutable, safe for concurrent
// use) with the documented input variables.
func environment() (*cel.Env, error) {
	celEnvOnce.Do(func() {
		celEnv, celEnvErr = cel.NewEnv(
			ext.NativeTypes(reflect.TypeFor[PackageInput](), reflect.TypeFor[FindingInput](), reflect.TypeFor[DocumentInput](), ext.ParseStructTags(true)),
			ext.Strings(),
			cel.Variable("pkg", cel.ObjectType("policy.PackageInput")),
			cel.Variable("findings", cel.ListType(cel.ObjectType("policy.FindingInput"))),
			cel.Variable("suppressed", cel.ListType(cel.ObjectType("policy.FindingInput"))),
			cel.Variable("doc", cel.ObjectType("policy.DocumentInput")),
		)
	})
	return celEnv, celEnvErr
}

// celRule is kind "cel": Condition, true for a violating package. Message,
// when given, is a CEL expression returning the violation's fact; Fix is
// plain text.
type celRule struct {
	Condition, Message, Fix string

	cond, msg cel.Program
	findings  bool
}

func (*celRule) keys() string          { return "condition, message, fix" }
func (r *celRule) needsFindings() bool { return r.findings }

// exprPos maps a position inside an expression back to the policy file.
func exprPos(n *yaml.Node, line, col int) (int, int) {
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// The text starts on the line after the indicator; columns are
		// relative to the block's indentation, which yaml does not report:
		// give the line only.
		return n.Line + line, 0
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if line == 1 {
			return n.Line, n.Column + col
		}
		return n.Line + line - 1, 0
	}
	if line == 1 {
		return n.Line, n.Column + col - 1
	}
	return n.Line + line - 1, 0
}

// compile compiles one expression of the rule, requiring result type want.
func (d *decoder) compile(m *mapping, key string, n *yaml.Node, src string, want *cel.Type) (cel.Program, bool, error) {
	if len(src) > limits.CELExpressionBytes {
		return nil, false, d.errf(n, "%s: %q is longer than %d bytes", m.what, key, limits.CELExpressionBytes)
	}
	env, err := environment()
	if err != nil {
		return nil, false, fmt.Errorf("CEL environment: %w", err)
	}
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		errs := iss.Errors()
		if len(errs) > 0 {
			e := errs[0]
			loc := e.Location
			line, col := exprPos(n, loc.Line(), loc.Column()+1)
			msg := e.Message
			if len(errs) > 1 {
				msg += fmt.Sprintf(" (and %d more)", len(errs)-1)
			}
			return nil, false, &Error{File: d.file, Line: line, Col: col, Rule: d.ruleID, Msg: fmt.Sprintf("%s: CEL: %s", key, msg)}
		}
		return nil, false, d.errf(n, "%s: CEL: %v", key, iss.Err())
	}
	if !ast.OutputType().IsExactType(want) && !ast.OutputType().IsExactType(cel.DynType) {
		return nil, false, d.errf(n, "%s: CEL expression returns %s, want %s", key, ast.OutputType(), want)
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(celCostLimit), cel.InterruptCheckFrequency(1000))
	if err != nil {
		return nil, false, d.errf(n, "%s: CEL: %v", key, err)
	}
	uses := false
	for _, ref := range ast.NativeRep().ReferenceMap() {
		if ref.Name == "findings" || ref.Name == "suppressed" {
			uses = true
		}
	}
	return prg, uses, nil
}

func (d *decoder) cel(m *mapping) (checker, error) {
	r := &celRule{}
	var n *yaml.Node
	var err error
	if r.Condition, n, err = m.str("condition", true); err != nil {
		return nil, err
	}
	if r.cond, r.findings, err = d.compile(m, "condition", n, r.Condition, cel.BoolType); err != nil {
		return nil, err
	}
	if r.Message, n, err = m.str("message", false); err != nil {
		return nil, err
	}
	if n != nil {
		var uses bool
		if r.msg, uses, err = d.compile(m, "message", n, r.Message, cel.StringType); err != nil {
			return nil, err
		}
		r.findings = r.findings || uses
	}
	if r.Fix, _, err = m.str("fix", false); err != nil {
		return nil, err
	}
	return r, nil
}

// EvalError is a CEL condition that failed at run time for one package
// (a missing map key, a cost limit); the policy needs fixing.
type EvalError struct {
	Rule, Package string
	Err           error
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("rule %q: evaluating for %s: %v", e.Rule, e.Package, e.Err)
}

func (e *EvalError) Unwrap() error { return e.Err }

func (r *celRule) evaluate(c *evalContext, rule *Rule, pkgs []int, emit func(Violation)) string {
	if r.findings && c.result == nil {
		return noDataReason
	}
	doc, inputs := c.input()
	vars := map[string]any{"doc": doc}
	for _, i := range pkgs {
		p := &c.doc.Packages[i]
		vars["pkg"] = inputs[i]
		vars["findings"] = findingInputs(c.active[p.ID])
		vars["suppressed"] = findingInputs(c.suppressed[p.ID])
		out, _, err := r.cond.Eval(vars)
		if err != nil {
			c.fail(&EvalError{Rule: rule.ID, Package: inputs[i].PURL, Err: err})
			return ""
		}
		hit, ok := out.Value().(bool)
		if !ok {
			c.fail(&EvalError{Rule: rule.ID, Package: inputs[i].PURL, Err: fmt.Errorf("condition returned %v, not a bool", out.Type())})
			return ""
		}
		if !hit {
			continue
		}
		fact := "condition is true: " + strings.Join(strings.Fields(r.Condition), " ")
		if r.msg != nil {
			mo, _, err := r.msg.Eval(vars)
			if err != nil {
				c.fail(&EvalError{Rule: rule.ID, Package: inputs[i].PURL, Err: fmt.Errorf("message: %w", err)})
				return ""
			}
			if s, ok := mo.Value().(string); ok {
				fact = s
			} else if mo.Type() != types.StringType {
				fact = fmt.Sprint(mo.Value())
			}
		}
		v := c.violation(rule, p, fact, r.Fix)
		for _, f := range c.active[p.ID] {
			v.Findings = append(v.Findings, f.ID)
		}
		emit(v)
	}
	return ""
}
