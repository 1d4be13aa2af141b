package verify

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/keys"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

const (
	sigstoreJSIdentity = "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"
	githubIssuer       = "https://token.actions.githubusercontent.com"
)

func keyless(t *testing.T) Options {
	t.Helper()
	tr, err := ReadTrustedRootFile(sharedtest.Path(t, "sigstore/trusted-root-public-good.json"))
	if err != nil {
		t.Fatal(err)
	}
	return Options{TrustedRoot: tr, Identity: sigstoreJSIdentity, Issuer: githubIssuer}
}

// TestRealKeylessProvenance verifies the npm provenance of sigstore 2.0.0,
// made by the public-good Sigstore instance, offline.
func TestRealKeylessProvenance(t *testing.T) {
	b, err := ReadBundleFile(sharedtest.Path(t, "sigstore/sigstore.js@2.0.0-provenance.sigstore.json"))
	if err != nil {
		t.Fatal(err)
	}
	tgz := sharedtest.Path(t, "sigstore/sigstore-2.0.0.tgz")
	o := keyless(t)
	o.PredicateType = "slsa-provenance"
	o.SourceURI = "https://github.com/sigstore/sigstore-js"
	o.SourceDigest = "gitCommit:f0b49a04e5a62250e0f60fb128004a73110fe311"
	o.BuilderID = "https://github.com/actions/runner/github-hosted"
	res, err := File(context.Background(), b, tgz, o)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if res.Signer != sigstoreJSIdentity || res.Issuer != githubIssuer {
		t.Errorf("signer %q issuer %q", res.Signer, res.Issuer)
	}
	if len(res.Timestamps) == 0 || len(res.TlogIndex) == 0 {
		t.Errorf("no verified tlog time: %+v", res)
	}
	t.Logf("%+v", res.Timestamps)
}

func TestRealKeylessRefusals(t *testing.T) {
	bpath := sharedtest.Path(t, "sigstore/sigstore.js@2.0.0-provenance.sigstore.json")
	good := sharedtest.Path(t, "sigstore/sigstore-2.0.0.tgz")
	other := sharedtest.Path(t, "sigstore/sigstore-1.3.0.tgz")
	tests := []struct {
		name   string
		file   string
		mod    func(*Options)
		check  Check
		substr string
	}{
		{"other tarball", other, nil, CheckDigest, "matches no subject"},
		{"wrong identity", good, func(o *Options) {
			o.Identity = "https://github.com/evil/repo/.github/workflows/release.yml@refs/heads/main"
		}, CheckIdentity, "certificate identity is"},
		{"wrong issuer", good, func(o *Options) { o.Issuer = "https://accounts.google.com" }, CheckIssuer, "OIDC issuer is"},
		{"wrong predicate type", good, func(o *Options) { o.PredicateType = "cyclonedx" }, CheckPredicateType, "predicate type is"},
		{"wrong source", good, func(o *Options) { o.SourceURI = "https://github.com/evil/sigstore-js" }, CheckProvenance, "not among the build's sources"},
		{"wrong commit", good, func(o *Options) { o.SourceDigest = "gitCommit:0000000000000000000000000000000000000000" }, CheckProvenance, "no source of the build has digest"},
		{"wrong builder", good, func(o *Options) { o.BuilderID = "https://example.com/builder" }, CheckProvenance, "builder id is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ReadBundleFile(bpath)
			if err != nil {
				t.Fatal(err)
			}
			o := keyless(t)
			if tt.mod != nil {
				tt.mod(&o)
			}
			_, err = File(context.Background(), b, tt.file, o)
			if CheckOf(err) != tt.check || !strings.Contains(err.Error(), tt.substr) {
				t.Fatalf("got %v (check %q), want check %q containing %q", err, CheckOf(err), tt.check, tt.substr)
			}
		})
	}
}

func TestRealCosign(t *testing.T) {
	pub, err := keys.ReadPublicFile(sharedtest.Path(t, "sigstore/cosign/cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	blob := sharedtest.Path(t, "sigstore/cosign/blob.txt")
	for _, name := range []string{"blob.sigstore.json", "att.sigstore.json"} {
		b, err := ReadBundleFile(sharedtest.Path(t, "sigstore/cosign/"+name))
		if err != nil {
			t.Fatal(err)
		}
		o := Options{PublicKey: pub}
		if name == "att.sigstore.json" {
			o.PredicateType = "cyclonedx"
		}
		if _, err := File(context.Background(), b, blob, o); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	_ = os.Getenv
}
