package source_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/all"
	"github.com/hallmark-dev/hallmark/internal/source"
)

type tfile struct {
	name, body, link string
	typ              byte
	mode             int64
}

func layerTar(t *testing.T, files []tfile) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Typeflag: f.typ, Mode: cmpOr(f.mode, 0o644), Size: int64(len(f.body)), Linkname: f.link}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(f.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func cmpOr(a, b int64) int64 {
	if a != 0 {
		return a
	}
	return b
}

// dockerArchive writes a `docker save` archive of layers; diffIDs, when
// given, replace the true ones (a tampered image).
func dockerArchive(t *testing.T, layers [][]byte, diffIDs []string) string {
	t.Helper()
	var ids, names []string
	for i, l := range layers {
		sum := sha256.Sum256(l)
		id := "sha256:" + hex.EncodeToString(sum[:])
		if diffIDs != nil {
			id = diffIDs[i]
		}
		ids = append(ids, id)
		names = append(names, hex.EncodeToString(sum[:])+"/layer.tar")
	}
	cfg, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Labels": map[string]string{"org.opencontainers.image.source": "https://example.com/app", "org.opencontainers.image.revision": "abc123"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": ids}})
	cs := sha256.Sum256(cfg)
	cfgName := hex.EncodeToString(cs[:]) + ".json"
	man, _ := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{"example/app:1.0"}, "Layers": names}})
	var files []tfile
	files = append(files, tfile{name: cfgName, body: string(cfg)})
	for i, l := range layers {
		files = append(files, tfile{name: names[i], body: string(l)})
	}
	files = append(files, tfile{name: "manifest.json", body: string(man)})
	p := filepath.Join(t.TempDir(), "image.tar")
	if err := os.WriteFile(p, layerTar(t, files), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const osRelease = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"

func status(pkgs ...string) string {
	var b strings.Builder
	for _, p := range pkgs {
		name, ver, _ := strings.Cut(p, "=")
		b.WriteString("Package: " + name + "\nStatus: install ok installed\nArchitecture: amd64\nVersion: " + ver + "\nMaintainer: Debian <debian@example.org>\n\n")
	}
	return b.String()
}

func load(t *testing.T, src string, o source.Options) *source.Result {
	t.Helper()
	o.Catalog = catalog.Options{Catalogers: all.Catalogers()}
	res, err := source.Load(context.Background(), src, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func names(res *source.Result) map[string]string {
	out := map[string]string{}
	for _, p := range res.Document.Packages {
		out[p.Name+"@"+p.Version] = p.Properties[source.PropLayerIndex] + "|" + p.Properties[source.PropRemovedIn]
	}
	return out
}

// Layers are applied in order: a later layer adds a package (its own
// status), another removes one, whiteouts delete files; every package
// says which layer added it.
func TestImageLayers(t *testing.T) {
	base := layerTar(t, []tfile{
		{name: "etc/", typ: tar.TypeDir, mode: 0o755},
		{name: "usr/lib/os-release", body: osRelease},
		{name: "etc/os-release", typ: tar.TypeSymlink, link: "../usr/lib/os-release"},
		{name: "var/lib/dpkg/status", body: status("libc6=2.36-9+deb12u7", "bash=5.2.15-2+b2")},
		{name: "usr/share/doc/bash/copyright", body: "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-3+\n"},
	})
	add := layerTar(t, []tfile{
		{name: "var/lib/dpkg/status", body: status("libc6=2.36-9+deb12u7", "bash=5.2.15-2+b2", "curl=7.88.1-10+deb12u8")},
		{name: "opt/app/.wh..wh..opq", body: ""},
	})
	del := layerTar(t, []tfile{
		{name: "var/lib/dpkg/status", body: status("libc6=2.36-9+deb12u7", "curl=7.88.1-10+deb12u8")},
		{name: "usr/share/doc/.wh.bash", body: ""},
	})
	img := dockerArchive(t, [][]byte{base, add, del}, nil)

	res := load(t, "docker-archive:"+img, source.Options{})
	if len(res.Problems) > 0 {
		t.Fatalf("problems: %v", res.Problems)
	}
	want := map[string]string{"libc6@2.36-9+deb12u7": "0|", "curl@7.88.1-10+deb12u8": "1|"}
	if diff := cmp.Diff(want, names(res)); diff != "" {
		t.Errorf("squashed packages (-want +got):\n%s", diff)
	}
	s := res.Document.Subject
	if s.Type != "container" || s.Name != "example/app:1.0" || s.Properties["hallmark:image:os"] != "Debian GNU/Linux 12 (bookworm)" ||
		s.Properties["hallmark:image:label:org.opencontainers.image.revision"] != "abc123" || !strings.HasPrefix(s.Version, "sha256:") {
		t.Errorf("subject = %+v", s)
	}
	if res.Document.Packages[0].Ecosystem != "Debian:12" {
		t.Errorf("ecosystem %q", res.Document.Packages[0].Ecosystem)
	}

	// Syft's all-layers scope: bash, removed by layer 2, is reported too.
	res = load(t, img, source.Options{Image: source.ImageOptions{AllLayers: true}})
	got := names(res)
	if !strings.HasPrefix(got["bash@5.2.15-2+b2"], "0|sha256:") {
		t.Errorf("all-layers: bash = %q, want added by layer 0 and removed", got["bash@5.2.15-2+b2"])
	}
}

// A layer whose content does not hash to the configuration's diff id is
// refused: the image was tampered with.
func TestImageTampered(t *testing.T) {
	l := layerTar(t, []tfile{{name: "var/lib/dpkg/status", body: status("bash=5.2")}})
	img := dockerArchive(t, [][]byte{l}, []string{"sha256:" + strings.Repeat("0", 64)})
	_, err := source.Load(context.Background(), img, source.Options{Catalog: catalog.Options{Catalogers: all.Catalogers()}})
	if !errors.Is(err, source.ErrTampered) {
		t.Fatalf("err = %v, want ErrTampered", err)
	}
}

// Entries that leave the root are skipped with a problem; a symbolic link
// pointing outside the root resolves inside it; the rest is cataloged.
func TestImageHostileEntries(t *testing.T) {
	l := layerTar(t, []tfile{
		{name: "../../escape", body: "x"},
		{name: "/abs/ok", body: "x"},
		{name: "usr/lib/os-release", body: osRelease},
		{name: "etc/os-release", typ: tar.TypeSymlink, link: "../../../../../../usr/lib/os-release"},
		{name: "var/lib/dpkg/status", body: status("bash=5.2.15-2+b2")},
		{name: "var/lib/dpkg/hard", typ: tar.TypeLink, link: "var/lib/dpkg/status"},
		{name: "var/lib/dpkg/dangling", typ: tar.TypeLink, link: "nowhere"},
	})
	res := load(t, dockerArchive(t, [][]byte{l}, nil), source.Options{})
	var msgs []string
	for _, p := range res.Problems {
		msgs = append(msgs, p.Error())
	}
	if len(msgs) != 2 || !strings.Contains(msgs[0]+msgs[1], "leaves the image root") || !strings.Contains(msgs[0]+msgs[1], "not in the image") {
		t.Errorf("problems = %q", msgs)
	}
	if got := names(res); len(got) != 1 || res.Document.Packages[0].Ecosystem != "Debian:12" {
		t.Errorf("packages = %v (ecosystem %q)", got, res.Document.Packages[0].Ecosystem)
	}
}

// A truncated archive is an error naming it; a missing os-release is a
// problem, and the packages are still reported.
func TestImageBroken(t *testing.T) {
	l := layerTar(t, []tfile{{name: "var/lib/dpkg/status", body: status("bash=5.2.15-2+b2")}})
	img := dockerArchive(t, [][]byte{l}, nil)
	res := load(t, img, source.Options{})
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Error(), "no /etc/os-release") {
		t.Errorf("problems = %v", res.Problems)
	}
	if len(res.Document.Packages) != 1 {
		t.Errorf("packages = %v", res.Document.Packages)
	}
	b, _ := os.ReadFile(img)
	trunc := filepath.Join(t.TempDir(), "trunc.tar")
	os.WriteFile(trunc, b[:len(b)/2], 0o644)
	if _, err := source.Load(context.Background(), "docker-archive:"+trunc, source.Options{Catalog: catalog.Options{Catalogers: all.Catalogers()}}); err == nil {
		t.Error("truncated archive: no error")
	}
}

// The real Debian image ../shared/images builds (HALLMARK_TEST_IMAGE_DIR,
// made by .ci/setup.d/debian-image.sh): the package set equals
// dpkg-query's, every package with its source package, from each form.
func TestDebianImage(t *testing.T) {
	dir := os.Getenv("HALLMARK_TEST_IMAGE_DIR")
	if dir == "" {
		t.Skip("HALLMARK_TEST_IMAGE_DIR unset: .ci/setup.d/debian-image.sh builds the image with ../shared/images/build-debian-image.sh")
	}
	truth, err := os.ReadFile(filepath.Join(dir, "dpkg-packages.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(string(truth)), "\n") {
		f := strings.Split(l, "\t")
		src := f[2]
		if src == "" {
			src = f[0]
		}
		want = append(want, f[0]+" "+f[1]+" "+src)
	}
	slices.Sort(want)
	for _, src := range []string{"docker-archive:" + filepath.Join(dir, "debian.docker.tar"), "oci-dir:" + filepath.Join(dir, "debian.oci"),
		filepath.Join(dir, "debian.oci.tar"), "dir:" + filepath.Join(dir, "rootfs")} {
		t.Run(filepath.Base(src), func(t *testing.T) {
			res := load(t, src, source.Options{})
			var got []string
			for _, p := range res.Document.Packages {
				if p.Ecosystem != "Debian:12" && !strings.HasPrefix(string(p.Ecosystem), "Debian") {
					continue
				}
				got = append(got, p.Name+" "+p.Version+" "+p.Properties["hallmark:os:source"])
			}
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("packages vs dpkg-query (-want +got):\n%s", diff)
			}
		})
	}
}
