package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// DefaultFile is the policy file looked for when none is named.
const DefaultFile = "hallmark.policy.yaml"

// Error is a problem in a policy file, located at a line and column
// (1-based; 0 when unknown).
type Error struct {
	File      string
	Line, Col int
	// Rule is the id of the rule the problem is in, when there is one.
	Rule string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if prefix := fmt.Sprintf("rule %q: ", e.Rule); e.Rule != "" && !strings.HasPrefix(e.Msg, prefix) {
		b.WriteString(prefix)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrInvalid is wrapped by every error about the policy's content.
var ErrInvalid = errors.New("invalid policy")

func (e *Error) Unwrap() error { return ErrInvalid }

// Load reads and compiles the policy file at path.
func Load(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limits.PolicyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read policy %s: %w", path, err)
	}
	if len(b) > limits.PolicyBytes {
		return nil, &Error{File: path, Msg: fmt.Sprintf("larger than %d bytes", limits.PolicyBytes)}
	}
	return Parse(path, b)
}

// Parse reads and compiles a policy file's content; name is used in
// errors. The format is documented in the README ("hallmark policy") and
// by the starter policy Init writes.
func Parse(name string, data []byte) (*Policy, error) {
	if len(data) > limits.PolicyBytes {
		return nil, &Error{File: name, Msg: fmt.Sprintf("larger than %d bytes", limits.PolicyBytes)}
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: name, Msg: "empty policy file: expected a mapping with \"rules\""}
		}
		return nil, yamlError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: name, Line: extra.Line, Col: extra.Column, Msg: "more than one YAML document"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(name, err)
	}
	d := &decoder{file: name}
	if err := d.checkDepth(&root, 0); err != nil {
		return nil, err
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	return d.policy(doc)
}

var yamlLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// yamlError turns a yaml syntax error into an Error with its line.
func yamlError(name string, err error) error {
	msg := err.Error()
	if m := yamlLineRE().FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: name, Line: line, Msg: "not valid YAML: " + m[2]}
	}
	return &Error{File: name, Msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// decoder reads policy nodes, remembering the file name for errors.
type decoder struct {
	file   string
	ruleID string // id of the rule being read
}

func (d *decoder) errf(n *yaml.Node, format string, args ...any) error {
	e := &Error{File: d.file, Rule: d.ruleID, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	return e
}

func (d *decoder) checkDepth(n *yaml.Node, depth int) error {
	if depth > limits.YAMLDepth {
		return d.errf(n, "nested deeper than %d levels", limits.YAMLDepth)
	}
	if n.Kind == yaml.AliasNode {
		return d.errf(n, "YAML aliases are not allowed in a policy")
	}
	for _, c := range n.Content {
		if err := d.checkDepth(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// mapping is a YAML mapping being decoded; done reports unknown keys.
type mapping struct {
	d     *decoder
	node  *yaml.Node
	what  string
	keys  []string
	vals  map[string]*yaml.Node
	knode map[string]*yaml.Node
	used  map[string]bool
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing (null)"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func (d *decoder) mapping(n *yaml.Node, what string) (*mapping, error) {
	if n.Kind != yaml.MappingNode {
		return nil, d.errf(n, "%s must be a mapping, got %s", what, kindName(n))
	}
	m := &mapping{d: d, node: n, what: what, vals: map[string]*yaml.Node{}, knode: map[string]*yaml.Node{}, used: map[string]bool{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, d.errf(k, "%s: keys must be strings", what)
		}
		if _, dup := m.vals[k.Value]; dup {
			return nil, d.errf(k, "%s: key %q given twice", what, k.Value)
		}
		m.keys = append(m.keys, k.Value)
		m.vals[k.Value] = v
		m.knode[k.Value] = k
	}
	return m, nil
}

// get returns the value of key and marks it used.
func (m *mapping) get(key string) *yaml.Node {
	m.used[key] = true
	return m.vals[key]
}

// done reports the first key no reader asked for.
func (m *mapping) done(allowed string) error {
	for _, k := range m.keys {
		if !m.used[k] {
			return m.d.errf(m.knode[k], "unknown key %q in %s (known: %s)", k, m.what, allowed)
		}
	}
	return nil
}

func (m *mapping) str(key string, required bool) (string, *yaml.Node, error) {
	n := m.get(key)
	if n == nil || n.Tag == "!!null" {
		if required {
			return "", nil, m.d.errf(m.node, "%s: %q is required", m.what, key)
		}
		return "", nil, nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", n, m.d.errf(n, "%s: %q must be a string, got %s", m.what, key, kindName(n))
	}
	if required && strings.TrimSpace(n.Value) == "" {
		return "", n, m.d.errf(n, "%s: %q must not be empty", m.what, key)
	}
	return n.Value, n, nil
}

func (m *mapping) boolean(key string, def bool) (bool, error) {
	n := m.get(key)
	if n == nil {
		return def, nil
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return false, m.d.errf(n, "%s: %q must be true or false, got %s", m.what, key, kindName(n))
	}
	return n.Value == "true" || n.Value == "True" || n.Value == "TRUE", nil
}

func (m *mapping) integer(key string, def, min int) (int, error) {
	n := m.get(key)
	if n == nil {
		return def, nil
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		return 0, m.d.errf(n, "%s: %q must be an integer, got %s", m.what, key, kindName(n))
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v < min {
		return 0, m.d.errf(n, "%s: %q must be an integer >= %d, got %s", m.what, key, min, n.Value)
	}
	return v, nil
}

// strList reads a list of strings; a single string is a list of one.
func (m *mapping) strList(key string) ([]string, []*yaml.Node, error) {
	n := m.get(key)
	if n == nil || n.Tag == "!!null" {
		return nil, nil, nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}, []*yaml.Node{n}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, nil, m.d.errf(n, "%s: %q must be a list of strings, got %s", m.what, key, kindName(n))
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
			return nil, nil, m.d.errf(c, "%s: %q must be a list of strings, got an item that is %s", m.what, key, kindName(c))
		}
		out = append(out, c.Value)
	}
	return out, n.Content, nil
}

func (m *mapping) choice(key, def string, choices ...string) (string, error) {
	s, n, err := m.str(key, false)
	if err != nil {
		return "", err
	}
	if n == nil {
		return def, nil
	}
	for _, c := range choices {
		if s == c {
			return s, nil
		}
	}
	return "", m.d.errf(n, "%s: %q must be one of %s, got %q", m.what, key, strings.Join(choices, ", "), s)
}

const topKeys = "version, rules, exceptions"

func (d *decoder) policy(n *yaml.Node) (*Policy, error) {
	m, err := d.mapping(n, "the policy")
	if err != nil {
		return nil, err
	}
	if v := m.get("version"); v != nil {
		if v.Kind != yaml.ScalarNode || v.Value != "1" {
			return nil, d.errf(v, "unsupported policy version %s (this hallmark reads version 1)", kindName(v))
		}
	}
	p := &Policy{File: d.file}
	rules := m.get("rules")
	if rules == nil || rules.Tag == "!!null" {
		return nil, d.errf(n, "the policy has no \"rules\"")
	}
	if rules.Kind != yaml.SequenceNode {
		return nil, d.errf(rules, "\"rules\" must be a list, got %s", kindName(rules))
	}
	if len(rules.Content) > limits.PolicyRules {
		return nil, d.errf(rules, "more than %d rules", limits.PolicyRules)
	}
	ids := map[string]int{}
	for _, rn := range rules.Content {
		r, err := d.rule(rn)
		if err != nil {
			return nil, err
		}
		if line, dup := ids[r.ID]; dup {
			return nil, d.errf(rn, "rule id %q is already used at line %d", r.ID, line)
		}
		ids[r.ID] = r.Line
		p.Rules = append(p.Rules, r)
	}
	if ex := m.get("exceptions"); ex != nil && ex.Tag != "!!null" {
		if ex.Kind != yaml.SequenceNode {
			return nil, d.errf(ex, "\"exceptions\" must be a list, got %s", kindName(ex))
		}
		if len(ex.Content) > limits.PolicyRules {
			return nil, d.errf(ex, "more than %d exceptions", limits.PolicyRules)
		}
		for _, en := range ex.Content {
			e, err := d.exception(en, ids)
			if err != nil {
				return nil, err
			}
			p.Exceptions = append(p.Exceptions, e)
		}
	}
	if err := m.done(topKeys); err != nil {
		return nil, err
	}
	return p, nil
}

var ruleIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`) })

const commonRuleKeys = "id, description, severity, kind, scope"

func (d *decoder) rule(n *yaml.Node) (*Rule, error) {
	d.ruleID = ""
	defer func() { d.ruleID = "" }()
	m, err := d.mapping(n, "a rule")
	if err != nil {
		return nil, err
	}
	id, idn, err := m.str("id", true)
	if err != nil {
		return nil, err
	}
	if !ruleIDRE().MatchString(id) {
		return nil, d.errf(idn, "rule id %q: use letters, digits, '.', '_' and '-' (at most 128)", id)
	}
	d.ruleID = id
	m.what = "rule " + strconv.Quote(id)
	r := &Rule{ID: id, Line: n.Line}
	if r.Description, _, err = m.str("description", false); err != nil {
		return nil, err
	}
	sev, err := m.choice("severity", string(Fail), string(Fail), string(Warn))
	if err != nil {
		return nil, err
	}
	r.Severity = Severity(sev)
	kind, kn, err := m.str("kind", true)
	if err != nil {
		return nil, err
	}
	r.Kind = Kind(kind)
	if sn := m.get("scope"); sn != nil {
		if r.Scope, err = d.scope(sn); err != nil {
			return nil, err
		}
	}
	switch r.Kind {
	case KindVulnerabilities:
		r.check, err = d.vulnerabilities(m)
	case KindLicenses:
		r.check, err = d.licenses(m)
	case KindIntegrity:
		r.check, err = d.integrity(m)
	case KindBans:
		r.check, err = d.bans(m)
	case KindHygiene:
		r.check, err = d.hygiene(m)
	case KindCEL:
		r.check, err = d.cel(m)
	default:
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = string(k)
		}
		return nil, d.errf(kn, "unknown rule kind %q (known: %s)", kind, strings.Join(names, ", "))
	}
	if err != nil {
		return nil, err
	}
	if err := m.done(commonRuleKeys + ", " + r.check.keys()); err != nil {
		return nil, err
	}
	return r, nil
}

// date reads YYYY-MM-DD (a YAML timestamp or a string).
func (d *decoder) date(m *mapping, key string) (time.Time, *yaml.Node, error) {
	s, n, err := m.str(key, true)
	if err != nil {
		return time.Time{}, n, err
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, n, d.errf(n, "%s: %q must be a date YYYY-MM-DD, got %q", m.what, key, s)
	}
	return t, n, nil
}
