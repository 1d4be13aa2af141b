package source

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// dockerArchive reads a `docker save` archive in place: one pass over the
// tar's headers (skipping contents by seeking) finds manifest.json, the
// configuration and where each layer member starts; each layer is then
// streamed straight from the archive file. Nothing is extracted,
// recompressed or hashed twice (go-containerregistry's tarball package
// computes a registry manifest by gzipping every layer, seconds for a
// 170 MB image; a docker-archive has no registry manifest to report).
type dockerArchive struct {
	f       *os.File
	members map[string]member
	entry   dockerManifestEntry
	config  *v1.ConfigFile
	rawCfg  []byte
}

type member struct{ off, size int64 }

type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// openDockerArchive indexes an uncompressed docker-archive. A gzip one is
// not seekable: the caller falls back to go-containerregistry.
func openDockerArchive(p string) (*dockerArchive, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	a := &dockerArchive{f: f, members: map[string]member{}}
	tr := tar.NewReader(f)
	for n := 0; ; n++ {
		if n > limits.ImageArchiveMembers {
			f.Close()
			return nil, fmt.Errorf("more than %d members", limits.ImageArchiveMembers)
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("read archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			f.Close()
			return nil, err
		}
		a.members[path.Clean(h.Name)] = member{off, h.Size}
	}
	var entries []dockerManifestEntry
	if err := json.Unmarshal(a.read("manifest.json", limits.ManifestBytes), &entries); err != nil || len(entries) == 0 {
		f.Close()
		return nil, fmt.Errorf("no manifest.json naming an image: not a docker-archive")
	}
	if len(entries) > 1 {
		f.Close()
		return nil, fmt.Errorf("%d images in one docker-archive: save one image per archive", len(entries))
	}
	a.entry = entries[0]
	a.rawCfg = a.read(a.entry.Config, limits.ManifestBytes)
	if a.rawCfg == nil {
		f.Close()
		return nil, fmt.Errorf("configuration %q is missing from the archive", a.entry.Config)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(a.rawCfg))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("configuration %s: %w", a.entry.Config, err)
	}
	a.config = cfg
	for _, l := range a.entry.Layers {
		if _, ok := a.members[path.Clean(l)]; !ok {
			f.Close()
			return nil, fmt.Errorf("layer %s named by the manifest is missing from the archive", l)
		}
	}
	return a, nil
}

func (a *dockerArchive) read(name string, max int64) []byte {
	m, ok := a.members[path.Clean(name)]
	if !ok || m.size > max {
		return nil
	}
	b := make([]byte, m.size)
	if _, err := a.f.ReadAt(b, m.off); err != nil {
		return nil
	}
	return b
}

// layer returns a reader of layer i's content (a tar, gzip or not).
func (a *dockerArchive) layer(i int) (io.Reader, int64) {
	m := a.members[path.Clean(a.entry.Layers[i])]
	return io.NewSectionReader(a.f, m.off, m.size), m.size
}

func (a *dockerArchive) Close() error { return a.f.Close() }

// image adapts the archive to what loadImage reads.
func (a *dockerArchive) image(display string) *layeredImage {
	li := &layeredImage{display: display, config: a.config, n: len(a.entry.Layers)}
	if len(a.entry.RepoTags) > 0 {
		li.display = a.entry.RepoTags[0]
	}
	sum := sha256.Sum256(a.rawCfg)
	li.configDigest = "sha256:" + hex.EncodeToString(sum[:])
	li.open = func(i int) (io.ReadCloser, int64, error) {
		r, size := a.layer(i)
		u, err := maybeGunzip(r)
		if err != nil {
			return nil, 0, err
		}
		return io.NopCloser(u), size, nil
	}
	return li
}
