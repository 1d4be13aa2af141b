package python

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/tomldoc"
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// PipfileLock reads Pipenv's Pipfile.lock
// (https://pipenv.pypa.io/en/latest/pipfile.html, pipfile-spec 6).
//
//   - Sections: "default" packages are runtime dependencies, "develop"
//     packages ScopeDev; Pipenv 2023+ allows further named categories, which
//     are ScopeDev too (a category named for tests is ScopeTest). A package
//     locked at the same version in several sections is one package with the
//     most needed scope and the sections in hallmark:python:groups.
//   - Version: the "==x" pin. Hashes: every "sha256:..." listed.
//   - git/path/file entries have SourceKind "git"/"path"/"url" and
//     ResolvedURL. An editable entry at path "." is the project itself, not a
//     dependency, and is left out.
//   - Direct: Pipfile.lock has no dependency graph; a package is Direct when
//     the Pipfile beside it declares it ([packages], [dev-packages], custom
//     categories). Without a Pipfile nothing is marked Direct.
//   - No edges: the format records none.
type PipfileLock struct{}

// Name implements catalog.Cataloger.
func (PipfileLock) Name() string { return "python-pipfile-lock" }

// Claims implements catalog.Cataloger.
func (PipfileLock) Claims(p string, mode fs.FileMode) bool {
	return path.Base(p) == "Pipfile.lock" && !catalog.InNodeModules(p)
}

type pipfileEntry struct {
	Version  string   `json:"version"`
	Hashes   []string `json:"hashes"`
	Markers  string   `json:"markers"`
	Index    string   `json:"index"`
	Extras   []string `json:"extras"`
	Git      string   `json:"git"`
	Ref      string   `json:"ref"`
	Path     string   `json:"path"`
	File     string   `json:"file"`
	Editable bool     `json:"editable"`
}

type pipfileMeta struct {
	Sources []struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	} `json:"sources"`
}

// Catalog implements catalog.Cataloger.
func (PipfileLock) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	data, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("parse Pipfile.lock: %w", err)
	}
	var meta pipfileMeta
	if raw, ok := top["_meta"]; ok {
		if err := json.Unmarshal(raw, &meta); err != nil {
			return nil, fmt.Errorf("parse Pipfile.lock _meta: %w", err)
		}
	}
	indexes := map[string]string{}
	for _, s := range meta.Sources {
		indexes[s.Name] = s.URL
	}
	sections := make([]string, 0, len(top))
	for k := range top {
		if k != "_meta" {
			sections = append(sections, k)
		}
	}
	// default first, develop second, then custom categories by name.
	slices.SortFunc(sections, func(a, b string) int {
		ra, rb := sectionRank(a), sectionRank(b)
		if ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	lines := pipfileLines(data)
	declaredNames := readPipfile(fsys, p)

	res := &catalog.Result{}
	byID := map[string]int{}
	for _, sec := range sections {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var entries map[string]pipfileEntry
		if err := json.Unmarshal(top[sec], &entries); err != nil {
			return nil, fmt.Errorf("parse Pipfile.lock section %q: %w", sec, err)
		}
		names := make([]string, 0, len(entries))
		for n := range entries {
			names = append(names, n)
		}
		slices.Sort(names)
		scope := sbom.ScopeRequired
		if sec != "default" {
			scope = scopeForGroups([]string{sec})
			if sec == "develop" {
				scope = sbom.ScopeDev
			}
		}
		for _, name := range names {
			e := entries[name]
			if e.Editable && (e.Path == "." || e.Path == "./") {
				continue // the project itself
			}
			if name == "" || reqName.FindString(name) != name {
				continue
			}
			pkg := newPackage(name, pinnedVersion(e.Version), p, lines[sec+"\x00"+name])
			if e.Version != "" && pkg.Version == "" && e.Version != "*" {
				pkg.SetProperty(propConstraint, e.Version)
			}
			pkg.Scope = scope
			switch {
			case e.Git != "":
				pkg.SourceKind = "git"
				pkg.ResolvedURL = "git+" + strings.TrimPrefix(e.Git, "git+")
				if e.Ref != "" {
					pkg.ResolvedURL += "@" + e.Ref
				}
			case e.Path != "":
				pkg.SourceKind, pkg.ResolvedURL = "path", e.Path
			case e.File != "":
				pkg.SourceKind, pkg.ResolvedURL = urlKind(e.File), e.File
			}
			if e.Editable {
				pkg.SetProperty(propEditable, "true")
			}
			if u := indexes[e.Index]; u != "" && !strings.HasPrefix(u, "https://pypi.org/") && pkg.SourceKind == "" {
				pkg.SetProperty(propIndexURL, u)
			}
			pkg.SetProperty(propMarker, e.Markers)
			pkg.SetProperty(propExtras, strings.Join(e.Extras, ","))
			pkg.SetProperty(propGroups, sec)
			for _, h := range e.Hashes {
				addHash(&pkg, h)
			}
			pkg.Direct = declaredNames[purl.NormalizePyPI(name)]
			if i, ok := byID[pkg.ID]; ok {
				prev := &res.Packages[i]
				if pkg.Scope.Rank() < prev.Scope.Rank() {
					prev.Scope = pkg.Scope
				}
				prev.SetProperty(propGroups, strings.Trim(prev.Properties[propGroups]+","+sec, ","))
				if l := pkg.Locations[0]; !slices.Contains(prev.Locations, l) {
					prev.Locations = append(prev.Locations, l)
				}
				for _, h := range pkg.Hashes {
					if !slices.Contains(prev.Hashes, h) {
						prev.Hashes = append(prev.Hashes, h)
					}
				}
				continue
			}
			byID[pkg.ID] = len(res.Packages)
			res.Packages = append(res.Packages, pkg)
		}
	}
	return res, nil
}

func sectionRank(s string) int {
	switch s {
	case "default":
		return 0
	case "develop":
		return 1
	}
	return 2
}

// pipfileLines finds the line of each package entry. Pipenv writes the lock
// with json.dumps(indent=4): sections at 4 spaces, packages at 8. The key is
// section + "\x00" + name; a hand-formatted file simply gets no lines.
func pipfileLines(data []byte) map[string]int {
	out := map[string]int{}
	sec := ""
	for n, l := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(l, `    "`) && !strings.HasPrefix(l, `     `):
			if k, ok := jsonKey(l[4:]); ok {
				sec = k
			}
		case strings.HasPrefix(l, `        "`) && !strings.HasPrefix(l, `         `):
			if k, ok := jsonKey(l[8:]); ok {
				out[sec+"\x00"+k] = n + 1
			}
		}
	}
	return out
}

// jsonKey reads `"key": {` at the start of s.
func jsonKey(s string) (string, bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", false
	}
	end := strings.Index(s[1:], `"`)
	if end < 0 || !strings.HasPrefix(strings.TrimSpace(s[end+2:]), ":") {
		return "", false
	}
	return s[1 : end+1], true
}

// readPipfile returns the normalised names the Pipfile beside a lock
// declares, in any category; nil when there is no readable Pipfile.
func readPipfile(fsys fs.FS, lockPath string) map[string]bool {
	data, err := catalog.ReadFile(fsys, path.Join(path.Dir(lockPath), "Pipfile"))
	if err != nil {
		return nil
	}
	var pf map[string]any
	if _, err := tomldoc.Decode(data, &pf); err != nil {
		return nil
	}
	out := map[string]bool{}
	for sec, v := range pf {
		switch sec {
		case "source", "requires", "scripts", "pipenv":
			continue
		}
		if m, ok := v.(map[string]any); ok {
			for name := range m {
				out[purl.NormalizePyPI(name)] = true
			}
		}
	}
	return out
}
