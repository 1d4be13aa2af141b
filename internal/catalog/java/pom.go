package java

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Pom reads Maven project files (pom.xml,
// https://maven.apache.org/pom.html) offline: it lists the dependencies the
// project declares in <dependencies>, as Maven would resolve their
// coordinates from what is in the tree:
//
//   - ${property} references are interpolated from <properties>, the
//     project's own coordinates (${project.version}, ${project.groupId},
//     ${project.artifactId}, ${project.parent.version}, ...) and the same in
//     parent poms found in the tree;
//   - a dependency without a version takes it from <dependencyManagement>
//     (matched on groupId, artifactId, type and classifier), in this pom or a
//     parent in the tree;
//   - the parent is read from <relativePath> (default ../pom.xml; a
//     directory means its pom.xml; an empty element means "not in the
//     tree") when that file's coordinates match <parent>, then its parent,
//     and so on. Nothing is fetched from a repository.
//
// Scopes: test gives ScopeTest; <optional>true</optional> gives
// ScopeOptional; compile, runtime, provided and system are runtime (provided
// and system dependencies are present when the product runs, supplied by its
// container or host), with the declared scope kept in PropScope.
//
// A version that stays unresolved (a property or managed version defined
// only in a parent or imported BOM outside the tree) leaves the package
// with an empty version and PropUnresolvedVersion naming the expression.
// The package is kept: it is really declared, and a user must see it; a
// literal "${x}" version would be matched against advisories as if it were
// one, an empty version is "unknown".
//
// Left out: the project itself (it is the subject, not a dependency),
// dependencies inherited from a parent (the parent pom is cataloged on its
// own when it is in the tree), dependencies inside <profiles> (conditional on
// activation that depends on the build machine), <dependencyManagement>
// entries (constraints, not dependencies; "import" BOMs included) and build
// <plugins> with their dependencies (build tools, not part of the product).
// Transitive dependencies need the repository and are not listed; a
// lockfile, the built archive or an SBOM from the build gives them.
type Pom struct{}

// Name implements catalog.Cataloger.
func (Pom) Name() string { return "maven-pom" }

// Claims implements catalog.Cataloger.
func (Pom) Claims(p string, _ fs.FileMode) bool {
	return path.Base(p) == "pom.xml"
}

// maxParents bounds the chain of parent poms followed.
const maxParents = 16

// maxXMLDepth bounds element nesting; real poms stay under 15.
const maxXMLDepth = 256

// Catalog implements catalog.Cataloger.
func (Pom) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	m, err := parsePom(b)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	chain := []*pomModel{m}
	var perr error
	seen := map[string]bool{path.Clean(p): true}
	for cur, curPath := m, p; cur.parent.artifactID != "" && len(chain) < maxParents; {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		pp, ok := parentPath(curPath, cur.parent.relativePath, cur.parent.relativeSet)
		if !ok || seen[pp] {
			break
		}
		seen[pp] = true
		pb, err := catalog.ReadFile(fsys, pp)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				perr = fmt.Errorf("parent %s: %w", pp, err)
			}
			break
		}
		pm, err := parsePom(pb)
		if err != nil {
			perr = fmt.Errorf("parent %s: %w", pp, err)
			break
		}
		// Maven uses the file only when it is the declared parent.
		if pm.artifactID != cur.parent.artifactID || pm.effectiveGroup() != cur.parent.groupID {
			break
		}
		chain = append(chain, pm)
		cur, curPath = pm, pp
	}
	r := newResolver(chain)

	res := &catalog.Result{}
	for _, d := range m.deps {
		group, artifact := r.expand(d.groupID), r.expand(d.artifactID)
		if group == "" || artifact == "" || strings.Contains(group+artifact, "${") {
			continue // not a usable coordinate; Maven would refuse the pom
		}
		typ, classifier := r.expand(d.typ), r.expand(d.classifier)
		version, scope, optional := r.expand(d.version), r.expand(d.scope), r.expand(d.optional)
		unresolved := ""
		if d.version == "" || scope == "" {
			md, ok := r.managed(group, artifact, typ, classifier)
			if d.version == "" {
				version = r.expand(md.version)
				if !ok || md.version == "" {
					unresolved = r.managedElsewhere()
				}
			}
			if scope == "" && ok {
				scope = r.expand(md.scope)
			}
		}
		if strings.Contains(version, "${") {
			unresolved, version = version, ""
		}
		pk := pkg(group, artifact, version, typ, classifier, p, d.line)
		pk.Direct = true
		props := map[string]string{}
		if unresolved != "" {
			props[PropUnresolvedVersion] = unresolved
		}
		if scope != "" {
			props[PropScope] = scope
		}
		switch {
		case scope == "test":
			pk.Scope = sbom.ScopeTest
		case strings.EqualFold(optional, "true"):
			pk.Scope = sbom.ScopeOptional
		}
		if scope == "system" && d.systemPath != "" {
			props[PropSystemPath] = r.expand(d.systemPath)
		}
		if len(props) > 0 {
			pk.Properties = props
		}
		res.Packages = append(res.Packages, pk)
	}
	return res, perr
}

// parentPath returns the path of the parent pom relative to the pom at p.
func parentPath(p, rel string, set bool) (string, bool) {
	if set && strings.TrimSpace(rel) == "" {
		return "", false // <relativePath/>: look only in repositories
	}
	rel = strings.TrimSpace(rel)
	if !set {
		rel = "../pom.xml"
	}
	rel = strings.ReplaceAll(rel, "\\", "/")
	if !strings.HasSuffix(rel, ".xml") {
		rel = strings.TrimSuffix(rel, "/") + "/pom.xml"
	}
	if strings.HasPrefix(rel, "/") {
		return "", false
	}
	pp := path.Join(path.Dir(p), rel)
	if !fs.ValidPath(pp) {
		return "", false // outside the scanned tree
	}
	return pp, true
}

// pomDep is a <dependency> as written.
type pomDep struct {
	groupID, artifactID, version, typ, classifier, scope, optional, systemPath string
	line                                                                       int
}

// pomModel is the part of a pom the cataloger uses.
type pomModel struct {
	groupID, artifactID, version string
	parent                       struct {
		groupID, artifactID, version, relativePath string
		relativeSet                                bool
	}
	props   map[string]string
	deps    []pomDep
	managed []pomDep
}

func (m *pomModel) effectiveGroup() string {
	if m.groupID != "" {
		return m.groupID
	}
	return m.parent.groupID
}

// parsePom reads a pom with a streaming XML decoder, keeping only the
// elements it needs.
func parsePom(b []byte) (*pomModel, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.CharsetReader = charsetReader
	d.Strict = true
	m := &pomModel{props: map[string]string{}}
	var stack []string
	var text strings.Builder
	var dep *pomDep
	sawProject := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxXMLDepth {
				return nil, fmt.Errorf("elements nested deeper than %d", maxXMLDepth)
			}
			stack = append(stack, t.Name.Local)
			text.Reset()
			if len(stack) == 1 {
				if t.Name.Local != "project" {
					return nil, fmt.Errorf("root element is <%s>, not <project>", t.Name.Local)
				}
				sawProject = true
			}
			if t.Name.Local == "dependency" && (isPath(stack, "project", "dependencies", "dependency") ||
				isPath(stack, "project", "dependencyManagement", "dependencies", "dependency")) {
				line, _ := d.InputPos()
				dep = &pomDep{line: line}
			}
			if isPath(stack, "project", "parent", "relativePath") {
				m.parent.relativeSet = true
			}
		case xml.CharData:
			if text.Len() < 1<<16 {
				text.Write(t)
			}
		case xml.EndElement:
			v := strings.TrimSpace(text.String())
			text.Reset()
			n := len(stack)
			switch {
			case n == 2:
				switch stack[1] {
				case "groupId":
					m.groupID = v
				case "artifactId":
					m.artifactID = v
				case "version":
					m.version = v
				}
			case n == 3 && stack[1] == "parent":
				switch stack[2] {
				case "groupId":
					m.parent.groupID = v
				case "artifactId":
					m.parent.artifactID = v
				case "version":
					m.parent.version = v
				case "relativePath":
					m.parent.relativePath = v
				}
			case n == 3 && stack[1] == "properties":
				m.props[stack[2]] = v
			case dep != nil && stack[n-1] == "dependency":
				if stack[1] == "dependencies" {
					m.deps = append(m.deps, *dep)
				} else {
					m.managed = append(m.managed, *dep)
				}
				dep = nil
			case dep != nil && stack[n-2] == "dependency":
				switch stack[n-1] {
				case "groupId":
					dep.groupID = v
				case "artifactId":
					dep.artifactID = v
				case "version":
					dep.version = v
				case "type":
					dep.typ = v
				case "classifier":
					dep.classifier = v
				case "scope":
					dep.scope = v
				case "optional":
					dep.optional = v
				case "systemPath":
					dep.systemPath = v
				}
			}
			if n > 0 {
				stack = stack[:n-1]
			}
		}
	}
	if !sawProject {
		return nil, errors.New("no <project> element")
	}
	return m, nil
}

func isPath(stack []string, want ...string) bool {
	if len(stack) != len(want) {
		return false
	}
	for i := range want {
		if stack[i] != want[i] {
			return false
		}
	}
	return true
}

// resolver interpolates ${...} expressions over a pom and its parents
// (child first) and finds managed dependencies.
type resolver struct {
	chain []*pomModel
	props map[string]string
	// cache holds expand's results: a pom repeats the same few
	// ${x.version} references many times.
	cache map[string]string
	// spent is the bytes expand has built for this pom (maxExpandTotal).
	spent int
	// managedIx indexes dependencyManagement by coordinates, built on
	// first use (see managed).
	managedIx map[managedKey]pomDep
}

type managedKey struct{ group, artifact, typ, classifier string }

func newResolver(chain []*pomModel) *resolver {
	r := &resolver{chain: chain, props: map[string]string{}}
	// Parents first, so that the child's values win.
	for i := len(chain) - 1; i >= 0; i-- {
		for k, v := range chain[i].props {
			r.props[k] = v
		}
	}
	m := chain[0]
	group, version := m.effectiveGroup(), m.version
	if version == "" {
		version = m.parent.version
	}
	for _, pre := range []string{"project.", "pom.", ""} {
		r.props[pre+"groupId"] = group
		r.props[pre+"artifactId"] = m.artifactID
		r.props[pre+"version"] = version
		r.props[pre+"parent.groupId"] = m.parent.groupID
		r.props[pre+"parent.artifactId"] = m.parent.artifactID
		r.props[pre+"parent.version"] = m.parent.version
	}
	// Bare groupId/artifactId/version are deprecated aliases that a
	// <properties> entry of the same name overrides.
	for _, k := range []string{"groupId", "artifactId", "version"} {
		if v, ok := m.props[k]; ok {
			r.props[k] = v
		}
	}
	return r
}

// maxExpand bounds nested and chained property expansion.
const maxExpand = 32

// maxExpandTotal bounds the bytes all expansions of one pom may build. A
// property that doubles at each level (<a>${b}${b}</a>, <b>${c}${c}</b>, ...)
// costs up to 32 rounds of 64 KB for each distinct string that references
// it; without a total, 1,000 dependencies naming it took 3 s and a 10 MB pom
// minutes. Honest poms build a few bytes per reference.
const maxExpandTotal = 16 << 20

// expand interpolates ${name} references; unknown ones are left as they are,
// and so is everything once maxExpandTotal is spent.
func (r *resolver) expand(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	if v, ok := r.cache[s]; ok {
		return v
	}
	v := r.expandOnce(s)
	if r.cache == nil {
		r.cache = map[string]string{}
	}
	r.cache[s] = v
	return v
}

func (r *resolver) expandOnce(s string) string {
	orig := s
	for range maxExpand {
		if r.spent > maxExpandTotal {
			return orig
		}
		if !strings.Contains(s, "${") {
			return s
		}
		var out strings.Builder
		changed := false
		rest := s
		for {
			i := strings.Index(rest, "${")
			if i < 0 {
				out.WriteString(rest)
				break
			}
			j := strings.IndexByte(rest[i:], '}')
			if j < 0 {
				out.WriteString(rest)
				break
			}
			name := rest[i+2 : i+j]
			out.WriteString(rest[:i])
			if v, ok := r.props[name]; ok && v != rest[i:i+j+1] {
				out.WriteString(v)
				changed = true
			} else {
				out.WriteString(rest[i : i+j+1])
			}
			rest = rest[i+j+1:]
			if out.Len() > 1<<16 {
				r.spent += out.Len()
				return s // runaway expansion (a property that contains itself)
			}
		}
		r.spent += out.Len()
		s = out.String()
		if !changed {
			return s
		}
	}
	return s
}

// managedElsewhere names where a version missing from the tree is managed:
// "managed by g:a:v" for the first parent outside the tree and the BOMs
// imported in the tree, or "managed" when the tree names none.
func (r *resolver) managedElsewhere() string {
	var from []string
	last := r.chain[len(r.chain)-1]
	if last.parent.artifactID != "" {
		from = append(from, r.expand(last.parent.groupID)+":"+r.expand(last.parent.artifactID)+":"+r.expand(last.parent.version))
	}
	for _, m := range r.chain {
		for _, md := range m.managed {
			if md.scope == "import" {
				from = append(from, r.expand(md.groupID)+":"+r.expand(md.artifactID)+":"+r.expand(md.version))
			}
		}
	}
	if len(from) == 0 {
		return "managed"
	}
	return "managed by " + strings.Join(from, ", ")
}

// managed returns the dependencyManagement entry for a dependency, nearest
// pom first.
func (r *resolver) managed(group, artifact, typ, classifier string) (pomDep, bool) {
	norm := func(t string) string {
		if t == "" {
			return "jar"
		}
		return t
	}
	// An index, not a scan per dependency: a pom with thousands of
	// dependencies and as many managed ones would be quadratic.
	if r.managedIx == nil {
		r.managedIx = map[managedKey]pomDep{}
		for _, m := range r.chain {
			for _, md := range m.managed {
				k := managedKey{r.expand(md.groupID), r.expand(md.artifactID), norm(r.expand(md.typ)), r.expand(md.classifier)}
				if _, ok := r.managedIx[k]; !ok {
					r.managedIx[k] = md // the nearest pom's entry wins
				}
			}
		}
	}
	md, ok := r.managedIx[managedKey{group, artifact, norm(typ), classifier}]
	return md, ok
}

// charsetReader lets the decoder read poms declared as ISO-8859-1 (Latin-1,
// common in older Apache poms) or US-ASCII; UTF-8 needs no reader.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso_8859-1", "cp819", "windows-1252", "cp1252":
		b, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(b))
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return bytes.NewReader(out), nil
	case "us-ascii", "ascii", "utf8", "utf-8":
		return in, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}
