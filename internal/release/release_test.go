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
	"github.com/hallmark-dev/hallmark/internal/tuf"
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

// A Go binary among the artifacts gets its own SBOM (the modules linked
// into it) and VEX; its cyclonedx attestation is that SBOM, while a file
// hallmark cannot read keeps the source tree's.
func TestArtifactSBOM(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Skip(err)
	}
	kp := keypair(t)
	bin := filepath.Join(t.TempDir(), "release.test")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(other, []byte("release notes"), 0o644)
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module example.com/app\n\ngo 1.26\n"), 0o644)
	out := filepath.Join(t.TempDir(), "rel")
	m, _, err := Make(context.Background(), Options{Artifacts: []string{bin, other}, Product: "app", Version: "2.0.0", Keypair: kp,
		SBOMFrom: src, Out: out, Created: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC),
		Build: attest.Build{BuilderID: "https://ci.example.com/builder", BuildType: attest.BuildTypeGeneric, SourceURI: "git+https://example.com/app", SourceCommit: strings.Repeat("b", 40)}})
	if err != nil {
		t.Fatal(err)
	}
	var gotBin, gotOther *Artifact
	for i := range m.Artifacts {
		switch m.Artifacts[i].Name {
		case "release.test":
			gotBin = &m.Artifacts[i]
		case "notes.txt":
			gotOther = &m.Artifacts[i]
		}
	}
	if gotBin == nil || gotBin.SBOM == nil || gotBin.SBOM.CycloneDX != "release.test.cdx.json" || gotBin.VEX != "release.test.openvex.json" {
		t.Fatalf("the Go binary has no SBOM of its own: %+v", gotBin)
	}
	if gotOther == nil || gotOther.SBOM != nil {
		t.Fatalf("a text file got an SBOM: %+v", gotOther)
	}
	sb, err := os.ReadFile(filepath.Join(out, gotBin.SBOM.CycloneDX))
	if err != nil || !strings.Contains(string(sb), "pkg:golang/stdlib@go") {
		t.Fatalf("the binary's SBOM does not list its Go toolchain (%v)", err)
	}
	// The attestation of the binary's SBOM is that SBOM, and it verifies.
	bdl, err := verify.ReadBundleFile(filepath.Join(out, gotBin.Bundles["cyclonedx"]))
	if err != nil {
		t.Fatal(err)
	}
	res, err := verify.File(context.Background(), bdl, filepath.Join(out, "release.test"), verify.Options{PublicKey: kp.GetPublicKey(), PredicateType: "cyclonedx"})
	if err != nil {
		t.Fatal(err)
	}
	if pred := res.Statement.GetPredicate().String(); !strings.Contains(pred, "pkg:golang/stdlib@go") {
		t.Error("the binary's cyclonedx attestation is not its own SBOM")
	}
	v, err := Verify(context.Background(), out, VerifyOptions{Verify: verify.Options{PublicKey: kp.GetPublicKey()}})
	if err != nil || !v.OK() {
		t.Fatalf("verify-release: %v %q", err, failed(v))
	}
}

// verify-release with the vendor's update repository: fresh, correctly
// signed TUF metadata must list the manifest and every artifact with the
// same length and hashes. The repository is read as a local copy.
func TestVerifyWithTUF(t *testing.T) {
	kp := keypair(t)
	now := time.Now().UTC()
	a, _ := keys.Generate(keys.ECDSAP256)
	b, _ := keys.Generate(keys.ECDSAP256)
	tk := tuf.Keys{Offline: a, Online: b}
	publish := func(t *testing.T, dir string, skip string) (string, []byte) {
		repo := t.TempDir()
		if err := tuf.Init(repo, tk, tuf.DefaultExpiries, now); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(dir)
		var ts []tuf.Target
		for _, e := range entries {
			if e.Name() != skip {
				ts = append(ts, tuf.Target{Name: "app/1.0.0/" + e.Name(), Path: filepath.Join(dir, e.Name())})
			}
		}
		if err := tuf.Add(repo, tk, tuf.DefaultExpiries, now, ts); err != nil {
			t.Fatal(err)
		}
		root, err := os.ReadFile(filepath.Join(repo, "metadata", "1.root.json"))
		if err != nil {
			t.Fatal(err)
		}
		return repo, root
	}
	opts := func(t *testing.T, repo string, root []byte, at time.Time) VerifyOptions {
		url, client, err := tuf.Repository(repo)
		if err != nil {
			t.Fatal(err)
		}
		return VerifyOptions{Verify: verify.Options{PublicKey: kp.GetPublicKey()},
			TUF: &tuf.ClientOptions{RepoURL: url, HTTPClient: client, Root: root, CacheDir: t.TempDir(), Now: at}}
	}
	dir := makeRelease(t, kp)
	repo, root := publish(t, dir, "")
	v, err := Verify(context.Background(), dir, opts(t, repo, root, now))
	if err != nil || !v.OK() {
		t.Fatalf("verify with TUF: %v %q", err, failed(v))
	}
	n := 0
	for _, c := range v.Checks {
		if c.Check == "tuf" {
			n++
		}
	}
	if n != 3 { // release.json and two artifacts
		t.Errorf("%d tuf checks, want 3", n)
	}

	cases := []struct {
		name, want string
		run        func(t *testing.T) *Verdict
	}{
		{"artifact the repository does not list", "app.tar.gz tuf: app/1.0.0/app.tar.gz: not in the repository's signed targets", func(t *testing.T) *Verdict {
			d := makeRelease(t, kp)
			r, rt := publish(t, d, "app.tar.gz")
			v, _ := Verify(context.Background(), d, opts(t, r, rt, now))
			return v
		}},
		{"artifact differs from the published one", "app-linux-amd64 tuf: app/1.0.0/app-linux-amd64:", func(t *testing.T) *Verdict {
			d := makeRelease(t, kp)
			r, rt := publish(t, d, "")
			// Another release of the same name and version, signed by the
			// same vendor key, is not what the repository published.
			d2 := makeRelease(t, kp)
			os.WriteFile(filepath.Join(d2, "app-linux-amd64"), []byte("the release binary, rebuilt"), 0o755)
			v, _ := Verify(context.Background(), d2, opts(t, r, rt, now))
			return v
		}},
		{"expired timestamp (freeze)", "TUF metadata: refresh metadata:", func(t *testing.T) *Verdict {
			v, _ := Verify(context.Background(), dir, opts(t, repo, root, now.Add(2*24*time.Hour)))
			return v
		}},
		{"another repository's root", "TUF metadata:", func(t *testing.T) *Verdict {
			c, _ := keys.Generate(keys.ECDSAP256)
			d, _ := keys.Generate(keys.ECDSAP256)
			r2 := t.TempDir()
			if err := tuf.Init(r2, tuf.Keys{Offline: c, Online: d}, tuf.DefaultExpiries, now); err != nil {
				t.Fatal(err)
			}
			rt2, _ := os.ReadFile(filepath.Join(r2, "metadata", "1.root.json"))
			v, _ := Verify(context.Background(), dir, opts(t, repo, rt2, now))
			return v
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.run(t)
			f := strings.Join(failed(v), "\n")
			if v.OK() || !strings.Contains(f, tc.want) {
				t.Errorf("failed checks %q, want %q", f, tc.want)
			}
		})
	}
}
