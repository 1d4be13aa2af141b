package source_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/all"
	"github.com/hallmark-dev/hallmark/internal/source"
)

// ociLayout writes an OCI image layout by hand (so that it can be broken
// in ways go-containerregistry would not write): one image of the given
// gzip'd layers and diff ids, for os/arch, in the top-level index.
func ociLayout(t *testing.T, gzLayers [][]byte, diffIDs []string, arch string) string {
	t.Helper()
	dir := t.TempDir()
	blobs := filepath.Join(dir, "blobs", "sha256")
	os.MkdirAll(blobs, 0o755)
	put := func(b []byte) (string, int) {
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])
		if err := os.WriteFile(filepath.Join(blobs, h), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return "sha256:" + h, len(b)
	}
	cfg, _ := json.Marshal(map[string]any{"architecture": arch, "os": "linux", "rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs}})
	cd, cs := put(cfg)
	var layers []map[string]any
	for _, l := range gzLayers {
		d, s := put(l)
		layers = append(layers, map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s})
	}
	man, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs}, "layers": layers})
	md, ms := put(man)
	idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
		"manifests": []map[string]any{{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
			"platform": map[string]string{"os": "linux", "architecture": arch}}}})
	os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644)
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion": "1.0.0"}`), 0o644)
	return dir
}

func gz(t *testing.T, parts ...io.Reader) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	for _, p := range parts {
		if _, err := io.Copy(zw, p); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	return b.Bytes()
}

func loadErr(src, platform string) (*source.Result, error) {
	return source.Load(context.Background(), src, source.Options{Catalog: catalog.Options{Catalogers: all.Catalogers()}, Image: source.ImageOptions{Platform: platform}})
}

// The image bad input the issue lists, for OCI layouts: each is one clear
// error or problem naming the image, never a panic.
func TestOCIBadInput(t *testing.T) {
	good := layerTar(t, []tfile{{name: "usr/lib/os-release", body: osRelease}, {name: "var/lib/dpkg/status", body: status("bash=5.2.15-2+b2")}})
	sum := sha256.Sum256(good)
	goodID := "sha256:" + hex.EncodeToString(sum[:])

	t.Run("sound", func(t *testing.T) {
		res, err := loadErr("oci-dir:"+ociLayout(t, [][]byte{gz(t, bytes.NewReader(good))}, []string{goodID}, "amd64"), "linux/amd64")
		if err != nil || len(res.Document.Packages) != 1 {
			t.Fatalf("a sound layout: %v %v", res, err)
		}
	})
	t.Run("no image for the platform", func(t *testing.T) {
		dir := ociLayout(t, [][]byte{gz(t, bytes.NewReader(good))}, []string{goodID}, "arm64")
		_, err := loadErr("oci-dir:"+dir, "linux/amd64")
		if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "no image for platform linux/amd64") || !strings.Contains(err.Error(), "linux/arm64") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("manifest names a missing blob", func(t *testing.T) {
		layer := gz(t, bytes.NewReader(good))
		dir := ociLayout(t, [][]byte{layer}, []string{goodID}, "amd64")
		s := sha256.Sum256(layer)
		os.Remove(filepath.Join(dir, "blobs", "sha256", hex.EncodeToString(s[:])))
		_, err := loadErr("oci-dir:"+dir, "linux/amd64")
		if err == nil || !strings.Contains(err.Error(), dir) || strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("layer digest does not match", func(t *testing.T) {
		_, err := loadErr("oci-dir:"+ociLayout(t, [][]byte{gz(t, bytes.NewReader(good))}, []string{"sha256:" + strings.Repeat("1", 64)}, "amd64"), "")
		if !errors.Is(err, source.ErrTampered) {
			t.Errorf("err = %v, want ErrTampered", err)
		}
	})
	t.Run("gzip bomb", func(t *testing.T) {
		// 2 MB that do not compress, then 600 MB of zeros that do: past
		// the floor, the layer decompresses beyond 200 times its stored
		// size and is refused there, not read to its end.
		noise := make([]byte, 2<<20)
		rand.Read(noise)
		var hdr bytes.Buffer
		tw := tar.NewWriter(&hdr)
		tw.WriteHeader(&tar.Header{Name: "noise", Mode: 0o644, Size: int64(len(noise))})
		tw.Write(noise)
		tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: 600 << 20})
		tw.Flush()
		bomb := gz(t, &hdr, io.LimitReader(zeros{}, 600<<20))
		res, err := loadErr("oci-dir:"+ociLayout(t, [][]byte{bomb}, []string{"sha256:" + strings.Repeat("2", 64)}, "amd64"), "")
		if err == nil {
			if len(res.Problems) == 0 || !strings.Contains(res.Problems[0].Error(), "decompresses beyond the limit") {
				t.Errorf("problems = %v", res.Problems)
			}
		} else if !errors.Is(err, source.ErrLayerTooLarge) {
			t.Errorf("err = %v, want ErrLayerTooLarge", err)
		}
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
