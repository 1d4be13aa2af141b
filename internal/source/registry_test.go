package source_test

import (
	"archive/tar"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/all"
	"github.com/hallmark-dev/hallmark/internal/source"
)

// An image pushed to go-containerregistry's in-process registry (loopback)
// gives, pulled as registry:HOST/REPO:TAG, the same packages as the archive
// it was pushed from.
func TestRegistryRoundTrip(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	l := layerTar(t, []tfile{
		{name: "etc/os-release", body: osRelease},
		{name: "var/lib/dpkg/status", body: status("libc6=2.36-9+deb12u7", "curl=7.88.1-10+deb12u8")},
		{name: "usr/bin/", typ: tar.TypeDir, mode: 0o755},
	})
	archive := dockerArchive(t, [][]byte{l}, nil)
	img, err := tarball.ImageFromPath(archive, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host+"/debian:test", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}

	fromArchive := load(t, archive, source.Options{})
	// Loopback registries are spoken to over HTTP as Docker does; any other
	// host only when named by --insecure-registry.
	opts := source.Options{Catalog: catalog.Options{Catalogers: all.Catalogers()}}
	opts.Image.InsecureRegistries = []string{host}
	fromRegistry, err := source.Load(context.Background(), "registry:"+host+"/debian:test", opts)
	if err != nil {
		t.Fatal(err)
	}
	pkgs := func(r *source.Result) []string {
		var out []string
		for _, p := range r.Document.Packages {
			out = append(out, p.PURL+" "+p.Properties[source.PropLayer])
		}
		return out
	}
	if diff := cmp.Diff(pkgs(fromArchive), pkgs(fromRegistry)); diff != "" {
		t.Errorf("registry vs archive (-archive +registry):\n%s", diff)
	}
	if d := fromRegistry.Document.Subject.Properties["hallmark:image:digest"]; !strings.HasPrefix(d, "sha256:") {
		t.Errorf("registry image digest %q", d)
	}
}
