package java

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog/catalogtest"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

type pomWant struct {
	Name, Version, PURL string
	Scope               sbom.Scope
	Props               map[string]string
}

func pomGot(pkgs []sbom.Package) []pomWant {
	var out []pomWant
	for _, p := range pkgs {
		out = append(out, pomWant{p.Name, p.Version, p.PURL, p.Scope, p.Properties})
	}
	return out
}

// The truth for the corpus poms was read by hand; `mvn -o help:effective-pom`
// cannot run here (the parents spring-boot-starter-parent 4.0.3 and
// commons-parent 104 are not in a local repository and the build is
// offline), so versions managed by those parents stay unresolved, as
// hallmark documents.
//
// spring-petclinic: 24 <dependency> elements under <project><dependencies>;
// 3 have versions from <properties> (the webjars), 21 are managed by the
// Spring Boot parent. Left out: the maven-checkstyle-plugin's own
// dependencies (checkstyle, nohttp-checkstyle: build tools) and the
// bootstrap artifactItem of the "css" profile's unpack goal.
//
// commons-lang: 7 dependencies; easymock (literal) and commons-text
// (${commons.text.version} from <properties>) resolve; junit-jupiter,
// junit-pioneer and mockito-inline are managed by commons-parent, and
// jmh-core and jmh-generator-annprocess use ${commons.jmh.version}, which
// commons-parent defines.
func TestPomCorpus(t *testing.T) {
	const springManaged = "managed by org.springframework.boot:spring-boot-starter-parent:4.0.3"
	tests := []struct {
		file                    string
		packages, resolved, tst int
		sample                  []pomWant
	}{
		{
			file: "corpus/maven/spring-projects__spring-petclinic/pom.xml", packages: 24, resolved: 3, tst: 8,
			sample: []pomWant{
				{"org.webjars.npm:bootstrap", "5.3.8", "pkg:maven/org.webjars.npm/bootstrap@5.3.8", "",
					map[string]string{PropScope: "runtime"}},
				{"org.webjars:webjars-locator-lite", "1.1.3", "pkg:maven/org.webjars/webjars-locator-lite@1.1.3", "",
					map[string]string{PropScope: "runtime"}},
				{"org.springframework.boot:spring-boot-starter-actuator", "", "pkg:maven/org.springframework.boot/spring-boot-starter-actuator", "",
					map[string]string{PropUnresolvedVersion: springManaged}},
				{"org.springframework.boot:spring-boot-devtools", "", "pkg:maven/org.springframework.boot/spring-boot-devtools", sbom.ScopeOptional,
					map[string]string{PropUnresolvedVersion: springManaged}},
				{"org.testcontainers:testcontainers-mysql", "", "pkg:maven/org.testcontainers/testcontainers-mysql", sbom.ScopeTest,
					map[string]string{PropUnresolvedVersion: springManaged, PropScope: "test"}},
			},
		},
		{
			file: "corpus/maven/apache__commons-lang/pom.xml", packages: 7, resolved: 2, tst: 6,
			sample: []pomWant{
				{"org.easymock:easymock", "5.6.0", "pkg:maven/org.easymock/easymock@5.6.0", sbom.ScopeTest,
					map[string]string{PropScope: "test"}},
				{"org.apache.commons:commons-text", "1.15.0", "pkg:maven/org.apache.commons/commons-text@1.15.0", sbom.ScopeTest,
					map[string]string{PropScope: "test"}},
				{"org.openjdk.jmh:jmh-core", "", "pkg:maven/org.openjdk.jmh/jmh-core", sbom.ScopeTest,
					map[string]string{PropScope: "test", PropUnresolvedVersion: "${commons.jmh.version}"}},
				{"org.mockito:mockito-inline", "", "pkg:maven/org.mockito/mockito-inline", "",
					map[string]string{PropUnresolvedVersion: "managed by org.apache.commons:commons-parent:104"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(filepath.Dir(tt.file)), func(t *testing.T) {
			res := catalogtest.Run(t, Pom{}, sharedtest.Path(t, tt.file))
			catalogtest.CheckInvariants(t, res)
			if n := catalogtest.Unique(res); n != tt.packages {
				t.Errorf("packages = %d, want %d", n, tt.packages)
			}
			resolved, tst := 0, 0
			for _, p := range res.Packages {
				if p.Version != "" {
					resolved++
				}
				if p.Scope == sbom.ScopeTest {
					tst++
				}
				if !p.Direct || p.Locations[0].Line == 0 {
					t.Errorf("%s: direct %v, location %v", p.Name, p.Direct, p.Locations)
				}
			}
			if resolved != tt.resolved || tst != tt.tst {
				t.Errorf("resolved = %d, test = %d; want %d, %d", resolved, tst, tt.resolved, tt.tst)
			}
			for _, w := range tt.sample {
				if diff := cmp.Diff([]pomWant{w}, pomGot(catalogtest.Find(res, w.Name))); diff != "" {
					t.Errorf("%s (-want +got):\n%s", w.Name, diff)
				}
			}
		})
	}
}

// TestPomMultiModule reads a module whose parent is in the tree
// (relativePath ".."), with managed versions, property overrides, every
// scope, type and classifier qualifiers, and unresolvable versions.
func TestPomMultiModule(t *testing.T) {
	// The fsys is the project root, as in a real scan, so that the parent
	// is reachable.
	fsys := os.DirFS("testdata/pom/multimodule")
	res, err := Pom{}.Catalog(context.Background(), fsys, "service/pom.xml")
	if err != nil {
		t.Fatal(err)
	}
	catalogtest.CheckInvariants(t, res)
	want := []pomWant{
		{"com.example.platform:platform-core", "2.1.0", "pkg:maven/com.example.platform/platform-core@2.1.0", "", nil},
		{"com.fasterxml.jackson.core:jackson-databind", "2.17.1", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.17.1", "", nil},
		// The child's guava.version overrides the parent's.
		{"com.google.guava:guava", "33.2.1-jre", "pkg:maven/com.google.guava/guava@33.2.1-jre", "", nil},
		// Version and scope from the parent's dependencyManagement.
		{"org.junit.jupiter:junit-jupiter", "5.10.2", "pkg:maven/org.junit.jupiter/junit-jupiter@5.10.2", sbom.ScopeTest,
			map[string]string{PropScope: "test"}},
		{"jakarta.servlet:jakarta.servlet-api", "6.0.0", "pkg:maven/jakarta.servlet/jakarta.servlet-api@6.0.0", "",
			map[string]string{PropScope: "provided"}},
		{"com.sun:tools", "1.8", "pkg:maven/com.sun/tools@1.8", "",
			map[string]string{PropScope: "system", PropSystemPath: "${java.home}/../lib/tools.jar"}},
		{"io.netty:netty-tcnative-boringssl-static", "2.0.65.Final",
			"pkg:maven/io.netty/netty-tcnative-boringssl-static@2.0.65.Final?classifier=linux-x86_64", "", nil},
		{"com.example.platform:platform-core", "2.1.0", "pkg:maven/com.example.platform/platform-core@2.1.0?type=test-jar", sbom.ScopeTest,
			map[string]string{PropScope: "test"}},
		{"org.postgresql:postgresql", "42.7.3", "pkg:maven/org.postgresql/postgresql@42.7.3", sbom.ScopeOptional,
			map[string]string{PropScope: "runtime"}},
		{"io.micrometer:micrometer-core", "", "pkg:maven/io.micrometer/micrometer-core", "",
			map[string]string{PropUnresolvedVersion: "${micrometer.version}"}},
		// Managed by spring-boot-dependencies, which is not in the tree
		// (or by the imported jackson-bom, as far as hallmark can tell).
		{"org.springframework:spring-webmvc", "", "pkg:maven/org.springframework/spring-webmvc", "",
			map[string]string{PropUnresolvedVersion: "managed by org.springframework.boot:spring-boot-dependencies:3.3.0, com.fasterxml.jackson:jackson-bom:2.17.1"}},
	}
	if diff := cmp.Diff(want, pomGot(res.Packages)); diff != "" {
		t.Errorf("service (-want +got):\n%s", diff)
	}
	if l := res.Packages[0].Locations[0]; l.Path != "service/pom.xml" || l.Line != 22 {
		t.Errorf("location %+v, want service/pom.xml:22", l)
	}

	core, err := Pom{}.Catalog(context.Background(), fsys, "core/pom.xml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]pomWant{{"com.fasterxml.jackson.core:jackson-databind", "2.17.1",
		"pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.17.1", "", nil}}, pomGot(core.Packages)); diff != "" {
		t.Errorf("core (-want +got):\n%s", diff)
	}
	parent := catalogtest.Run(t, Pom{}, "testdata/pom/multimodule/pom.xml")
	if diff := cmp.Diff([]pomWant{{"org.slf4j:slf4j-api", "2.0.13", "pkg:maven/org.slf4j/slf4j-api@2.0.13", "", nil}},
		pomGot(parent.Packages)); diff != "" {
		t.Errorf("parent (-want +got):\n%s", diff)
	}
}

func TestPomLatin1(t *testing.T) {
	res := catalogtest.Run(t, Pom{}, "testdata/pom/latin1/pom.xml")
	if diff := cmp.Diff([]pomWant{{"commons-io:commons-io", "2.16.1", "pkg:maven/commons-io/commons-io@2.16.1", "", nil}},
		pomGot(res.Packages)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

const childPom = `<project><parent><groupId>g</groupId><artifactId>parent</artifactId><version>1</version>%s</parent>
<artifactId>child</artifactId><dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId></dependency></dependencies></project>`

const parentPom = `<project><groupId>g</groupId><artifactId>%s</artifactId><version>1</version>%s
<dependencyManagement><dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>7</version></dependency></dependencies></dependencyManagement></project>`

func TestPomParents(t *testing.T) {
	f := func(format string, args ...string) []byte {
		for _, a := range args {
			format = strings.Replace(format, "%s", a, 1)
		}
		return []byte(format)
	}
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		version string
	}{
		{"default ../pom.xml", fstest.MapFS{
			"pom.xml":       {Data: f(parentPom, "parent", "")},
			"child/pom.xml": {Data: f(childPom, "")},
		}, "7"},
		{"relativePath to a directory", fstest.MapFS{
			"build/parent/pom.xml": {Data: f(parentPom, "parent", "")},
			"child/pom.xml":        {Data: f(childPom, "<relativePath>../build/parent</relativePath>")},
		}, "7"},
		{"empty relativePath", fstest.MapFS{
			"pom.xml":       {Data: f(parentPom, "parent", "")},
			"child/pom.xml": {Data: f(childPom, "<relativePath/>")},
		}, ""},
		{"file is another project", fstest.MapFS{
			"pom.xml":       {Data: f(parentPom, "aggregator", "")},
			"child/pom.xml": {Data: f(childPom, "")},
		}, ""},
		{"outside the tree", fstest.MapFS{
			"pom.xml": {Data: f(childPom, "")},
		}, ""},
		{"parent loop", fstest.MapFS{
			// parent's parent is the child's directory's parent again.
			"pom.xml":       {Data: f(parentPom, "parent", "<parent><groupId>g</groupId><artifactId>parent</artifactId><version>1</version><relativePath>child/../pom.xml</relativePath></parent>")},
			"child/pom.xml": {Data: f(childPom, "")},
		}, "7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := "child/pom.xml"
			if _, ok := tt.fsys[p]; !ok {
				p = "pom.xml"
			}
			res, err := Pom{}.Catalog(context.Background(), tt.fsys, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Packages) != 1 || res.Packages[0].Version != tt.version {
				t.Errorf("packages %+v, want x:y@%q", res.Packages, tt.version)
			}
		})
	}
	// A broken parent is reported; the child's own packages are kept.
	res, err := Pom{}.Catalog(context.Background(), fstest.MapFS{
		"pom.xml":       {Data: []byte("<project><groupId>g")},
		"child/pom.xml": {Data: f(childPom, "")},
	}, "child/pom.xml")
	if err == nil || !strings.Contains(err.Error(), "parent pom.xml") || len(res.Packages) != 1 {
		t.Errorf("broken parent: %v, %+v", err, res)
	}
}

func TestPomExpand(t *testing.T) {
	r := &resolver{props: map[string]string{
		"a": "${b}", "b": "${c}", "c": "1.0", "self": "${self}", "x": "${y}${y}", "y": "${x}${x}",
		"suffix": "-jre",
	}}
	tests := map[string]string{
		"${a}":          "1.0",
		"${c}${suffix}": "1.0-jre",
		"${missing}":    "${missing}",
		"${self}":       "${self}",
		"${c":           "${c",
		"plain":         "plain",
	}
	for in, want := range tests {
		if got := r.expand(in); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
	// Exponential self-reference stops at a bound.
	if got := r.expand("${x}"); len(got) > 1<<17 {
		t.Errorf("expand(${x}) grew to %d bytes", len(got))
	}
}

// TestPomExpansionBounded: a property that doubles at each level, named by
// many distinct strings, costs at most maxExpandTotal bytes of expansion for
// the whole pom (it took 3 s per 1,000 dependencies, minutes for a 10 MB
// pom); what is left unexpanded keeps its ${...} and is reported as such.
func TestPomExpansionBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><properties>")
	for i := range 20 {
		fmt.Fprintf(&b, "<p%d>${p%d}${p%d}</p%d>", i, i+1, i+1, i)
	}
	b.WriteString("<p20>x</p20><v>2.0</v></properties><dependencies>")
	const n = 5000
	for i := range n {
		fmt.Fprintf(&b, "<dependency><groupId>g</groupId><artifactId>a%d</artifactId><version>${p0}%d</version></dependency>", i, i)
	}
	b.WriteString("<dependency><groupId>g</groupId><artifactId>last</artifactId><version>${v}</version></dependency>")
	b.WriteString("</dependencies></project>")
	m, err := parsePom([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	r := newResolver([]*pomModel{m})
	for _, d := range m.deps {
		r.expand(d.version)
	}
	if r.spent > maxExpandTotal+1<<17 {
		t.Errorf("expansion built %d bytes, bound %d", r.spent, maxExpandTotal)
	}
	// Through Catalog: every package is there, none with a version
	// that is a half-expanded bomb.
	res, err := Pom{}.Catalog(context.Background(), fstest.MapFS{"pom.xml": {Data: []byte(b.String())}}, "pom.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Packages) != n+1 {
		t.Fatalf("%d packages, want %d", len(res.Packages), n+1)
	}
	for _, p := range res.Packages {
		if len(p.Version) > 1<<17 {
			t.Fatalf("%s: version of %d bytes", p.Name, len(p.Version))
		}
	}
}

// TestPomManyManaged: dependencies are looked up in dependencyManagement
// through an index (a scan per dependency was quadratic: 20,000 of each
// took 10 s, a million would take hours); the nearest pom's entry still wins.
func TestPomManyManaged(t *testing.T) {
	const n = 20000
	var b strings.Builder
	b.WriteString("<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><dependencyManagement><dependencies>")
	for i := range n {
		fmt.Fprintf(&b, "<dependency><groupId>g</groupId><artifactId>a%d</artifactId><version>1.%d</version></dependency>", i, i)
	}
	b.WriteString("<dependency><groupId>g</groupId><artifactId>a0</artifactId><version>9.9</version></dependency>")
	b.WriteString("</dependencies></dependencyManagement><dependencies>")
	for i := range n {
		fmt.Fprintf(&b, "<dependency><groupId>g</groupId><artifactId>a%d</artifactId></dependency>", i)
	}
	b.WriteString("</dependencies></project>")
	res, err := Pom{}.Catalog(context.Background(), fstest.MapFS{"pom.xml": {Data: []byte(b.String())}}, "pom.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Packages) != n {
		t.Fatalf("%d packages, want %d", len(res.Packages), n)
	}
	for _, p := range res.Packages {
		i, _ := strconv.Atoi(strings.TrimPrefix(p.Name, "g:a"))
		if want := fmt.Sprintf("1.%d", i); p.Version != want {
			t.Fatalf("%s: version %q, want %q (the first managed entry)", p.Name, p.Version, want)
		}
	}
}

func TestPomMalformed(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{"empty", "", "no <project>"},
		{"not xml", "{}", "no <project>"},
		{"other root", "<settings/>", "root element is <settings>"},
		{"truncated", "<project><dependencies><dependency><groupId>a", "unexpected EOF"},
		{"mismatched", "<project></dependencies>", "element <project> closed by </dependencies>"},
		{"deep", "<project>" + strings.Repeat("<a>", 300) + strings.Repeat("</a>", 300) + "</project>", "nested deeper"},
		{"unknown charset", `<?xml version="1.0" encoding="EBCDIC-CP-US"?><project/>`, "unsupported encoding"},
		{"entity bomb", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><project><version>&lol2;</version></project>`, "invalid character entity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"pom.xml": {Data: []byte(tt.body)}}
			_, err := Pom{}.Catalog(context.Background(), fsys, "pom.xml")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	// Coordinates that are not usable are skipped, not guessed.
	res, err := Pom{}.Catalog(context.Background(), fstest.MapFS{"pom.xml": {Data: []byte(
		`<project><dependencies><dependency><artifactId>a</artifactId></dependency>
		<dependency><groupId>${g}</groupId><artifactId>b</artifactId></dependency></dependencies></project>`)}}, "pom.xml")
	if err != nil || len(res.Packages) != 0 {
		t.Errorf("unusable coordinates: %v, %+v", err, res.Packages)
	}
}

func FuzzPom(f *testing.F) {
	for _, name := range []string{"testdata/pom/multimodule/service/pom.xml", "testdata/pom/multimodule/pom.xml", "testdata/pom/latin1/pom.xml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys := fstest.MapFS{"a/pom.xml": {Data: b}, "pom.xml": {Data: b}}
		res, _ := Pom{}.Catalog(context.Background(), fsys, "a/pom.xml")
		if res != nil {
			catalogtest.CheckInvariants(t, res)
		}
	})
}

func BenchmarkPom(b *testing.B) {
	p := sharedtest.Path(b, "corpus/maven/apache__commons-lang/pom.xml")
	fsys := os.DirFS(filepath.Dir(p))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Pom{}).Catalog(context.Background(), fsys, "pom.xml"); err != nil {
			b.Fatal(err)
		}
	}
}
