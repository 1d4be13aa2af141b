// Package release is the supplier's one-step release and the customer's
// one offline check of it. Make hashes every artifact, writes SHA256SUMS,
// makes the SBOM of the source and of each artifact hallmark can read (Go
// binaries, jars, container image archives; CycloneDX and SPDX), scans them
// and applies the policy gate (a failing gate stops the release before
// anything is signed), builds SLSA Provenance v1 with the SBOM's components as resolved
// dependencies and an OpenVEX document, signs every artifact and attests
// SBOM, provenance and VEX (Sigstore bundles), and writes a signed release
// manifest. Verify checks all of it for every artifact, offline.
//
// The release directory is written under a temporary name beside the
// requested one and renamed into place: an interrupted release leaves
// nothing half-written. Publishing into a TUF repository is the caller's
// (internal/tuf).
package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"

	"github.com/hallmark-dev/hallmark/internal/attest"
	"github.com/hallmark-dev/hallmark/internal/digest"
	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/policy"
	"github.com/hallmark-dev/hallmark/internal/report"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/internal/sbom/spdx"
	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/sign"
	"github.com/hallmark-dev/hallmark/internal/vex"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// MediaType identifies the manifest format.
const MediaType = "application/vnd.hallmark.release.v1+json"

// ManifestFile is the manifest's name in a release directory.
const ManifestFile = "release.json"

// Manifest describes a release: what it contains and where each piece of
// evidence is (file names relative to the release directory).
type Manifest struct {
	MediaType  string     `json:"mediaType"`
	Product    string     `json:"product"`
	Version    string     `json:"version"`
	Created    time.Time  `json:"created"`
	Artifacts  []Artifact `json:"artifacts"`
	SBOM       SBOMFiles  `json:"sbom"`
	VEX        string     `json:"vex"`
	Provenance string     `json:"provenance"`
	SHA256SUMS string     `json:"sha256sums"`
	// SHA256SUMSBundle is the signature of SHA256SUMS.
	SHA256SUMSBundle string  `json:"sha256sumsBundle"`
	Policy           *Policy `json:"policy,omitempty"`
	Findings         int     `json:"findings"`
}

// Artifact is one released file.
type Artifact struct {
	Name    string            `json:"name"`
	Size    int64             `json:"size"`
	Digests map[string]string `json:"digests"`
	// Bundles: "signature" and one per attestation ("cyclonedx",
	// "slsa-provenance", "openvex").
	Bundles map[string]string `json:"bundles"`
	// SBOM and VEX of the artifact itself, when hallmark can read it (a Go
	// binary, a jar, an image archive): its cyclonedx and openvex
	// attestations are these. Otherwise they are the source tree's.
	SBOM *SBOMFiles `json:"sbom,omitempty"`
	VEX  string     `json:"vex,omitempty"`
	// Findings is the number of open findings in the artifact's own SBOM.
	Findings int `json:"findings,omitempty"`
}

// SBOMFiles names an SBOM's two formats.
type SBOMFiles struct {
	CycloneDX string `json:"cyclonedx"`
	SPDX      string `json:"spdx"`
}

// Policy is the gate's verdict.
type Policy struct {
	File    string `json:"file"`
	Verdict string `json:"verdict"`
}

// Options configure Make.
type Options struct {
	Artifacts        []string
	Product, Version string
	Keypair          *sign.Keypair
	// SBOMFrom is the source tree the SBOM is made of.
	SBOMFrom string
	// DB is the vulnerability store (nil: no scan, VEX empty).
	DB *vulndb.DB
	// Gate, when set, must pass before anything is signed.
	Gate *scan.Gate
	// VEX statements join the scan's findings in the VEX document.
	VEX     []vex.Statement
	Out     string
	Created time.Time
	Build   attest.Build
	Tool    sbom.Tool
}

// ErrGate reports a release stopped by its policy.
type ErrGate struct{ Report *policy.Report }

func (e *ErrGate) Error() string {
	fail, _ := e.Report.Counts()
	return fmt.Sprintf("policy gate failed (%d violation(s)): nothing was signed or written", fail)
}

// Make builds a release into o.Out. On a failing gate it returns *ErrGate
// and writes nothing.
func Make(ctx context.Context, o Options) (*Manifest, *policy.Report, error) {
	if o.Product == "" || o.Version == "" || len(o.Artifacts) == 0 || o.Keypair == nil || o.Out == "" {
		return nil, nil, errors.New("release needs artifacts, a product, a version, a key and an output directory")
	}
	if _, err := os.Stat(o.Out); err == nil {
		return nil, nil, fmt.Errorf("%s exists: a release directory is written once", o.Out)
	}
	// Names first: two artifacts of one name, or one named like a file
	// the release writes, are refused before any work.
	names := map[string]bool{ManifestFile: true, "SHA256SUMS": true, "SHA256SUMS.sigstore.json": true, "sbom.cdx.json": true,
		"sbom.spdx.json": true, "vex.openvex.json": true, "provenance.json": true}
	for _, a := range o.Artifacts {
		name := filepath.Base(a)
		for _, n := range append([]string{name}, artifactFiles(name)...) {
			if names[n] {
				return nil, nil, fmt.Errorf("%s: two artifacts of the same name, or a name the release writes itself", name)
			}
			names[n] = true
		}
	}
	res, err := scan.Load(ctx, o.SBOMFrom, scan.LoadOptions{Created: o.Created, Tool: o.Tool, Exclude: []string{"**/testdata/**"}})
	if err != nil {
		return nil, nil, fmt.Errorf("SBOM of %s: %w", o.SBOMFrom, err)
	}
	doc := res.Document
	doc.Name, doc.Version = o.Product, o.Version
	m := &Manifest{MediaType: MediaType, Product: o.Product, Version: o.Version, Created: o.Created}
	source, rep, err := analyse(doc, o)
	if err != nil {
		return nil, rep, err
	}
	m.Findings = source.findings
	// The artifacts hallmark can read (Go binaries, jars, image archives)
	// get their own SBOM, scanned and gated like the source's.
	own := map[string]*analysed{}
	for _, a := range o.Artifacts {
		ares, err := scan.Load(ctx, a, scan.LoadOptions{Created: o.Created, Tool: o.Tool})
		if err != nil || len(ares.Document.Packages) == 0 {
			continue // not a format hallmark reads: the source's SBOM speaks for it
		}
		ad := ares.Document
		ad.Name, ad.Version = filepath.Base(a), o.Version
		an, arep, err := analyse(ad, o)
		if err != nil {
			return nil, arep, fmt.Errorf("%s: %w", filepath.Base(a), err)
		}
		own[filepath.Base(a)] = an
		if arep != nil {
			rep = arep
		}
	}
	if o.Gate != nil {
		m.Policy = &Policy{File: filepath.Base(o.Gate.File), Verdict: source.verdict.String()}
		for _, an := range own {
			if an.verdict == scan.Incomplete {
				m.Policy.Verdict = scan.Incomplete.String()
			}
		}
	}

	// Everything below goes into a temporary directory renamed at the end.
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(o.Out)), "."+filepath.Base(o.Out)+".tmp-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	put := func(name string, b []byte) error {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		return nil
	}
	m.SBOM = SBOMFiles{CycloneDX: "sbom.cdx.json", SPDX: "sbom.spdx.json"}
	m.VEX, m.Provenance = "vex.openvex.json", "provenance.json"
	b := o.Build
	b.Dependencies = append(b.Dependencies, attest.SBOMDependencies(doc)...)
	if b.FinishedOn.IsZero() {
		b.FinishedOn = o.Created
	}
	prov, err := b.Provenance()
	if err != nil {
		return nil, nil, fmt.Errorf("provenance: %w", err)
	}
	for name, data := range map[string][]byte{m.SBOM.CycloneDX: source.cdx, m.SBOM.SPDX: source.spdx, m.VEX: source.vex, m.Provenance: prov} {
		if err := put(name, data); err != nil {
			return nil, nil, err
		}
	}

	keyAlg, err := o.Keypair.DigestAlgorithm()
	if err != nil {
		return nil, nil, err
	}
	algs := []digest.Algorithm{digest.SHA256, digest.SHA512}
	if keyAlg != digest.SHA256 && keyAlg != digest.SHA512 {
		algs = append(algs, keyAlg)
	}
	var sums strings.Builder
	for _, a := range o.Artifacts {
		name := filepath.Base(a)
		// One read of the artifact: copied into the release while every
		// digest (and the signature's) is computed.
		set, n, err := copyDigest(ctx, a, filepath.Join(tmp, name), algs)
		if err != nil {
			return nil, nil, err
		}
		art := Artifact{Name: name, Size: n, Digests: map[string]string{"sha256": set.Hex(digest.SHA256), "sha512": set.Hex(digest.SHA512)}, Bundles: map[string]string{}}
		fmt.Fprintf(&sums, "%s  %s\n", set.Hex(digest.SHA256), name)
		sig, err := sign.MessageDigest(ctx, set[keyAlg], o.Keypair)
		if err != nil {
			return nil, nil, err
		}
		if err := putBundle(tmp, name+".sigstore.json", sig); err != nil {
			return nil, nil, err
		}
		art.Bundles["signature"] = name + ".sigstore.json"
		sbomPredicate, vexPredicate := source.cdx, source.vex
		if an := own[name]; an != nil {
			files := artifactFiles(name)
			art.SBOM, art.VEX, art.Findings = &SBOMFiles{CycloneDX: files[0], SPDX: files[1]}, files[2], an.findings
			for i, data := range [][]byte{an.cdx, an.spdx, an.vex} {
				if err := put(files[i], data); err != nil {
					return nil, nil, err
				}
			}
			sbomPredicate, vexPredicate = an.cdx, an.vex
		}
		for _, att := range []struct {
			kind      string
			predicate []byte
		}{{"cyclonedx", sbomPredicate}, {"slsa-provenance", prov}, {"openvex", vexPredicate}} {
			pt, _ := attest.PredicateType(att.kind)
			stmt, err := attest.Statement([]attest.Subject{{Name: name, Digest: art.Digests}}, pt, att.predicate)
			if err != nil {
				return nil, nil, fmt.Errorf("%s statement: %w", att.kind, err)
			}
			bdl, err := sign.DSSE(ctx, attest.PayloadType, stmt, o.Keypair)
			if err != nil {
				return nil, nil, err
			}
			file := name + "." + att.kind + ".sigstore.json"
			if err := putBundle(tmp, file, bdl); err != nil {
				return nil, nil, err
			}
			art.Bundles[att.kind] = file
		}
		m.Artifacts = append(m.Artifacts, art)
	}
	sort.Slice(m.Artifacts, func(i, j int) bool { return m.Artifacts[i].Name < m.Artifacts[j].Name })
	m.SHA256SUMS, m.SHA256SUMSBundle = "SHA256SUMS", "SHA256SUMS.sigstore.json"
	if err := put(m.SHA256SUMS, []byte(sums.String())); err != nil {
		return nil, nil, err
	}
	sb, err := sign.Message(ctx, strings.NewReader(sums.String()), o.Keypair)
	if err != nil {
		return nil, nil, err
	}
	if err := putBundle(tmp, m.SHA256SUMSBundle, sb); err != nil {
		return nil, nil, err
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	mb = append(mb, '\n')
	if err := put(ManifestFile, mb); err != nil {
		return nil, nil, err
	}
	msig, err := sign.Message(ctx, bytes.NewReader(mb), o.Keypair)
	if err != nil {
		return nil, nil, err
	}
	if err := putBundle(tmp, ManifestFile+".sigstore.json", msig); err != nil {
		return nil, nil, err
	}
	if err := os.Rename(tmp, o.Out); err != nil {
		return nil, nil, fmt.Errorf("publish %s: %w", o.Out, err)
	}
	return m, rep, nil
}

func putBundle(dir, name string, b *protobundle.Bundle) error {
	data, err := sign.Marshal(b)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), data, 0o644)
}

// artifactFiles are the files an artifact's own SBOM and VEX are written
// to: CycloneDX, SPDX, OpenVEX.
func artifactFiles(name string) []string {
	return []string{name + ".cdx.json", name + ".spdx.json", name + ".openvex.json"}
}

// analysed is one SBOM, scanned, gated and encoded.
type analysed struct {
	findings       int
	verdict        scan.Verdict
	cdx, spdx, vex []byte
}

// analyse matches doc (when there is data), applies the gate (a failing
// gate is *ErrGate with its report) and encodes the SBOM in both formats
// and the findings as OpenVEX.
func analyse(doc *sbom.Document, o Options) (*analysed, *policy.Report, error) {
	an := &analysed{verdict: scan.Pass}
	var result *match.Result // nil: no data, vulnerability rules incomplete
	if o.DB != nil {
		var err error
		if result, err = scan.Match(doc, o.DB, o.VEX); err != nil {
			return nil, nil, err
		}
		an.findings = len(result.Active())
	}
	var rep *policy.Report
	if o.Gate != nil {
		var err error
		if rep, err = policy.Evaluate(o.Gate.Policy, doc, result, o.Created); err != nil {
			return nil, nil, err
		}
		if an.verdict, _ = scan.PolicyVerdict(o.Gate.File, rep); an.verdict == scan.Fail {
			return nil, rep, &ErrGate{rep}
		}
	}
	var cdx, sp, vx bytes.Buffer
	if err := cyclonedx.Encode(&cdx, doc, cyclonedx.Options{}); err != nil {
		return nil, nil, err
	}
	if err := spdx.Encode(&sp, doc); err != nil {
		return nil, nil, err
	}
	if result == nil {
		result = &match.Result{Document: doc, Upgrades: map[string]string{}}
	}
	if err := report.OpenVEX(&vx, result, doc.Name+" "+doc.Version+" release", o.Created); err != nil {
		return nil, nil, err
	}
	an.cdx, an.spdx, an.vex = cdx.Bytes(), sp.Bytes(), vx.Bytes()
	return an, rep, nil
}

// copyDigest copies src to dst, computing algs on the way (one read).
func copyDigest(ctx context.Context, src, dst string, algs []digest.Algorithm) (digest.Set, int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return nil, 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return nil, 0, err
	}
	set, n, err := digest.Reader(ctx, io.TeeReader(in, out), algs...)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, 0, fmt.Errorf("copy %s: %w", src, err)
	}
	return set, n, nil
}
