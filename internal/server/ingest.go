package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/osv"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/internal/sbom/spdx"
	"github.com/hallmark-dev/hallmark/internal/source"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/vex"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// ErrBadInput is an upload refused as malformed, oversized or not an SBOM.
var ErrBadInput = errors.New("bad input")

// decodeSBOM reads a CycloneDX (1.4–1.7) or SPDX (2.2/2.3) JSON document.
func decodeSBOM(b []byte) (*sbom.Document, string, error) {
	if len(b) > limits.ServerSBOMBytes {
		return nil, "", fmt.Errorf("%w: SBOM larger than %d bytes", ErrBadInput, limits.ServerSBOMBytes)
	}
	switch source.Sniff(b) {
	case source.KindCycloneDX:
		doc, err := cyclonedx.DecodeBytes(b)
		if err != nil {
			return nil, "", fmt.Errorf("%w: CycloneDX: %v", ErrBadInput, oneLine(err))
		}
		return doc, "cyclonedx", nil
	case source.KindSPDX:
		doc, err := spdx.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, "", fmt.Errorf("%w: SPDX: %v", ErrBadInput, oneLine(err))
		}
		return doc, "spdx", nil
	}
	return nil, "", fmt.Errorf("%w: not a CycloneDX or SPDX JSON document", ErrBadInput)
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// matchKey returns the ecosystem and name a package is looked up by: its
// source package for OS packages, normalised as the index keys them.
func matchKey(p *sbom.Package) store.EcoName {
	eco := string(p.Ecosystem)
	name := p.Name
	if src := p.Properties[match.PropOSSource]; src != "" {
		name = src
	}
	return store.EcoName{Ecosystem: osv.BaseEcosystem(eco), Name: vulndb.NormalizeName(eco, name)}
}

// storedFindings turns a match result into the store's findings.
func storedFindings(res *match.Result, now time.Time) []store.StoredFinding {
	var out []store.StoredFinding
	for _, f := range res.Findings {
		p := res.Document.Package(f.PackageID)
		k := matchKey(p)
		out = append(out, store.StoredFinding{
			Package: purlOrID(p), VulnID: f.ID, Ecosystem: k.Ecosystem, MatchName: k.Name,
			Aliases: f.Aliases, Severity: f.Severity.Level.String(), Score: f.Severity.Score,
			Summary: f.Summary, Fixed: f.Fixed, FirstSeen: now,
		})
	}
	return out
}

func purlOrID(p *sbom.Package) string {
	if p.PURL != "" {
		return p.PURL
	}
	return p.ID
}

// Upload is one release to ingest.
type Upload struct {
	Product, Version string
	TeamID           string // owner of a product created by this upload
	AutoCreate       bool
	SBOM, VEX        []byte
	Manifest         []byte
}

// Ingest stores a release: the SBOM decoded with hallmark's readers,
// matched with the same code as hallmark scan, VEX statements in the
// upload recorded as triage. Nothing is half-stored.
func (s *Server) Ingest(ctx context.Context, u Upload) (*store.Release, error) {
	if u.Product == "" || u.Version == "" || len(u.Product) > 200 || len(u.Version) > 200 {
		return nil, fmt.Errorf("%w: product and version are required (at most 200 characters)", ErrBadInput)
	}
	// As many ingests at once as there are processors: more only queue
	// for the CPU and for the database's writer, hold their decoded SBOMs
	// in memory meanwhile, and slow the queries people are waiting for.
	select {
	case s.ingestSlots <- struct{}{}:
		defer func() { <-s.ingestSlots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	doc, format, err := decodeSBOM(u.SBOM)
	if err != nil {
		return nil, err
	}
	if len(doc.Packages) > limits.ServerComponents {
		return nil, fmt.Errorf("%w: %d components, limit %d", ErrBadInput, len(doc.Packages), limits.ServerComponents)
	}
	var stmts []vex.Statement
	if len(u.VEX) > 0 {
		if stmts, err = vex.Parse(u.VEX, "upload"); err != nil {
			return nil, fmt.Errorf("%w: VEX: %v", ErrBadInput, oneLine(err))
		}
	}
	in := store.ReleaseInput{Version: u.Version, SBOM: u.SBOM, Format: format, Manifest: u.Manifest}
	p, err := s.st.Product(ctx, u.Product)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if !u.AutoCreate {
			return nil, fmt.Errorf("%w: product %q does not exist (autoCreate it)", store.ErrNotFound, u.Product)
		}
		// Created with the release, in its transaction.
		in.ProductName, in.TeamID = u.Product, u.TeamID
	case err != nil:
		return nil, err
	default:
		in.ProductID = p.ID
	}
	doc.Normalize()
	now := s.now()
	in.Now = now
	for i := range doc.Packages {
		pk := &doc.Packages[i]
		in.Components = append(in.Components, store.Component{Package: *pk, MatchName: matchKey(pk).Name})
	}
	ref, release, _, err := s.vulns.acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	if ref != nil {
		res, err := match.Match(doc, ref.db)
		if err != nil {
			return nil, err
		}
		in.Findings = storedFindings(res, now)
		if len(stmts) > 0 {
			vex.Apply(res, stmts)
			for _, f := range res.Findings {
				if f.StatusSource != "" {
					in.VEX = append(in.VEX, store.VEX{VulnID: f.ID, Package: purlOrID(res.Document.Package(f.PackageID)),
						Status: string(f.Status), Justification: f.Justification, Detail: f.StatusDetail, Author: "upload (" + f.StatusSource + ")", At: now})
				}
			}
		}
		// Names first seen here were matched against this index: recorded
		// with the release, so that the monitor re-matches them only when
		// the data changes.
		in.NameStates = map[store.EcoName]string{}
		for i := range doc.Packages {
			k := matchKey(&doc.Packages[i])
			if _, ok := in.NameStates[k]; !ok && !s.st.HasNameState(k) {
				in.NameStates[k] = fingerprint(ref.db, k)
			}
		}
	}
	if len(in.Findings) > 0 {
		if err := s.ingestEvents(ctx, &in, u, p, now); err != nil {
			return nil, err
		}
	}
	in.BeforeCommit = func() error { s.hook("ingest-commit", u.Product+"@"+u.Version); return nil }
	// Release, components, findings, name states, VEX and a new product:
	// one transaction, nothing half-stored.
	return s.st.PutRelease(ctx, in)
}

// ingestEvents has the release's transaction queue a finding.new event
// per receiver of its product for each finding the upload brings (not for
// those its own VEX closes), as a re-match does for findings that appear
// later.
func (s *Server) ingestEvents(ctx context.Context, in *store.ReleaseInput, u Upload, p *store.Product, now time.Time) error {
	hooks, err := s.st.AllWebhooks(ctx)
	if err != nil || len(hooks) == 0 {
		return err
	}
	team := u.TeamID
	if p != nil {
		team = p.TeamID
	}
	closed := map[[2]string]bool{}
	for _, v := range in.VEX {
		if v.Closes() {
			closed[[2]string{v.Package, v.VulnID}] = true
		}
	}
	in.Events = func(releaseID, productID string, fresh []store.StoredFinding) []store.Delivery {
		rel := store.Release{ID: releaseID, ProductID: productID, Product: u.Product, Version: u.Version, TeamID: team}
		var out []store.Delivery
		for _, f := range fresh {
			if closed[[2]string{f.Package, f.VulnID}] {
				continue
			}
			for _, d := range s.events(store.Change{Finding: f}, rel, hooks, now) {
				d.Created = now
				out = append(out, d)
			}
		}
		return out
	}
	return nil
}

// fingerprint identifies the advisories an index holds for one name: their
// ids, modification times and withdrawal, sorted and hashed.
func fingerprint(db *vulndb.DB, k store.EcoName) string {
	recs, _, err := db.Lookup(k.Ecosystem, k.Name)
	if err != nil {
		return "error"
	}
	var parts []string
	for _, r := range recs {
		parts = append(parts, r.ID+"|"+r.Modified+"|"+fmt.Sprint(r.Withdrawn))
	}
	slices.Sort(parts)
	h := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(h[:8])
}
