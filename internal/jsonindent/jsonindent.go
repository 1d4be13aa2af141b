// Package jsonindent indents JSON as encoding/json's Indent and
// Encoder.SetIndent do, byte for byte, in one pass over the input.
//
// encoding/json indents by running its validating scanner over the output a
// second time, a state-machine step per byte, which costs more than
// marshalling the document did: a quarter of `hallmark sbom`'s CPU time on a
// 1,000-package lockfile. Documents hallmark writes are marshalled by
// encoding/json, so they are valid and compact already; Append only has to
// find string boundaries (bytes.IndexByte) and punctuation.
package jsonindent

import (
	"bytes"
	"encoding/json"
	"io"
)

// Append appends to dst the indented form of src, which must be valid JSON
// as encoding/json writes it (json.Marshal, json.Encoder without
// SetIndent): values with no whitespace outside strings, optionally followed
// by whitespace. Each element or member starts on a new line, indented by
// one copy of indent per level; empty objects and arrays stay "{}" and "[]";
// members are written "key": value; trailing whitespace is kept. For such
// input the result is byte-identical to json.Indent(dst, src, "", indent).
// Whitespace between tokens, which such input has none of, is dropped.
func Append(dst, src []byte, indent string) []byte {
	depth := 0
	needIndent := false // after '{' or '[': indent unless the value is empty
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			if depth == 0 && !needIndent {
				// After the top-level value: kept, as json.Indent keeps it.
				dst = append(dst, c)
			}
			continue
		}
		if needIndent && c != '}' && c != ']' {
			needIndent = false
			depth++
			dst = newline(dst, indent, depth)
		}
		switch c {
		case '"':
			end := stringEnd(src, i)
			dst = append(dst, src[i:end]...)
			i = end - 1
		case '{', '[':
			needIndent = true
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			dst = newline(dst, indent, depth)
		case ':':
			dst = append(dst, c, ' ')
		case '}', ']':
			if needIndent {
				needIndent = false
			} else {
				depth--
				dst = newline(dst, indent, depth)
			}
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// stringEnd returns the index just past the string that starts with the
// quote at src[start], or len(src) if it is not terminated. A quote ends the
// string unless an odd number of backslashes precedes it.
func stringEnd(src []byte, start int) int {
	for i := start + 1; ; {
		j := bytes.IndexByte(src[i:], '"')
		if j < 0 {
			return len(src)
		}
		q := i + j
		n := 0
		for k := q - 1; k > start && src[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		i = q + 1
	}
}

func newline(dst []byte, indent string, depth int) []byte {
	dst = append(dst, '\n')
	if indent == "  " && depth <= len(spaces)/2 {
		return append(dst, spaces[:2*depth]...)
	}
	for range depth {
		dst = append(dst, indent...)
	}
	return dst
}

// spaces serves the usual two-space indentation in one append.
const spaces = "                                                                "

// Encode writes v to w as json.Encoder with SetIndent("", indent) and
// SetEscapeHTML(escapeHTML) writes it, followed by a newline.
func Encode(w io.Writer, v any, indent string, escapeHTML bool) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		return err
	}
	out := Append(make([]byte, 0, buf.Len()+buf.Len()/2), buf.Bytes(), indent)
	_, err := w.Write(out)
	return err
}
