// Package config reads .hallmark.yaml, the settings users otherwise repeat
// in every CI step: the vulnerability database directory, exclude globs,
// the policy file, VEX documents, the --fail-on threshold and the default
// output format of each command. Flags override the file; the file
// overrides the defaults. An unknown key or a value of the wrong type is
// an error naming file:line, so a typo never silently weakens a gate.
//
//	db: .cache/hallmark-db           # --db
//	exclude: ["./testdata/**"]        # --exclude (sbom, scan, policy check, assess)
//	policy: ci/policy.yaml            # --policy (scan, policy check)
//	vex: [triage.openvex.json]        # --vex (scan, policy check)
//	fail-on: high                     # scan --fail-on
//	fail-on-unchecked: false          # scan --fail-on-unchecked
//	output:                           # -o per command
//	  scan: sarif
//	  sbom: spdx-json
//	  policy: junit
//
// Relative paths are relative to the file's directory.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// FileName is the name looked for at the scanned root.
const FileName = ".hallmark.yaml"

// Commands whose default output format the file may set.
var Commands = []string{"scan", "sbom", "policy"}

// FailLevels are the values of fail-on.
var FailLevels = []string{"none", "low", "medium", "high", "critical"}

// File is a parsed configuration file. A zero field was not set.
type File struct {
	Path            string
	DB              string
	Exclude         []string
	Policy          string
	VEX             []string
	FailOn          string
	FailOnUnchecked *bool
	Output          map[string]string // command -> format

	lines map[string]int // key ("output.scan" for nested ones) -> line
}

// Line returns the line a key was set on, 0 when it was not.
func (f *File) Line(key string) int {
	if f == nil {
		return 0
	}
	return f.lines[key]
}

// Origin says where a key's value came from: "FILE:LINE", or "" when the
// file does not set it.
func (f *File) Origin(key string) string {
	if n := f.Line(key); n > 0 {
		return fmt.Sprintf("%s:%d", f.Path, n)
	}
	return ""
}

// Find returns the configuration file at root, or "" when there is none.
func Find(root string) string {
	p := filepath.Join(root, FileName)
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p
	}
	return ""
}

// Load reads and validates the file at path.
func Load(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(ioLimit(fh)); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if buf.Len() > limits.ConfigBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limits.ConfigBytes)
	}
	return Parse(buf.Bytes(), path)
}

// Parse parses configuration bytes; name is used in messages and to
// resolve relative paths (its directory).
func Parse(b []byte, name string) (*File, error) {
	f := &File{Path: name, lines: map[string]int{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return f, nil // empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, f.errAt(root, "the file must be a mapping of settings")
	}
	dir := filepath.Dir(name)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if _, dup := f.lines[k.Value]; dup {
			return nil, f.errAt(k, "%s is set twice", k.Value)
		}
		f.lines[k.Value] = k.Line
		var err error
		switch k.Value {
		case "db":
			var s string
			if s, err = f.str(k, v); err == nil {
				f.DB = rel(s)
			}
		case "policy":
			var s string
			if s, err = f.str(k, v); err == nil {
				f.Policy = rel(s)
			}
		case "exclude":
			f.Exclude, err = f.strs(k, v)
		case "vex":
			var vs []string
			if vs, err = f.strs(k, v); err == nil {
				for _, s := range vs {
					f.VEX = append(f.VEX, rel(s))
				}
			}
		case "fail-on":
			var s string
			if s, err = f.str(k, v); err == nil && !slices.Contains(FailLevels, s) {
				err = f.errAt(v, "fail-on: %q is not one of %s", s, strings.Join(FailLevels, ", "))
			}
			f.FailOn = s
		case "fail-on-unchecked":
			var b bool
			if v.Kind != yaml.ScalarNode || v.Decode(&b) != nil || v.Tag != "!!bool" {
				err = f.errAt(v, "fail-on-unchecked: want true or false")
			}
			f.FailOnUnchecked = &b
		case "output":
			err = f.output(v)
		default:
			err = f.errAt(k, "unknown key %q (known: db, exclude, policy, vex, fail-on, fail-on-unchecked, output)", k.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *File) output(v *yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		return f.errAt(v, "output: want a mapping of command to format, e.g. output: {scan: sarif}")
	}
	f.Output = map[string]string{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		if !slices.Contains(Commands, k.Value) {
			return f.errAt(k, "output: unknown command %q (known: %s)", k.Value, strings.Join(Commands, ", "))
		}
		s, err := f.str(k, val)
		if err != nil {
			return err
		}
		f.Output[k.Value] = s
		f.lines["output."+k.Value] = k.Line
	}
	return nil
}

func (f *File) str(k, v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return "", f.errAt(v, "%s: want a string", k.Value)
	}
	return v.Value, nil
}

func (f *File) strs(k, v *yaml.Node) ([]string, error) {
	if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		return []string{v.Value}, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, f.errAt(v, "%s: want a list of strings", k.Value)
	}
	var out []string
	for _, e := range v.Content {
		if e.Kind != yaml.ScalarNode {
			return nil, f.errAt(e, "%s: want a list of strings", k.Value)
		}
		out = append(out, e.Value)
	}
	return out, nil
}

// Error is a configuration error with its position.
type Error struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg) }

// ErrConfig matches every *Error with errors.Is.
var ErrConfig = errors.New("configuration error")

// Is reports whether target is ErrConfig.
func (e *Error) Is(target error) bool { return target == ErrConfig }

func (f *File) errAt(n *yaml.Node, format string, args ...any) error {
	return &Error{File: f.Path, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
}
