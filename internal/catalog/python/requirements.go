package python

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Requirements reads pip requirements files
// (https://pip.pypa.io/en/stable/reference/requirements-file-format/):
// requirements*.txt, *requirements*.txt, requirements/*.txt and
// constraints*.txt.
//
// What it records, and why:
//
//   - "name==version" and "name===version" pins give the package at that
//     version, with every --hash (pip's hash-checking mode lists one digest
//     per distribution file; all of them are kept).
//   - An unpinned requirement ("name>=1.0", "name") IS a dependency, so it is
//     included, with an empty version and the specifier in the property
//     hallmark:python:constraint. Syft and Trivy drop such lines; hallmark
//     keeps them so that the inventory and licence policy see them, while
//     vulnerability matching (which needs a version) cannot. When a -c
//     constraints file pins the name, that pin is the version pip installs
//     and is used.
//   - Environment markers ("; python_version < '3.11'") do not drop a
//     package: it is installed on some platform. The marker is kept in
//     hallmark:python:marker; extras in hallmark:python:extras.
//   - "-r file"/"--requirement file" includes are read relative to the
//     including file (cycles and depth are bounded); their packages are
//     located in the included file. "-c file" constraints only pin versions
//     of requirements, they add no packages. "-i"/"--index-url" and
//     "--extra-index-url" are recorded on the packages of the file.
//   - "name @ url", "-e url#egg=name" and bare URLs/paths are packages from
//     outside the index: SourceKind "git" (VCS URLs), "url", or "path", with
//     ResolvedURL. "-e ." (the project itself) is not a dependency and is
//     left out.
//   - Direct: every requirement of a hand-written file is declared by the
//     project. pip-compile output says why each pin is there ("# via"); a
//     package whose every "via" is another package is transitive, and the
//     via comments become dependency edges. A "via" naming a file ("-r
//     x.txt", "x.in", "proj (pyproject.toml)") means the project declared it.
//   - Scope comes from the file name: a file named for development
//     (requirements-dev.txt, requirements/docs.txt, ...) gives ScopeDev, one
//     named for tests ScopeTest; a package also reached through a runtime file
//     keeps the runtime scope. A constraints file declares nothing, so its
//     packages are not Direct.
type Requirements struct{}

// Name implements catalog.Cataloger.
func (Requirements) Name() string { return "python-requirements" }

// Claims implements catalog.Cataloger.
func (Requirements) Claims(p string, mode fs.FileMode) bool {
	if catalog.InNodeModules(p) {
		return false
	}
	base := path.Base(p)
	if !strings.HasSuffix(base, ".txt") {
		return false
	}
	if strings.Contains(base, "requirements") || strings.HasPrefix(base, "constraints") {
		return true
	}
	return path.Base(path.Dir(p)) == "requirements"
}

// maxIncludeDepth bounds -r/-c nesting.
const maxIncludeDepth = 16

// reqLine is one logical line of a requirements file.
type reqLine struct {
	text string // with continuations joined and comments removed
	line int    // 1-based line where it starts
}

// reqEntry is one requirement found in a file.
type reqEntry struct {
	pkg  sbom.Package
	spec string   // unpinned specifier, for constraint lookup
	via  []string // pip-compile "# via" entries
}

type reqParser struct {
	ctx         context.Context
	fsys        fs.FS
	visited     map[string]bool
	constraints map[string]string // normalised name -> pinned version from -c files
	entries     []reqEntry
	errs        []error
}

// Catalog implements catalog.Cataloger.
func (Requirements) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	rp := &reqParser{ctx: ctx, fsys: fsys, visited: map[string]bool{}, constraints: map[string]string{}}
	isConstraints := strings.HasPrefix(path.Base(p), "constraints")
	if err := rp.file(p, fileScope(p), 0, false); err != nil {
		return nil, err
	}
	return rp.result(isConstraints), errors.Join(rp.errs...)
}

// file reads one requirements file. constraintsOnly is set for -c includes:
// their pins are recorded, not their packages.
func (rp *reqParser) file(p string, scope sbom.Scope, depth int, constraintsOnly bool) error {
	if err := rp.ctx.Err(); err != nil {
		return err
	}
	key := p
	if constraintsOnly {
		key = "-c " + p
	}
	if rp.visited[key] {
		return nil // include cycle or repeated include
	}
	rp.visited[key] = true
	data, err := catalog.ReadFile(rp.fsys, p)
	if err != nil {
		return err
	}
	lines, vias := splitRequirements(string(data))
	var indexURL string
	var extraIndex []string
	first := len(rp.entries)
	for i, l := range lines {
		opt, arg := splitOption(l.text)
		switch opt {
		case "":
		case "-r", "--requirement", "-c", "--constraint":
			if depth >= maxIncludeDepth {
				rp.errs = append(rp.errs, fmt.Errorf("%s:%d: includes nested deeper than %d", p, l.line, maxIncludeDepth))
				continue
			}
			if arg == "" || strings.Contains(arg, "://") || path.IsAbs(arg) {
				continue // remote or absolute includes are outside the source
			}
			inc := path.Join(path.Dir(p), arg)
			if !fs.ValidPath(inc) {
				rp.errs = append(rp.errs, fmt.Errorf("%s:%d: include %q leaves the source", p, l.line, arg))
				continue
			}
			c := opt == "-c" || opt == "--constraint"
			incScope := fileScope(inc)
			if incScope.Rank() > scope.Rank() {
				incScope = scope // a runtime file including dev.txt installs it at run time
			}
			if err := rp.file(inc, incScope, depth+1, constraintsOnly || c); err != nil {
				rp.errs = append(rp.errs, fmt.Errorf("%s:%d: include %s: %w", p, l.line, arg, err))
			}
			continue
		case "-i", "--index-url":
			indexURL = arg
			continue
		case "--extra-index-url":
			extraIndex = append(extraIndex, arg)
			continue
		case "-e", "--editable":
			if e, ok := editableEntry(arg, p, l.line, scope); ok && !constraintsOnly {
				e.via = vias[i]
				rp.entries = append(rp.entries, e)
			}
			continue
		default:
			continue // -f, --pre, --no-binary, --trusted-host, ...: nothing to record
		}
		e, ok := requirementEntry(l.text, p, l.line, scope)
		if !ok {
			continue
		}
		if constraintsOnly {
			if e.pkg.Version != "" && e.pkg.SourceKind == "" {
				rp.constraints[purl.NormalizePyPI(e.pkg.Name)] = e.pkg.Version
			}
			continue
		}
		e.via = vias[i]
		rp.entries = append(rp.entries, e)
	}
	idx := strings.Join(append([]string{indexURL}, extraIndex...), " ")
	if idx = strings.TrimSpace(idx); idx != "" {
		for i := first; i < len(rp.entries); i++ {
			if rp.entries[i].pkg.Locations[0].Path == p && rp.entries[i].pkg.SourceKind == "" {
				rp.entries[i].pkg.SetProperty(propIndexURL, idx)
			}
		}
	}
	return nil
}

// result applies constraints and pip-compile provenance and builds the
// result.
func (rp *reqParser) result(isConstraints bool) *catalog.Result {
	res := &catalog.Result{}
	byName := map[string]string{} // normalised name -> id, for via edges
	for i := range rp.entries {
		e := &rp.entries[i]
		if e.pkg.Version == "" && e.pkg.SourceKind == "" {
			if v, ok := rp.constraints[purl.NormalizePyPI(e.pkg.Name)]; ok {
				e.pkg.Version = v
				e.pkg.PURL = purl.New(sbom.EcosystemPyPI, e.pkg.Name, v)
				e.pkg.ID = e.pkg.Key()
			}
		}
		byName[purl.NormalizePyPI(e.pkg.Name)] = e.pkg.ID
	}
	var edges edgeSet
	for i := range rp.entries {
		e := &rp.entries[i]
		e.pkg.Direct = !isConstraints
		if len(e.via) > 0 {
			transitive := true
			for _, v := range e.via {
				from, ok := byName[purl.NormalizePyPI(v)]
				if !isPackageVia(v) || !ok {
					transitive = false
					continue
				}
				edges.add(from, e.pkg.ID)
			}
			if transitive {
				e.pkg.Direct = false
			}
		}
		res.Packages = append(res.Packages, e.pkg)
	}
	res.Relationships = edges.list
	return res
}

// isPackageVia reports whether a pip-compile "# via" entry names a package
// (rather than "-r file", "-c file", "file.in" or "proj (pyproject.toml)").
func isPackageVia(v string) bool {
	if v == "" || strings.HasPrefix(v, "-") || strings.ContainsAny(v, " ()/\\") {
		return false
	}
	for _, suf := range []string{".in", ".txt", ".py", ".toml", ".cfg"} {
		if strings.HasSuffix(v, suf) {
			return false
		}
	}
	return reqName.FindString(v) == v
}

// splitRequirements joins continuation lines, strips comments and collects
// pip-compile "# via" annotations: vias[i] belongs to lines[i].
func splitRequirements(data string) (lines []reqLine, vias [][]string) {
	raw := strings.Split(data, "\n")
	var cur strings.Builder
	start := 0
	inVia := false
	for n, l := range raw {
		l = strings.TrimSuffix(l, "\r")
		trimmed := strings.TrimSpace(l)
		if cur.Len() == 0 && strings.HasPrefix(trimmed, "#") {
			c := strings.TrimSpace(strings.TrimPrefix(trimmed, "#"))
			if len(lines) > 0 {
				if rest, ok := strings.CutPrefix(c, "via"); ok && (rest == "" || rest[0] == ' ') {
					inVia = true
					if rest = strings.TrimSpace(rest); rest != "" {
						vias[len(vias)-1] = append(vias[len(vias)-1], rest)
					}
					continue
				}
				if inVia && c != "" && strings.HasPrefix(trimmed, "#  ") {
					vias[len(vias)-1] = append(vias[len(vias)-1], c)
					continue
				}
			}
			inVia = false
			continue
		}
		inVia = false
		if cur.Len() == 0 {
			start = n + 1
		}
		code := stripComment(l)
		// pip-compile --annotation-style=line: "pkg==1.0  # via a, b".
		var inlineVia []string
		if c := strings.TrimSpace(strings.TrimPrefix(l[len(code):], "#")); strings.HasPrefix(c, "via ") {
			for _, v := range strings.Split(c[4:], ",") {
				if v = strings.TrimSpace(v); v != "" {
					inlineVia = append(inlineVia, v)
				}
			}
		}
		l = code
		if s, ok := strings.CutSuffix(strings.TrimRight(l, " \t"), `\`); ok {
			cur.WriteString(s)
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(l)
		if t := strings.TrimSpace(cur.String()); t != "" {
			lines = append(lines, reqLine{text: t, line: start})
			vias = append(vias, inlineVia)
		}
		cur.Reset()
	}
	if t := strings.TrimSpace(cur.String()); t != "" {
		lines = append(lines, reqLine{text: t, line: start})
		vias = append(vias, nil)
	}
	return lines, vias
}

// stripComment removes a "#" comment: pip treats "#" as a comment when it
// starts the line or follows whitespace (so URL fragments "#egg=" stay).
func stripComment(l string) string {
	for i := 0; i < len(l); i++ {
		if l[i] == '#' && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t') {
			return l[:i]
		}
	}
	return l
}

// splitOption splits an option line ("-r file", "--index-url=URL") into the
// option and its argument. It returns "" for a requirement line.
func splitOption(l string) (opt, arg string) {
	if !strings.HasPrefix(l, "-") {
		return "", ""
	}
	if strings.HasPrefix(l, "--") {
		opt, arg, _ = strings.Cut(l, "=")
		if i := strings.IndexAny(opt, " \t"); i >= 0 {
			opt, arg = opt[:i], opt[i+1:]
		}
	} else {
		// Short options take their argument attached ("-rfile") or after space.
		if len(l) < 2 {
			return l, ""
		}
		opt, arg = l[:2], l[2:]
	}
	return opt, strings.TrimSpace(arg)
}

// requirementEntry reads a requirement line: "name[extras]==v ; marker
// --hash=...", "name @ url", or a bare URL or path.
func requirementEntry(l, file string, line int, scope sbom.Scope) (reqEntry, bool) {
	spec, opts := cutOptions(l)
	r, ok := parseRequirement(spec)
	if (!ok || r.URL == "") && isURLOrPath(spec) {
		return urlEntry(spec, file, line, scope, false)
	}
	if !ok {
		return reqEntry{}, false
	}
	var e reqEntry
	if r.URL != "" {
		e.pkg = newPackage(r.Name, "", file, line)
		e.pkg.ResolvedURL = stripEggFragment(r.URL)
		e.pkg.SourceKind = urlKind(r.URL)
		if v := versionFromURL(r.URL); v != "" {
			e.pkg.Version = v
			e.pkg.PURL = purl.New(sbom.EcosystemPyPI, r.Name, v)
			e.pkg.ID = e.pkg.Key()
		}
	} else {
		v := pinnedVersion(r.Specifier)
		e.pkg = newPackage(r.Name, v, file, line)
		if v == "" {
			e.spec = r.Specifier
			e.pkg.SetProperty(propConstraint, r.Specifier)
		}
	}
	e.pkg.Scope = scope
	e.pkg.SetProperty(propMarker, r.Marker)
	e.pkg.SetProperty(propExtras, strings.Join(r.Extras, ","))
	for _, h := range opts {
		addHash(&e.pkg, h)
	}
	return e, true
}

// cutOptions splits per-requirement options off a line and returns the
// requirement and the --hash values.
func cutOptions(l string) (spec string, hashes []string) {
	fields := strings.Fields(l)
	var keep []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if !strings.HasPrefix(f, "--") {
			keep = append(keep, f)
			continue
		}
		name, val, hasVal := strings.Cut(f, "=")
		if !hasVal && i+1 < len(fields) && !strings.HasPrefix(fields[i+1], "-") {
			val = fields[i+1]
			i++
		}
		if name == "--hash" {
			hashes = append(hashes, val)
		}
	}
	return strings.Join(keep, " "), hashes
}

// isURLOrPath reports whether a requirement is a bare URL or local path.
func isURLOrPath(s string) bool {
	return strings.Contains(s, "://") || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") ||
		strings.HasPrefix(s, "file:") || strings.HasSuffix(s, ".whl") || strings.HasSuffix(s, ".tar.gz") ||
		strings.HasSuffix(s, ".zip")
}

// editableEntry reads the argument of "-e": a VCS URL with "#egg=name", or a
// local path. "-e ." is the project itself and gives nothing.
func editableEntry(arg, file string, line int, scope sbom.Scope) (reqEntry, bool) {
	spec, _ := cutOptions(arg)
	if spec == "." || spec == "./" {
		return reqEntry{}, false
	}
	if !isURLOrPath(spec) {
		// "-e name @ url" or "-e path/to/dir[extra]" without "./".
		if r, ok := parseRequirement(spec); ok && r.URL != "" {
			e, ok := requirementEntry(spec, file, line, scope)
			e.pkg.SetProperty(propEditable, "true")
			return e, ok
		}
	}
	return urlEntry(spec, file, line, scope, true)
}

// urlEntry builds a package from a URL or path requirement, naming it from
// "#egg=name", a wheel or sdist file name, or (for a local directory) the
// directory name.
func urlEntry(spec, file string, line int, scope sbom.Scope, editable bool) (reqEntry, bool) {
	u := spec
	var extras string
	if i := strings.LastIndexByte(u, '['); i > 0 && strings.HasSuffix(u, "]") && !strings.Contains(u[i:], "/") {
		extras, u = u[i+1:len(u)-1], u[:i]
	}
	name, version := "", ""
	if _, frag, ok := strings.Cut(u, "#"); ok {
		for _, kv := range strings.Split(frag, "&") {
			if v, ok := strings.CutPrefix(kv, "egg="); ok {
				name = v
				if n, ver, ok := strings.Cut(v, "=="); ok {
					name, version = n, ver
				}
			}
		}
	}
	if name == "" {
		name, version = nameFromArchive(u)
	}
	kind := urlKind(u)
	if name == "" && kind == "path" {
		name = path.Base(strings.TrimRight(strings.TrimPrefix(u, "file:"), "/"))
	}
	if name == "" || reqName.FindString(name) != name {
		return reqEntry{}, false
	}
	e := reqEntry{pkg: newPackage(name, version, file, line)}
	e.pkg.ResolvedURL = stripEggFragment(u)
	e.pkg.SourceKind = kind
	e.pkg.Scope = scope
	e.pkg.SetProperty(propExtras, extras)
	if editable {
		e.pkg.SetProperty(propEditable, "true")
	}
	return e, true
}

// urlKind classifies a requirement URL: VCS URLs ("git+https://",
// "hg+...") are "git" for git and "url" otherwise, file: URLs and paths are
// "path", archives over http are "url".
func urlKind(u string) string {
	switch {
	case strings.HasPrefix(u, "git+") || strings.HasPrefix(u, "git://"):
		return "git"
	case strings.HasPrefix(u, "file:") || !strings.Contains(u, "://"):
		return "path"
	default:
		return "url"
	}
}

// versionFromURL takes the version from a wheel or sdist file name at the
// end of a URL.
func versionFromURL(u string) string {
	_, v := nameFromArchive(u)
	return v
}

// nameFromArchive reads name and version from a wheel
// ("name-1.0-py3-none-any.whl", https://packaging.python.org/en/latest/specifications/binary-distribution-format/)
// or sdist ("name-1.0.tar.gz") file name at the end of a URL or path.
func nameFromArchive(u string) (name, version string) {
	if i := strings.IndexAny(u, "#?"); i >= 0 {
		u = u[:i]
	}
	base := path.Base(u)
	switch {
	case strings.HasSuffix(base, ".whl"):
		parts := strings.Split(strings.TrimSuffix(base, ".whl"), "-")
		if len(parts) >= 5 {
			return parts[0], parts[1]
		}
	case strings.HasSuffix(base, ".tar.gz"), strings.HasSuffix(base, ".zip"):
		stem := strings.TrimSuffix(strings.TrimSuffix(base, ".tar.gz"), ".zip")
		if i := strings.LastIndexByte(stem, '-'); i > 0 {
			return stem[:i], stem[i+1:]
		}
	}
	return "", ""
}

// fileScope derives a scope from a requirements file's name: words such as
// dev, docs, lint, typing give ScopeDev, test/tests give ScopeTest.
func fileScope(p string) sbom.Scope {
	base := strings.TrimSuffix(path.Base(p), ".txt")
	words := strings.FieldsFunc(strings.ToLower(base), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	scope := sbom.ScopeRequired
	for _, w := range words {
		switch w {
		case "test", "tests", "testing":
			scope = sbom.ScopeTest
		case "dev", "develop", "development", "docs", "doc", "lint", "linting", "typing", "mypy", "style", "build":
			return sbom.ScopeDev
		}
	}
	return scope
}

// stripEggFragment drops the "#egg=name&subdirectory=x" fragment pip uses to
// name a URL requirement; the rest is where the package comes from.
func stripEggFragment(u string) string {
	if i := strings.IndexByte(u, '#'); i >= 0 && strings.Contains(u[i:], "egg=") {
		return u[:i]
	}
	return u
}
