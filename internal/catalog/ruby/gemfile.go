package ruby

import (
	"bufio"
	"bytes"
	"io/fs"
	"path"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
)

// gemfileFor is the Gemfile that a lockfile locks: Gemfile for
// Gemfile.lock, gems.rb for gems.locked.
func gemfileFor(lockPath string) string {
	dir, base := path.Split(lockPath)
	if base == "gems.locked" {
		return dir + "gems.rb"
	}
	return dir + "Gemfile"
}

// Bounds of the Gemfile scan: the most physical lines joined into one
// statement, and the deepest nesting of blocks (real Gemfiles stay under
// 4; deeper is taken as a misread).
const (
	maxContinuation = 100
	maxBlockDepth   = 100
)

// readGemfile reads the Bundler groups of the gems a Gemfile declares
// (https://bundler.io/guides/groups.html, https://bundler.io/man/gemfile.5.html).
//
// A Gemfile is Ruby code. It is never executed: a bounded line scanner
// recognises only these literal forms and ignores everything else:
//
//	group :development, :test do ... end   (also group(...) do, strings for symbols)
//	gem "name", ..., group: :test           (also groups:, :group =>, :groups =>,
//	                                         [:a, :b], %i[a b], %w[a b])
//
// Groups nest and add up as in Bundler's DSL (a gem's groups are those of
// every enclosing group block plus its own option); a gem declared with no
// group is in :default, and a gem declared several times is in the union
// of its declarations. Other blocks (platforms, source, git, path,
// install_if, if/unless/case/begin/def, anything ending in "do") are
// tracked only to match their "end". Names computed at run time, gems added
// by gemspec, eval_gemfile and conditionals are not understood; a gem the
// result does not name is the caller's to treat as :default (runtime),
// which never understates what ships. When the block structure does not
// balance (an "end" without a block, or a block never closed: a construct
// the scanner misread), the groups cannot be trusted and ok is false.
func readGemfile(fsys fs.FS, p string) (groups map[string][]string, ok bool) {
	data, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, false
	}
	return parseGemfile(data)
}

func parseGemfile(data []byte) (map[string][]string, bool) {
	groups := map[string][]string{}
	seen := map[string]map[string]bool{} // groups, as sets
	var stack [][]string                 // per open block, the groups it adds (nil for other blocks)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	var (
		heredoc  string // terminator of the heredoc being skipped
		embedded bool   // inside =begin ... =end
		stmt     []token
		joined   int
		depth    int // of brackets open in stmt
	)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case embedded:
			if strings.HasPrefix(line, "=end") {
				embedded = false
			}
			continue
		case heredoc != "":
			if strings.TrimSpace(line) == heredoc {
				heredoc = ""
			}
			continue
		case strings.HasPrefix(line, "=begin"):
			embedded = true
			continue
		case strings.HasPrefix(line, "__END__"):
			return finish(groups, stack)
		}
		toks, hd := tokenize(line)
		heredoc = hd
		stmt = append(stmt, toks...)
		if continues(stmt, toks, &depth) && joined < maxContinuation && hd == "" {
			joined++
			continue
		}
		joined, depth = 0, 0
		if !statement(stmt, groups, seen, &stack) {
			return nil, false
		}
		stmt = stmt[:0]
	}
	if sc.Err() != nil {
		return nil, false
	}
	if len(stmt) > 0 && !statement(stmt, groups, seen, &stack) {
		return nil, false
	}
	return finish(groups, stack)
}

func finish(groups map[string][]string, stack [][]string) (map[string][]string, bool) {
	if len(stack) != 0 {
		return nil, false
	}
	return groups, true
}

// continues reports whether a statement goes on on the next line: it ends
// with a comma, "=>" or a backslash, or a bracket is still open. toks is
// the line just added to stmt; depth counts the brackets open before it.
func continues(stmt, toks []token, depth *int) bool {
	for _, t := range toks {
		if t.kind == tPunct {
			switch t.text {
			case "(", "[", "{":
				*depth++
			case ")", "]", "}":
				*depth--
			}
		}
	}
	if len(stmt) == 0 {
		return false
	}
	if last := stmt[len(stmt)-1]; last.kind == tPunct && (last.text == "," || last.text == "=>" || last.text == "\\") {
		return true
	}
	return *depth > 0
}

var blockKeywords = map[string]bool{
	"if": true, "unless": true, "case": true, "while": true, "until": true,
	"begin": true, "def": true, "class": true, "module": true, "for": true,
}

// statement applies one statement to groups and the block stack; false
// when an "end" closes no block.
func statement(toks []token, groups map[string][]string, seen map[string]map[string]bool, stack *[][]string) bool {
	if len(toks) == 0 {
		return true
	}
	first, last := toks[0], toks[len(toks)-1]
	if first.kind != tIdent {
		first = token{}
	}
	// "... do" or "... do |x, y|".
	opensDo := last.kind == tIdent && last.text == "do"
	if !opensDo && last.kind == tPunct && last.text == "|" {
		for i := len(toks) - 2; i > 0 && i >= len(toks)-12; i-- {
			if toks[i].kind == tPunct && toks[i].text == "|" {
				opensDo = toks[i-1].kind == tIdent && toks[i-1].text == "do"
				break
			}
		}
	}
	oneLine := last.kind == tIdent && last.text == "end" && len(toks) > 1
	switch {
	case first.text == "end":
		if len(*stack) == 0 {
			return false
		}
		*stack = (*stack)[:len(*stack)-1]
		return true
	case first.text == "group" && opensDo:
		*stack = append(*stack, symbolArgs(toks[1:]))
		return len(*stack) <= maxBlockDepth
	case first.text == "gem":
		declare(toks[1:], groups, seen, *stack)
	}
	if !oneLine && (opensDo || blockKeywords[first.text]) {
		*stack = append(*stack, nil)
	}
	return len(*stack) <= maxBlockDepth
}

// symbolArgs returns the literal symbols and strings of a group call's
// arguments, up to "do" or the first option (optional: true).
func symbolArgs(toks []token) []string {
	var out []string
	for _, t := range toks {
		switch {
		case t.kind == tSymbol || t.kind == tString:
			out = append(out, t.text)
		case t.kind == tIdent && t.text == "do", t.kind == tLabel:
			return out
		}
	}
	return out
}

// declare records a gem "name", ... statement.
func declare(toks []token, groups map[string][]string, seen map[string]map[string]bool, stack [][]string) {
	if len(toks) > 0 && toks[0].kind == tPunct && toks[0].text == "(" {
		toks = toks[1:]
	}
	if len(toks) == 0 || toks[0].kind != tString || toks[0].text == "" || strings.Contains(toks[0].text, "#{") {
		return // a name computed at run time
	}
	name := toks[0].text
	var gs []string
	for _, frame := range stack {
		gs = append(gs, frame...)
	}
	for i := 1; i < len(toks); i++ {
		t := toks[i]
		isKey := (t.kind == tLabel && (t.text == "group" || t.text == "groups")) ||
			((t.kind == tSymbol || t.kind == tString) && (t.text == "group" || t.text == "groups") &&
				i+1 < len(toks) && toks[i+1].kind == tPunct && toks[i+1].text == "=>")
		if !isKey {
			continue
		}
		if t.kind != tLabel {
			i++ // =>
		}
		if i+1 >= len(toks) {
			break
		}
		switch v := toks[i+1]; {
		case v.kind == tSymbol || v.kind == tString:
			gs = append(gs, v.text)
		case v.kind == tWords:
			gs = append(gs, strings.Fields(v.text)...)
		case v.kind == tPunct && v.text == "[":
			for _, e := range toks[i+2:] {
				if e.kind == tSymbol || e.kind == tString {
					gs = append(gs, e.text)
				} else if e.kind != tPunct || e.text != "," {
					break
				}
			}
		}
	}
	if len(gs) == 0 {
		gs = []string{"default"}
	}
	if seen[name] == nil {
		seen[name] = map[string]bool{}
		groups[name] = nil
	}
	for _, g := range gs {
		if !seen[name][g] {
			seen[name][g] = true
			groups[name] = append(groups[name], g)
		}
	}
}

type tokenKind uint8

const (
	tIdent  tokenKind = iota
	tString           // "x" or 'x', text without quotes
	tSymbol           // :x or :"x", text without the colon
	tLabel            // x: (a hash key), text without the colon
	tWords            // %i[a b] or %w[a b], text is the words
	tPunct
	tOther // numbers and the like
)

type token struct {
	kind tokenKind
	text string
}

// tokenize splits one line of Ruby into the tokens the scanner needs, up
// to a comment. It returns the terminator of a heredoc the line opens.
func tokenize(line string) (toks []token, heredoc string) {
	i := 0
	for i < len(line) {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '#':
			return toks, heredoc
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(line) && line[j] != c {
				if line[j] == '\\' && c != '\'' {
					j++
				}
				j++
			}
			toks = append(toks, token{tString, line[i+1 : min(j, len(line))]})
			i = j + 1
		case c == ':' && i+1 < len(line) && line[i+1] == ':':
			toks = append(toks, token{tPunct, "::"})
			i += 2
		case c == ':' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\''):
			q := line[i+1]
			j := strings.IndexByte(line[i+2:], q)
			if j < 0 {
				return toks, heredoc
			}
			toks = append(toks, token{tSymbol, line[i+2 : i+2+j]})
			i += j + 3
		case c == ':' && i+1 < len(line) && isIdentByte(line[i+1]):
			j := i + 1
			for j < len(line) && (isIdentByte(line[j]) || line[j] == '?' || line[j] == '!') {
				j++
			}
			toks = append(toks, token{tSymbol, line[i+1 : j]})
			i = j
		case c == '%' && i+2 < len(line) && (line[i+1] == 'i' || line[i+1] == 'w' || line[i+1] == 'I' || line[i+1] == 'W') && strings.IndexByte("[({<", line[i+2]) >= 0:
			closer := "])}>"[strings.IndexByte("[({<", line[i+2])]
			j := strings.IndexByte(line[i+3:], closer)
			if j < 0 {
				return toks, heredoc
			}
			toks = append(toks, token{tWords, line[i+3 : i+3+j]})
			i += j + 4
		case c == '<' && strings.HasPrefix(line[i:], "<<") && i+2 < len(line) && (line[i+2] == '~' || line[i+2] == '-' || (line[i+2] >= 'A' && line[i+2] <= 'Z')):
			j := i + 2
			if line[j] == '~' || line[j] == '-' {
				j++
			}
			k := j
			for k < len(line) && (isIdentByte(line[k]) || line[k] == '"' || line[k] == '\'') {
				k++
			}
			if id := strings.Trim(line[j:k], "\"'"); id != "" {
				heredoc = id
			}
			toks = append(toks, token{tOther, line[i:k]})
			i = max(k, i+2)
		case isIdentByte(c):
			j := i
			for j < len(line) && (isIdentByte(line[j]) || line[j] == '?' || line[j] == '!') {
				j++
			}
			if j < len(line) && line[j] == ':' && (j+1 == len(line) || line[j+1] != ':') {
				toks = append(toks, token{tLabel, line[i:j]})
				i = j + 1
				continue
			}
			kind := tIdent
			if c >= '0' && c <= '9' {
				kind = tOther
			}
			toks = append(toks, token{kind, line[i:j]})
			i = j
		case c == '=' && i+1 < len(line) && line[i+1] == '>':
			toks = append(toks, token{tPunct, "=>"})
			i += 2
		default:
			toks = append(toks, token{tPunct, string(c)})
			i++
		}
	}
	return toks, heredoc
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
