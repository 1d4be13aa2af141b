package java

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

type triple struct {
	Name, Version, PURL string
	Scope               sbom.Scope
}

func triples(pkgs []sbom.Package) []triple {
	var out []triple
	for _, p := range pkgs {
		out = append(out, triple{p.Name, p.Version, p.PURL, p.Scope})
	}
	return out
}

// The truth for a gradle.lockfile is every "group:artifact:version=..."
// line (grep -v -E '^(#|empty=)' | sort -u | wc -l): Camelcade/Perl5-IDEA
// 297, FabricMC/Mercury 28. The scope counts follow the rule documented on
// GradleLock. Camelcade's file holds 205 "bundledModule:" and
// "bundledPlugin:" coordinates: the IntelliJ Platform Gradle Plugin's names
// for modules bundled in the IDE it builds against. They are locked like any
// module and kept (they are on the compile classpath), though no Maven
// repository or advisory knows them.
func TestGradleLockCorpus(t *testing.T) {
	tests := []struct {
		file               string
		packages           int
		runtime, test, dev int
		sample             []triple
	}{
		{
			file: "corpus/gradle/Camelcade__Perl5-IDEA/gradle.lockfile", packages: 297, runtime: 206, test: 48, dev: 43,
			sample: []triple{
				{"junit:junit", "4.13.2", "pkg:maven/junit/junit@4.13.2", sbom.ScopeTest},
				{"com.jetbrains.intellij.idea:idea", "2026.1", "pkg:maven/com.jetbrains.intellij.idea/idea@2026.1", sbom.ScopeRequired},
				{"com.jetbrains:jbr", "jbr_jcef-25.0.2-linux-x64-b329.72", "pkg:maven/com.jetbrains/jbr@jbr_jcef-25.0.2-linux-x64-b329.72", sbom.ScopeDev},
				{"bundledModule:fleet.andel", "IU-261.22158.277", "pkg:maven/bundledModule/fleet.andel@IU-261.22158.277", sbom.ScopeRequired},
			},
		},
		{
			file: "corpus/gradle/FabricMC__Mercury/gradle.lockfile", packages: 28, runtime: 20, test: 8, dev: 0,
			sample: []triple{
				{"org.apiguardian:apiguardian-api", "1.1.0", "pkg:maven/org.apiguardian/apiguardian-api@1.1.0", sbom.ScopeTest},
				{"org.cadixdev:lorenz-io-jam", "0.5.7", "pkg:maven/org.cadixdev/lorenz-io-jam@0.5.7", sbom.ScopeTest},
				{"org.eclipse.jdt:ecj", "3.43.0", "pkg:maven/org.eclipse.jdt/ecj@3.43.0", sbom.ScopeRequired},
			},
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(filepath.Dir(tt.file)), func(t *testing.T) {
			res := catalogtest.Run(t, GradleLock{}, sharedtest.Path(t, tt.file))
			catalogtest.CheckInvariants(t, res)
			if got := catalogtest.Unique(res); got != tt.packages {
				t.Errorf("packages = %d, want %d", got, tt.packages)
			}
			count := map[sbom.Scope]int{}
			for _, p := range res.Packages {
				count[p.Scope]++
				if p.Locations[0].Line < 4 || p.Properties[PropConfigurations] == "" {
					t.Errorf("%s: location %v, properties %v", p.Name, p.Locations, p.Properties)
				}
			}
			want := map[sbom.Scope]int{sbom.ScopeRequired: tt.runtime, sbom.ScopeTest: tt.test, sbom.ScopeDev: tt.dev}
			if tt.dev == 0 {
				delete(want, sbom.ScopeDev)
			}
			if diff := cmp.Diff(want, count); diff != "" {
				t.Errorf("scopes (-want +got):\n%s", diff)
			}
			for _, w := range tt.sample {
				if diff := cmp.Diff([]triple{w}, triples(catalogtest.Find(res, w.Name))); diff != "" {
					t.Errorf("%s (-want +got):\n%s", w.Name, diff)
				}
			}
		})
	}
	// Two versions of one module locked for different configurations.
	res := catalogtest.Run(t, GradleLock{}, sharedtest.Path(t, "corpus/gradle/Camelcade__Perl5-IDEA/gradle.lockfile"))
	want := []triple{
		{"org.ow2.asm:asm", "9.8", "pkg:maven/org.ow2.asm/asm@9.8", sbom.ScopeTest},
		{"org.ow2.asm:asm", "9.9", "pkg:maven/org.ow2.asm/asm@9.9", sbom.ScopeDev},
	}
	if diff := cmp.Diff(want, triples(catalogtest.Find(res, "org.ow2.asm:asm"))); diff != "" {
		t.Errorf("asm (-want +got):\n%s", diff)
	}
}

func TestGradleLockVariants(t *testing.T) {
	fsys := fstest.MapFS{
		"buildscript-gradle.lockfile": {Data: []byte("# comment\ncom.diffplug.spotless:spotless-plugin-gradle:6.25.0=classpath\nempty=\n")},
		"settings-gradle.lockfile":    {Data: []byte("org.gradle.toolchains:foojay-resolver:0.8.0=incomingCatalogForLibs0\n")},
		"app/gradle/dependency-locks/compileClasspath.lockfile": {Data: []byte(
			"# This is a Gradle generated file for dependency locking.\ncom.google.guava:guava:33.2.1-jre\norg.slf4j:slf4j-api:2.0.13\n")},
		"app/gradle/dependency-locks/testRuntimeClasspath.lockfile": {Data: []byte("org.junit.jupiter:junit-jupiter-api:5.10.2\n")},
		"app/gradle/dependency-locks/annotationProcessor.lockfile":  {Data: []byte("com.google.dagger:dagger-compiler:2.51.1\n")},
	}
	tests := []struct {
		path string
		want []triple
	}{
		{"buildscript-gradle.lockfile", []triple{{"com.diffplug.spotless:spotless-plugin-gradle", "6.25.0", "pkg:maven/com.diffplug.spotless/spotless-plugin-gradle@6.25.0", sbom.ScopeDev}}},
		{"settings-gradle.lockfile", []triple{{"org.gradle.toolchains:foojay-resolver", "0.8.0", "pkg:maven/org.gradle.toolchains/foojay-resolver@0.8.0", sbom.ScopeDev}}},
		{"app/gradle/dependency-locks/compileClasspath.lockfile", []triple{
			{"com.google.guava:guava", "33.2.1-jre", "pkg:maven/com.google.guava/guava@33.2.1-jre", sbom.ScopeRequired},
			{"org.slf4j:slf4j-api", "2.0.13", "pkg:maven/org.slf4j/slf4j-api@2.0.13", sbom.ScopeRequired},
		}},
		{"app/gradle/dependency-locks/testRuntimeClasspath.lockfile", []triple{{"org.junit.jupiter:junit-jupiter-api", "5.10.2", "pkg:maven/org.junit.jupiter/junit-jupiter-api@5.10.2", sbom.ScopeTest}}},
		{"app/gradle/dependency-locks/annotationProcessor.lockfile", []triple{{"com.google.dagger:dagger-compiler", "2.51.1", "pkg:maven/com.google.dagger/dagger-compiler@2.51.1", sbom.ScopeDev}}},
	}
	for _, tt := range tests {
		if !(GradleLock{}).Claims(tt.path, 0o644) {
			t.Errorf("does not claim %s", tt.path)
		}
		res, err := GradleLock{}.Catalog(context.Background(), fsys, tt.path)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		catalogtest.CheckInvariants(t, res)
		if diff := cmp.Diff(tt.want, triples(res.Packages)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.path, diff)
		}
	}
	for _, p := range []string{"gradle.properties", "app/other.lockfile", "Cargo.lock"} {
		if (GradleLock{}).Claims(p, 0o644) {
			t.Errorf("claims %s", p)
		}
	}
}

func TestGradleScope(t *testing.T) {
	tests := map[string]sbom.Scope{
		"compileClasspath":                                      sbom.ScopeRequired,
		"runtimeClasspath,testRuntimeClasspath":                 sbom.ScopeRequired,
		"releaseRuntimeClasspath":                               sbom.ScopeRequired,
		"testCompileClasspath,testRuntimeClasspath":             sbom.ScopeTest,
		"debugUnitTestRuntimeClasspath":                         sbom.ScopeTest,
		"androidTestCompileClasspath":                           sbom.ScopeTest,
		"annotationProcessor":                                   sbom.ScopeDev,
		"kapt,detekt":                                           sbom.ScopeDev,
		"kotlinCompilerClasspath":                               sbom.ScopeDev,
		"jacocoAnt,testAnnotationProcessor":                     sbom.ScopeTest,
		"intellijPlatformTestClasspath,kotlinCompilerClasspath": sbom.ScopeTest,
	}
	for confs, want := range tests {
		if got := gradleScope(confs); got != want {
			t.Errorf("gradleScope(%q) = %q, want %q", confs, got, want)
		}
	}
}

func TestGradleLockMalformed(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
		packages            int
	}{
		{"empty file", "", "", 0},
		{"only comments", "# a\n# b\nempty=\n", "", 0},
		{"two fields", "org.slf4j:slf4j-api=compileClasspath\ncom.google.guava:guava:33.2.1-jre=compileClasspath\n", "line 1", 1},
		{"empty version", "org.slf4j:slf4j-api:=compileClasspath\n", "not group:artifact:version", 0},
		{"binary", "\x00\x01\x02:\xff\xfe", "not group:artifact:version", 0},
		{"long line", "a:b:" + strings.Repeat("1", 1<<20) + "=compileClasspath\n", "", 1},
		{"crlf", "a:b:1.0=compileClasspath\r\nc:d:2.0=testCompileClasspath\r\n", "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"gradle.lockfile": {Data: []byte(tt.body)}}
			res, err := GradleLock{}.Catalog(context.Background(), fsys, "gradle.lockfile")
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			catalogtest.CheckInvariants(t, res)
			if len(res.Packages) != tt.packages {
				t.Errorf("packages = %d, want %d", len(res.Packages), tt.packages)
			}
		})
	}
}

func FuzzGradleLock(f *testing.F) {
	f.Add([]byte("# comment\norg.cadixdev:at:0.1.0-rc1=compileClasspath,runtimeClasspath\nempty=annotationProcessor\n"))
	f.Add([]byte("a:b:c:d=x\n=\n::\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys := fstest.MapFS{"gradle.lockfile": {Data: b}}
		res, _ := GradleLock{}.Catalog(context.Background(), fsys, "gradle.lockfile")
		if res != nil {
			catalogtest.CheckInvariants(t, res)
		}
	})
}

func BenchmarkGradleLock(b *testing.B) {
	p := sharedtest.Path(b, "corpus/gradle/Camelcade__Perl5-IDEA/gradle.lockfile")
	fsys := os.DirFS(filepath.Dir(p))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (GradleLock{}).Catalog(context.Background(), fsys, "gradle.lockfile"); err != nil {
			b.Fatal(err)
		}
	}
}
