package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/attest"
	"github.com/hallmark-dev/hallmark/internal/keys"
	"github.com/hallmark-dev/hallmark/internal/verify"
)

type verifyFlags struct {
	bundle, key, trustedRoot       string
	identity, identityRegexp       string
	issuer, issuerRegexp           string
	typ                            string
	sourceURI, sourceDigest, build string
	format                         string
}

func newVerifyCmd(e *env) *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Verify a file against its Sigstore bundle: signature, digest, signer, provenance",
		Long: `Verify FILE against a Sigstore bundle (v0.1, v0.2 or v0.3; hallmark's, cosign's,
npm's or any Sigstore client's) and say which check failed:

  the bundle is well formed; the signature verifies; the signed digest, or the
  in-toto statement's subject, matches FILE; for attestations the DSSE payload is
  in-toto and the predicate type is --type; for keyless bundles the certificate
  chains to the trusted root at the time recorded in the transparency log, the
  log's inclusion proof and signed entry timestamp verify, and the identity and
  issuer match; provenance expectations (--source-uri, --source-digest,
  --builder-id) hold.

The signer is either a public key (--key; bundles from hallmark sign/attest or
cosign --key) or a keyless identity (--certificate-identity and
--certificate-oidc-issuer, with --trusted-root: a Sigstore trusted_root.json,
e.g. from 'cosign trusted-root create' or the TUF repository). Verification is
offline. With --key the signature alone is checked (as cosign
--insecure-ignore-tlog does; hallmark signs offline); add --trusted-root to
require a verified transparency-log entry too.

Exit status: 0 verified, 1 verification failed, 2 usage or input error.`,
		Example: `  hallmark verify app.tar.gz --key release.pub
  hallmark verify app.tar.gz --bundle app.tar.gz.slsa-provenance.sigstore.json --key release.pub \
      --type slsa-provenance --source-uri https://github.com/org/app
  hallmark verify sigstore-2.0.0.tgz --bundle provenance.sigstore.json --trusted-root trusted_root.json \
      --certificate-identity https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main \
      --certificate-oidc-issuer https://token.actions.githubusercontent.com`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd, e, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.bundle, "bundle", "", "Sigstore bundle (default FILE.sigstore.json)")
	fl.StringVar(&f.key, "key", "", "PEM public key of the signer")
	fl.StringVar(&f.trustedRoot, "trusted-root", "", "Sigstore trusted_root.json (Fulcio CAs, Rekor and CT log keys)")
	fl.StringVar(&f.identity, "certificate-identity", "", "keyless: expected certificate identity (SAN: workflow URI or email)")
	fl.StringVar(&f.identityRegexp, "certificate-identity-regexp", "", "keyless: regular expression the certificate identity must match")
	fl.StringVar(&f.issuer, "certificate-oidc-issuer", "", "keyless: expected OIDC issuer (https://token.actions.githubusercontent.com)")
	fl.StringVar(&f.issuerRegexp, "certificate-oidc-issuer-regexp", "", "keyless: regular expression the OIDC issuer must match")
	fl.StringVar(&f.typ, "type", "", "require an attestation of this predicate type ("+strings.Join(attest.Kinds(), ", ")+", or a URI)")
	fl.StringVar(&f.sourceURI, "source-uri", "", "provenance: require this source repository")
	fl.StringVar(&f.sourceDigest, "source-digest", "", "provenance: require this source commit (gitCommit:SHA, sha1:SHA or SHA)")
	fl.StringVar(&f.build, "builder-id", "", "provenance: require this builder id")
	fl.StringVarP(&f.format, "output-format", "o", "text", "output format: text, json")
	return cmd
}

// verifyReport is the -o json output.
type verifyReport struct {
	Verified      bool              `json:"verified"`
	Artifact      string            `json:"artifact"`
	Bundle        string            `json:"bundle"`
	Check         string            `json:"failedCheck,omitempty"`
	Error         string            `json:"error,omitempty"`
	MediaType     string            `json:"mediaType,omitempty"`
	Kind          string            `json:"kind,omitempty"`
	Digests       map[string]string `json:"digests,omitempty"`
	Signer        string            `json:"signer,omitempty"`
	Issuer        string            `json:"issuer,omitempty"`
	PredicateType string            `json:"predicateType,omitempty"`
	Timestamps    []verifyTime      `json:"timestamps,omitempty"`
	TlogIndex     []int64           `json:"tlogIndex,omitempty"`
}

type verifyTime struct {
	Kind string    `json:"kind"`
	URI  string    `json:"uri,omitempty"`
	Time time.Time `json:"time"`
}

func runVerify(cmd *cobra.Command, e *env, file string, f verifyFlags) error {
	if err := checkChoice("output format", f.format, []string{"text", "json"}); err != nil {
		return withCode(ExitError, err)
	}
	if f.bundle == "" {
		f.bundle = file + ".sigstore.json"
	}
	if f.typ != "" {
		if _, err := attest.PredicateType(f.typ); err != nil {
			return withCode(ExitError, err)
		}
	}
	o := verify.Options{
		Identity: f.identity, IdentityRegexp: f.identityRegexp,
		Issuer: f.issuer, IssuerRegexp: f.issuerRegexp,
		PredicateType: f.typ, SourceURI: f.sourceURI, SourceDigest: f.sourceDigest, BuilderID: f.build,
	}
	if f.key != "" {
		pub, err := keys.ReadPublicFile(f.key)
		if err != nil {
			return withCode(ExitError, err)
		}
		o.PublicKey = pub
	}
	if f.trustedRoot != "" {
		tr, err := verify.ReadTrustedRootFile(f.trustedRoot)
		if err != nil {
			return withCode(ExitError, err)
		}
		o.TrustedRoot = tr
	}
	if _, err := os.Stat(file); err != nil {
		return withCode(ExitError, err)
	}
	report := verifyReport{Artifact: file, Bundle: f.bundle}
	fail := func(err error) error {
		code := ExitError
		if verify.IsVerification(err) {
			code = ExitFindings
			report.Check = string(verify.CheckOf(err))
		}
		if f.format == "json" && code == ExitFindings {
			report.Error = err.Error()
			_ = writeJSON(e.stdout, report)
		}
		return withCode(code, fmt.Errorf("verify %s: %w", file, err))
	}
	b, err := verify.ReadBundleFile(f.bundle)
	if err != nil {
		return fail(err)
	}
	res, err := verify.File(cmd.Context(), b, file, o)
	if err != nil {
		return fail(err)
	}
	report.Verified = true
	report.MediaType, report.Kind = res.MediaType, res.Kind
	report.Digests = res.Digests.HexMap()
	report.Signer, report.Issuer = res.Signer, res.Issuer
	if res.Statement != nil {
		report.PredicateType = res.Statement.GetPredicateType()
	}
	for _, t := range res.Timestamps {
		report.Timestamps = append(report.Timestamps, verifyTime{Kind: t.Kind, URI: t.URI, Time: t.Time.UTC()})
	}
	report.TlogIndex = res.TlogIndex
	if f.format == "json" {
		return writeJSON(e.stdout, report)
	}
	return writeVerifyText(e.stdout, report)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeVerifyText(w io.Writer, r verifyReport) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Verified OK: %s\n", r.Artifact)
	fmt.Fprintf(&sb, "  bundle:    %s (%s, %s)\n", r.Bundle, r.Kind, r.MediaType)
	for _, a := range []string{"sha256", "sha384", "sha512"} {
		if d, ok := r.Digests[a]; ok {
			fmt.Fprintf(&sb, "  %s:    %s\n", a, d)
		}
	}
	fmt.Fprintf(&sb, "  signer:    %s\n", r.Signer)
	if r.Issuer != "" {
		fmt.Fprintf(&sb, "  issuer:    %s\n", r.Issuer)
	}
	if r.PredicateType != "" {
		fmt.Fprintf(&sb, "  predicate: %s\n", r.PredicateType)
	}
	for _, t := range r.Timestamps {
		fmt.Fprintf(&sb, "  signed at: %s (%s %s)\n", t.Time.Format(time.RFC3339), t.Kind, t.URI)
	}
	for _, i := range r.TlogIndex {
		fmt.Fprintf(&sb, "  tlog:      entry %d, inclusion verified\n", i)
	}
	if r.Signer != "" && strings.HasPrefix(r.Signer, "key ") && len(r.TlogIndex) == 0 {
		sb.WriteString("  note:      signature checked with the key; no transparency-log entry was required\n")
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
