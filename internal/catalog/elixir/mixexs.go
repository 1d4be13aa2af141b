package elixir

import (
	"fmt"
	"strings"
)

// This file reads the dependency declarations of a mix.exs
// (https://hexdocs.pm/mix/Mix.Tasks.Deps.html, "Dependency definition
// options") WITHOUT EXECUTING IT: mix.exs is an Elixir program, and hallmark
// never runs, evaluates or compiles anything it scans. A small, bounded
// scanner finds the function `defp deps do [ ... ] end` (or `def deps do`,
// `defp deps, do: [ ... ]`, `defp deps() do`, and a list wrapped in one
// call, `with_lock([ ... ])`) and reads the literal forms of its list:
//
//	{:name, "~> 1.0"}
//	{:name, "~> 1.0", only: :test, runtime: false, optional: true, override: true}
//	{:name, only: [:dev, :test], github: "owner/repo", branch: "main"}
//	{:name, path: "../name"} / {:name, git: "https://...", tag: "v1"}
//
// with # comments and tuples spread over lines. An option whose value is not
// a literal (runtime: Mix.env() == :dev, only: @envs) is ignored, as if
// absent; an element that is not a tuple starting with a literal atom
// (a function call, a module attribute, a conditional) is skipped. A deps
// function that is not a literal list (deps() ++ more, an if/case) yields
// nothing, and the caller falls back to what mix.lock alone says. The scan
// is linear in the input and allocates per element; the input is bounded by
// catalog.ReadFile's size limit and the number of elements by maxDeclared.

// maxDeclared bounds the number of dependencies read from one deps list.
const maxDeclared = 10000

// declared is one dependency tuple of mix.exs.
type declared struct {
	app      string
	only     []string // environments from only:, nil when absent (all)
	onlySet  bool     // only: was present and literal
	optional bool     // optional: true
	noRun    bool     // runtime: false
	line     int
}

// parseMixExs returns the literal dependency declarations of a mix.exs, or
// an error when it has no deps function whose body is a literal list.
func parseMixExs(src string) ([]declared, error) {
	start, err := findDeps(src)
	if err != nil {
		return nil, err
	}
	elems, err := splitTop(src, start)
	if err != nil {
		return nil, fmt.Errorf("deps list: %w", err)
	}
	var out []declared
	for _, e := range elems {
		if len(out) >= maxDeclared {
			return out, fmt.Errorf("deps list: more than %d dependencies", maxDeclared)
		}
		if d, ok := readDeclared(src, e); ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// span is a half-open byte range of src.
type span struct{ from, to int }

// findDeps returns the offset of the "[" opening the deps function's list.
func findDeps(src string) (int, error) {
	off := 0
	for off < len(src) {
		end := strings.IndexByte(src[off:], '\n')
		if end < 0 {
			end = len(src)
		} else {
			end += off
		}
		line := strings.TrimLeft(src[off:end], " \t")
		for _, kw := range []string{"defp deps", "def deps"} {
			rest, ok := strings.CutPrefix(line, kw)
			if !ok {
				continue
			}
			rest = strings.TrimPrefix(rest, "()")
			var after string
			switch {
			case strings.HasPrefix(rest, " do") && (len(rest) == 3 || !isIdentChar(rest[3])):
				after = rest[3:]
			case strings.HasPrefix(rest, ", do:"):
				after = rest[5:]
			default:
				continue
			}
			i := skipBlank(src, end-len(after))
			// A wrapping call, with_lock([...]) in livebook's mix.exs:
			// its list is what is declared.
			if j := i; j < len(src) && isIdentStart(src[j]) {
				for j < len(src) && (isIdentChar(src[j]) || src[j] == '.') {
					j++
				}
				if j < len(src) && src[j] == '(' {
					i = skipBlank(src, j+1)
				}
			}
			if i < len(src) && src[i] == '[' {
				return i, nil
			}
			return 0, fmt.Errorf("deps is not a literal list (line %d)", lineOf(src, i))
		}
		off = end + 1
	}
	return 0, fmt.Errorf("no deps function")
}

// skipBlank skips white space and # comments from i.
func skipBlank(src string, i int) int {
	for i < len(src) {
		switch c := src[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		default:
			return i
		}
	}
	return i
}

func lineOf(src string, i int) int { return strings.Count(src[:min(i, len(src))], "\n") + 1 }

// splitTop returns the top-level, comma-separated elements of the bracketed
// sequence opening at src[open] (one of [ { ( ), up to its matching close.
// Strings, charlists, # comments and ?c character literals are skipped so
// that the brackets and commas inside them do not count. Only the nesting
// depth is tracked, iteratively.
func splitTop(src string, open int) ([]span, error) {
	var (
		elems []span
		depth = 0
		from  = open + 1
	)
	for i := open; i < len(src); i++ {
		switch c := src[i]; c {
		case '"', '\'':
			j, err := skipQuoted(src, i)
			if err != nil {
				return nil, err
			}
			i = j - 1
		case '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case '?':
			// A character literal: ?a, ?\n, ?[ .
			if i+1 < len(src) && src[i+1] == '\\' {
				i += 2
			} else {
				i++
			}
		case '[', '{', '(':
			depth++
		case ']', '}', ')':
			depth--
			if depth == 0 {
				if s := (span{from, i}); strings.TrimSpace(stripComments(src[s.from:s.to])) != "" {
					elems = append(elems, s)
				}
				return elems, nil
			}
		case ',':
			if depth == 1 {
				elems = append(elems, span{from, i})
				from = i + 1
			}
		}
	}
	return nil, fmt.Errorf("unterminated list opened on line %d", lineOf(src, open))
}

// skipQuoted returns the offset just past the string or charlist opening at
// src[i] ("...", '...', and the heredocs """ and ”').
func skipQuoted(src string, i int) (int, error) {
	q := src[i]
	if strings.HasPrefix(src[i:], strings.Repeat(string(q), 3)) {
		end := strings.Index(src[i+3:], strings.Repeat(string(q), 3))
		if end < 0 {
			return 0, fmt.Errorf("unterminated heredoc on line %d", lineOf(src, i))
		}
		return i + 3 + end + 3, nil
	}
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case q:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated string on line %d", lineOf(src, i))
}

// stripComments removes # comments (outside strings) so that an element
// holding only a comment counts as empty.
func stripComments(s string) string {
	if !strings.Contains(s, "#") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"', '\'':
			j, err := skipQuoted(s, i)
			if err != nil {
				return s
			}
			b.WriteString(s[i:j])
			i = j - 1
		case '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// readDeclared reads one element of the deps list: a tuple starting with a
// literal atom. Options are read one by one, each through the mix.lock term
// parser (literal terms only); a non-literal option is ignored.
func readDeclared(src string, e span) (declared, bool) {
	i := skipBlank(src, e.from)
	if i >= e.to || src[i] != '{' {
		return declared{}, false
	}
	parts, err := splitTop(src[:e.to], i)
	if err != nil || len(parts) == 0 {
		return declared{}, false
	}
	name, err := parseTerm(stripComments(src[parts[0].from:parts[0].to]))
	if err != nil || name.kind != kindAtom || name.s == "" {
		return declared{}, false
	}
	d := declared{app: name.s, line: lineOf(src, i)}
	for _, p := range parts[1:] {
		kw, err := parseTerm("[" + stripComments(src[p.from:p.to]) + "]")
		if err != nil || len(kw.items) != 1 {
			continue // the requirement string, or a non-literal option
		}
		pair := kw.items[0]
		if pair.kind != kindTuple || len(pair.items) != 2 || pair.items[0].kind != kindAtom {
			continue
		}
		v := pair.items[1]
		switch pair.items[0].s {
		case "only":
			switch v.kind {
			case kindAtom:
				d.only, d.onlySet = []string{v.s}, true
			case kindList:
				var envs []string
				for _, it := range v.items {
					if it.kind == kindAtom {
						envs = append(envs, it.s)
					}
				}
				if len(envs) == len(v.items) {
					d.only, d.onlySet = envs, true
				}
			}
		case "optional":
			d.optional = v.kind == kindAtom && v.s == "true"
		case "runtime":
			d.noRun = v.kind == kindAtom && v.s == "false"
		}
	}
	return d, true
}
