// Package java catalogs Java packages (the OSV "Maven" ecosystem) from three
// kinds of file:
//
//   - Maven project files (pom.xml): the dependencies a project declares,
//     with properties, dependencyManagement and parents in the same tree
//     resolved (pom.go);
//   - Gradle dependency lock files (gradle.lockfile and its buildscript,
//     settings and legacy per-configuration variants): every resolved module
//     (gradlelock.go);
//   - Java archives (.jar, .war, .ear, .jpi, .hpi): the identity of the
//     archive and of every archive nested in it, from
//     META-INF/maven/.../pom.properties, META-INF/MANIFEST.MF or the file
//     name (archive.go).
//
// Packages are named "groupId:artifactId", as OSV names Maven packages, and
// get maven purls with the groupId as namespace.
package java

import (
	"github.com/hallmark-dev/hallmark/internal/purl"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Property keys set on Java packages.
const (
	// PropScope is the Maven scope as declared (compile, runtime, provided,
	// system, test) when the pom states one.
	PropScope = "hallmark:maven:scope"
	// PropUnresolvedVersion names why a pom dependency has no version: the
	// ${...} expression that could not be resolved, or "managed by
	// g:a:v[, g:a:v]" when the version comes from a dependencyManagement
	// section outside the tree: the parent pom not in the tree and the BOMs
	// imported ("managed" alone when the pom names neither).
	PropUnresolvedVersion = "hallmark:maven:unresolved-version"
	// PropSystemPath is the systemPath of a system-scoped dependency.
	PropSystemPath = "hallmark:maven:system-path"
	// PropConfigurations lists the Gradle configurations that resolve a
	// locked module, comma-separated as in the lock file.
	PropConfigurations = "hallmark:gradle:configurations"
	// PropIdentitySource says where an archive's identity came from:
	// "pom.properties", "manifest" or "filename" (least reliable).
	PropIdentitySource = "hallmark:java:identity-source"
	// PropArchivePath is the path of a nested archive inside the archive
	// it was found in, in jar-URL style: "app.war!/WEB-INF/lib/x.jar".
	PropArchivePath = "hallmark:java:archive-path"
)

// pkg returns a Maven package with its purl. typ and classifier become purl
// qualifiers when they say something (a type other than jar).
func pkg(group, artifact, version, typ, classifier, path string, line int) sbom.Package {
	name := artifact
	if group != "" {
		name = group + ":" + artifact
	}
	if typ == "jar" {
		typ = ""
	}
	return sbom.Package{
		Name:      name,
		Version:   version,
		Ecosystem: sbom.EcosystemMaven,
		PURL:      purl.New(sbom.EcosystemMaven, name, version, "type", typ, "classifier", classifier),
		Locations: []sbom.Location{{Path: path, Line: line}},
	}
}
