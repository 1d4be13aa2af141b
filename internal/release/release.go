// Package release is the supplier's one-step release and the customer's
// one offline check of it. Make hashes every artifact, writes SHA256SUMS,
// makes the SBOM of the source (CycloneDX and SPDX), scans it and applies
// the policy gate (a failing gate stops the release before anything is
// signed), builds SLSA Provenance v1 with the SBOM's components as resolved
// dependencies and an OpenVEX document, signs every artifact and attests
// SBOM, provenance and VEX (Sigstore bundles), and writes a signed release
// manifest. Verify checks all of it for every artifact, offline.
//
// The release directory is written under a temporary name beside the
// requested one and renamed into place: an interrupted release leaves
// nothing half-written. Publishing into a TUF repository is not part of this
// package yet.
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
	MediaType string     `json:"mediaType"`
	Product   string     `json:"product"`
	Version   string     `json:"version"`
	Created   time.Time  `json:"created"`
	Artifacts []Artifact `json:"artifacts"`
	SBOM      struct {
		CycloneDX string `json:"cyclonedx"`
		SPDX      string `json:"spdx"`
	} `json:"sbom"`
	VEX        string `json:"vex"`
	Provenance string `json:"provenance"`
	SHA256SUMS string `json:"sha256sums"`
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
	res, err := scan.Load(ctx, o.SBOMFrom, scan.LoadOptions{Created: o.Created, Tool: o.Tool, Exclude: []string{"**/testdata/**"}})
	if err != nil {
		return nil, nil, fmt.Errorf("SBOM of %s: %w", o.SBOMFrom, err)
	}
	doc := res.Document
	doc.Name, doc.Version = o.Product, o.Version
	var result *match.Result
	if o.DB != nil {
		if result, err = scan.Match(doc, o.DB, o.VEX); err != nil {
			return nil, nil, err
		}
	}
	var rep *policy.Report
	m := &Manifest{MediaType: MediaType, Product: o.Product, Version: o.Version, Created: o.Created}
	if o.Gate != nil {
		if rep, err = policy.Evaluate(o.Gate.Policy, doc, result, o.Created); err != nil {
			return nil, nil, err
		}
		v, _ := scan.PolicyVerdict(o.Gate.File, rep)
		if v == scan.Fail {
			return nil, rep, &ErrGate{rep}
		}
		m.Policy = &Policy{File: filepath.Base(o.Gate.File), Verdict: v.String()}
	}
	if result != nil {
		m.Findings = len(result.Active())
	}

	// Everything below goes into a temporary directory renamed at the end.
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(o.Out)), "."+filepath.Base(o.Out)+".tmp-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	put := func(name string, write func(io.Writer) error) error {
		f, err := os.Create(filepath.Join(tmp, name))
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
		return f.Close()
	}
	var cdx, spdxDoc bytes.Buffer
	if err := cyclonedx.Encode(&cdx, doc, cyclonedx.Options{}); err != nil {
		return nil, nil, err
	}
	if err := spdx.Encode(&spdxDoc, doc); err != nil {
		return nil, nil, err
	}
	m.SBOM.CycloneDX, m.SBOM.SPDX = "sbom.cdx.json", "sbom.spdx.json"
	if err := put(m.SBOM.CycloneDX, func(w io.Writer) error { _, err := w.Write(cdx.Bytes()); return err }); err != nil {
		return nil, nil, err
	}
	if err := put(m.SBOM.SPDX, func(w io.Writer) error { _, err := w.Write(spdxDoc.Bytes()); return err }); err != nil {
		return nil, nil, err
	}
	var vexDoc bytes.Buffer
	if result == nil {
		result = &match.Result{Document: doc, Upgrades: map[string]string{}}
	}
	if err := report.OpenVEX(&vexDoc, result, o.Product+" release", o.Created); err != nil {
		return nil, nil, err
	}
	m.VEX = "vex.openvex.json"
	if err := put(m.VEX, func(w io.Writer) error { _, err := w.Write(vexDoc.Bytes()); return err }); err != nil {
		return nil, nil, err
	}
	b := o.Build
	b.Dependencies = append(b.Dependencies, attest.SBOMDependencies(doc)...)
	if b.FinishedOn.IsZero() {
		b.FinishedOn = o.Created
	}
	prov, err := b.Provenance()
	if err != nil {
		return nil, nil, fmt.Errorf("provenance: %w", err)
	}
	m.Provenance = "provenance.json"
	if err := put(m.Provenance, func(w io.Writer) error { _, err := w.Write(prov); return err }); err != nil {
		return nil, nil, err
	}

	var sums strings.Builder
	names := map[string]bool{}
	for _, a := range o.Artifacts {
		name := filepath.Base(a)
		if names[name] || name == ManifestFile {
			return nil, nil, fmt.Errorf("%s: two artifacts of the same name, or a reserved one", name)
		}
		names[name] = true
		set, n, err := digest.File(ctx, a, digest.SHA256, digest.SHA512)
		if err != nil {
			return nil, nil, err
		}
		if err := copyFile(a, filepath.Join(tmp, name)); err != nil {
			return nil, nil, err
		}
		art := Artifact{Name: name, Size: n, Digests: set.HexMap(), Bundles: map[string]string{}}
		fmt.Fprintf(&sums, "%s  %s\n", set.Hex(digest.SHA256), name)
		f, err := os.Open(filepath.Join(tmp, name))
		if err != nil {
			return nil, nil, err
		}
		sig, err := sign.Message(ctx, f, o.Keypair)
		f.Close()
		if err != nil {
			return nil, nil, err
		}
		if err := putBundle(tmp, name+".sigstore.json", sig); err != nil {
			return nil, nil, err
		}
		art.Bundles["signature"] = name + ".sigstore.json"
		for _, att := range []struct {
			kind      string
			predicate []byte
		}{{"cyclonedx", cdx.Bytes()}, {"slsa-provenance", prov}, {"openvex", vexDoc.Bytes()}} {
			pt, _ := attest.PredicateType(att.kind)
			stmt, err := attest.Statement([]attest.Subject{{Name: name, Digest: set.HexMap()}}, pt, att.predicate)
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
	if err := put(m.SHA256SUMS, func(w io.Writer) error { _, err := io.WriteString(w, sums.String()); return err }); err != nil {
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
	if err := put(ManifestFile, func(w io.Writer) error { _, err := w.Write(mb); return err }); err != nil {
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

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
