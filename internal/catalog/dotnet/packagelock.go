package dotnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// PropTargetFrameworks lists the target frameworks (and runtime
// identifiers) a NuGet package is restored for, comma-separated
// ("net8.0,net8.0/linux-x64").
const PropTargetFrameworks = "hallmark:nuget:target-frameworks"

// PackagesLock reads NuGet lock files, packages.lock.json
// (https://learn.microsoft.com/nuget/consume-packages/package-references-in-project-files#locking-dependencies),
// version 1 and 2:
//
//	{"version": 1, "dependencies": {"net8.0": {"Serilog": {"type": "Direct",
//	  "requested": "[3.1.1, )", "resolved": "3.1.1", "contentHash": "<base64 SHA-512>",
//	  "dependencies": {"Serilog.Sinks": "3.0.0"}}, ...}, "net8.0/linux-x64": {...}}}
//
// Every entry of every target framework (and runtime-specific section) is a
// package at its "resolved" version; the sections are merged, so a package
// restored for two frameworks at one version is one package, at two versions
// two. Entry types: "Direct" (a PackageReference of the project: Direct),
// "Transitive" and "CentralTransitive" (pinned by central package management
// but not referenced: not direct), "Project" (a ProjectReference: another
// project of the same repository, cataloged from its own lock file, so it is
// not emitted as a NuGet package; its edges are left out with it).
// contentHash becomes a SHA-512 hash. A package's "dependencies" record the
// lower bound it asked for; edges go to the version the same section
// resolved. The lock file says nothing about development-only packages, so
// every package has runtime scope.
type PackagesLock struct{}

// Name implements catalog.Cataloger.
func (PackagesLock) Name() string { return "nuget-packages-lock" }

// Claims implements catalog.Cataloger.
func (PackagesLock) Claims(p string, _ fs.FileMode) bool {
	// packages.lock.json, or packages.<project>.lock.json, the name NuGet
	// documents for several projects sharing a directory.
	base := path.Base(p)
	return strings.HasPrefix(base, "packages.") && strings.HasSuffix(base, ".lock.json")
}

type lockEntry struct {
	Type         string            `json:"type"`
	Resolved     string            `json:"resolved"`
	ContentHash  string            `json:"contentHash"`
	Dependencies map[string]string `json:"dependencies"`
}

// Catalog implements catalog.Cataloger.
func (PackagesLock) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	lines := newLineIndex(b)
	dec := json.NewDecoder(bytes.NewReader(b))

	type item struct {
		name string
		line int
		e    lockEntry
	}
	type section struct {
		fw    string
		items []item
	}
	var sections []section
	sawDeps := false
	err = object(dec, func(key string) error {
		if key != "dependencies" {
			return skip(dec)
		}
		sawDeps = true
		return object(dec, func(fw string) error {
			s := section{fw: fw}
			err := object(dec, func(name string) error {
				line := lines.line(dec.InputOffset() - 1)
				var e lockEntry
				if err := dec.Decode(&e); err != nil {
					return fmt.Errorf("%s %s: %w", fw, name, err)
				}
				s.items = append(s.items, item{name, line, e})
				if len(s.items)%256 == 0 {
					return ctx.Err()
				}
				return nil
			})
			sections = append(sections, s)
			return err
		})
	})
	if err == nil && !sawDeps {
		err = errors.New(`no "dependencies" object`)
	}
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}

	res := &catalog.Result{}
	index := map[string]int{} // pkgKey -> index into res.Packages
	for _, s := range sections {
		// Names resolved in this section, for the edges.
		resolved := map[string]string{}
		for _, it := range s.items {
			if it.e.Type != "Project" && it.e.Resolved != "" && strings.TrimSpace(it.name) != "" {
				resolved[strings.ToLower(it.name)] = it.e.Resolved
			}
		}
		for _, it := range s.items {
			if it.e.Type == "Project" {
				continue
			}
			if strings.TrimSpace(it.name) == "" {
				errs = append(errs, fmt.Errorf("%s (line %d): package without a name", s.fw, it.line))
				continue
			}
			if it.e.Resolved == "" {
				errs = append(errs, fmt.Errorf("%s %s (line %d): no resolved version", s.fw, it.name, it.line))
				continue
			}
			k := pkgKey(it.name, it.e.Resolved)
			i, ok := index[k]
			if !ok {
				pk := nugetPackage(it.name, it.e.Resolved, p, it.line)
				pk.Hashes = sha512Hash(it.e.ContentHash)
				pk.Properties = map[string]string{PropTargetFrameworks: s.fw}
				i = len(res.Packages)
				index[k] = i
				res.Packages = append(res.Packages, pk)
			} else {
				pk := &res.Packages[i]
				fws := strings.Split(pk.Properties[PropTargetFrameworks], ",")
				if !slices.Contains(fws, s.fw) {
					pk.Properties[PropTargetFrameworks] += "," + s.fw
				}
				if len(pk.Hashes) == 0 {
					pk.Hashes = sha512Hash(it.e.ContentHash)
				}
			}
			if it.e.Type == "Direct" {
				res.Packages[i].Direct = true
			}
		}
		for _, it := range s.items {
			if it.e.Type == "Project" || it.e.Resolved == "" || strings.TrimSpace(it.name) == "" {
				continue
			}
			from := res.Packages[index[pkgKey(it.name, it.e.Resolved)]].Key()
			names := make([]string, 0, len(it.e.Dependencies))
			for dep := range it.e.Dependencies {
				names = append(names, dep)
			}
			slices.Sort(names)
			for _, dep := range names {
				v, ok := resolved[strings.ToLower(dep)]
				if !ok {
					continue // a project reference, or a dependency outside this section
				}
				to := res.Packages[index[pkgKey(dep, v)]].Key()
				res.Relationships = append(res.Relationships, sbom.Relationship{From: from, To: to})
			}
		}
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("parse %s: %w", p, errors.Join(errs...))
	}
	return res, nil
}

// object reads a JSON object from dec, calling f with each key while the
// decoder stands before the value; f must consume the value.
func object(dec *json.Decoder, f func(key string) error) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("expected an object, found %v", t)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := t.(string)
		if !ok {
			return fmt.Errorf("expected a key, found %v", t)
		}
		if err := f(key); err != nil {
			return err
		}
	}
	_, err = dec.Token() // '}'
	return err
}

// skip consumes one JSON value.
func skip(dec *json.Decoder) error {
	var v json.RawMessage
	return dec.Decode(&v)
}
