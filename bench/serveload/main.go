// Command serveload is the load test of hallmark serve (bench/serve-load.sh
// drives it; loopback only, bounded):
//
//	serveload gen -corpus DIR -osv DIR -out DIR [-n 1000] [-size 1000] [-touch 0.05]
//	    N CycloneDX SBOMs of about SIZE components built from the real
//	    corpus lockfiles (each starts from one lockfile's packages and is
//	    filled from the pool of every lockfile, a share of versions moved
//	    to another version seen for that name or a patch bump), and
//	    OUT/osv-update: the OSV export in -osv plus one new advisory for
//	    TOUCH of the package names the SBOMs contain.
//	serveload run -server URL -token T -dir OUT [-clients 8]
//	    uploads OUT/sboms/* with that many concurrent clients while a
//	    prober asks the query API (components, affected) every 50 ms;
//	    prints the wall time and upload and query latency percentiles.
//	serveload job -server URL -token T -after TIME
//	    waits for the first re-match job created after TIME to end and
//	    prints how long it ran, the names it re-matched and the changes.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hallmark-dev/hallmark/internal/osv"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/internal/scan"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: serveload gen|run|job [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	case "job":
		err = job(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "serveload:", err)
		os.Exit(1)
	}
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	corpus := fs.String("corpus", "", "corpus directory (../shared/corpus)")
	osvDir := fs.String("osv", "", "OSV export directory (../shared/osv)")
	out := fs.String("out", "", "output directory")
	n := fs.Int("n", 1000, "SBOMs")
	size := fs.Int("size", 1000, "components per SBOM (about)")
	touch := fs.Float64("touch", 0.05, "share of package names the data update gives a new advisory")
	fs.Parse(args)
	if *corpus == "" || *osvDir == "" || *out == "" {
		return fmt.Errorf("gen: -corpus, -osv and -out are required")
	}
	rng := rand.New(rand.NewPCG(1, 2))

	// Every lockfile of the corpus, cataloged by hallmark.
	var bases [][]sbom.Package
	pool := map[string]sbom.Package{}       // purl -> package
	versions := map[string][]sbom.Package{} // ecosystem/name -> packages seen
	ecos, err := os.ReadDir(*corpus)
	if err != nil {
		return err
	}
	for _, e := range ecos {
		if !e.IsDir() {
			continue
		}
		projects, _ := os.ReadDir(filepath.Join(*corpus, e.Name()))
		for _, p := range projects {
			res, err := scan.Load(context.Background(), filepath.Join(*corpus, e.Name(), p.Name()), scan.LoadOptions{})
			if err != nil {
				continue
			}
			var pkgs []sbom.Package
			for _, pk := range res.Document.Packages {
				if pk.PURL == "" || pk.Version == "" || pk.Ecosystem == "" {
					continue
				}
				pk.Locations, pk.ID = nil, ""
				pkgs = append(pkgs, pk)
				if _, ok := pool[pk.PURL]; !ok {
					pool[pk.PURL] = pk
					k := string(pk.Ecosystem) + "/" + pk.Name
					versions[k] = append(versions[k], pk)
				}
			}
			if len(pkgs) >= 20 {
				bases = append(bases, pkgs)
			}
		}
	}
	purls := make([]string, 0, len(pool))
	for p := range pool {
		purls = append(purls, p)
	}
	sort.Strings(purls)
	fmt.Printf("corpus: %d lockfiles with 20+ packages, %d distinct packages, %d names\n", len(bases), len(purls), len(versions))

	dir := filepath.Join(*out, "sboms")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := map[string]sbom.Package{}
	total := 0
	for i := range *n {
		base := bases[i%len(bases)]
		doc := &sbom.Document{Name: fmt.Sprintf("product-%03d", i%100), Version: fmt.Sprintf("1.%d", i/100), Created: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
		want := *size - *size/10 + rng.IntN(*size/5+1)
		add := func(pk sbom.Package) {
			if rng.IntN(10) < 3 { // 30% at another version
				pk = otherVersion(rng, pk, versions[string(pk.Ecosystem)+"/"+pk.Name])
			}
			doc.Add(pk)
		}
		for _, pk := range base {
			if len(doc.Packages) >= want {
				break
			}
			add(pk)
		}
		for tries := 0; len(doc.Packages) < want && tries < 10*want; tries++ {
			add(pool[purls[rng.IntN(len(purls))]])
		}
		for _, pk := range doc.Packages {
			names[string(pk.Ecosystem)+"/"+pk.Name] = pk
		}
		total += len(doc.Packages)
		var b bytes.Buffer
		if err := cyclonedx.Encode(&b, doc, cyclonedx.Options{Version: "1.6"}); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%04d.cdx.json", i)), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("sboms: %d, %d components in all (%.0f each), %d distinct names\n", *n, total, float64(total)/float64(*n), len(names))

	// The data update: the export plus one new advisory for a share of the
	// names, in each ecosystem's all.zip.
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	touched := keys[:int(float64(len(keys))**touch)]
	byEco := map[string][]sbom.Package{}
	for _, k := range touched {
		pk := names[k]
		byEco[string(pk.Ecosystem)] = append(byEco[string(pk.Ecosystem)], pk)
	}
	upd := filepath.Join(*out, "osv-update")
	if err := copyExport(*osvDir, upd, byEco); err != nil {
		return err
	}
	fmt.Printf("update: a new advisory for %d of %d names (%.1f%%) in %d ecosystems\n", len(touched), len(keys), 100*float64(len(touched))/float64(len(keys)), len(byEco))
	return nil
}

var lastNumber = regexp.MustCompile(`(\d+)([^\d]*)$`)

// otherVersion moves a package to another version seen for its name, or
// bumps its last number.
func otherVersion(rng *rand.Rand, pk sbom.Package, seen []sbom.Package) sbom.Package {
	if len(seen) > 1 {
		return seen[rng.IntN(len(seen))]
	}
	m := lastNumber.FindStringSubmatchIndex(pk.Version)
	if m == nil {
		return pk
	}
	n, err := strconv.Atoi(pk.Version[m[2]:m[3]])
	if err != nil {
		return pk
	}
	v := pk.Version[:m[2]] + strconv.Itoa(n+1+rng.IntN(3)) + pk.Version[m[3]:]
	if i := strings.LastIndex(pk.PURL, "@"+pk.Version); i >= 0 {
		pk.PURL = pk.PURL[:i] + "@" + v + pk.PURL[i+1+len(pk.Version):]
	} else {
		return pk
	}
	pk.Version = v
	return pk
}

// copyExport writes the OSV export in src to dst with, for each ecosystem
// in add, one new advisory per package added to its all.zip.
func copyExport(src, dst string, add map[string][]sbom.Package) error {
	ecos, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ecos {
		in := filepath.Join(src, e.Name(), "all.zip")
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(in); err != nil {
			continue
		}
		if err := os.MkdirAll(filepath.Join(dst, e.Name()), 0o755); err != nil {
			return err
		}
		out, err := os.Create(filepath.Join(dst, e.Name(), "all.zip"))
		if err != nil {
			return err
		}
		zw := zip.NewWriter(out)
		zr, err := zip.OpenReader(in)
		if err != nil {
			return err
		}
		for _, f := range zr.File {
			if err := zw.Copy(f); err != nil {
				return err
			}
		}
		zr.Close()
		for i, pk := range add[osv.BaseEcosystem(e.Name())] {
			id := fmt.Sprintf("HMBENCH-%s-%04d", strings.ReplaceAll(e.Name(), " ", ""), i)
			rec := map[string]any{
				"schema_version": "1.6.0", "id": id, "modified": "2026-12-02T00:00:00Z", "published": "2026-12-02T00:00:00Z",
				"summary": "load-test advisory for " + pk.Name,
				"affected": []any{map[string]any{
					"package": map[string]string{"ecosystem": e.Name(), "name": pk.Name},
					"ranges":  []any{map[string]any{"type": "ECOSYSTEM", "events": []any{map[string]string{"introduced": "0"}}}},
				}},
			}
			w, err := zw.Create(id + ".json")
			if err != nil {
				return err
			}
			if err := json.NewEncoder(w).Encode(rec); err != nil {
				return err
			}
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	if b, err := os.ReadFile(filepath.Join(src, "ecosystems.txt")); err == nil {
		return os.WriteFile(filepath.Join(dst, "ecosystems.txt"), b, 0o644)
	}
	return nil
}

type client struct {
	base, token string
	hc          *http.Client
}

func (c client) do(method, path string, body []byte) (int, []byte, time.Duration, error) {
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, time.Since(start), err
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	base := fs.String("server", "", "server URL")
	token := fs.String("token", "", "admin token")
	dir := fs.String("dir", "", "gen's output directory")
	clients := fs.Int("clients", 8, "concurrent uploaders")
	fs.Parse(args)
	c := client{*base, *token, &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: *clients + 2}}}
	files, err := filepath.Glob(filepath.Join(*dir, "sboms", "*.cdx.json"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("run: no SBOMs in %s/sboms (%v)", *dir, err)
	}
	sort.Strings(files)
	// Query targets: purls of the SBOMs (any version) and advisory ids.
	var purls []string
	{
		b, err := os.ReadFile(files[0])
		if err != nil {
			return err
		}
		var d struct{ Components []struct{ Purl string } }
		json.Unmarshal(b, &d)
		for _, x := range d.Components {
			if i := strings.LastIndexByte(x.Purl, '@'); i > 0 {
				purls = append(purls, x.Purl[:i])
			}
		}
	}
	ids := []string{"CVE-2024-37890", "GHSA-3h5v-q93c-6h6q", "CVE-2022-0235", "GHSA-r683-j2x4-v87g", "CVE-2021-23337"}

	work := make(chan int)
	var mu sync.Mutex
	var upl, qry []time.Duration
	var errs []string
	var wg sync.WaitGroup
	start := time.Now()
	for range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				b, err := os.ReadFile(files[i])
				if err != nil {
					mu.Lock()
					errs = append(errs, err.Error())
					mu.Unlock()
					continue
				}
				path := fmt.Sprintf("/api/v1/products/product-%03d/releases/1.%d", i%100, i/100)
				code, body, d, err := c.do("POST", path, b)
				mu.Lock()
				if err != nil || code != http.StatusCreated {
					errs = append(errs, fmt.Sprintf("%s: %d %v %.200s", path, code, err, body))
				} else {
					upl = append(upl, d)
				}
				mu.Unlock()
			}
		}()
	}
	done := make(chan struct{})
	var pwg sync.WaitGroup
	pwg.Add(1)
	go func() { // the prober: a person or script asking while CI uploads
		defer pwg.Done()
		rng := rand.New(rand.NewPCG(3, 4))
		for k := 0; ; k++ {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			path := "/api/v1/components?purl=" + url.QueryEscape(purls[rng.IntN(len(purls))])
			if k%2 == 1 {
				path = "/api/v1/affected?id=" + ids[rng.IntN(len(ids))]
			}
			code, body, d, err := c.do("GET", path, nil)
			mu.Lock()
			if err != nil || code != 200 {
				errs = append(errs, fmt.Sprintf("%s: %d %v %.200s", path, code, err, body))
			} else {
				qry = append(qry, d)
			}
			mu.Unlock()
		}
	}()
	for i := range files {
		work <- i
	}
	close(work)
	wg.Wait()
	wall := time.Since(start)
	close(done)
	pwg.Wait()
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }
	fmt.Printf("uploads: %d ok, %d errors, wall %.1f s (%.1f releases/s), %d clients\n", len(upl), len(errs), wall.Seconds(), float64(len(upl))/wall.Seconds(), *clients)
	fmt.Printf("upload latency ms: p50 %s p99 %s max %s\n", ms(percentile(upl, .5)), ms(percentile(upl, .99)), ms(percentile(upl, 1)))
	fmt.Printf("query latency while ingesting ms (%d queries): p50 %s p99 %s max %s\n", len(qry), ms(percentile(qry, .5)), ms(percentile(qry, .99)), ms(percentile(qry, 1)))
	for i, e := range errs {
		if i == 5 {
			break
		}
		fmt.Println("error:", e)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d requests failed", len(errs))
	}
	return nil
}

func job(args []string) error {
	fs := flag.NewFlagSet("job", flag.ExitOnError)
	base := fs.String("server", "", "server URL")
	token := fs.String("token", "", "admin token")
	after := fs.String("after", "", "RFC 3339 time: the job was created after it")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after")
	fs.Parse(args)
	t0, err := time.Parse(time.RFC3339Nano, *after)
	if err != nil {
		return err
	}
	c := client{*base, *token, &http.Client{Timeout: time.Minute}}
	deadline := time.Now().Add(*timeout)
	for time.Now().Before(deadline) {
		_, b, _, err := c.do("GET", "/api/v1/jobs", nil)
		if err != nil {
			return err
		}
		var js []struct {
			Kind, State       string
			Created           time.Time
			Started, Finished *time.Time
			Result            json.RawMessage
		}
		if err := json.Unmarshal(b, &js); err != nil {
			return fmt.Errorf("jobs: %v: %.200s", err, b)
		}
		for _, j := range js {
			if j.Kind != "rematch" || !j.Created.After(t0) || j.Finished == nil {
				continue
			}
			fmt.Printf("re-match job: %s, ran %.2f s (created %.2f s after the import began), result %s\n",
				j.State, j.Finished.Sub(*j.Started).Seconds(), j.Created.Sub(t0).Seconds(), j.Result)
			return nil
		}
		time.Sleep(200 * time.Millisecond) // polling a server from a script
	}
	return fmt.Errorf("no finished re-match job after %s", *timeout)
}
