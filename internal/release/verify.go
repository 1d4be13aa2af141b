package release

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hallmark-dev/hallmark/internal/digest"
	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/tuf"
	"github.com/hallmark-dev/hallmark/internal/verify"
)

// CheckResult is one check of one artifact (or of the release).
type CheckResult struct {
	Artifact string `json:"artifact"`
	Check    string `json:"check"`
	OK       bool   `json:"ok"`
	Detail   string `json:"detail"`
}

// Verdict is the outcome of Verify.
type Verdict struct {
	Product string        `json:"product"`
	Version string        `json:"version"`
	Checks  []CheckResult `json:"checks"`
}

// OK reports whether every check passed.
func (v *Verdict) OK() bool {
	for _, c := range v.Checks {
		if !c.OK {
			return false
		}
	}
	return len(v.Checks) > 0
}

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Verify carries the key or keyless identity and the provenance
	// expectations (builder, source) as for hallmark verify.
	Verify verify.Options
	// Gate, when set, evaluates the customer's policy over each artifact's
	// verified SBOM attestation.
	Gate *scan.Gate
	Now  time.Time
	// TUF, when set, is the vendor's update repository and the customer's
	// trusted root: its metadata must be fresh and correctly signed, and
	// list the manifest and every artifact (PRODUCT/VERSION/FILE) with the
	// same length and hashes.
	TUF *tuf.ClientOptions
}

// Verify checks a release directory offline: the manifest's signature;
// for every artifact its digests against the manifest and the signed
// SHA256SUMS, its signature, and its SBOM, provenance and VEX attestations
// (each bound to the artifact's digest); and the customer's policy over the
// verified SBOM.
func Verify(ctx context.Context, dir string, o VerifyOptions) (*Verdict, error) {
	v := &Verdict{}
	add := func(art, check string, err error, ok string) {
		c := CheckResult{Artifact: art, Check: check, OK: err == nil, Detail: ok}
		if err != nil {
			c.Detail = err.Error()
		}
		v.Checks = append(v.Checks, c)
	}
	mb, err := scan.ReadBounded(filepath.Join(dir, ManifestFile), limits.ManifestBytes)
	if err != nil {
		return nil, fmt.Errorf("read the release manifest: %w", err)
	}
	mo := o.Verify
	mo.PredicateType, mo.BuilderID, mo.SourceURI, mo.SourceDigest = "", "", "", ""
	if err := verifyMessage(ctx, filepath.Join(dir, ManifestFile+".sigstore.json"), bytes.NewReader(mb), mo); err != nil {
		add("release.json", "manifest signature", err, "")
		return v, nil // nothing in an unsigned manifest can be trusted
	}
	add("release.json", "manifest signature", nil, "signed by the expected key")
	var m Manifest
	if err := json.Unmarshal(mb, &m); err != nil || m.MediaType != MediaType {
		return nil, fmt.Errorf("%s: not a hallmark release manifest", ManifestFile)
	}
	v.Product, v.Version = m.Product, m.Version
	sums, err := scan.ReadBounded(filepath.Join(dir, m.SHA256SUMS), limits.ManifestBytes)
	if err == nil {
		err = verifyMessage(ctx, filepath.Join(dir, m.SHA256SUMSBundle), bytes.NewReader(sums), mo)
	}
	add("SHA256SUMS", "signature", err, "signed")
	listed := parseSums(sums)
	seen := map[string]tuf.TargetInfo{ManifestFile: targetOf(mb)}
	for _, a := range m.Artifacts {
		if !safeName(a.Name) {
			add(a.Name, "name", fmt.Errorf("artifact name %q leaves the release directory", a.Name), "")
			continue
		}
		p := filepath.Join(dir, a.Name)
		set, size, err := digest.File(ctx, p, digest.SHA256, digest.SHA512)
		if err != nil {
			add(a.Name, "digest", err, "")
			continue
		}
		got := set.HexMap()
		seen[a.Name] = tuf.TargetInfo{Length: size, Hashes: got}
		switch {
		case got["sha256"] != a.Digests["sha256"] || got["sha512"] != a.Digests["sha512"]:
			add(a.Name, "digest", fmt.Errorf("digest mismatch: the file is not the one released (sha256:%s, manifest says %s)", got["sha256"], a.Digests["sha256"]), "")
		case listed[a.Name] != got["sha256"]:
			add(a.Name, "digest", fmt.Errorf("SHA256SUMS says %q for it, the file hashes to %s", listed[a.Name], got["sha256"]), "")
		default:
			add(a.Name, "digest", nil, "sha256:"+got["sha256"]+" as in the manifest and SHA256SUMS")
		}
		for _, kind := range []string{"signature", "cyclonedx", "slsa-provenance", "openvex"} {
			bundle, ok := a.Bundles[kind]
			if !ok || !safeName(bundle) {
				add(a.Name, kind, fmt.Errorf("no %s bundle in the manifest", kind), "")
				continue
			}
			b, err := verify.ReadBundleFile(filepath.Join(dir, bundle))
			if err != nil {
				add(a.Name, kind, err, "")
				continue
			}
			vo := o.Verify
			vo.PredicateType = ""
			if kind != "signature" {
				vo.PredicateType = kind
			}
			if kind != "slsa-provenance" {
				vo.BuilderID, vo.SourceURI, vo.SourceDigest = "", "", ""
			}
			res, err := verify.File(ctx, b, p, vo)
			if err != nil {
				add(a.Name, kind, err, "")
				continue
			}
			add(a.Name, kind, nil, "verified ("+res.Kind+", signer "+res.Signer+")")
			if kind == "cyclonedx" && o.Gate != nil {
				raw, err := protojson.Marshal(res.Statement.GetPredicate())
				if err != nil {
					add(a.Name, "policy", err, "")
					continue
				}
				doc, err := cyclonedx.Decode(bytes.NewReader(raw))
				if err != nil {
					add(a.Name, "policy", err, "")
					continue
				}
				rep, err := o.Gate.Evaluate(doc, o.Now)
				if err != nil {
					add(a.Name, "policy", err, "")
					continue
				}
				verdict, verr := scan.PolicyVerdict(o.Gate.File, rep)
				if verdict == scan.Pass {
					add(a.Name, "policy", nil, "the verified SBOM passes "+filepath.Base(o.Gate.File))
				} else {
					add(a.Name, "policy", verr, "")
				}
			}
		}
	}
	if len(m.Artifacts) == 0 {
		add("release.json", "artifacts", fmt.Errorf("the manifest lists no artifact"), "")
	}
	if o.TUF != nil {
		checkTUF(*o.TUF, m.Product+"/"+m.Version+"/", seen, add)
	}
	return v, nil
}

func targetOf(b []byte) tuf.TargetInfo {
	set, n, _ := digest.Reader(context.Background(), bytes.NewReader(b), digest.SHA256, digest.SHA512)
	return tuf.TargetInfo{Length: n, Hashes: set.HexMap()}
}

// checkTUF: the update repository's trusted targets must list each file
// (the manifest and every artifact) as PREFIX+NAME with its length and
// every hash they give.
func checkTUF(opts tuf.ClientOptions, prefix string, files map[string]tuf.TargetInfo, add func(art, check string, err error, ok string)) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, prefix+n)
	}
	sort.Strings(names)
	infos, errs, err := tuf.Lookup(opts, names)
	if err != nil {
		add("TUF", "metadata", err, "")
		return
	}
	add("TUF", "metadata", nil, "fresh and signed by the roles the trusted root names")
	for _, tn := range names {
		name := strings.TrimPrefix(tn, prefix)
		have := files[name]
		if err := errs[tn]; err != nil {
			add(name, "tuf", fmt.Errorf("%s: %w", tn, err), "")
			continue
		}
		want := infos[tn]
		if want.Length != have.Length {
			add(name, "tuf", fmt.Errorf("%s: %d bytes, the repository's targets say %d", tn, have.Length, want.Length), "")
			continue
		}
		ok := 0
		var bad error
		for alg, h := range want.Hashes {
			switch g, known := have.Hashes[alg]; {
			case !known:
			case g != h:
				bad = fmt.Errorf("%s: %s %s, the repository's targets say %s", tn, alg, g, h)
			default:
				ok++
			}
		}
		if bad == nil && ok == 0 {
			bad = fmt.Errorf("%s: the repository's targets give no hash this check computes", tn)
		}
		add(name, "tuf", bad, "listed by the update repository as "+tn+" with this length and hash")
	}
}

func verifyMessage(ctx context.Context, bundlePath string, r *bytes.Reader, o verify.Options) error {
	b, err := verify.ReadBundleFile(bundlePath)
	if err != nil {
		return err
	}
	_, err = verify.Artifact(ctx, b, r, o)
	return err
}

func parseSums(b []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		h, name, ok := strings.Cut(sc.Text(), "  ")
		if ok {
			out[name] = h
		}
	}
	return out
}

func safeName(n string) bool {
	return n != "" && n == filepath.Base(n) && n != ".." && n != "." && !strings.ContainsAny(n, `/\`)
}
