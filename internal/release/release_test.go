package release

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-dev/hallmark/internal/attest"
	"github.com/hallmark-dev/hallmark/internal/keys"
	"github.com/hallmark-dev/hallmark/internal/sign"
	"github.com/hallmark-dev/hallmark/internal/verify"
)

func keypair(t *testing.T) *sign.Keypair {
	k, err := keys.Generate(keys.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := sign.NewKeypair(k)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func makeRelease(t *testing.T, kp *sign.Keypair) string {
	t.Helper()
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "package-lock.json"), []byte(`{"name":"app","lockfileVersion":3,"packages":{"":{"name":"app","dependencies":{"ws":"^7.5.0"}},"node_modules/ws":{"version":"7.5.9","resolved":"https://registry.npmjs.org/ws/-/ws-7.5.9.tgz","integrity":"sha512-F+P9Jil7UiSKSkppIiD94dN07AwvFixvLIj1Og1Rl9GGMuNipJnV9JzjD6XuqmAeiswGvUmNLjr5cFuXwNS77Q=="}}}`), 0o644)
	art := filepath.Join(t.TempDir(), "app-linux-amd64")
	os.WriteFile(art, []byte("the release binary"), 0o755)
	other := filepath.Join(t.TempDir(), "app.tar.gz")
	os.WriteFile(other, []byte("the release archive"), 0o644)
	out := filepath.Join(t.TempDir(), "release-1.0.0")
	created := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	_, _, err := Make(context.Background(), Options{Artifacts: []string{art, other}, Product: "app", Version: "1.0.0", Keypair: kp,
		SBOMFrom: src, Out: out, Created: created, Build: attest.Build{BuilderID: "https://ci.example.com/builder", BuildType: attest.BuildTypeGeneric,
			SourceURI: "git+https://example.com/app", SourceCommit: strings.Repeat("a", 40)}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func failed(v *Verdict) []string {
	var out []string
	for _, c := range v.Checks {
		if !c.OK {
			out = append(out, c.Artifact+" "+c.Check+": "+c.Detail)
		}
	}
	return out
}

func TestReleaseVerify(t *testing.T) {
	kp := keypair(t)
	dir := makeRelease(t, kp)
	opts := VerifyOptions{Verify: verify.Options{PublicKey: kp.GetPublicKey(), BuilderID: "https://ci.example.com/builder"}}
	v, err := Verify(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() || len(v.Checks) != 2+2*5 {
		t.Fatalf("verify: ok=%v %d checks; failed %v", v.OK(), len(v.Checks), failed(v))
	}

	tamper := []struct {
		name, want string
		do         func(dir string)
	}{
		{"artifact swapped after signing", "app-linux-amd64 digest: digest mismatch", func(d string) {
			os.WriteFile(filepath.Join(d, "app-linux-amd64"), []byte("a trojan"), 0o755)
		}},
		{"manifest edited", "release.json manifest signature", func(d string) {
			b, _ := os.ReadFile(filepath.Join(d, ManifestFile))
			os.WriteFile(filepath.Join(d, ManifestFile), []byte(strings.Replace(string(b), `"1.0.0"`, `"1.0.1"`, 1)), 0o644)
		}},
		{"SHA256SUMS edited", "SHA256SUMS signature", func(d string) {
			os.WriteFile(filepath.Join(d, "SHA256SUMS"), []byte("0000  app-linux-amd64\n"), 0o644)
		}},
		{"SBOM attestation of another artifact", "app-linux-amd64 cyclonedx", func(d string) {
			b, _ := os.ReadFile(filepath.Join(d, "app.tar.gz.cyclonedx.sigstore.json"))
			os.WriteFile(filepath.Join(d, "app-linux-amd64.cyclonedx.sigstore.json"), b, 0o644)
		}},
		{"VEX attestation missing", "app.tar.gz openvex", func(d string) {
			os.Remove(filepath.Join(d, "app.tar.gz.openvex.sigstore.json"))
		}},
	}
	for _, tt := range tamper {
		t.Run(tt.name, func(t *testing.T) {
			d := makeRelease(t, kp)
			tt.do(d)
			v, err := Verify(context.Background(), d, opts)
			if err != nil {
				t.Fatal(err)
			}
			f := failed(v)
			if v.OK() || len(f) == 0 || !strings.Contains(strings.Join(f, "\n"), tt.want) {
				t.Errorf("failed checks %q, want one starting %q", f, tt.want)
			}
		})
	}
	// Signed by another key (another product's): every signature refused.
	other := VerifyOptions{Verify: verify.Options{PublicKey: keypair(t).GetPublicKey()}}
	v, _ = Verify(context.Background(), dir, other)
	if v.OK() || !strings.Contains(strings.Join(failed(v), "\n"), "manifest signature") {
		t.Errorf("another key: %q", failed(v))
	}
	// Provenance from another builder.
	wrong := opts
	wrong.Verify.BuilderID = "https://evil.example.com"
	v, _ = Verify(context.Background(), dir, wrong)
	if v.OK() || !strings.Contains(strings.Join(failed(v), "\n"), "slsa-provenance") {
		t.Errorf("wrong builder: %q", failed(v))
	}
}
