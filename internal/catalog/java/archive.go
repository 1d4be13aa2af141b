package java

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Archive reads Java archives: .jar, .war (web applications), .ear
// (enterprise applications) and Jenkins plugins (.jpi, .hpi), all zip files
// (https://docs.oracle.com/en/java/javase/21/docs/specs/jar/jar.html).
//
// Each archive is one package, identified from, in order of authority:
//
//  1. META-INF/maven/<groupId>/<artifactId>/pom.properties, written by Maven
//     (and Gradle's maven-publish) when the archive was built. An archive
//     with several (a shaded or "uber" jar) holds one package per file; the
//     one whose artifactId matches the file name, or the only one unless the
//     manifest names another product, is the archive itself and the others
//     are packages it contains;
//  2. otherwise the file name, "artifactId-version.jar", for the name (a
//     manifest title is a human name, "Apache Commons Lang", where the file
//     name is usually the artifactId), and META-INF/MANIFEST.MF main
//     attributes for the rest: Implementation-Version, Jenkins'
//     Plugin-Version, Bundle-Version or Specification-Version before the
//     file name's version; Implementation-Vendor-Id or Jenkins' Group-Id as
//     the groupId. Without a file name the manifest's Short-Name,
//     Implementation-Title, Specification-Title or Bundle-SymbolicName names
//     the package.
//
// PropIdentitySource says which one was used; a package identified from the
// manifest or file name often has no groupId, hence a purl without a
// namespace, and should be treated as a guess.
//
// Archives nested in the archive (WEB-INF/lib/*.jar in a war, BOOT-INF/lib
// in a Spring Boot jar, lib/*.jar in an ear: any member with an archive
// extension) are read recursively in memory, with an edge from the outer
// archive to each nested one and to each shaded package. Every archive
// package carries the archive's SHA-1 (the key Maven Central's search
// answers on).
//
// The Gradle and Maven wrapper jars a repository commits
// (gradle/wrapper/gradle-wrapper.jar, .mvn/wrapper/maven-wrapper.jar) are
// build tooling and get ScopeDev.
//
// Reading is bounded by package limits: members per archive tree
// (ArchiveEntries), bytes per member (ArchiveEntryBytes), bytes decompressed
// in total (ArchiveTotalBytes) and nesting (ArchiveDepth). Class files are
// never decompressed. A member claiming an absurd compression ratio is
// refused before it is inflated. Exceeding a limit gives an error wrapping
// ErrArchiveLimit, with the packages found so far.
type Archive struct{}

// ErrArchiveLimit reports an archive that exceeds a bound of package limits
// (a zip bomb, a nested-archive loop, or an absurdly large archive).
var ErrArchiveLimit = errors.New("archive exceeds limit")

// maxRatio is the largest compression ratio accepted for a member over
// 1 MB that is decompressed (metadata files and nested archives). Nested
// archives are themselves compressed (ratio near 1, a few at most for
// stored members); text metadata compresses 3-20x. Deflate reaches about
// 1032:1 only on runs of one byte, which is what a zip bomb is made of.
const maxRatio = 100

// Name implements catalog.Cataloger.
func (Archive) Name() string { return "java-archive" }

// Claims implements catalog.Cataloger.
func (Archive) Claims(p string, mode fs.FileMode) bool {
	return mode.IsRegular() && isArchiveName(p)
}

// isBuildWrapper reports whether p is the Gradle or Maven wrapper jar a
// repository commits to bootstrap its build: build tooling, ScopeDev.
func isBuildWrapper(p string) bool {
	return strings.HasSuffix(p, "gradle/wrapper/gradle-wrapper.jar") || strings.HasSuffix(p, ".mvn/wrapper/maven-wrapper.jar")
}

func isArchiveName(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".jar", ".war", ".ear", ".jpi", ".hpi":
		return true
	}
	return false
}

// Catalog implements catalog.Cataloger.
func (Archive) Catalog(ctx context.Context, fsys fs.FS, p string) (*catalog.Result, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limits.BinaryBytes {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrArchiveLimit, st.Size(), limits.BinaryBytes)
	}
	ra, ok := f.(io.ReaderAt)
	size := st.Size()
	if !ok {
		b, err := io.ReadAll(io.LimitReader(f, limits.ArchiveTotalBytes+1))
		if err != nil {
			return nil, err
		}
		if len(b) > limits.ArchiveTotalBytes {
			return nil, fmt.Errorf("%w: larger than %d bytes", ErrArchiveLimit, limits.ArchiveTotalBytes)
		}
		ra, size = bytes.NewReader(b), int64(len(b))
	}
	w := &archiveWalk{ctx: ctx, path: p, res: &catalog.Result{}}
	_, err = w.read(ra, size, path.Base(p), "", 0)
	if isBuildWrapper(p) {
		for i := range w.res.Packages {
			w.res.Packages[i].Scope = sbom.ScopeDev
		}
	}
	return w.res, err
}

// archiveWalk is the state of reading one archive and its nested archives.
type archiveWalk struct {
	ctx     context.Context
	path    string // the outer archive, as given
	res     *catalog.Result
	entries int   // members seen in the whole tree
	inflate int64 // bytes decompressed in the whole tree
	errs    []error
}

// pomProps is one META-INF/maven/.../pom.properties.
type pomProps struct {
	group, artifact, version string
}

// read catalogs one archive and returns the ID of its package. vpath is
// the archive's path inside the outer one ("" for the outer one).
func (w *archiveWalk) read(ra io.ReaderAt, size int64, name, vpath string, depth int) (string, error) {
	if err := w.ctx.Err(); err != nil {
		return "", err
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return "", fmt.Errorf("%s: not a readable zip archive: %w", w.where(vpath), err)
	}
	w.entries += len(zr.File)
	if w.entries > limits.ArchiveEntries {
		return "", fmt.Errorf("%s: %w: more than %d members", w.where(vpath), ErrArchiveLimit, limits.ArchiveEntries)
	}
	var (
		poms     []pomProps
		manifest map[string]string
		nested   []*zip.File
	)
	for _, zf := range zr.File {
		if err := w.ctx.Err(); err != nil {
			return "", err
		}
		n := zf.Name
		switch {
		case strings.HasSuffix(n, "/"):
			// a directory
		case strings.EqualFold(n, "META-INF/MANIFEST.MF"):
			b, err := w.readMember(zf, vpath)
			if err != nil {
				return "", err
			}
			manifest = parseManifest(b)
		case strings.HasPrefix(n, "META-INF/maven/") && strings.HasSuffix(n, "/pom.properties") && strings.Count(n, "/") == 4:
			b, err := w.readMember(zf, vpath)
			if err != nil {
				return "", err
			}
			pp := parsePomProperties(b)
			if pp.artifact == "" || pp.version == "" {
				// Fall back on the directory names for a partial file.
				parts := strings.Split(n, "/")
				pp.group = cmpOr(pp.group, parts[2])
				pp.artifact = cmpOr(pp.artifact, parts[3])
			}
			if pp.artifact != "" {
				poms = append(poms, pp)
			}
		case isArchiveName(n):
			nested = append(nested, zf)
		}
	}

	// The archive's own identity, and the shaded packages it contains.
	stemName, stemVersion := splitFileName(name)
	main := -1
	for i, pp := range poms {
		if pp.artifact == stemName {
			main = i
			break
		}
	}
	if main < 0 && len(poms) == 1 && poms[0].namedBy(manifest) {
		main = 0
	}
	var self sbom.Package
	if main >= 0 {
		pp := poms[main]
		self = pkg(pp.group, pp.artifact, pp.version, "", "", w.path, 0)
		self.Properties = map[string]string{PropIdentitySource: "pom.properties"}
	} else {
		self = fromManifest(manifest, stemName, stemVersion, w.path)
	}
	sum, err := sha1Of(ra, size)
	if err != nil {
		return "", fmt.Errorf("%s: %w", w.where(vpath), err)
	}
	self.Hashes = []sbom.Hash{{Algorithm: sbom.SHA1, Value: sum}}
	if vpath != "" {
		self.Properties[PropArchivePath] = vpath
	}
	selfID := self.Key()
	w.res.Packages = append(w.res.Packages, self)
	for i, pp := range poms {
		if i == main {
			continue
		}
		sp := pkg(pp.group, pp.artifact, pp.version, "", "", w.path, 0)
		sp.Properties = map[string]string{PropIdentitySource: "pom.properties"}
		if vpath != "" {
			sp.Properties[PropArchivePath] = vpath
		}
		w.res.Packages = append(w.res.Packages, sp)
		w.res.Relationships = append(w.res.Relationships, sbom.Relationship{From: selfID, To: sp.Key()})
	}

	for _, zf := range nested {
		childPath := path.Base(w.path) + "!/" + zf.Name
		if vpath != "" {
			childPath = vpath + "!/" + zf.Name
		}
		if depth+1 > limits.ArchiveDepth {
			w.errs = append(w.errs, fmt.Errorf("%s: %w: archives nested deeper than %d", childPath, ErrArchiveLimit, limits.ArchiveDepth))
			continue
		}
		b, err := w.readMember(zf, vpath)
		if err != nil {
			return selfID, err
		}
		id, err := w.read(bytes.NewReader(b), int64(len(b)), path.Base(zf.Name), childPath, depth+1)
		if err != nil {
			if errors.Is(err, ErrArchiveLimit) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return selfID, err
			}
			w.errs = append(w.errs, err) // a broken nested archive spoils only itself
			continue
		}
		if id != "" && id != selfID {
			w.res.Relationships = append(w.res.Relationships, sbom.Relationship{From: selfID, To: id})
		}
	}
	if depth == 0 && len(w.errs) > 0 {
		return selfID, errors.Join(w.errs...)
	}
	return selfID, nil
}

func (w *archiveWalk) where(vpath string) string {
	if vpath == "" {
		return w.path
	}
	return vpath
}

// readMember decompresses one member within the limits.
func (w *archiveWalk) readMember(zf *zip.File, vpath string) ([]byte, error) {
	where := zf.Name
	if vpath != "" {
		where = vpath + "!/" + zf.Name
	}
	if zf.UncompressedSize64 > limits.ArchiveEntryBytes {
		return nil, fmt.Errorf("%s: %w: member of %d bytes (limit %d)", where, ErrArchiveLimit, zf.UncompressedSize64, limits.ArchiveEntryBytes)
	}
	if zf.CompressedSize64 > 0 && zf.UncompressedSize64/zf.CompressedSize64 > maxRatio && zf.UncompressedSize64 > 1<<20 {
		return nil, fmt.Errorf("%s: %w: compression ratio %d:1 (limit %d:1)", where, ErrArchiveLimit, zf.UncompressedSize64/zf.CompressedSize64, maxRatio)
	}
	if w.inflate+int64(zf.UncompressedSize64) > limits.ArchiveTotalBytes {
		return nil, fmt.Errorf("%s: %w: more than %d bytes decompressed", where, ErrArchiveLimit, limits.ArchiveTotalBytes)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	defer rc.Close()
	// archive/zip fails a member that inflates past its declared size, so
	// the declared size checked above bounds what is read; the LimitReader
	// is a second guard.
	b, err := io.ReadAll(io.LimitReader(rc, limits.ArchiveEntryBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	w.inflate += int64(len(b))
	if len(b) > limits.ArchiveEntryBytes {
		return nil, fmt.Errorf("%s: %w: member larger than %d bytes", where, ErrArchiveLimit, limits.ArchiveEntryBytes)
	}
	if w.inflate > limits.ArchiveTotalBytes {
		return nil, fmt.Errorf("%s: %w: more than %d bytes decompressed", where, ErrArchiveLimit, limits.ArchiveTotalBytes)
	}
	return b, nil
}

func sha1Of(ra io.ReaderAt, size int64) (string, error) {
	h := sha1.New()
	if _, err := io.Copy(h, io.NewSectionReader(ra, 0, size)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// namedBy reports whether the manifest's names, if it has any, name the
// package of pp. A jar with one pom.properties is usually that artifact
// renamed (app.jar), but may be another product that shades one library
// (Debian's guice.jar holds only cglib's pom.properties; its manifest says
// Bundle-SymbolicName: com.google.inject).
func (pp pomProps) namedBy(mf map[string]string) bool {
	norm := strings.NewReplacer("-", ".", "_", ".").Replace
	art, group := norm(strings.ToLower(pp.artifact)), strings.ToLower(pp.group)
	named := false
	for _, k := range []string{"Implementation-Title", "Bundle-SymbolicName", "Bundle-Name", "Automatic-Module-Name", "Specification-Title", "Short-Name"} {
		v := norm(strings.ToLower(mf[k]))
		if v == "" {
			continue
		}
		named = true
		if strings.Contains(v, art) || (group != "" && strings.Contains(v, group)) {
			return true
		}
	}
	return !named
}

// parsePomProperties reads the Java properties file Maven writes
// (https://docs.oracle.com/javase/8/docs/api/java/util/Properties.html#load-java.io.Reader-):
// "key=value" or "key: value" lines, "#" and "!" comments.
func parsePomProperties(b []byte) pomProps {
	var pp pomProps
	for line := range strings.SplitSeq(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			continue
		}
		k, v := strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
		switch k {
		case "groupId":
			pp.group = v
		case "artifactId":
			pp.artifact = v
		case "version":
			pp.version = v
		}
	}
	return pp
}

// parseManifest reads the main section of a jar manifest: "Name: value"
// lines up to the first blank line, a line starting with one space
// continuing the previous value.
func parseManifest(b []byte) map[string]string {
	m := map[string]string{}
	var last string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, len(b)+1)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break // end of the main section
		}
		if line[0] == ' ' {
			if last != "" {
				m[last] += line[1:]
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			last = ""
			continue
		}
		last = strings.TrimSpace(k)
		m[last] = strings.TrimSpace(v)
	}
	return m
}

// fromManifest identifies an archive without pom.properties.
func fromManifest(mf map[string]string, stemName, stemVersion, path string) sbom.Package {
	source := "filename"
	bsn, _, _ := strings.Cut(mf["Bundle-SymbolicName"], ";")
	bsn = strings.TrimSpace(bsn)
	name := stemName
	if name == "" {
		if name = firstOf(mf, "Short-Name", "Implementation-Title", "Specification-Title"); name == "" {
			name = bsn
		}
		if name != "" {
			source = "manifest"
		}
	}
	version := firstOf(mf, "Implementation-Version", "Plugin-Version", "Bundle-Version", "Specification-Version")
	if version != "" {
		source = "manifest"
	} else {
		version = stemVersion
	}
	group := firstOf(mf, "Implementation-Vendor-Id", "Group-Id")
	if group != "" && strings.ContainsAny(group, " :/") {
		group = "" // a vendor name, not a groupId
	}
	if name == "" {
		name = "unknown"
	}
	p := pkg(group, name, version, "", "", path, 0)
	p.Properties = map[string]string{PropIdentitySource: source}
	if v := mf["Implementation-Vendor"]; v != "" {
		p.Supplier = v
	} else if v := mf["Bundle-Vendor"]; v != "" {
		p.Supplier = v
	}
	if l := mf["Bundle-License"]; l != "" && !strings.Contains(l, "://") {
		p.Licenses = []string{l}
	}
	return p
}

func firstOf(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := m[k]; v != "" {
			return v
		}
	}
	return ""
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// splitFileName splits "commons-lang3-3.12.0.jar" into "commons-lang3" and
// "3.12.0": the version starts at the first "-" followed by a digit.
func splitFileName(name string) (string, string) {
	stem := strings.TrimSuffix(name, path.Ext(name))
	for i := 0; i+1 < len(stem); i++ {
		if stem[i] == '-' && stem[i+1] >= '0' && stem[i+1] <= '9' {
			return stem[:i], stem[i+1:]
		}
	}
	return stem, ""
}
