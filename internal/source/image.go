package source

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/klauspost/compress/gzip"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/sbom"
)

// Image source kinds.
const (
	KindImage  Kind = "image"
	KindRootFS Kind = "rootfs"
)

// Schemes a SOURCE may start with, as Syft and Grype users type them.
const (
	SchemeDockerArchive = "docker-archive"
	SchemeOCIDir        = "oci-dir"
	SchemeOCIArchive    = "oci-archive"
	SchemeRegistry      = "registry"
	SchemeDir           = "dir"
)

// ImageOptions configure image sources.
type ImageOptions struct {
	// Platform picks one image of a multi-platform index: "os/arch" or
	// "os/arch/variant"; "" means the host's (linux/GOARCH).
	Platform string
	// AllLayers (Syft's --scope all-layers) also reports packages that a
	// later layer removed, each with the layer that had it.
	AllLayers bool
	// InsecureRegistries are registry hosts reached over plain HTTP (or
	// TLS without verification), by name only.
	InsecureRegistries []string
	// Note receives one-line notes for the user (the platform taken).
	Note func(string)
}

// Properties hallmark records on packages found in an image.
const (
	PropLayer      = "hallmark:image:layer"       // diff id of the layer that added the package
	PropLayerIndex = "hallmark:image:layer-index" // its index, 0 = the base layer
	PropRemovedIn  = "hallmark:image:removed-in"  // all-layers: the layer that removed it
)

// splitScheme returns the scheme and the rest of a SOURCE, or "" and the
// SOURCE when it names no known scheme (a Windows drive letter is no
// scheme).
func splitScheme(s string) (string, string) {
	i := strings.IndexByte(s, ':')
	if i <= 1 {
		return "", s
	}
	switch sc := s[:i]; sc {
	case SchemeDockerArchive, SchemeOCIDir, SchemeOCIArchive, SchemeRegistry, SchemeDir:
		return sc, s[i+1:]
	}
	return "", s
}

// sniffImage tells, without a scheme, whether path is an image: a
// directory with an oci-layout file, or a tar (gzip or not) whose members
// include manifest.json (docker-archive) or oci-layout (oci-archive).
func sniffImage(path string, st fs.FileInfo) string {
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "oci-layout")); err == nil {
			return SchemeOCIDir
		}
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	r, err := maybeGunzip(f)
	if err != nil {
		return ""
	}
	tr := tar.NewReader(r)
	for i := 0; i < 64; i++ {
		h, err := tr.Next()
		if err != nil {
			return ""
		}
		switch strings.TrimPrefix(h.Name, "./") {
		case "manifest.json":
			return SchemeDockerArchive
		case "oci-layout":
			return SchemeOCIArchive
		}
	}
	return ""
}

// maybeGunzip returns a reader of r's content, decompressed when it is
// gzip. Decompression is most of the cost of reading a gzip'd layer:
// klauspost/compress's gzip (already linked through go-containerregistry)
// decompresses the Debian image's layer 15% faster than compress/gzip
// (bench/RESULTS.md).
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10) // larger reads bypass it
	if startsGzip(br) {
		return gzip.NewReader(br)
	}
	return br, nil
}

// startsGzip reports whether the buffered stream begins with gzip's magic
// number (without consuming it).
func startsGzip(br *bufio.Reader) bool {
	magic, err := br.Peek(2)
	return err == nil && isGzipMagic(magic)
}

func isGzipMagic(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// hostPlatform is the default platform: linux on the host's architecture.
func hostPlatform() string { return "linux/" + runtime.GOARCH }

func parsePlatform(s string) (v1.Platform, error) {
	if s == "" {
		s = hostPlatform()
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return v1.Platform{}, fmt.Errorf("--platform %q: want os/arch or os/arch/variant", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// openImage opens the image a scheme and path name. cleanup removes what
// opening needed on disk (an unpacked oci-archive).
func openImage(ctx context.Context, scheme, ref string, o ImageOptions) (img v1.Image, display string, cleanup func(), err error) {
	cleanup = func() {}
	plat, err := parsePlatform(o.Platform)
	if err != nil {
		return nil, "", cleanup, err
	}
	switch scheme {
	case SchemeDockerArchive:
		opener := func() (io.ReadCloser, error) {
			f, err := os.Open(ref)
			if err != nil {
				return nil, err
			}
			r, err := maybeGunzip(f)
			if err != nil {
				f.Close()
				return nil, err
			}
			return struct {
				io.Reader
				io.Closer
			}{r, f}, nil
		}
		img, err = tarball.Image(opener, nil)
		if err != nil {
			return nil, "", cleanup, fmt.Errorf("docker-archive %s: %w", ref, err)
		}
		m, merr := tarball.LoadManifest(opener)
		display = filepath.Base(ref)
		if merr == nil && len(m) > 0 && len(m[0].RepoTags) > 0 {
			display = m[0].RepoTags[0]
		}
		return img, display, cleanup, nil
	case SchemeOCIArchive:
		dir, err := os.MkdirTemp("", "hallmark-oci-")
		if err != nil {
			return nil, "", cleanup, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		if err := untarOCI(ref, dir); err != nil {
			return nil, "", cleanup, fmt.Errorf("oci-archive %s: %w", ref, err)
		}
		img, display, err = fromLayout(dir, plat, o)
		if err != nil {
			return nil, "", cleanup, fmt.Errorf("oci-archive %s: %w", ref, err)
		}
		if display == "" {
			display = filepath.Base(ref)
		}
		return img, display, cleanup, nil
	case SchemeOCIDir:
		img, display, err = fromLayout(ref, plat, o)
		if err != nil {
			return nil, "", cleanup, fmt.Errorf("oci-dir %s: %w", ref, err)
		}
		if display == "" {
			display = filepath.Base(filepath.Clean(ref))
		}
		return img, display, cleanup, nil
	case SchemeRegistry:
		var nopts []name.Option
		if r, err := name.ParseReference(ref); err == nil && slices.Contains(o.InsecureRegistries, r.Context().RegistryStr()) {
			nopts = append(nopts, name.Insecure)
		}
		r, err := name.ParseReference(ref, nopts...)
		if err != nil {
			return nil, "", cleanup, fmt.Errorf("registry:%s: %w", ref, err)
		}
		img, err = remote.Image(r, remote.WithContext(ctx), remote.WithPlatform(plat), remote.WithAuthFromKeychain(authn.DefaultKeychain))
		if err != nil {
			return nil, "", cleanup, fmt.Errorf("registry:%s: %w", ref, err)
		}
		return img, r.String(), cleanup, nil
	}
	return nil, "", cleanup, fmt.Errorf("unknown image scheme %q", scheme)
}

// fromLayout picks the image of an OCI layout for plat (descending nested
// indexes), saying which it took when the index offered several.
func fromLayout(dir string, plat v1.Platform, o ImageOptions) (v1.Image, string, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, "", err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, "", err
	}
	for depth := 0; depth < limits.ImageIndexDepth; depth++ {
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, "", err
		}
		var cands []v1.Descriptor
		var nested []v1.Descriptor
		for _, d := range im.Manifests {
			switch {
			case d.MediaType.IsImage():
				cands = append(cands, d)
			case d.MediaType.IsIndex():
				nested = append(nested, d)
			}
		}
		if len(cands) == 0 && len(nested) == 1 {
			if idx, err = idx.ImageIndex(nested[0].Digest); err != nil {
				return nil, "", err
			}
			continue
		}
		var pick *v1.Descriptor
		var offered []string
		for i, d := range cands {
			if d.Platform == nil {
				if len(cands) == 1 {
					pick = &cands[i]
				}
				continue
			}
			offered = append(offered, d.Platform.String())
			if d.Platform.Satisfies(plat) && pick == nil {
				pick = &cands[i]
			}
		}
		if pick == nil {
			return nil, "", fmt.Errorf("no image for platform %s in the index (it offers: %s)", plat.String(), strings.Join(offered, ", "))
		}
		if len(cands) > 1 && o.Note != nil {
			o.Note(fmt.Sprintf("image index offers %s: took %s", strings.Join(offered, ", "), pick.Platform.String()))
		}
		img, err := idx.Image(pick.Digest)
		if err != nil {
			return nil, "", err
		}
		return img, pick.Annotations["org.opencontainers.image.ref.name"], nil
	}
	return nil, "", fmt.Errorf("image indexes nested deeper than %d", limits.ImageIndexDepth)
}

// untarOCI unpacks an oci-archive into dir, refusing names that leave it,
// links, and more than limits.ImageArchiveMembers members.
func untarOCI(archive, dir string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := maybeGunzip(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(r)
	for n := 0; ; n++ {
		if n > limits.ImageArchiveMembers {
			return fmt.Errorf("more than %d members", limits.ImageArchiveMembers)
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name, ok := cleanName(h.Name)
		if !ok {
			return fmt.Errorf("member %q leaves the archive", h.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, io.LimitReader(tr, h.Size))
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("member %q: links and special files have no place in an OCI layout", h.Name)
		}
	}
}

// loadImage catalogs an image: its layers squashed (streamed, never
// extracted), every cataloger run over the view, each package attributed
// to the layer that added it.
func loadImage(ctx context.Context, scheme, ref, userPath string, opts Options) (*Result, error) {
	li, cleanup, err := openLayered(ctx, scheme, ref, opts.Image)
	defer cleanup()
	if err != nil {
		return nil, err
	}
	cfg := li.config
	if len(cfg.RootFS.DiffIDs) != li.n {
		return nil, fmt.Errorf("%s: the configuration names %d layers, the manifest %d", userPath, len(cfg.RootFS.DiffIDs), li.n)
	}
	cats := opts.Catalog.Catalogers
	sq := newSquash(func(name string, mode fs.FileMode) bool { return wantedInImage(cats, name, mode) })
	var problems []catalog.Problem
	for i := range li.n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rc, size, err := li.open(i)
		if err != nil {
			return nil, fmt.Errorf("%s: layer %d: %w", userPath, i, err)
		}
		err = sq.applyLayer(i, rc, cfg.RootFS.DiffIDs[i].String(), size)
		rc.Close()
		if errors.Is(err, ErrTampered) {
			return nil, fmt.Errorf("%s: %w", userPath, err)
		}
		if err != nil {
			// A truncated or unreadable layer: what the layers so far show is
			// still cataloged, and the result says it is incomplete.
			problems = append(problems, catalog.Problem{Path: userPath, Err: err})
			break
		}
	}
	for _, p := range sq.problems {
		problems = append(problems, catalog.Problem{Path: userPath, Err: errors.New(p)})
	}
	view := sq.fs()
	doc, walkProblems := catalog.Walk(ctx, view, opts.Catalog)
	for _, p := range walkProblems {
		p.Path = userPath + ":/" + p.Path
		problems = append(problems, p)
	}
	diffIDs := make([]string, len(cfg.RootFS.DiffIDs))
	for i, d := range cfg.RootFS.DiffIDs {
		diffIDs[i] = d.String()
	}
	attributeLayers(ctx, doc, sq, view, diffIDs, opts)
	if opts.Image.AllLayers {
		addRemoved(ctx, doc, sq, view, diffIDs, opts)
	}
	doc.Name = li.display
	doc.Source = userPath
	doc.Created = opts.Created
	doc.Subject = imageSubject(li.display, li.digest, li.configDigest, cfg, view)
	if doc.Subject.Properties["hallmark:image:os"] == "" {
		problems = append(problems, catalog.Problem{Path: userPath, Err: errors.New("no /etc/os-release: the distribution is unknown, its OS packages cannot be matched")})
	}
	return &Result{Kind: KindImage, Document: doc, Problems: problems}, nil
}

// imageSubject describes the image as the SBOM's root component.
func imageSubject(display, digest, configDigest string, cfg *v1.ConfigFile, view fs.FS) sbom.Subject {
	s := sbom.Subject{Type: "container", Name: display, Version: cmpOr(digest, configDigest), Properties: map[string]string{}}
	s.Properties["hallmark:image:digest"] = digest
	s.Properties["hallmark:image:config-digest"] = configDigest
	s.Properties["hallmark:image:architecture"] = cfg.Architecture
	if cfg.Variant != "" {
		s.Properties["hallmark:image:architecture"] += "/" + cfg.Variant
	}
	for _, k := range []string{"org.opencontainers.image.source", "org.opencontainers.image.revision", "org.opencontainers.image.version"} {
		if v := cfg.Config.Labels[k]; v != "" {
			s.Properties["hallmark:image:label:"+k] = v
		}
	}
	if rel, ok := catalog.ReadOSRelease(view); ok {
		s.Properties["hallmark:image:os"] = rel.PrettyName
		if rel.PrettyName == "" {
			s.Properties["hallmark:image:os"] = strings.TrimSpace(rel.ID + " " + rel.VersionID)
		}
		s.Properties["hallmark:image:os-id"] = rel.ID
		s.Properties["hallmark:image:os-version"] = rel.VersionID
	}
	for k, v := range s.Properties {
		if v == "" {
			delete(s.Properties, k)
		}
	}
	return s
}

// layeredImage is what loadImage reads of an image, whatever its form.
type layeredImage struct {
	display      string
	digest       string // the manifest's digest; "" for a docker-archive (it has no manifest)
	configDigest string
	config       *v1.ConfigFile
	n            int
	// open returns layer i's uncompressed tar and its stored size.
	open func(i int) (io.ReadCloser, int64, error)
}

// openLayered opens the image a scheme and reference name.
func openLayered(ctx context.Context, scheme, ref string, o ImageOptions) (*layeredImage, func(), error) {
	if scheme == SchemeDockerArchive {
		a, err := openDockerArchive(ref)
		if err == nil {
			return a.image(filepath.Base(ref)), func() { a.Close() }, nil
		}
		if !isGzipFile(ref) {
			return nil, func() {}, fmt.Errorf("docker-archive %s: %w", ref, err)
		}
		// A gzip'd docker save: not seekable, read through go-containerregistry.
	}
	img, display, cleanup, err := openImage(ctx, scheme, ref, o)
	if err != nil {
		return nil, cleanup, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, cleanup, fmt.Errorf("%s: read the image configuration: %w", ref, err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, cleanup, fmt.Errorf("%s: %w", ref, err)
	}
	li := &layeredImage{display: display, config: cfg, n: len(layers)}
	if scheme != SchemeDockerArchive {
		if d, err := img.Digest(); err == nil {
			li.digest = d.String()
		}
	}
	if c, err := img.ConfigName(); err == nil {
		li.configDigest = c.String()
	}
	li.open = func(i int) (io.ReadCloser, int64, error) {
		size, _ := layers[i].Size()
		// gzip (nearly every layer) is decompressed here, with the faster
		// gzip; zstd and anything else by go-containerregistry.
		rc, err := layers[i].Compressed()
		if err != nil {
			return nil, 0, err
		}
		br := bufio.NewReaderSize(rc, 64<<10)
		if startsGzip(br) {
			zr, err := gzip.NewReader(br)
			if err != nil {
				rc.Close()
				return nil, 0, err
			}
			return readCloser{zr, rc}, size, nil
		}
		rc.Close()
		rc, err = layers[i].Uncompressed()
		return rc, size, err
	}
	return li, cleanup, nil
}

// readCloser reads from one reader and closes another (a decompressor
// over the file it reads).
type readCloser struct {
	io.Reader
	c io.Closer
}

func (r readCloser) Close() error { return r.c.Close() }

func isGzipFile(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [2]byte
	_, err = io.ReadFull(f, b[:])
	return err == nil && isGzipMagic(b[:])
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
