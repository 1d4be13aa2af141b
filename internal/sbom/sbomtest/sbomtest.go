// Package sbomtest builds sbom.Documents for codec tests: the hard cases
// other tools must read from hallmark's output (npm scopes, Maven
// qualifiers, PyPI normalisation, Go modules with upper case, GitHub Actions
// with subpaths, packages without version, license expressions with WITH,
// LicenseRef-, free license text), with every field of the model set
// somewhere.
package sbomtest

import (
	"time"

	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Created is the fixed timestamp of the documents built here.
var Created = time.Date(2024, 5, 17, 12, 30, 0, 0, time.UTC)

func pkg(eco sbom.Ecosystem, name, version string, q ...string) sbom.Package {
	return sbom.Package{Ecosystem: eco, Name: name, Version: version, PURL: purl.New(eco, name, version, q...)}
}

// HardCases returns a normalized document whose packages are the hard cases.
func HardCases() *sbom.Document {
	doc := &sbom.Document{
		Name:    "webshop",
		Version: "2.1.0",
		Source:  "./webshop",
		Created: Created,
		Tools:   []sbom.Tool{{Vendor: "hallmark", Name: "hallmark", Version: "v0.1.0"}},
		Authors: []string{"ACME Release Engineering"},
	}

	express := pkg(sbom.EcosystemNPM, "express", "4.19.2")
	express.Direct = true
	express.Licenses = []string{"MIT"}
	express.Hashes = []sbom.Hash{{Algorithm: sbom.SHA512, Value: "18a980a29abd8c92f3994580f63d7c4d8c1427b874a809c5e16caf2ff822327127547bdb941d7cd3c6516e7d55c909ea2a3192843e3e1ed88266e9a299601544"}}
	express.ResolvedURL = "https://registry.npmjs.org/express/-/express-4.19.2.tgz"
	express.Locations = []sbom.Location{{Path: "package-lock.json", Line: 120}, {Path: "web/package-lock.json", Line: 33}}
	express.Properties = map[string]string{"hallmark:npm:integrity": "sha512-abc"}

	babel := pkg(sbom.EcosystemNPM, "@babel/core", "7.24.5")
	babel.Direct = true
	babel.Scope = sbom.ScopeDev
	babel.Licenses = []string{"MIT"}
	babel.Locations = []sbom.Location{{Path: "package-lock.json", Line: 40}}

	fsevents := pkg(sbom.EcosystemNPM, "fsevents", "2.3.3")
	fsevents.Scope = sbom.ScopeOptional
	fsevents.Licenses = []string{"MIT"}
	fsevents.Locations = []sbom.Location{{Path: "package-lock.json", Line: 900}}

	local := pkg(sbom.EcosystemNPM, "@acme/ui-kit", "")
	local.PURL = purl.New(sbom.EcosystemNPM, "@acme/ui-kit", "file:../ui-kit")
	local.SourceKind = "file"
	local.ResolvedURL = "../ui-kit"
	local.Direct = true
	local.Licenses = []string{"ACME Proprietary License v2 (see LICENSE.txt)"}
	local.Locations = []sbom.Location{{Path: "package-lock.json", Line: 10}}

	gitdep := pkg(sbom.EcosystemNPM, "left-pad", "1.3.0")
	gitdep.SourceKind = "git"
	gitdep.ResolvedURL = "git+ssh://git@github.com/left-pad/left-pad.git#2fca6157a7a8d6a3e5e5d9e4f6bdbd0b6e1f52c1"
	gitdep.Licenses = []string{"WTFPL OR MIT"}
	gitdep.Locations = []sbom.Location{{Path: "package-lock.json", Line: 500}}

	jackson := pkg(sbom.EcosystemMaven, "com.fasterxml.jackson.core:jackson-databind", "2.17.1", "type", "jar")
	jackson.Direct = true
	jackson.Supplier = "FasterXML"
	jackson.Licenses = []string{"Apache-2.0"}
	jackson.Hashes = []sbom.Hash{{Algorithm: sbom.SHA1, Value: "0a6c68e2a7e3e5b3e6b8f6f8c9a9e1f2d3c4b5a6"}}
	jackson.Locations = []sbom.Location{{Path: "pom.xml", Line: 51}}

	netty := pkg(sbom.EcosystemMaven, "io.netty:netty-transport-native-epoll", "4.1.109.Final", "classifier", "linux-x86_64", "type", "jar")
	netty.Licenses = []string{"Apache-2.0"}
	netty.Locations = []sbom.Location{{Path: "pom.xml"}}

	junit := pkg(sbom.EcosystemMaven, "org.junit.jupiter:junit-jupiter", "5.10.2")
	junit.Direct = true
	junit.Scope = sbom.ScopeTest
	junit.Licenses = []string{"EPL-2.0"}
	junit.Locations = []sbom.Location{{Path: "pom.xml", Line: 70}}

	classpath := pkg(sbom.EcosystemMaven, "javax.servlet:javax.servlet-api", "4.0.1")
	classpath.Licenses = []string{"CDDL-1.1 OR GPL-2.0-only WITH Classpath-exception-2.0"}
	classpath.Locations = []sbom.Location{{Path: "pom.xml", Line: 80}}

	django := pkg(sbom.EcosystemPyPI, "Django", "5.0.6")
	django.Direct = true
	django.Licenses = []string{"BSD-3-Clause"}
	django.Hashes = []sbom.Hash{{Algorithm: sbom.SHA256, Value: "8363ac062bb4ef7c3f12d078f6fa5d154031d129a15170a1066412af49d30905"}}
	django.Locations = []sbom.Location{{Path: "poetry.lock", Line: 300}}

	zope := pkg(sbom.EcosystemPyPI, "zope.interface", "6.4.post2")
	zope.Licenses = []string{"ZPL-2.1"}
	zope.Locations = []sbom.Location{{Path: "poetry.lock", Line: 1200}}

	azure := pkg(sbom.EcosystemGo, "github.com/Azure/azure-sdk-for-go/sdk/azcore", "v1.11.1")
	azure.Direct = true
	azure.Hashes = []sbom.Hash{{Algorithm: sbom.SHA256, Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}
	azure.Locations = []sbom.Location{{Path: "go.sum", Line: 3}, {Path: "go.mod", Line: 6}}

	burnt := pkg(sbom.EcosystemGo, "github.com/BurntSushi/toml", "v1.3.2")
	burnt.Locations = []sbom.Location{{Path: "go.sum", Line: 9}}

	checkout := pkg(sbom.EcosystemGitHubActions, "actions/checkout", "b4ffde65f46336ab88eb53be808477a3936bae11")
	checkout.Direct = true
	checkout.Properties = map[string]string{"hallmark:github-actions:pinned": "true", "hallmark:github-actions:ref-comment": "v4.1.1"}
	checkout.Locations = []sbom.Location{{Path: ".github/workflows/ci.yml", Line: 14}}

	codeql := pkg(sbom.EcosystemGitHubActions, "github/codeql-action/init", "v3")
	codeql.Direct = true
	codeql.Properties = map[string]string{"hallmark:github-actions:pinned": "false"}
	codeql.Locations = []sbom.Location{{Path: ".github/workflows/codeql.yml", Line: 40}}

	serde := pkg(sbom.EcosystemCargo, "serde", "1.0.203")
	serde.Direct = true
	serde.Licenses = []string{"MIT OR Apache-2.0"}
	serde.Hashes = []sbom.Hash{{Algorithm: sbom.SHA256, Value: "7253ab4de971e72fb7be983802300c30b5a7f0c2e56fab8abfc6a214307c0094"}}
	serde.ResolvedURL = "registry+https://github.com/rust-lang/crates.io-index"
	serde.Locations = []sbom.Location{{Path: "Cargo.lock", Line: 400}}

	rails := pkg(sbom.EcosystemRubyGems, "rails", "7.1.3.4")
	rails.Direct = true
	rails.Supplier = "David Heinemeier Hansson"
	rails.Licenses = []string{"MIT", "LicenseRef-Rails-Trademark"}
	rails.Locations = []sbom.Location{{Path: "Gemfile.lock", Line: 200}}

	monolog := pkg(sbom.EcosystemPackagist, "monolog/monolog", "3.6.0")
	monolog.Direct = true
	monolog.Licenses = []string{"MIT"}
	monolog.Hashes = []sbom.Hash{{Algorithm: sbom.SHA1, Value: "4b18b21a5527a3d5ffdac2fd35d3ab25a9597654"}}
	monolog.Locations = []sbom.Location{{Path: "composer.lock", Line: 10}}

	newtonsoft := pkg(sbom.EcosystemNuGet, "Newtonsoft.Json", "13.0.3")
	newtonsoft.Direct = true
	newtonsoft.Licenses = []string{"MIT"}
	newtonsoft.Hashes = []sbom.Hash{{Algorithm: sbom.SHA512, Value: "8148c2e8ec66ac2cf56134aa837baa167560564778b7a9a3862d6c079f9c381a1ba7073e8fb07821a4dd496b2bc4b80f940de2e569688f3034ba73aa412eafc4"}}
	newtonsoft.Locations = []sbom.Location{{Path: "packages.lock.json", Line: 5}}

	noversion := sbom.Package{Ecosystem: sbom.EcosystemPyPI, Name: "internal-tool"}
	noversion.PURL = purl.New(sbom.EcosystemPyPI, "internal-tool", "")
	noversion.Locations = []sbom.Location{{Path: "requirements.txt", Line: 7}}
	noversion.Licenses = []string{"GPL-2.0+", "GPL-3.0-or-later WITH GCC-exception-3.1"}

	nopurl := sbom.Package{Name: "vendored-zlib", Version: "1.3.1", Licenses: []string{"Zlib"},
		Locations: []sbom.Location{{Path: "third_party/zlib/README"}}}

	doc.Add(express, babel, fsevents, local, gitdep, jackson, netty, junit, classpath, django, zope, azure,
		burnt, checkout, codeql, serde, rails, monolog, newtonsoft, noversion, nopurl)
	id := func(p sbom.Package) string { return p.Key() }
	doc.Relate(
		sbom.Relationship{From: id(express), To: id(local)},
		sbom.Relationship{From: id(express), To: id(gitdep)},
		sbom.Relationship{From: id(babel), To: id(fsevents)},
		sbom.Relationship{From: id(jackson), To: id(netty)},
		sbom.Relationship{From: id(django), To: id(zope)},
		sbom.Relationship{From: id(azure), To: id(burnt)},
	)
	doc.Normalize()
	return doc
}
