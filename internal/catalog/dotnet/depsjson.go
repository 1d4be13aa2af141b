package dotnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// PropLibraryType is set to "runtimepack" on the .NET runtime pack of a
// self-contained application.
const PropLibraryType = "hallmark:nuget:library-type"

// DepsJSON reads .NET runtime dependency manifests, <app>.deps.json
// (https://github.com/dotnet/sdk/blob/main/documentation/specs/runtime-configuration-file.md),
// which the SDK writes next to every built and published application:
//
//	{"runtimeTarget": {"name": ".NETCoreApp,Version=v8.0"},
//	 "targets": {".NETCoreApp,Version=v8.0": {"WebApp/1.0.0": {"dependencies": {"Serilog": "3.1.1"}, ...},
//	                                          "Serilog/3.1.1": {...}}},
//	 "libraries": {"WebApp/1.0.0": {"type": "project"},
//	               "Serilog/3.1.1": {"type": "package", "sha512": "sha512-<base64>", "path": "serilog/3.1.1"}}}
//
// Libraries of type "package" are NuGet packages, with the SHA-512 of the
// .nupkg as a hash. A "runtimepack" library (the .NET runtime bundled
// into a self-contained application, "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0")
// is the NuGet package named after the prefix, since advisories for the
// runtime name those packages; it is marked with PropLibraryType. "project"
// libraries (the application and the projects it references) and
// "reference" libraries (bare assemblies) are not NuGet packages and are
// left out. Packages that a project library depends on are Direct. Edges come
// from the targets' "dependencies", which name exact versions, and are kept
// between packages.
type DepsJSON struct{}

// Name implements catalog.Cataloger.
func (DepsJSON) Name() string { return "dotnet-deps-json" }

// Claims implements catalog.Cataloger.
func (DepsJSON) Claims(p string, _ fs.FileMode) bool {
	return strings.HasSuffix(p, ".deps.json")
}

type depsLibrary struct {
	Type   string `json:"type"`
	SHA512 string `json:"sha512"`
	Path   string `json:"path"`
}

type depsTarget struct {
	Dependencies map[string]string `json:"dependencies"`
}

// Catalog implements catalog.Cataloger.
func (DepsJSON) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	lines := newLineIndex(b)
	dec := json.NewDecoder(bytes.NewReader(b))

	type lib struct {
		key  string // "Name/Version" as written
		line int
		depsLibrary
	}
	var libs []lib
	targets := map[string]map[string]string{} // "name/version" lower-cased -> its dependencies, all targets merged
	sawLibs := false
	n := 0
	err = object(dec, func(key string) error {
		switch key {
		case "libraries":
			sawLibs = true
			return object(dec, func(k string) error {
				line := lines.line(dec.InputOffset() - 1)
				var l depsLibrary
				if err := dec.Decode(&l); err != nil {
					return fmt.Errorf("libraries %s: %w", k, err)
				}
				libs = append(libs, lib{k, line, l})
				return nil
			})
		case "targets":
			return object(dec, func(fw string) error {
				return object(dec, func(k string) error {
					var t depsTarget
					if err := dec.Decode(&t); err != nil {
						return fmt.Errorf("targets %s %s: %w", fw, k, err)
					}
					if n++; n%256 == 0 && ctx.Err() != nil {
						return ctx.Err()
					}
					lk := strings.ToLower(k)
					if targets[lk] == nil {
						targets[lk] = map[string]string{}
					}
					for dn, dv := range t.Dependencies {
						targets[lk][dn] = dv
					}
					return nil
				})
			})
		default:
			return skip(dec)
		}
	})
	if err == nil && !sawLibs {
		err = errors.New(`no "libraries" object`)
	}
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}

	res := &catalog.Result{}
	ids := map[string]string{} // lower-cased "name/version" -> package ID
	var projects []string
	for _, l := range libs {
		name, version, ok := strings.Cut(l.key, "/")
		if !ok || name == "" || version == "" {
			errs = append(errs, fmt.Errorf("library %q (line %d) is not name/version", l.key, l.line))
			continue
		}
		var pk sbom.Package
		switch l.Type {
		case "package":
			pk = nugetPackage(name, version, p, l.line)
			pk.Hashes = sha512Hash(strings.TrimPrefix(l.SHA512, "sha512-"))
		case "runtimepack":
			pk = nugetPackage(strings.TrimPrefix(name, "runtimepack."), version, p, l.line)
			pk.Properties = map[string]string{PropLibraryType: "runtimepack"}
		case "project":
			projects = append(projects, strings.ToLower(l.key))
			continue
		default: // "reference", "referenceassembly", "msbuildproject"
			continue
		}
		k := strings.ToLower(l.key)
		if _, dup := ids[k]; dup {
			continue
		}
		ids[k] = pk.Key()
		res.Packages = append(res.Packages, pk)
	}
	byID := map[string]int{}
	for i := range res.Packages {
		byID[res.Packages[i].Key()] = i
	}
	for _, proj := range projects {
		for dn, dv := range targets[proj] {
			if id, ok := ids[strings.ToLower(dn+"/"+dv)]; ok {
				res.Packages[byID[id]].Direct = true
			}
		}
	}
	keys := make([]string, 0, len(targets))
	for k := range targets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		from, ok := ids[k]
		if !ok {
			continue
		}
		deps := make([]string, 0, len(targets[k]))
		for dn, dv := range targets[k] {
			deps = append(deps, strings.ToLower(dn+"/"+dv))
		}
		slices.Sort(deps)
		for _, d := range deps {
			if to, ok := ids[d]; ok {
				res.Relationships = append(res.Relationships, sbom.Relationship{From: from, To: to})
			}
		}
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("parse %s: %w", p, errors.Join(errs...))
	}
	return res, nil
}
