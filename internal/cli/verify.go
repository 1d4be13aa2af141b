package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hallmark-dev/hallmark/internal/attest"
	"github.com/hallmark-dev/hallmark/internal/keys"
	"github.com/hallmark-dev/hallmark/internal/policy"
	"github.com/hallmark-dev/hallmark/internal/report"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/internal/sbom/spdx"
	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/verify"
)

// signerFlags name who must have signed: a key, or a keyless identity
// checked against a trusted root.
type signerFlags struct {
	key, trustedRoot         string
	identity, identityRegexp string
	issuer, issuerRegexp     string
}

func (f *signerFlags) add(cmd *cobra.Command, keyUsage string) {
	fl := cmd.Flags()
	fl.StringVar(&f.key, "key", "", keyUsage)
	fl.StringVar(&f.trustedRoot, "trusted-root", "", "Sigstore trusted_root.json (Fulcio CAs, Rekor and CT log keys)")
	fl.StringVar(&f.identity, "certificate-identity", "", "keyless: expected certificate identity (SAN: workflow URI or email)")
	fl.StringVar(&f.identityRegexp, "certificate-identity-regexp", "", "keyless: regular expression the certificate identity must match")
	fl.StringVar(&f.issuer, "certificate-oidc-issuer", "", "keyless: expected OIDC issuer (https://token.actions.githubusercontent.com)")
	fl.StringVar(&f.issuerRegexp, "certificate-oidc-issuer-regexp", "", "keyless: regular expression the OIDC issuer must match")
}

// options are the verify.Options of the signer (verify checks that they
// name exactly one kind of signer).
func (f *signerFlags) options() (verify.Options, error) {
	o := verify.Options{Identity: f.identity, IdentityRegexp: f.identityRegexp, Issuer: f.issuer, IssuerRegexp: f.issuerRegexp}
	if f.key != "" {
		pub, err := keys.ReadPublicFile(f.key)
		if err != nil {
			return o, err
		}
		o.PublicKey = pub
	}
	if f.trustedRoot != "" {
		tr, err := verify.ReadTrustedRootFile(f.trustedRoot)
		if err != nil {
			return o, err
		}
		o.TrustedRoot = tr
	}
	return o, nil
}

type verifyFlags struct {
	signerFlags
	bundle                         string
	typ                            string
	sourceURI, sourceDigest, build string
	format                         string
	policy, db                     string
	vex                            []string
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

With --policy, an SBOM attestation (--type cyclonedx or spdx) is a gate too:
after every check above passes, the SBOM the signer attested (the predicate
of the verified statement, never that of an unverified bundle) is evaluated
against the policy exactly as 'hallmark policy check' evaluates an SBOM,
vulnerability rules against the local store (--db). The policy is compiled
before anything is verified.

The signer is either a public key (--key; bundles from hallmark sign/attest or
cosign --key) or a keyless identity (--certificate-identity and
--certificate-oidc-issuer, with --trusted-root: a Sigstore trusted_root.json,
e.g. from 'cosign trusted-root create' or the TUF repository). Verification is
offline. With --key the signature alone is checked (as cosign
--insecure-ignore-tlog does; hallmark signs offline); add --trusted-root to
require a verified transparency-log entry too.

Exit status: 0 verified (and the policy passes), 1 verification failed or
the verified SBOM violates the policy, 2 usage or input error (an invalid
policy; --policy with a bundle that is no SBOM attestation), 4 verified and
no violation, but vulnerability rules could not be evaluated (no
vulnerability data).`,
		Example: `  hallmark verify app.tar.gz --key release.pub
  hallmark verify app.tar.gz --bundle app.tar.gz.slsa-provenance.sigstore.json --key release.pub \
      --type slsa-provenance --source-uri https://github.com/org/app
  hallmark verify app.tar.gz --bundle app.tar.gz.cyclonedx.sigstore.json --key release.pub \
      --type cyclonedx --policy hallmark.policy.yaml
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
	f.signerFlags.add(cmd, "PEM public key of the signer")
	fl.StringVar(&f.typ, "type", "", "require an attestation of this predicate type ("+strings.Join(attest.Kinds(), ", ")+", or a URI)")
	fl.StringVar(&f.sourceURI, "source-uri", "", "provenance: require this source repository")
	fl.StringVar(&f.sourceDigest, "source-digest", "", "provenance: require this source commit (gitCommit:SHA, sha1:SHA or SHA)")
	fl.StringVar(&f.build, "builder-id", "", "provenance: require this builder id")
	fl.StringVarP(&f.format, "output-format", "o", "text", "output format: text, json")
	fl.StringVar(&f.policy, "policy", "", "evaluate this policy file (see hallmark policy) over the verified SBOM attestation")
	addDBFlag(cmd, &f.db)
	fl.StringArrayVar(&f.vex, "vex", nil, "with --policy: apply an OpenVEX, CycloneDX VEX or CSAF 2.0 document (repeatable)")
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
	// Policy is the --policy evaluation of the verified SBOM, with the
	// fields of hallmark policy check -o json.
	Policy *verifyPolicy `json:"policy,omitempty"`
}

type verifyPolicy struct {
	*policy.Report
	Verdict string `json:"verdict"`
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
		pt, err := attest.PredicateType(f.typ)
		if err != nil {
			return withCode(ExitError, err)
		}
		if f.policy != "" && sbomDecoder(pt) == nil {
			return withCode(ExitError, errPolicyNeedsSBOM(fmt.Sprintf("--type %s is predicate type %s", f.typ, pt)))
		}
	}
	if f.policy == "" && len(f.vex) > 0 {
		return withCode(ExitError, fmt.Errorf("--vex needs --policy"))
	}
	var gate *scan.Gate
	if f.policy != "" {
		// The policy first: a broken policy stops everything before
		// anything is verified.
		var err error
		if gate, err = openPolicyGate(e, f.policy, f.db, f.vex); err != nil {
			return err
		}
		defer gate.Close()
	}
	o, err := f.signerFlags.options()
	if err != nil {
		return withCode(ExitError, err)
	}
	o.PredicateType, o.SourceURI, o.SourceDigest, o.BuilderID = f.typ, f.sourceURI, f.sourceDigest, f.build
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
	if gate != nil && b.GetMessageSignature() != nil {
		return withCode(ExitError, errPolicyNeedsSBOM(f.bundle+" holds a message signature"))
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
	if gate == nil {
		if f.format == "json" {
			return writeJSON(e.stdout, report)
		}
		return writeVerifyText(e.stdout, report)
	}

	// Verified: only now is the attested SBOM read and evaluated.
	doc, err := verifiedSBOM(res, f.bundle)
	if err != nil {
		return err
	}
	rep, err := gate.Evaluate(doc, time.Now().UTC())
	if err != nil {
		return withCode(ExitError, fmt.Errorf("verified %s; policy %s: %w", file, f.policy, err))
	}
	report.Policy = &verifyPolicy{Report: rep, Verdict: "pass"}
	code, verr := policyVerdict(f.policy, rep)
	switch code {
	case ExitFindings:
		report.Policy.Verdict = "fail"
	case ExitNoData:
		report.Policy.Verdict = "incomplete"
	}
	if f.format == "json" {
		err = writeJSON(e.stdout, report)
	} else {
		err = writeVerifyPolicyText(e.stdout, report, f.policy)
	}
	if err != nil {
		return withCode(ExitError, err)
	}
	if verr != nil {
		word := "FAIL"
		if code == ExitNoData {
			word = "NOT EVALUATED"
		}
		return withCode(code, fmt.Errorf("verified: %s (signer %s); policy: %s: %w", file, report.Signer, word, verr))
	}
	return nil
}

// errPolicyNeedsSBOM is the usage error of --policy with anything but an
// SBOM attestation.
func errPolicyNeedsSBOM(why string) error {
	return fmt.Errorf("--policy needs an SBOM attestation (--type cyclonedx or spdx): %s", why)
}

// sbomDecoder returns the decoder of an SBOM predicate type (CycloneDX or
// SPDX JSON, the URIs hallmark attest and cosign use), or nil.
func sbomDecoder(predicateType string) func(io.Reader) (*sbom.Document, error) {
	cdxType, _ := attest.PredicateType("cyclonedx")
	spdxType, _ := attest.PredicateType("spdx")
	switch predicateType {
	case cdxType:
		return cyclonedx.Decode
	case spdxType:
		return spdx.Decode
	}
	return nil
}

// verifiedSBOM decodes the predicate of a verified statement: the in-toto
// statement verify.File parsed from the signed DSSE payload, so what is
// evaluated is exactly what was verified (re-encoded from the parsed
// statement, never re-read from the bundle).
func verifiedSBOM(res *verify.Result, bundlePath string) (*sbom.Document, error) {
	if res.Statement == nil {
		return nil, withCode(ExitError, errPolicyNeedsSBOM(bundlePath+" holds a "+res.Kind))
	}
	pt := res.Statement.GetPredicateType()
	decode := sbomDecoder(pt)
	if decode == nil {
		return nil, withCode(ExitError, errPolicyNeedsSBOM(fmt.Sprintf("the verified predicate type is %s", pt)))
	}
	raw, err := protojson.Marshal(res.Statement.GetPredicate())
	if err != nil {
		return nil, withCode(ExitError, fmt.Errorf("verified; re-encode the predicate of %s: %w", bundlePath, err))
	}
	doc, err := decode(bytes.NewReader(raw))
	if err != nil {
		return nil, withCode(ExitError, fmt.Errorf("verified, but the attested SBOM in %s cannot be evaluated: %w", bundlePath, err))
	}
	doc.Source = bundlePath
	return doc, nil
}

// writeVerifyPolicyText writes the verification report, then the policy
// table.
func writeVerifyPolicyText(w io.Writer, r verifyReport, policyFile string) error {
	if err := writeVerifyText(w, r); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "\nPolicy %s over the verified SBOM (%d packages):\n", policyFile, r.Policy.Packages); err != nil {
		return err
	}
	return report.PolicyTable(w, r.Policy.Report)
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
