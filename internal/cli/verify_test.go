package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/attest"
	"github.com/hallmark-dev/hallmark/internal/keys"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
	"github.com/hallmark-dev/hallmark/internal/sign"
)

// runEnv is Run with a private environment (passwords never touch the
// process environment, so tests run in parallel safely).
func runEnv(t *testing.T, environ map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return environ[k] }}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	code := ExitOK
	if err := root.ExecuteContext(context.Background()); err != nil {
		code = ExitError
		var ee *exitError
		if asExit(err, &ee) {
			code = ee.code
		}
		errb.WriteString("hallmark: " + err.Error() + "\n")
	}
	return code, out.String(), errb.String()
}

const testPassword = "correct horse battery staple"

// fixture is a directory with a key pair, an artifact, and its signature
// and attestation bundles, all made by the CLI.
type fixture struct {
	dir, key, pub, art, sig, att string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	f := fixture{dir: dir, key: filepath.Join(dir, "rel.key"), pub: filepath.Join(dir, "rel.pub"), art: filepath.Join(dir, "app.tar.gz")}
	pw := map[string]string{keys.PasswordEnv: testPassword}
	if code, _, stderr := runEnv(t, pw, "keys", "generate", "--out", filepath.Join(dir, "rel")); code != 0 {
		t.Fatalf("keys generate: %d %s", code, stderr)
	}
	writeFile(t, f.art, "release artifact contents\n")
	f.sig = f.art + ".sigstore.json"
	if code, _, stderr := runEnv(t, pw, "sign", f.art, "--key", f.key); code != 0 {
		t.Fatalf("sign: %d %s", code, stderr)
	}
	pred := filepath.Join(dir, "app.cdx.json")
	writeFile(t, pred, `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"left-pad","version":"1.3.0","purl":"pkg:npm/left-pad@1.3.0"}]}`)
	f.att = filepath.Join(dir, "att.json")
	if code, _, stderr := runEnv(t, pw, "attest", f.art, "--type", "cyclonedx", "--predicate", pred, "--key", f.key, "--bundle", f.att); code != 0 {
		t.Fatalf("attest: %d %s", code, stderr)
	}
	return f
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// editJSON rewrites a bundle through a function on its decoded JSON.
func editJSON(t *testing.T, src, dst string, edit func(m map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, string(out))
}

func flipBase64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	return base64.StdEncoding.EncodeToString(b)
}

func TestSignVerifyRoundTrip(t *testing.T) {
	f := newFixture(t)
	st, err := os.Stat(f.key)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v, want 0600", st.Mode().Perm())
	}
	code, out, stderr := runEnv(t, nil, "verify", f.art, "--key", f.pub)
	if code != 0 || !strings.Contains(out, "Verified OK") {
		t.Fatalf("verify signature: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = runEnv(t, nil, "verify", f.art, "--bundle", f.att, "--key", f.pub, "--type", "cyclonedx", "-o", "json")
	if code != 0 {
		t.Fatalf("verify attestation: exit %d\n%s%s", code, out, stderr)
	}
	var rep verifyReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Verified || rep.PredicateType != "https://cyclonedx.org/bom" || rep.Kind != "attestation" {
		t.Errorf("report %+v", rep)
	}
}

// TestVerifyAttacks is the list of bad input and attacks: each is
// refused with exit 1 and a message naming the failed check.
func TestVerifyAttacks(t *testing.T) {
	f := newFixture(t)
	d := f.dir
	other := filepath.Join(d, "other.tar.gz")
	writeFile(t, other, "another artifact\n")
	tampered := filepath.Join(d, "tampered.tar.gz")
	orig, _ := os.ReadFile(f.art)
	mod := bytes.Clone(orig)
	mod[3] ^= 0x20
	writeFile(t, tampered, string(mod))

	// Another key.
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherPub := filepath.Join(d, "other.pub")
	pem, _ := keys.MarshalPublic(otherKey.Public())
	writeFile(t, otherPub, string(pem))

	// A bundle signed for another file, with the right key.
	pw := map[string]string{keys.PasswordEnv: testPassword}
	otherBundle := filepath.Join(d, "other.sigstore.json")
	if code, _, stderr := runEnv(t, pw, "sign", other, "--key", f.key, "--bundle", otherBundle); code != 0 {
		t.Fatal(stderr)
	}

	// Validly signed DSSE envelopes with a wrong payload type and a
	// subject digest for another file.
	signer, err := keys.ReadPrivateFile(f.key, func() ([]byte, error) { return []byte(testPassword), nil })
	if err != nil {
		t.Fatal(err)
	}
	kp, err := sign.NewKeypair(signer)
	if err != nil {
		t.Fatal(err)
	}
	writeDSSE := func(name, payloadType string, payload []byte) string {
		b, err := sign.DSSE(context.Background(), payloadType, payload, kp)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := sign.Marshal(b)
		p := filepath.Join(d, name)
		writeFile(t, p, string(data))
		return p
	}
	stmt, err := attest.Statement([]attest.Subject{{Name: "app.tar.gz", Digest: map[string]string{"sha256": strings.Repeat("ab", 32)}}}, "https://cyclonedx.org/bom", []byte(`{"bomFormat":"CycloneDX"}`))
	if err != nil {
		t.Fatal(err)
	}
	wrongSubject := writeDSSE("wrong-subject.json", attest.PayloadType, stmt)
	wrongType := writeDSSE("wrong-type.json", "text/plain", []byte("hello"))

	sigChanged := filepath.Join(d, "sig-changed.json")
	editJSON(t, f.sig, sigChanged, func(m map[string]any) {
		ms := m["messageSignature"].(map[string]any)
		ms["signature"] = flipBase64(t, ms["signature"].(string))
	})
	dsseSigChanged := filepath.Join(d, "dsse-sig-changed.json")
	editJSON(t, f.att, dsseSigChanged, func(m map[string]any) {
		sig := m["dsseEnvelope"].(map[string]any)["signatures"].([]any)[0].(map[string]any)
		sig["sig"] = flipBase64(t, sig["sig"].(string))
	})
	payloadChanged := filepath.Join(d, "payload-changed.json")
	editJSON(t, f.att, payloadChanged, func(m map[string]any) {
		env := m["dsseEnvelope"].(map[string]any)
		p, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
		p = bytes.Replace(p, []byte("left-pad"), []byte("evil-pad"), 1)
		env["payload"] = base64.StdEncoding.EncodeToString(p)
	})
	unknownMedia := filepath.Join(d, "media.json")
	editJSON(t, f.sig, unknownMedia, func(m map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle.v9.9+json" })
	sigData, _ := os.ReadFile(f.sig)
	truncated := filepath.Join(d, "truncated.json")
	writeFile(t, truncated, string(sigData[:len(sigData)/2]))
	notJSON := filepath.Join(d, "notjson.json")
	writeFile(t, notJSON, "-----BEGIN SIGNATURE-----\nMEUCIQ...\n")
	empty := filepath.Join(d, "empty.json")
	writeFile(t, empty, "")

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"artifact changed by one byte", []string{tampered, "--bundle", f.sig, "--key", f.pub}, "artifact digest check failed: artifact sha256 digest is"},
		{"attested artifact changed", []string{tampered, "--bundle", f.att, "--key", f.pub}, "artifact digest check failed"},
		{"signature changed", []string{f.art, "--bundle", sigChanged, "--key", f.pub}, "signature check failed: signature does not verify with the given public key"},
		{"DSSE signature changed", []string{f.art, "--bundle", dsseSigChanged, "--key", f.pub}, "signature check failed"},
		{"DSSE payload changed", []string{f.art, "--bundle", payloadChanged, "--key", f.pub}, "signature check failed"},
		{"another key", []string{f.art, "--bundle", f.sig, "--key", otherPub}, "signature check failed"},
		{"another key, attestation", []string{f.art, "--bundle", f.att, "--key", otherPub}, "signature check failed"},
		{"bundle for another file", []string{f.art, "--bundle", otherBundle, "--key", f.pub}, "artifact digest check failed"},
		{"DSSE payload type not in-toto", []string{f.art, "--bundle", wrongType, "--key", f.pub}, `payload type check failed: DSSE payload type is "text/plain", not in-toto`},
		{"subject digest does not match", []string{f.art, "--bundle", wrongSubject, "--key", f.pub}, "artifact digest check failed: artifact sha256 digest"},
		{"wrong predicate type", []string{f.art, "--bundle", f.att, "--key", f.pub, "--type", "spdx"}, `predicate type check failed: predicate type is "https://cyclonedx.org/bom", want "https://spdx.dev/Document"`},
		{"message signature where an attestation is required", []string{f.art, "--bundle", f.sig, "--key", f.pub, "--type", "cyclonedx"}, "predicate type check failed: bundle holds a message signature"},
		{"truncated bundle", []string{f.art, "--bundle", truncated, "--key", f.pub}, "bundle check failed: malformed bundle"},
		{"non-JSON bundle", []string{f.art, "--bundle", notJSON, "--key", f.pub}, "bundle check failed: bundle is not JSON"},
		{"empty bundle", []string{f.art, "--bundle", empty, "--key", f.pub}, "bundle check failed: bundle is empty"},
		{"unknown media type", []string{f.art, "--bundle", unknownMedia, "--key", f.pub}, `bundle check failed: unknown bundle media type "application/vnd.dev.sigstore.bundle.v9.9+json"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runEnv(t, nil, append([]string{"verify"}, tt.args...)...)
			if code != ExitFindings {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitFindings, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", stderr, tt.want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("want one line, got:\n%s", stderr)
			}
		})
	}
}

// TestKeylessReal verifies the npm provenance of sigstore 2.0.0 (public-good
// Sigstore, offline) and refuses the other tarball, identity and issuer.
func TestKeylessReal(t *testing.T) {
	tgz := sharedtest.Path(t, "sigstore/sigstore-2.0.0.tgz")
	other := sharedtest.Path(t, "sigstore/sigstore-1.3.0.tgz")
	bundle := sharedtest.Path(t, "sigstore/sigstore.js@2.0.0-provenance.sigstore.json")
	trust := sharedtest.Path(t, "sigstore/trusted-root-public-good.json")
	const id = "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"
	const iss = "https://token.actions.githubusercontent.com"
	base := []string{"--bundle", bundle, "--trusted-root", trust}

	// A trusted root with no Fulcio CA: the certificate is untrusted. One
	// whose CAs expired before the signing: not valid at signing time.
	untrusted := filepath.Join(t.TempDir(), "untrusted-root.json")
	editJSON(t, trust, untrusted, func(m map[string]any) { m["certificateAuthorities"] = []any{} })
	expired := filepath.Join(t.TempDir(), "expired-root.json")
	editJSON(t, trust, expired, func(m map[string]any) {
		for _, ca := range m["certificateAuthorities"].([]any) {
			ca.(map[string]any)["validFor"] = map[string]any{"start": "2021-03-07T03:20:29Z", "end": "2022-01-01T00:00:00Z"}
		}
	})
	// A bundle whose log entry was altered (integrated time moved).
	badTlog := filepath.Join(t.TempDir(), "bad-tlog.json")
	editJSON(t, bundle, badTlog, func(m map[string]any) {
		e := m["verificationMaterial"].(map[string]any)["tlogEntries"].([]any)[0].(map[string]any)
		e["integratedTime"] = "1700000000"
	})

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"verifies offline at log time", append([]string{tgz, "--certificate-identity", id, "--certificate-oidc-issuer", iss, "--type", "slsa-provenance",
			"--source-uri", "https://github.com/sigstore/sigstore-js", "--source-digest", "f0b49a04e5a62250e0f60fb128004a73110fe311",
			"--builder-id", "https://github.com/actions/runner/github-hosted"}, base...), 0, "Verified OK"},
		{"identity regexp", append([]string{tgz, "--certificate-identity-regexp", `^https://github\.com/sigstore/`, "--certificate-oidc-issuer", iss}, base...), 0, "Verified OK"},
		{"other tarball", append([]string{other, "--certificate-identity", id, "--certificate-oidc-issuer", iss}, base...), 1, "artifact digest check failed"},
		{"wrong identity", append([]string{tgz, "--certificate-identity", "https://github.com/evil/sigstore-js/.github/workflows/release.yml@refs/heads/main", "--certificate-oidc-issuer", iss}, base...), 1, `identity check failed: certificate identity is "` + id + `"`},
		{"wrong issuer", append([]string{tgz, "--certificate-identity", id, "--certificate-oidc-issuer", "https://accounts.google.com"}, base...), 1, `issuer check failed: certificate OIDC issuer is "` + iss + `"`},
		{"untrusted certificate", []string{tgz, "--bundle", bundle, "--trusted-root", untrusted, "--certificate-identity", id, "--certificate-oidc-issuer", iss}, 1, "certificate check failed"},
		{"certificate not valid at signing time", []string{tgz, "--bundle", bundle, "--trusted-root", expired, "--certificate-identity", id, "--certificate-oidc-issuer", iss}, 1, "certificate check failed"},
		{"tampered log entry", []string{tgz, "--bundle", badTlog, "--trusted-root", trust, "--certificate-identity", id, "--certificate-oidc-issuer", iss}, 1, "transparency log check failed"},
		{"keyless bundle with a key", []string{tgz, "--bundle", bundle, "--key", sharedtest.Path(t, "sigstore/cosign/cosign.pub")}, 1, "key check failed: bundle is signed with a certificate"},
		{"missing trusted root", []string{tgz, "--bundle", bundle, "--certificate-identity", id, "--certificate-oidc-issuer", iss}, 2, "needs a trusted root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runEnv(t, nil, append([]string{"verify"}, tt.args...)...)
			if code != tt.code || !strings.Contains(out+stderr, tt.want) {
				t.Errorf("exit %d (want %d), output does not say %q:\n%s%s", code, tt.code, tt.want, out, stderr)
			}
		})
	}
}

// TestBundleV01AndV02 reads the real v0.1 bundles, and the same bundle
// relabelled v0.2 (it carries the inclusion proof v0.2 requires).
func TestBundleV01AndV02(t *testing.T) {
	tgz := sharedtest.Path(t, "sigstore/sigstore-2.0.0.tgz")
	bundle := sharedtest.Path(t, "sigstore/sigstore.js@2.0.0-provenance.sigstore.json")
	trust := sharedtest.Path(t, "sigstore/trusted-root-public-good.json")
	v02 := filepath.Join(t.TempDir(), "v02.json")
	editJSON(t, bundle, v02, func(m map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2" })
	for _, b := range []string{bundle, v02} {
		code, out, stderr := runEnv(t, nil, "verify", tgz, "--bundle", b, "--trusted-root", trust,
			"--certificate-identity", "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
			"--certificate-oidc-issuer", "https://token.actions.githubusercontent.com")
		if code != 0 {
			t.Errorf("%s: exit %d\n%s%s", filepath.Base(b), code, out, stderr)
		}
	}
	// The 1.3.0 provenance (SLSA v0.2, bundle v0.1 without an inclusion
	// proof: verified by its signed entry timestamp).
	code, out, stderr := runEnv(t, nil, "verify", sharedtest.Path(t, "sigstore/sigstore-1.3.0.tgz"),
		"--bundle", sharedtest.Path(t, "sigstore/bundle-provenance.json"), "--trusted-root", trust,
		"--certificate-identity-regexp", `^https://github\.com/sigstore/sigstore-js/`,
		"--certificate-oidc-issuer", "https://token.actions.githubusercontent.com",
		"--type", "https://slsa.dev/provenance/v0.2", "--source-uri", "https://github.com/sigstore/sigstore-js")
	if code != 0 {
		t.Errorf("1.3.0 provenance: exit %d\n%s%s", code, out, stderr)
	}
}

// TestCosignMaterial: cosign's bundles verify with cosign.pub, and cosign's
// encrypted key signs; a wrong password says so.
func TestCosignMaterial(t *testing.T) {
	dir := sharedtest.Path(t, "sigstore/cosign")
	blob, pub, key := filepath.Join(dir, "blob.txt"), filepath.Join(dir, "cosign.pub"), filepath.Join(dir, "cosign.key")
	if code, out, stderr := runEnv(t, nil, "verify", blob, "--bundle", filepath.Join(dir, "blob.sigstore.json"), "--key", pub); code != 0 {
		t.Errorf("blob.sigstore.json: exit %d\n%s%s", code, out, stderr)
	}
	if code, out, stderr := runEnv(t, nil, "verify", blob, "--bundle", filepath.Join(dir, "att.sigstore.json"), "--key", pub, "--type", "cyclonedx"); code != 0 {
		t.Errorf("att.sigstore.json: exit %d\n%s%s", code, out, stderr)
	}
	out := filepath.Join(t.TempDir(), "b.json")
	if code, _, stderr := runEnv(t, map[string]string{keys.PasswordEnv: "hallmark-test"}, "sign", blob, "--key", key, "--bundle", out); code != 0 {
		t.Fatalf("sign with cosign.key: %s", stderr)
	}
	if code, o, stderr := runEnv(t, nil, "verify", blob, "--bundle", out, "--key", pub); code != 0 {
		t.Errorf("verify hallmark bundle made with cosign.key: %s%s", o, stderr)
	}
	code, _, stderr := runEnv(t, map[string]string{keys.PasswordEnv: "not-the-password"}, "sign", blob, "--key", key, "--bundle", out+"2")
	if code != ExitError || strings.TrimSpace(stderr) != "hallmark: key "+key+": wrong password" {
		t.Errorf("wrong password: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out + "2"); err == nil {
		t.Error("a bundle was written despite the wrong password")
	}
	code, _, stderr = runEnv(t, nil, "sign", blob, "--key", key, "--bundle", out+"3")
	if code != ExitError || !strings.Contains(stderr, "HALLMARK_PASSWORD") {
		t.Errorf("no password: exit %d, stderr %q", code, stderr)
	}
}

// TestVerifyPolicyOnlyVerified: --policy evaluates the attested SBOM only
// after every check passed. Bundles whose payload was swapped or whose
// signature was changed carry SBOMs that violate the policy; each gives the
// verification error and no policy result.
func TestVerifyPolicyOnlyVerified(t *testing.T) {
	f := newFixture(t)
	d := f.dir
	pol := filepath.Join(d, "ban.yaml")
	writeFile(t, pol, "rules:\n  - id: banned\n    kind: bans\n    packages:\n      - {name: left-pad, ecosystem: npm}\n      - {name: evil-pad, ecosystem: npm}\n")

	payloadChanged := filepath.Join(d, "payload-changed.json")
	editJSON(t, f.att, payloadChanged, func(m map[string]any) {
		env := m["dsseEnvelope"].(map[string]any)
		p, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
		p = bytes.Replace(p, []byte("left-pad"), []byte("evil-pad"), 1)
		env["payload"] = base64.StdEncoding.EncodeToString(p)
	})
	sigChanged := filepath.Join(d, "sig-changed.json")
	editJSON(t, f.att, sigChanged, func(m map[string]any) {
		sig := m["dsseEnvelope"].(map[string]any)["signatures"].([]any)[0].(map[string]any)
		sig["sig"] = flipBase64(t, sig["sig"].(string))
	})
	other := filepath.Join(d, "other.tar.gz")
	writeFile(t, other, "another artifact\n")

	// The genuine bundle: verified, and its SBOM violates the policy.
	code, out, stderr := runEnv(t, nil, "verify", f.art, "--bundle", f.att, "--key", f.pub, "--type", "cyclonedx", "--policy", pol)
	if code != ExitFindings || !strings.Contains(out, "Verified OK") || !strings.Contains(out, "FAIL  banned  pkg:npm/left-pad@1.3.0") ||
		!strings.Contains(stderr, "verified: "+f.art) || !strings.Contains(stderr, "policy: FAIL: policy "+pol+" violated") {
		t.Fatalf("genuine bundle: exit %d\n%s%s", code, out, stderr)
	}

	tests := []struct {
		name, art, bundle, want string
	}{
		{"payload swapped", f.art, payloadChanged, "signature check failed"},
		{"signature changed", f.art, sigChanged, "signature check failed"},
		{"another artifact", other, f.att, "artifact digest check failed"},
	}
	for _, tt := range tests {
		for _, format := range []string{"text", "json"} {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				code, out, stderr := runEnv(t, nil, "verify", tt.art, "--bundle", tt.bundle, "--key", f.pub, "--type", "cyclonedx", "--policy", pol, "-o", format)
				if code != ExitFindings || !strings.Contains(stderr, tt.want) {
					t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, ExitFindings, tt.want)
				}
				if strings.Contains(stderr, "policy") || strings.Contains(out, "pad") || strings.Contains(out, "banned") || strings.Contains(out, `"policy"`) {
					t.Errorf("a policy result for an unverified bundle:\n%s%s", out, stderr)
				}
			})
		}
	}
}

// TestVerifyPolicyBadPredicate: a verified attestation whose predicate is
// not a readable SBOM of its type is an input error (exit 2), not a pass.
func TestVerifyPolicyBadPredicate(t *testing.T) {
	f := newFixture(t)
	d := f.dir
	signer, err := keys.ReadPrivateFile(f.key, func() ([]byte, error) { return []byte(testPassword), nil })
	if err != nil {
		t.Fatal(err)
	}
	kp, err := sign.NewKeypair(signer)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("release artifact contents\n"))
	stmt, err := attest.Statement([]attest.Subject{{Name: "app.tar.gz", Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])}}},
		"https://cyclonedx.org/bom", []byte(`{"bomFormat":"CycloneDX","components":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := sign.DSSE(context.Background(), attest.PayloadType, stmt, kp)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := sign.Marshal(b)
	bundle := filepath.Join(d, "nospec.json")
	writeFile(t, bundle, string(data))
	pol := filepath.Join(d, "p.yaml")
	writeFile(t, pol, "rules:\n  - {id: lic, kind: licenses, deny: [AGPL-3.0-only]}\n")

	code, out, stderr := runEnv(t, nil, "verify", f.art, "--bundle", bundle, "--key", f.pub, "--policy", pol)
	if code != ExitError || !strings.Contains(stderr, "verified, but the attested SBOM in "+bundle+" cannot be evaluated") || !strings.Contains(stderr, "no specVersion") {
		t.Errorf("exit %d\n%s%s", code, out, stderr)
	}
	// Without --policy the same bundle verifies: the predicate is the signer's business.
	if code, out, stderr := runEnv(t, nil, "verify", f.art, "--bundle", bundle, "--key", f.pub, "--type", "cyclonedx"); code != 0 {
		t.Errorf("without --policy: exit %d\n%s%s", code, out, stderr)
	}
}
