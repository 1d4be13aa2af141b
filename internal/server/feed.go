package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sign"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/vex"
)

// AdvisoryConfig says who publishes the server's CSAF advisories and with
// which key they are signed.
type AdvisoryConfig struct {
	// Publisher names the supplier in every document. Without a namespace
	// the API uses the URL the request came to (https://HOST) and the host
	// as name.
	Publisher vex.CSAFPublisher
	// Signer signs each document: a Sigstore bundle (a message signature
	// over the document's bytes, as hallmark sign makes) beside it. nil:
	// unsigned.
	Signer *sign.Keypair
	// EngineVersion is hallmark's version, the documents' generator.
	EngineVersion string
	// BaseURL, when set, is the https URL the feed is published at (the
	// directory of provider-metadata.json, e.g.
	// https://example.com/.well-known/csaf): documents name their canonical
	// URL under it and Feed writes provider-metadata.json.
	BaseURL string
}

// docBase is the URL of the white/ directory, or "".
func (c AdvisoryConfig) docBase() string {
	if c.BaseURL == "" {
		return ""
	}
	return strings.TrimSuffix(c.BaseURL, "/") + "/" + FeedDir
}

// Feed file names: CSAF 2.0 section 7.1 (a directory per TLP label, a
// folder per year of the initial release, index.txt, changes.csv,
// provider-metadata.json) and hallmark's JSON index of the same documents.
const (
	FeedProviderMetadata = "provider-metadata.json"
	// FeedDir is the directory of the TLP:WHITE documents.
	FeedDir       = "white"
	FeedIndexJSON = "index.json"
	FeedIndexTXT  = "index.txt"
	FeedChanges   = "changes.csv"
	// BundleSuffix follows a document's name in its signature's.
	BundleSuffix = ".sigstore.json"
)

// publisherFor returns the configured publisher, or one made from the
// request's host.
func (s *Server) publisherFor(r *http.Request) vex.CSAFPublisher {
	p := s.adv.Publisher
	if p.Namespace == "" && r != nil {
		p.Namespace = "https://" + r.Host
	}
	if p.Name == "" {
		if u, err := url.Parse(p.Namespace); err == nil && u.Host != "" {
			p.Name = u.Host
		}
	}
	return p
}

// csafRelease gathers a release's findings and their triage history.
func (s *Server) csafRelease(ctx context.Context, rel *store.Release) (vex.CSAFRelease, error) {
	out := vex.CSAFRelease{Version: rel.Version, Recorded: rel.Created}
	fs, err := s.st.Findings(ctx, rel.ID, false)
	if err != nil {
		return out, err
	}
	hist, err := s.st.ReleaseVEX(ctx, rel.ID)
	if err != nil {
		return out, err
	}
	triage := map[string][]vex.Triage{}
	for _, v := range hist {
		k := v.VulnID + "\x00" + v.Package
		triage[k] = append(triage[k], vex.Triage{Status: match.Status(v.Status), Justification: v.Justification,
			Detail: v.Detail, FixedIn: v.FixedIn, Author: v.Author, At: v.At})
	}
	for _, f := range fs {
		out.Findings = append(out.Findings, vex.CSAFFinding{
			Vulnerability: f.VulnID, Aliases: f.Aliases, Component: csafComponent(f),
			Summary: f.Summary, Severity: f.Severity, Score: f.Score, ComponentFixed: f.Fixed,
			FirstSeen: f.FirstSeen, Resolved: f.Resolved, Triage: triage[f.VulnID+"\x00"+f.Package],
		})
	}
	return out, nil
}

// csafComponent names a finding's package from its purl (or, without
// one, its match name).
func csafComponent(f store.StoredFinding) vex.CSAFComponent {
	c := vex.CSAFComponent{Ref: f.Package, Name: f.MatchName}
	if p, err := packageurl.FromString(f.Package); err == nil && strings.HasPrefix(f.Package, "pkg:") {
		c.PURL, c.Name, c.Version = f.Package, p.Name, p.Version
		if p.Namespace != "" {
			c.Name = p.Namespace + "/" + p.Name
		}
	}
	return c
}

// CSAF returns a release's CSAF 2.0 VEX document and, with a signing key
// configured, its Sigstore bundle. r (may be nil) supplies the default
// publisher. It returns vex.ErrNoVulnerabilities for a release without
// open findings.
func (s *Server) CSAF(ctx context.Context, r *http.Request, rel *store.Release) (doc, bundle []byte, err error) {
	cr, err := s.csafRelease(ctx, rel)
	if err != nil {
		return nil, nil, err
	}
	in := vex.CSAFInput{Publisher: s.publisherFor(r), Product: rel.Product, EngineVersion: s.adv.EngineVersion,
		BaseURL: s.adv.docBase(), Releases: []vex.CSAFRelease{cr}}
	var b bytes.Buffer
	if err := vex.WriteCSAF(&b, in); err != nil {
		return nil, nil, err
	}
	bundle, err = s.signDocument(ctx, b.Bytes())
	return b.Bytes(), bundle, err
}

func (s *Server) signDocument(ctx context.Context, doc []byte) ([]byte, error) {
	if s.adv.Signer == nil {
		return nil, nil
	}
	b, err := sign.Message(ctx, bytes.NewReader(doc), s.adv.Signer)
	if err != nil {
		return nil, fmt.Errorf("sign CSAF document: %w", err)
	}
	return sign.Marshal(b)
}

// FeedEntry is one document of hallmark's JSON index.
type FeedEntry struct {
	Product            string `json:"product"`
	Version            string `json:"version"`
	TrackingID         string `json:"trackingId"`
	TrackingVersion    string `json:"trackingVersion"`
	InitialReleaseDate string `json:"initialReleaseDate"`
	CurrentReleaseDate string `json:"currentReleaseDate"`
	// Path is relative to the index, as in index.txt.
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	// Signature is the path of the Sigstore bundle, when signed.
	Signature string `json:"signature,omitempty"`
}

// FeedIndex is index.json: the documents, the newest change first.
type FeedIndex struct {
	Publisher struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"publisher"`
	// Updated is the newest document's current release date.
	Updated   string      `json:"updated,omitempty"`
	Documents []FeedEntry `json:"documents"`
	// Skipped are releases whose document would have another's file name
	// (versions that differ only in case or punctuation: CSAF 2.0 5.1
	// folds them to the same name).
	Skipped []string `json:"skipped,omitempty"`
}

// errSameName reports a document whose file name another already has.
var errSameName = errors.New("two documents have the same file name")

// Feed builds the advisory feed of products: every release with an open
// finding gets its CSAF VEX document (signed when a key is configured),
// laid out as CSAF 2.0 section 7.1 asks (white/YYYY/name.json with
// .sha256 and .sha512 beside it, white/index.txt, white/changes.csv) with
// hallmark's white/index.json; with a BaseURL configured (https://...,
// where the feed will be served) also provider-metadata.json. Keys are slash-separated
// paths. The documents are the same bytes whenever the store is the same.
func (s *Server) Feed(ctx context.Context, r *http.Request, products []store.Product) (map[string][]byte, error) {
	pub := s.publisherFor(r)
	files := map[string][]byte{}
	var idx FeedIndex
	idx.Publisher.Name, idx.Publisher.Namespace = pub.Name, pub.Namespace
	idx.Documents = []FeedEntry{}
	for _, p := range products {
		rels, err := s.st.Releases(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		// Oldest first: when two versions fold to one file name, the one
		// published first keeps it.
		for i := len(rels) - 1; i >= 0; i-- {
			e, ok, err := s.feedRelease(ctx, pub, p.Name, &rels[i], files)
			if errors.Is(err, errSameName) {
				idx.Skipped = append(idx.Skipped, err.Error())
				continue
			}
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			idx.Documents = append(idx.Documents, e)
			if e.CurrentReleaseDate > idx.Updated {
				idx.Updated = e.CurrentReleaseDate
			}
		}
	}
	sort.Slice(idx.Documents, func(i, j int) bool {
		a, b := idx.Documents[i], idx.Documents[j]
		if a.CurrentReleaseDate != b.CurrentReleaseDate {
			return a.CurrentReleaseDate > b.CurrentReleaseDate
		}
		return a.Path < b.Path
	})
	var txt, csv strings.Builder
	paths := make([]string, 0, len(idx.Documents))
	for _, e := range idx.Documents {
		paths = append(paths, e.Path)
		fmt.Fprintf(&csv, "%q,%q\n", e.Path, e.CurrentReleaseDate)
	}
	sort.Strings(paths)
	for _, p := range paths {
		txt.WriteString(p + "\n")
	}
	files[FeedDir+"/"+FeedIndexTXT] = []byte(txt.String())
	files[FeedDir+"/"+FeedChanges] = []byte(csv.String())
	ib, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return nil, err
	}
	files[FeedDir+"/"+FeedIndexJSON] = append(ib, '\n')
	if s.adv.BaseURL != "" {
		pm, err := providerMetadata(pub, s.adv.BaseURL, idx.Updated)
		if err != nil {
			return nil, err
		}
		files[FeedProviderMetadata] = pm
	}
	return files, nil
}

// feedRelease adds a release's document, its hashes and its bundle to
// files and returns its index entry; ok is false for a release without a
// document (no open finding).
func (s *Server) feedRelease(ctx context.Context, pub vex.CSAFPublisher, product string, rel *store.Release, files map[string][]byte) (e FeedEntry, ok bool, err error) {
	cr, err := s.csafRelease(ctx, rel)
	if err != nil {
		return e, false, err
	}
	in := vex.CSAFInput{Publisher: pub, Product: product, EngineVersion: s.adv.EngineVersion, BaseURL: s.adv.docBase(),
		Releases: []vex.CSAFRelease{cr}}
	doc, tr, err := vex.EncodeCSAF(in)
	if errors.Is(err, vex.ErrNoVulnerabilities) {
		return e, false, nil
	} else if err != nil {
		return e, false, fmt.Errorf("%s %s: %w", product, rel.Version, err)
	}
	file := tr.Path
	if _, dup := files[FeedDir+"/"+file]; dup {
		return e, false, fmt.Errorf("%s %s: %w: %s", product, rel.Version, errSameName, file)
	}
	name := path.Base(file)
	s256, s512 := sha256.Sum256(doc), sha512.Sum512(doc)
	files[FeedDir+"/"+file] = doc
	files[FeedDir+"/"+file+".sha256"] = []byte(hex.EncodeToString(s256[:]) + "  " + name + "\n")
	files[FeedDir+"/"+file+".sha512"] = []byte(hex.EncodeToString(s512[:]) + "  " + name + "\n")
	e = FeedEntry{Product: product, Version: cr.Version, TrackingID: tr.ID, TrackingVersion: tr.Version,
		InitialReleaseDate: tr.InitialReleaseDate, CurrentReleaseDate: tr.CurrentReleaseDate,
		Path: file, SHA256: hex.EncodeToString(s256[:])}
	bundle, err := s.signDocument(ctx, doc)
	if err != nil {
		return e, false, err
	}
	if bundle != nil {
		files[FeedDir+"/"+file+BundleSuffix] = bundle
		e.Signature = file + BundleSuffix
	}
	return e, true, nil
}

// providerMetadata is the CSAF 2.0 provider-metadata.json (section 7.1.7)
// of a feed served at baseURL.
func providerMetadata(pub vex.CSAFPublisher, baseURL, updated string) ([]byte, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%w: base URL %q: CSAF feeds are served over https (CSAF 2.0 7.1.3)", ErrBadInput, baseURL)
	}
	base := strings.TrimSuffix(baseURL, "/")
	if updated == "" {
		updated = "1970-01-01T00:00:00.000Z"
	}
	cat := pub.Category
	if cat == "" {
		cat = "vendor"
	}
	pm := map[string]any{
		"canonical_url":              base + "/" + FeedProviderMetadata,
		"distributions":              []map[string]string{{"directory_url": base + "/" + FeedDir + "/"}},
		"last_updated":               updated,
		"list_on_CSAF_aggregators":   true,
		"metadata_version":           "2.0",
		"mirror_on_CSAF_aggregators": true,
		"publisher":                  map[string]string{"category": cat, "name": pub.Name, "namespace": pub.Namespace},
		"role":                       "csaf_provider",
	}
	b, err := json.MarshalIndent(pm, "", "  ")
	return append(b, '\n'), err
}

// feedFile builds only the files of the release a document file name
// (YYYY/NAME.json, or its .sha256, .sha512, .sigstore.json) can belong to:
// NAME is the release's tracking id, which only its product and version
// make.
func (s *Server) feedFile(r *http.Request, p *store.Product, name string) (map[string][]byte, error) {
	doc := name
	for _, suffix := range []string{".sha256", ".sha512", BundleSuffix} {
		doc = strings.TrimSuffix(doc, suffix)
	}
	files := map[string][]byte{}
	rels, err := s.st.Releases(r.Context(), p.ID)
	if err != nil {
		return nil, err
	}
	for i := len(rels) - 1; i >= 0; i-- { // oldest first, as Feed
		if vex.CSAFFilename(vex.CSAFTrackingID(p.Name, rels[i].Version)) != path.Base(doc) {
			continue
		}
		if _, _, err := s.feedRelease(r.Context(), s.publisherFor(r), p.Name, &rels[i], files); err != nil && !errors.Is(err, errSameName) {
			return nil, err
		}
	}
	return files, nil
}

// apiAdvisories serves a product's feed: GET
// /api/v1/products/{product}/advisories/{path...} with path index.json,
// index.txt, changes.csv or YYYY/name.json (and .sha256, .sha512,
// .sigstore.json).
func (s *Server) apiAdvisories(w http.ResponseWriter, r *http.Request) {
	p, err := s.productFor(r, r.PathValue("product"))
	if err != nil {
		s.fail(w, err)
		return
	}
	name := path.Clean("/" + r.PathValue("path"))[1:]
	var files map[string][]byte
	switch name {
	case FeedIndexJSON, FeedIndexTXT, FeedChanges:
		files, err = s.Feed(r.Context(), r, []store.Product{*p})
	default:
		files, err = s.feedFile(r, p, name)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	b, ok := files[FeedDir+"/"+name]
	if !ok {
		apiError(w, http.StatusNotFound, "not_found", "no such advisory file: "+name)
		return
	}
	switch {
	case strings.HasSuffix(name, ".json"):
		w.Header().Set("Content-Type", "application/json")
	case strings.HasSuffix(name, ".csv"):
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.Write(b)
}
