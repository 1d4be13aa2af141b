package java

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// GradleLock reads Gradle dependency lock files
// (https://docs.gradle.org/current/userguide/dependency_locking.html):
//
//   - gradle.lockfile (Gradle 6+, one per project): lines
//     "group:artifact:version=conf1,conf2", comment lines starting with "#",
//     and one "empty=conf,..." line naming configurations that resolve
//     nothing;
//   - buildscript-gradle.lockfile and settings-gradle.lockfile: the same
//     format for the build script and settings classpaths (build tooling);
//   - gradle/dependency-locks/<configuration>.lockfile (before Gradle 6): one
//     "group:artifact:version" per line, the configuration in the file name.
//
// Every locked module is a package. A lock file records neither which
// modules the build declares nor the edges between them, so Direct is false
// and there are no relationships.
//
// Scope comes from the configurations that resolve the module:
//
//   - any main compile or runtime classpath (compileClasspath,
//     runtimeClasspath, and variants such as releaseRuntimeClasspath or
//     jvmMainCompileClasspath): runtime (empty scope), since it is built into
//     or shipped with the product;
//   - otherwise, only test configurations (testCompileClasspath,
//     androidTestRuntimeClasspath, intellijPlatformTestClasspath: a "test" or
//     "Test" word in the name): ScopeTest;
//   - otherwise (annotationProcessor, kapt, detekt, jacocoAnt,
//     kotlinCompilerClasspath, the buildscript and settings classpaths):
//     ScopeDev. These run in the build and do not ship, like npm
//     devDependencies; they still matter for build integrity, so they are
//     kept and marked rather than dropped.
//
// The configurations are kept in the PropConfigurations property.
type GradleLock struct{}

// Name implements catalog.Cataloger.
func (GradleLock) Name() string { return "gradle-lockfile" }

// Claims implements catalog.Cataloger.
func (GradleLock) Claims(p string, _ fs.FileMode) bool {
	switch base := path.Base(p); base {
	case "gradle.lockfile", "buildscript-gradle.lockfile", "settings-gradle.lockfile":
		return true
	default:
		return strings.HasSuffix(base, ".lockfile") && strings.HasSuffix(path.Dir(p), "gradle/dependency-locks")
	}
}

// Catalog implements catalog.Cataloger.
func (GradleLock) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	b, err := catalog.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	base := path.Base(p)
	var legacyConf string
	if base != "gradle.lockfile" && base != "buildscript-gradle.lockfile" && base != "settings-gradle.lockfile" {
		legacyConf = strings.TrimSuffix(base, ".lockfile")
	}
	buildTooling := base == "buildscript-gradle.lockfile" || base == "settings-gradle.lockfile" ||
		legacyConf == "classpath" // the legacy buildscript lock

	res := &catalog.Result{}
	var bad []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, len(b)+1)
	for line := 1; sc.Scan(); line++ {
		if line%1024 == 0 && ctx.Err() != nil {
			return res, ctx.Err()
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' || strings.HasPrefix(text, "empty=") {
			continue
		}
		coords, confs, hasConfs := strings.Cut(text, "=")
		if !hasConfs {
			confs = legacyConf
		}
		parts := strings.Split(coords, ":")
		// group:artifact:version, or group:artifact:version:classifier in
		// some hand-written legacy files.
		if len(parts) < 3 || len(parts) > 4 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			if len(bad) < 5 {
				bad = append(bad, fmt.Sprintf("line %d: %q is not group:artifact:version", line, truncate(text, 80)))
			}
			continue
		}
		classifier := ""
		if len(parts) == 4 {
			classifier = parts[3]
		}
		pk := pkg(parts[0], parts[1], parts[2], "", classifier, p, line)
		if buildTooling {
			pk.Scope = sbom.ScopeDev
		} else {
			pk.Scope = gradleScope(confs)
		}
		if confs != "" {
			pk.Properties = map[string]string{PropConfigurations: confs}
		}
		res.Packages = append(res.Packages, pk)
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("read %s: %w", p, err)
	}
	if len(bad) > 0 {
		return res, fmt.Errorf("malformed lock entries: %s", strings.Join(bad, "; "))
	}
	return res, nil
}

// gradleScope maps the configurations resolving a module to a scope (see
// GradleLock).
func gradleScope(confs string) sbom.Scope {
	test := false
	for c := range strings.SplitSeq(confs, ",") {
		c = strings.TrimSpace(c)
		isTest := strings.HasPrefix(c, "test") || strings.Contains(c, "Test")
		isClasspath := strings.HasSuffix(c, "ompileClasspath") || strings.HasSuffix(c, "untimeClasspath")
		switch {
		case isClasspath && !isTest:
			// compileClasspath, runtimeClasspath, releaseRuntimeClasspath ...
			// but not kotlinCompilerClasspath (ends in "CompilerClasspath").
			return sbom.ScopeRequired
		case isTest:
			test = true
		}
	}
	if test {
		return sbom.ScopeTest
	}
	return sbom.ScopeDev
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
