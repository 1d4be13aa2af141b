package npm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// PackageLock reads npm's package-lock.json and npm-shrinkwrap.json
// (https://docs.npmjs.com/cli/configuring-npm/package-lock-json).
//
//   - lockfileVersion 2 and 3: the "packages" object, keyed by install
//     location ("node_modules/a/node_modules/b"); v2's legacy "dependencies"
//     tree is ignored when "packages" is present.
//   - lockfileVersion 1: the nested "dependencies" tree.
//
// Every installed location is a package; the package's name is the entry's
// "name" when set (an alias, npm:bar@1 installed as node_modules/foo, is the
// package bar) and otherwise the key's last node_modules segment. Workspace
// members and other directories linked into node_modules ("link": true
// entries point at them) are packages too, with SourceKind "link"; the root
// project (key "") is not. Dependency edges are resolved as Node resolves
// require(): from the dependent's location up through each enclosing
// node_modules. Direct means declared by the root or a workspace member.
// Scope comes from npm's own dev/optional/devOptional flags.
type PackageLock struct{}

// Name implements catalog.Cataloger.
func (PackageLock) Name() string { return "npm-package-lock" }

// Claims implements catalog.Cataloger: package-lock.json and
// npm-shrinkwrap.json outside node_modules (node_modules/.package-lock.json
// is read by the installed-package cataloger).
func (PackageLock) Claims(p string, _ fs.FileMode) bool {
	b := path.Base(p)
	return (b == "package-lock.json" || b == "npm-shrinkwrap.json") && !catalog.InNodeModules(p)
}

// lockEntry is one value of "packages" (v2, v3).
type lockEntry struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Resolved             string            `json:"resolved"`
	Integrity            string            `json:"integrity"`
	Link                 bool              `json:"link"`
	Dev                  bool              `json:"dev"`
	Optional             bool              `json:"optional"`
	DevOptional          bool              `json:"devOptional"`
	Peer                 bool              `json:"peer"`
	InBundle             bool              `json:"inBundle"`
	License              license           `json:"license"`
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
}

// v1Dep is one value of lockfileVersion 1's nested "dependencies".
type v1Dep struct {
	Version      string            `json:"version"`
	Resolved     string            `json:"resolved"`
	Integrity    string            `json:"integrity"`
	Dev          bool              `json:"dev"`
	Optional     bool              `json:"optional"`
	Bundled      bool              `json:"bundled"`
	Requires     map[string]string `json:"requires"`
	Dependencies map[string]v1Dep  `json:"dependencies"`
}

type located struct {
	key  string
	line int
	e    lockEntry
}

// Catalog implements catalog.Cataloger.
func (c PackageLock) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	entries, v1, err := decodeLock(b)
	if err != nil {
		return nil, fmt.Errorf("parse package lock: %w", err)
	}
	if entries == nil && v1 != nil {
		entries = flattenV1(v1)
		// lockfileVersion 1 records no root entry: the package.json beside
		// it says what is direct.
		if m, ok := readManifest(fsys, path.Dir(p)); ok {
			entries = append(entries, located{key: "", e: lockEntry{
				Dependencies: m.Dependencies, DevDependencies: m.DevDependencies,
				OptionalDependencies: m.OptionalDependencies, PeerDependencies: m.PeerDependencies,
			}})
		}
	}
	return lockResult(entries, p), nil
}

// decodeLock decodes a package lock's "packages" entries (in file order,
// with the line of each key) or its lockfileVersion 1 "dependencies" tree.
// A valid JSON document is walked directly (decodeLockValid); anything else
// goes through decodeLockStream, which reports what is wrong.
func decodeLock(b []byte) ([]located, map[string]v1Dep, error) {
	if json.Valid(b) {
		return decodeLockValid(b)
	}
	return decodeLockStream(b)
}

// decodeLockStream streams the top-level object with encoding/json's
// Decoder, keeping the byte offset of every "packages" key for line numbers.
// It is the reference decodeLockValid is tested against, and it reads what
// json.Valid rejects (a lockfile followed by trailing bytes) as it always
// has.
func decodeLockStream(b []byte) ([]located, map[string]v1Dep, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, nil, err
	}
	var (
		entries  []located
		havePkgs bool
		legacy   json.RawMessage
		lines    = lineIndex{b: b}
	)
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		key, _ := k.(string)
		switch key {
		case "packages":
			havePkgs = true
			if err := expectDelim(dec, '{'); err != nil {
				return nil, nil, fmt.Errorf("packages: %w", err)
			}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return entries, nil, err
				}
				pk, _ := kt.(string)
				line := lines.at(int(dec.InputOffset()))
				var e lockEntry
				if err := dec.Decode(&e); err != nil {
					return entries, nil, fmt.Errorf("packages[%q]: %w", pk, err)
				}
				entries = append(entries, located{key: pk, line: line, e: e})
			}
			if _, err := dec.Token(); err != nil {
				return entries, nil, err
			}
			if entries == nil {
				entries = []located{}
			}
		case "dependencies":
			if err := dec.Decode(&legacy); err != nil {
				return entries, nil, fmt.Errorf("dependencies: %w", err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return entries, nil, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return entries, nil, err
	}
	return finishLock(entries, havePkgs, legacy)
}

// finishLock returns the entries of "packages" when there was one, or else
// the decoded lockfileVersion 1 tree.
func finishLock(entries []located, havePkgs bool, legacy []byte) ([]located, map[string]v1Dep, error) {
	if havePkgs || legacy == nil {
		if !havePkgs {
			return nil, nil, errors.New(`neither "packages" nor "dependencies": not a package lock`)
		}
		return entries, nil, nil
	}
	var v1 map[string]v1Dep
	if err := json.Unmarshal(legacy, &v1); err != nil {
		return nil, nil, fmt.Errorf("dependencies: %w", err)
	}
	if v1 == nil {
		v1 = map[string]v1Dep{}
	}
	return nil, v1, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if t != d {
		return fmt.Errorf("expected %q, found %v", d, t)
	}
	return nil
}

// flattenV1 turns the nested v1 tree into location-keyed entries, so that
// both versions share one resolution. A v1 version is either a version, an
// alias ("npm:bar@1.2.3"), or the spec of a git, file or URL dependency.
func flattenV1(root map[string]v1Dep) []located {
	var out []located
	var walk func(prefix string, deps map[string]v1Dep, depth int)
	walk = func(prefix string, deps map[string]v1Dep, depth int) {
		if depth > 200 {
			return
		}
		for _, name := range sortedKeys(deps) {
			d := deps[name]
			key := prefix + "node_modules/" + name
			e := lockEntry{Version: d.Version, Resolved: d.Resolved, Integrity: d.Integrity, Dev: d.Dev, Optional: d.Optional, InBundle: d.Bundled, Dependencies: d.Requires}
			if d.Dev && d.Optional {
				e.Optional = false
			}
			if rest, ok := strings.CutPrefix(d.Version, "npm:"); ok {
				if i := strings.LastIndexByte(rest, '@'); i > 0 {
					e.Name, e.Version = rest[:i], rest[i+1:]
				}
			} else if sourceKind(d.Version) != "" {
				spec := d.Version
				if e.Resolved == "" {
					e.Resolved = spec
				}
				e.Version = ""
				if _, frag, ok := strings.Cut(spec, "#"); ok && sourceKind(spec) == "git" {
					e.Version = frag
				}
			}
			out = append(out, located{key: key, e: e})
			walk(key+"/", d.Dependencies, depth+1)
		}
	}
	walk("", root, 0)
	return out
}

// lockResult builds packages and edges from location-keyed entries.
func lockResult(entries []located, file string) *catalog.Result {
	index := make(map[string]int, len(entries))
	for i, l := range entries {
		index[l.key] = i
	}
	// Names of link targets, from the node_modules key that links them.
	linkName := map[string]string{}
	for _, l := range entries {
		if l.e.Link && l.e.Resolved != "" {
			if n := keyName(l.key); n != "" {
				linkName[path.Clean(l.e.Resolved)] = n
			}
		}
	}
	res := &catalog.Result{Packages: make([]sbom.Package, 0, len(entries))}
	pkgOf := make([]int, len(entries)) // entry index -> package index, -1 for none
	bundled := 0
	for i, l := range entries {
		pkgOf[i] = -1
		e := &l.e
		if l.key == "" || e.Link {
			continue
		}
		local := !strings.Contains("/"+l.key, "/node_modules/")
		name := e.Name
		if name == "" {
			if local {
				name = linkName[l.key]
				if name == "" {
					name = path.Base(l.key)
				}
			} else {
				name = keyName(l.key)
			}
		}
		if name == "" {
			continue
		}
		pkg := newPackage(name, e.Version, file, l.line)
		if !local {
			if alias := keyName(l.key); alias != name {
				pkg.SetProperty(propAlias, alias)
			}
		}
		pkg.Licenses = licenseExpr(e.License.exprs)
		pkg.Hashes = catalog.ParseSRI(e.Integrity)
		switch {
		case e.DevOptional:
			pkg.Scope = sbom.ScopeOptional
		case e.Dev:
			pkg.Scope = sbom.ScopeDev
		case e.Optional:
			pkg.Scope = sbom.ScopeOptional
		}
		if e.Peer {
			pkg.SetProperty(propPeer, "true")
		}
		if e.InBundle {
			pkg.SetProperty(PropBundled, "true")
			bundled++
		}
		if local {
			pkg.SourceKind = "link"
			pkg.ResolvedURL = "file:" + l.key
			if _, isMember := linkName[l.key]; isMember {
				pkg.SetProperty(propWorkspace, "true")
				pkg.Direct = true
			}
		} else if e.Resolved != "" {
			pkg.ResolvedURL = e.Resolved
			pkg.SourceKind = sourceKind(e.Resolved)
			if pkg.SourceKind == "path" {
				pkg.SourceKind = "link"
			}
		}
		pkgOf[i] = len(res.Packages)
		res.Packages = append(res.Packages, pkg)
	}
	if bundled > 0 {
		unbundle(res.Packages)
	}
	// resolve finds the entry a dependency name means from location key,
	// following links to their target.
	var kb []byte // the key tried, built without allocating
	resolve := func(from, name string) int {
		for dir := from; ; {
			kb = kb[:0]
			if dir != "" {
				kb = append(append(kb, dir...), '/')
			}
			kb = append(append(kb, "node_modules/"...), name...)
			if j, ok := index[string(kb)]; ok {
				for hops := 0; entries[j].e.Link && hops < 4; hops++ {
					t, ok := index[path.Clean(entries[j].e.Resolved)]
					if !ok {
						return -1
					}
					j = t
				}
				return j
			}
			if dir == "" {
				return -1
			}
			dir = parentDir(dir)
		}
	}
	var seen []int // packages the current entry has an edge to
	for i := range entries {
		l := &entries[i]
		e := &l.e
		if e.Link {
			continue
		}
		local := l.key == "" || !strings.Contains("/"+l.key, "/node_modules/")
		from := pkgOf[i]
		seen = seen[:0]
		declare := func(deps map[string]string) {
			for _, name := range sortedKeys(deps) {
				j := resolve(l.key, name)
				if j < 0 || pkgOf[j] < 0 {
					continue
				}
				to := pkgOf[j]
				if local {
					res.Packages[to].Direct = true
				}
				if from < 0 || from == to || slices.Contains(seen, to) {
					continue
				}
				seen = append(seen, to)
				res.Relationships = append(res.Relationships, sbom.Relationship{From: res.Packages[from].ID, To: res.Packages[to].ID})
			}
		}
		declare(e.Dependencies)
		declare(e.OptionalDependencies)
		declare(e.PeerDependencies)
		if local {
			// devDependencies are installed only for the root and
			// workspace members.
			declare(e.DevDependencies)
		}
	}
	return res
}

// keyName returns the package name a location key installs: the part after
// its last "node_modules/".
func keyName(key string) string {
	i := strings.LastIndex(key, "node_modules/")
	if i < 0 || (i > 0 && key[i-1] != '/') {
		return ""
	}
	return key[i+len("node_modules/"):]
}

// parentDir returns the next directory Node looks in above dir: the
// enclosing package's location, skipping node_modules and @scope levels.
func parentDir(dir string) string {
	for {
		i := strings.LastIndexByte(dir, '/')
		if i < 0 {
			return ""
		}
		dir = dir[:i]
		b := dir[strings.LastIndexByte(dir, '/')+1:]
		if b != "node_modules" && !strings.HasPrefix(b, "@") {
			return dir
		}
	}
}

// unbundle drops PropBundled from a package that is also installed
// unbundled elsewhere in the lockfile: the packages merge into one, and
// that copy needs its own integrity.
func unbundle(pkgs []sbom.Package) {
	loose := map[string]bool{}
	for i := range pkgs {
		if pkgs[i].Properties[PropBundled] == "" {
			loose[pkgs[i].Key()] = true
		}
	}
	for i := range pkgs {
		if pkgs[i].Properties[PropBundled] != "" && loose[pkgs[i].Key()] {
			delete(pkgs[i].Properties, PropBundled)
		}
	}
}
