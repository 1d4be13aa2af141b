package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/keys"
)

// An image archive attested with its own SBOM (no --predicate), then
// verified by a customer with a policy over the attested SBOM: the real
// Debian image .ci/setup.d/debian-image.sh builds.
func TestAttestImageSBOM(t *testing.T) {
	imgDir := os.Getenv("HALLMARK_TEST_IMAGE_DIR")
	if imgDir == "" {
		t.Skip("HALLMARK_TEST_IMAGE_DIR unset: .ci/setup.d/debian-image.sh builds the image with ../shared/images/build-debian-image.sh")
	}
	img := filepath.Join(imgDir, "debian.docker.tar")
	dir := t.TempDir()
	pw := map[string]string{keys.PasswordEnv: testPassword}
	if code, _, stderr := runEnv(t, pw, "keys", "generate", "--out", filepath.Join(dir, "rel")); code != 0 {
		t.Fatalf("keys generate: %d %s", code, stderr)
	}
	for _, typ := range []string{"cyclonedx", "spdx"} {
		bundle := filepath.Join(dir, typ+".json")
		code, _, stderr := runEnv(t, pw, "attest", img, "--type", typ, "--key", filepath.Join(dir, "rel.key"), "--bundle", bundle)
		if code != 0 {
			t.Fatalf("attest --type %s: %d %s", typ, code, stderr)
		}
		if !strings.Contains(stderr, "Predicate: the SBOM of "+img+" (") {
			t.Errorf("attest --type %s: stderr %q does not say the SBOM was made", typ, stderr)
		}
		// A licence gate over the verified SBOM: bash is GPL-3.0-or-later.
		pol := filepath.Join(dir, "pol.yaml")
		writeFile(t, pol, "rules:\n  - id: no-gpl3\n    kind: licenses\n    deny: [GPL-3.0-or-later]\n")
		code, stdout, stderr := runEnv(t, nil, "verify", img, "--bundle", bundle, "--key", filepath.Join(dir, "rel.pub"), "--type", typ, "--policy", pol)
		if code != ExitFindings {
			t.Fatalf("verify --policy (%s): exit %d, want %d\n%s\n%s", typ, code, ExitFindings, stdout, stderr)
		}
		for _, want := range []string{"Verified OK: " + img, "pkg:deb/debian/bash@", "Policy " + pol + " over the verified SBOM ("} {
			if !strings.Contains(stdout, want) {
				t.Errorf("verify --policy (%s): stdout lacks %q:\n%s", typ, want, stdout)
			}
		}
	}
}
