package npm

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// view is the part of a package the fixture tests compare.
type view struct {
	Version  string
	Direct   bool
	Scope    sbom.Scope
	Kind     string
	Resolved string
	License  []string
	Alias    string
	NHashes  int
}

func views(res *catalog.Result) map[string]view {
	out := map[string]view{}
	for _, p := range res.Packages {
		out[p.Name+"@"+p.Version] = view{
			Version: p.Version, Direct: p.Direct, Scope: p.Scope, Kind: p.SourceKind,
			Resolved: p.ResolvedURL, License: p.Licenses, Alias: p.Properties[propAlias], NHashes: len(p.Hashes),
		}
	}
	return out
}

// edges returns res's edges as "name@version -> name@version".
func edges(res *catalog.Result) []string {
	name := map[string]string{}
	for _, p := range res.Packages {
		name[p.ID] = p.Name + "@" + p.Version
	}
	var out []string
	for _, r := range res.Relationships {
		out = append(out, name[r.From]+" -> "+name[r.To])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestPackageLockV3Fixture(t *testing.T) {
	res := catalogtest.Run(t, PackageLock{}, filepath.Join("testdata", "lockv3", "package-lock.json"))
	catalogtest.CheckInvariants(t, res)
	const reg = "https://registry.npmjs.org/"
	want := map[string]view{
		"local-lib@0.3.0": {Version: "0.3.0", Direct: true, Kind: "link", Resolved: "file:../local-lib", License: []string{"ISC"}},
		"@shop/api@0.9.0": {Version: "0.9.0", Direct: true, Kind: "link", Resolved: "file:packages/api"},
		"debug@4.3.4":     {Version: "4.3.4", Direct: true, Scope: sbom.ScopeDev, Resolved: reg + "debug/-/debug-4.3.4.tgz", License: []string{"MIT"}, NHashes: 1},
		"ms@2.1.2":        {Version: "2.1.2", Scope: sbom.ScopeDev, Resolved: reg + "ms/-/ms-2.1.2.tgz", License: []string{"MIT"}, NHashes: 1},
		"ms@2.1.3":        {Version: "2.1.3", Direct: true, Resolved: reg + "ms/-/ms-2.1.3.tgz", License: []string{"MIT"}, NHashes: 1},
		"fsevents@2.3.3":  {Version: "2.3.3", Direct: true, Scope: sbom.ScopeOptional, Resolved: reg + "fsevents/-/fsevents-2.3.3.tgz", License: []string{"MIT"}, NHashes: 1},
		"left-pad@1.3.0":  {Version: "1.3.0", Direct: true, Kind: "git", Resolved: "git+ssh://git@github.com/left-pad/left-pad.git#5d4b8e2f39d4d0b4f0a5c1bd9b2b34bc7a4f8f35", License: []string{"WTFPL"}},
		"lodash@3.10.1":   {Version: "3.10.1", Direct: true, Resolved: reg + "lodash/-/lodash-3.10.1.tgz", License: []string{"MIT"}, Alias: "old-lodash", NHashes: 1},
		"remote@2.0.0":    {Version: "2.0.0", Direct: true, Kind: "url", Resolved: "https://example.com/remote-2.0.0.tgz", License: []string{"Apache-2.0"}, NHashes: 1},
		"react@18.2.0":    {Version: "18.2.0", Direct: true, Resolved: reg + "react/-/react-18.2.0.tgz", License: []string{"MIT"}, NHashes: 1},
		"vendored@1.0.0":  {Version: "1.0.0", Direct: true, Kind: "file", Resolved: "file:vendor/vendored-1.0.0.tgz", NHashes: 1},
	}
	if diff := cmp.Diff(want, views(res)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	wantEdges := []string{
		"@shop/api@0.9.0 -> debug@4.3.4", // a workspace member's devDependency
		"@shop/api@0.9.0 -> ms@2.1.3",
		"@shop/api@0.9.0 -> react@18.2.0", // peer
		"debug@4.3.4 -> ms@2.1.2",         // nested node_modules wins
		"local-lib@0.3.0 -> ms@2.1.3",     // resolved from the link target up to the root
	}
	if diff := cmp.Diff(wantEdges, edges(res)); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
	if p := catalogtest.Find(res, "debug"); len(p) != 1 || p[0].Locations[0].Line != 38 {
		t.Errorf("debug location = %+v, want line 38", p)
	}
}

func TestPackageLockV1Fixture(t *testing.T) {
	res := catalogtest.Run(t, PackageLock{}, filepath.Join("testdata", "lockv1", "package-lock.json"))
	catalogtest.CheckInvariants(t, res)
	const reg = "https://registry.npmjs.org/"
	want := map[string]view{
		"accepts@1.3.8":     {Version: "1.3.8", Direct: true, Resolved: reg + "accepts/-/accepts-1.3.8.tgz", NHashes: 1},
		"mime-types@2.1.35": {Version: "2.1.35", Resolved: reg + "mime-types/-/mime-types-2.1.35.tgz", NHashes: 1},
		"mime-db@1.52.0":    {Version: "1.52.0", Resolved: reg + "mime-db/-/mime-db-1.52.0.tgz", NHashes: 1},
		"negotiator@0.6.3":  {Version: "0.6.3", Resolved: reg + "negotiator/-/negotiator-0.6.3.tgz", NHashes: 1},
		"mocha@10.2.0":      {Version: "10.2.0", Direct: true, Scope: sbom.ScopeDev, Resolved: reg + "mocha/-/mocha-10.2.0.tgz", NHashes: 1},
		"ms@2.1.3":          {Version: "2.1.3", Scope: sbom.ScopeDev, Resolved: reg + "ms/-/ms-2.1.3.tgz", NHashes: 1},
		"ms@2.0.0":          {Version: "2.0.0", Direct: true, Resolved: reg + "ms/-/ms-2.0.0.tgz", NHashes: 1},
		"underscore@1.8.3":  {Version: "1.8.3", Direct: true, Resolved: reg + "underscore/-/underscore-1.8.3.tgz", Alias: "underscore-old", NHashes: 1},
		"gitdep@0b7e1f0c9e1d8a2c4d3b5f6a7e8c9d0e1f2a3b4c": {Version: "0b7e1f0c9e1d8a2c4d3b5f6a7e8c9d0e1f2a3b4c", Direct: true, Kind: "git",
			Resolved: "git+https://github.com/example/gitdep.git#0b7e1f0c9e1d8a2c4d3b5f6a7e8c9d0e1f2a3b4c"},
	}
	if diff := cmp.Diff(want, views(res)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	wantEdges := []string{
		"accepts@1.3.8 -> mime-types@2.1.35",
		"accepts@1.3.8 -> negotiator@0.6.3",
		"mime-types@2.1.35 -> mime-db@1.52.0",
		"mocha@10.2.0 -> ms@2.1.3",
	}
	if diff := cmp.Diff(wantEdges, edges(res)); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
}

func TestPNPMV6Fixture(t *testing.T) {
	res := catalogtest.Run(t, PNPMLock{}, filepath.Join("testdata", "pnpmv6", "pnpm-lock.yaml"))
	catalogtest.CheckInvariants(t, res)
	want := map[string]view{
		"fsevents@2.3.3":     {Version: "2.3.3", Direct: true, Scope: sbom.ScopeOptional, NHashes: 1},
		"js-tokens@4.0.0":    {Version: "4.0.0", NHashes: 1},
		"lodash@3.10.1":      {Version: "3.10.1", Direct: true, NHashes: 1},
		"loose-envify@1.4.0": {Version: "1.4.0", Direct: true, NHashes: 1},
		"react-dom@18.2.0":   {Version: "18.2.0", Direct: true, NHashes: 1},
		"react@18.2.0":       {Version: "18.2.0", Direct: true, NHashes: 1},
		"scheduler@0.23.0":   {Version: "0.23.0", NHashes: 1},
		"typescript@5.2.2":   {Version: "5.2.2", Direct: true, Scope: sbom.ScopeDev, NHashes: 1},
		"tiny@0.1.0":         {Version: "0.1.0", Direct: true, Kind: "git", Resolved: "https://codeload.github.com/example/tiny/tar.gz/2f1c0a8b8b7a6f0e4d3c2b1a09f8e7d6c5b4a3f2"},
	}
	if diff := cmp.Diff(want, views(res)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	wantEdges := []string{
		"loose-envify@1.4.0 -> js-tokens@4.0.0",
		"react-dom@18.2.0 -> loose-envify@1.4.0",
		"react-dom@18.2.0 -> react@18.2.0", // the peer, kept as an edge
		"react-dom@18.2.0 -> scheduler@0.23.0",
		"react@18.2.0 -> loose-envify@1.4.0",
		"scheduler@0.23.0 -> loose-envify@1.4.0",
	}
	if diff := cmp.Diff(wantEdges, edges(res)); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
}

func TestYarnV1Fixture(t *testing.T) {
	res := catalogtest.Run(t, YarnLock{}, filepath.Join("testdata", "yarnv1", "yarn.lock"))
	catalogtest.CheckInvariants(t, res)
	const reg = "https://registry.yarnpkg.com/"
	want := map[string]view{
		"@babel/code-frame@7.22.5": {Version: "7.22.5", Direct: true, Resolved: reg + "@babel/code-frame/-/code-frame-7.22.5.tgz#234d98e1551960604f1246e6475891a570ad5658", NHashes: 1},
		// A dev dependency of the root that a runtime package also needs
		// is runtime.
		"@babel/highlight@7.22.5": {Version: "7.22.5", Direct: true, Resolved: reg + "@babel/highlight/-/highlight-7.22.5.tgz#aa6c05c5407a67ebce408162b7ede789b4d22031", NHashes: 1},
		// No integrity: the SHA-1 in the URL fragment.
		"js-tokens@4.0.0": {Version: "4.0.0", Resolved: reg + "js-tokens/-/js-tokens-4.0.0.tgz#19203fb59991df98e3a287050d4647cdeaf32499", NHashes: 1},
		"left-pad@1.3.0":  {Version: "1.3.0", Direct: true, Kind: "git", Resolved: "git+https://github.com/left-pad/left-pad.git#5d4b8e2f39d4d0b4f0a5c1bd9b2b34bc7a4f8f35"},
		"lodash@3.10.1":   {Version: "3.10.1", Direct: true, Scope: sbom.ScopeDev, Alias: "old-lodash", Resolved: reg + "lodash/-/lodash-3.10.1.tgz#5bf45e8e49ba4189e17d482789dfd15bd140b7b6", NHashes: 1},
		"fsevents@2.3.3":  {Version: "2.3.3", Scope: sbom.ScopeOptional, Resolved: reg + "fsevents/-/fsevents-2.3.3.tgz#cac6407785d03675a2a5e1a5305c697b347d90d6", NHashes: 1},
		"watcher@1.0.0":   {Version: "1.0.0", Direct: true, Resolved: reg + "watcher/-/watcher-1.0.0.tgz#0b3d64b1a2a0e0f7d6a4a3a9e4c7c5f1b3a7e2d1", NHashes: 1},
	}
	if diff := cmp.Diff(want, views(res)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	wantEdges := []string{
		"@babel/code-frame@7.22.5 -> @babel/highlight@7.22.5",
		"@babel/highlight@7.22.5 -> js-tokens@4.0.0",
		"watcher@1.0.0 -> fsevents@2.3.3",
	}
	if diff := cmp.Diff(wantEdges, edges(res)); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
}

func TestYarnV1WithoutPackageJSON(t *testing.T) {
	b := fstest.MapFS{"yarn.lock": {Data: []byte("# yarn lockfile v1\n\nms@^2.1.3:\n  version \"2.1.3\"\n")}}
	res, err := YarnLock{}.Catalog(context.Background(), b, "yarn.lock")
	if err != nil {
		t.Fatal(err)
	}
	// No package.json: Direct and Scope are unknown and left at their
	// zero values.
	if len(res.Packages) != 1 || res.Packages[0].Direct || res.Packages[0].Scope != "" {
		t.Errorf("got %+v", res.Packages)
	}
}

func TestBerryFixture(t *testing.T) {
	res := catalogtest.Run(t, YarnLock{}, filepath.Join("testdata", "berry", "yarn.lock"))
	catalogtest.CheckInvariants(t, res)
	want := map[string]view{
		// Version from packages/web/package.json; yarn records 0.0.0-use.local.
		"@shop/web@2.4.1":    {Version: "2.4.1", Direct: true, Kind: "link", Resolved: "file:packages/web"},
		"js-tokens@4.0.0":    {Version: "4.0.0"},
		"loose-envify@1.4.0": {Version: "1.4.0"},
		"react@18.2.0":       {Version: "18.2.0", Direct: true},
		"lodash@3.10.1":      {Version: "3.10.1", Direct: true, Scope: sbom.ScopeDev, Alias: "old-lodash"},
		"tiny@0.1.0":         {Version: "0.1.0", Direct: true, Kind: "git", Resolved: "https://github.com/example/tiny.git#commit=2f1c0a8b8b7a6f0e4d3c2b1a09f8e7d6c5b4a3f2"},
		// typescript@npm and its patch: one package.
		"typescript@5.2.2": {Version: "5.2.2", Direct: true, Scope: sbom.ScopeDev},
	}
	if diff := cmp.Diff(want, views(res)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	for _, p := range res.Packages {
		if len(p.Hashes) != 0 {
			t.Errorf("%s: Berry checksums are not tarball hashes, got %v", p.ID, p.Hashes)
		}
		if p.Name == "react" && p.Properties[propChecksum] != "10c0/b562d9b569b0cb315e44b48099f7712283d93df36b19a39a67c254c6686479d3980b7f013dc931f4a5a3ae7645eae6386b4aa5eea933baa54ecd0f9acb0902b8" {
			t.Errorf("react checksum property = %q", p.Properties[propChecksum])
		}
	}
	wantEdges := []string{
		"@shop/web@2.4.1 -> react@18.2.0",
		"@shop/web@2.4.1 -> tiny@0.1.0",
		"@shop/web@2.4.1 -> typescript@5.2.2",
		"loose-envify@1.4.0 -> js-tokens@4.0.0",
		"react@18.2.0 -> loose-envify@1.4.0",
	}
	if diff := cmp.Diff(wantEdges, edges(res)); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
}
