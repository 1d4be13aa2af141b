package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/attest"
	"github.com/hallmark-dev/hallmark/internal/digest"
	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/sign"
	"github.com/hallmark-dev/hallmark/internal/source"
)

type attestFlags struct {
	typ, predicate, predicateType string
	keyPath, bundlePath           string
	// SLSA provenance
	builderID, buildType, sourceURI, sourceRef, sourceDigest string
	invocationID, startedOn, finishedOn, sbomPath            string
	external                                                 []string
}

func newAttestCmd(e *env) *cobra.Command {
	var f attestFlags
	cmd := &cobra.Command{
		Use:   "attest FILE",
		Short: "Attest to a file: sign an in-toto statement (SBOM, provenance, VEX, scan) in a Sigstore bundle",
		Long: `Make an in-toto Statement v1 about FILE (subject: its name with sha256 and
sha512 digests) carrying a predicate, sign it in a DSSE envelope, and write a
Sigstore bundle (v0.3).

--type names the predicate: slsa-provenance (https://slsa.dev/provenance/v1),
cyclonedx, spdx, openvex, vulns (in-toto vulns v0.1; a hallmark scan -o json report
is converted), or custom (with --predicate-type URI). The predicate type URIs are
cosign's, so cosign verify-blob-attestation --type cyclonedx accepts the result.

For slsa-provenance without --predicate, hallmark builds SLSA Provenance v1 itself:
in GitHub Actions and GitLab CI from their environment (workflow, repository,
commit, run), elsewhere from --builder-id, --source-uri, --source-digest and the
other provenance flags (which also override what the environment says). --sbom
adds the SBOM's components to resolvedDependencies.

For cyclonedx and spdx without --predicate, the predicate is the SBOM of FILE
itself, as hallmark sbom FILE makes it: an image archive (docker save, OCI), a
binary, a lockfile.`,
		Example: `  hallmark attest app.tar.gz --type cyclonedx --predicate app.cdx.json --key release.key
  hallmark attest image.tar --type cyclonedx --key release.key        # the image's own SBOM
  hallmark attest app.tar.gz --type slsa-provenance --sbom app.cdx.json --key release.key
  hallmark attest app.tar.gz --type slsa-provenance --builder-id https://ci.example.com/builder \
      --source-uri https://git.example.com/app --source-digest 5f4e... --key release.key`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAttest(cmd, e, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.typ, "type", "", "predicate: slsa-provenance, cyclonedx, spdx, openvex, vulns, custom, or a predicate type URI")
	fl.StringVar(&f.predicate, "predicate", "", "predicate file (JSON)")
	fl.StringVar(&f.predicateType, "predicate-type", "", "predicate type URI for --type custom")
	fl.StringVar(&f.keyPath, "key", "", "private key file (hallmark/cosign encrypted, or PEM PKCS#8)")
	fl.StringVar(&f.bundlePath, "bundle", "", "write the bundle to FILE (default FILE.<type>.sigstore.json; - for standard output)")
	fl.StringVar(&f.builderID, "builder-id", "", "provenance: builder id (URI)")
	fl.StringVar(&f.buildType, "build-type", "", "provenance: build type (URI)")
	fl.StringVar(&f.sourceURI, "source-uri", "", "provenance: source repository URI")
	fl.StringVar(&f.sourceRef, "source-ref", "", "provenance: source ref (refs/tags/v1.2.3)")
	fl.StringVar(&f.sourceDigest, "source-digest", "", "provenance: source commit (git SHA)")
	fl.StringVar(&f.invocationID, "invocation-id", "", "provenance: id or URL of this build run")
	fl.StringVar(&f.startedOn, "started-on", "", "provenance: build start (RFC 3339)")
	fl.StringVar(&f.finishedOn, "finished-on", "", "provenance: build end (RFC 3339; default now)")
	fl.StringVar(&f.sbomPath, "sbom", "", "provenance: CycloneDX or SPDX SBOM whose components are resolved dependencies")
	fl.StringArrayVar(&f.external, "external", nil, "provenance: external parameter KEY=VALUE (repeatable)")
	return cmd
}

func runAttest(cmd *cobra.Command, e *env, file string, f attestFlags) error {
	if f.typ == "" {
		return withCode(ExitError, fmt.Errorf("--type is required (%s)", strings.Join(attest.Kinds(), ", ")))
	}
	if f.keyPath == "" {
		return withCode(ExitError, fmt.Errorf("--key is required"))
	}
	predType, err := attest.PredicateType(f.typ)
	if err != nil {
		return withCode(ExitError, err)
	}
	if f.predicateType != "" {
		if f.typ != "custom" {
			return withCode(ExitError, fmt.Errorf("--predicate-type is for --type custom"))
		}
		predType = f.predicateType
	}
	provFlags := f.builderID != "" || f.buildType != "" || f.sourceURI != "" || f.sourceRef != "" || f.sourceDigest != "" ||
		f.invocationID != "" || f.startedOn != "" || f.finishedOn != "" || f.sbomPath != "" || len(f.external) > 0
	isProv := predType == "https://slsa.dev/provenance/v1"
	if provFlags && (!isProv || f.predicate != "") {
		return withCode(ExitError, fmt.Errorf("provenance flags (--builder-id, --source-uri, --sbom, ...) build a slsa-provenance predicate; they do not apply with --predicate or --type %s", f.typ))
	}
	if _, err := os.Stat(file); err != nil {
		return withCode(ExitError, err)
	}

	var (
		predicate  []byte
		incomplete bool
	)
	switch {
	case f.predicate != "":
		if predicate, err = readAttestInput(f.predicate, limits.PredicateBytes); err != nil {
			return withCode(ExitError, err)
		}
		if predType == "https://in-toto.io/attestation/vulns/v0.1" && attest.IsScanReport(predicate) {
			if predicate, err = attest.VulnsFromScan(predicate, Build().Version); err != nil {
				return withCode(ExitError, fmt.Errorf("%s: %w", f.predicate, err))
			}
		}
		if err := attest.CheckPredicate(predType, predicate); err != nil {
			return withCode(ExitError, fmt.Errorf("%s: %w", f.predicate, err))
		}
	case isProv:
		if predicate, err = buildProvenance(cmd.Context(), e, f); err != nil {
			return withCode(ExitError, err)
		}
	case f.typ == "cyclonedx" || f.typ == "spdx":
		// The SBOM of FILE itself, as hallmark sbom makes it (Syft's
		// attest does the same): an image archive, a binary, a lockfile.
		if predicate, incomplete, err = sbomOf(cmd, e, file, f.typ); err != nil {
			return withCode(ExitError, fmt.Errorf("%w (or give the SBOM with --predicate)", err))
		}
	default:
		return withCode(ExitError, fmt.Errorf("--predicate is required for --type %s", f.typ))
	}

	kp, err := loadKeypair(e, f.keyPath)
	if err != nil {
		return withCode(ExitError, err)
	}
	set, _, err := digest.File(cmd.Context(), file, digest.SHA256, digest.SHA512)
	if err != nil {
		return withCode(ExitError, err)
	}
	stmt, err := attest.Statement([]attest.Subject{{Name: filepath.Base(file), Digest: set.HexMap()}}, predType, predicate)
	if err != nil {
		return withCode(ExitError, err)
	}
	b, err := sign.DSSE(cmd.Context(), attest.PayloadType, stmt, kp)
	if err != nil {
		return withCode(ExitError, err)
	}
	data, err := sign.Marshal(b)
	if err != nil {
		return withCode(ExitError, err)
	}
	out := f.bundlePath
	if out == "" {
		name := f.typ
		if strings.Contains(name, "://") {
			name = "att"
		}
		out = file + "." + name + ".sigstore.json"
	}
	if err := writeOutput(e, out, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return withCode(ExitError, err)
	}
	fmt.Fprintf(e.stderr, "Attested %s (sha256:%s) with predicate %s\nBundle written to %s\n", file, set.Hex(digest.SHA256), predType, out)
	if incomplete {
		return withCode(ExitIncomplete, fmt.Errorf("incomplete SBOM: some of %s could not be read", file))
	}
	return nil
}

// sbomOf catalogs file and encodes its SBOM as the predicate of --type
// typ (cyclonedx: CycloneDX 1.7; spdx: SPDX 2.3), reporting on stderr what
// could not be read.
func sbomOf(cmd *cobra.Command, e *env, file, typ string) (predicate []byte, incomplete bool, err error) {
	res, err := loadSource(cmd, e, file, sourceFlags{scope: "squashed"})
	if err != nil {
		return nil, false, err
	}
	incomplete = reportProblems(e, res.Problems)
	var buf bytes.Buffer
	if err := encodeSBOM(&buf, res.Document, typ+"-json", ""); err != nil {
		return nil, false, err
	}
	fmt.Fprintf(e.stderr, "Predicate: the SBOM of %s (%d packages)\n", file, len(res.Document.Packages))
	return buf.Bytes(), incomplete, nil
}

// buildProvenance makes SLSA Provenance v1 from the CI environment and the
// flags, flags winning.
func buildProvenance(ctx context.Context, e *env, f attestFlags) ([]byte, error) {
	b, _ := attest.FromEnv(e.getenv)
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&b.BuilderID, f.builderID)
	set(&b.BuildType, f.buildType)
	set(&b.SourceURI, f.sourceURI)
	set(&b.SourceRef, f.sourceRef)
	set(&b.SourceCommit, f.sourceDigest)
	set(&b.InvocationID, f.invocationID)
	for _, t := range []struct {
		flag, v string
		dst     *time.Time
	}{{"--started-on", f.startedOn, &b.StartedOn}, {"--finished-on", f.finishedOn, &b.FinishedOn}} {
		if t.v == "" {
			continue
		}
		ts, err := time.Parse(time.RFC3339, t.v)
		if err != nil {
			return nil, fmt.Errorf("%s: want RFC 3339 time (2024-05-01T12:00:00Z): %w", t.flag, err)
		}
		*t.dst = ts
	}
	if b.FinishedOn.IsZero() {
		b.FinishedOn = time.Now().UTC().Truncate(time.Second)
	}
	if len(f.external) > 0 {
		if b.External == nil {
			b.External = map[string]any{}
		}
		for _, kv := range f.external {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("--external %q: want KEY=VALUE", kv)
			}
			b.External[k] = v
		}
	}
	if f.sbomPath != "" {
		res, err := source.Load(ctx, f.sbomPath, source.Options{})
		if err != nil {
			return nil, fmt.Errorf("--sbom: %w", err)
		}
		if res.Kind != source.KindCycloneDX && res.Kind != source.KindSPDX {
			return nil, fmt.Errorf("--sbom %s: not a CycloneDX or SPDX JSON document", f.sbomPath)
		}
		b.Dependencies = append(b.Dependencies, attest.SBOMDependencies(res.Document)...)
	}
	return b.Provenance()
}

// readAttestInput reads a whole file of at most max bytes.
func readAttestInput(path string, max int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return data, nil
}
