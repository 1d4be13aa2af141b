//go:build linux

package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// gocsafTool finds a gocsaf tool (the BSI's CSAF provider checker and
// downloader) that .ci/setup.d/gocsaf.sh installs in HALLMARK_GOCSAF_BIN.
func gocsafTool(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("HALLMARK_GOCSAF_BIN")
	if dir == "" {
		if os.Getenv("CI") != "" || os.Getenv("CI_ENV") != "" {
			t.Fatal("HALLMARK_GOCSAF_BIN is unset in CI: .ci/setup.d/gocsaf.sh should have installed gocsaf")
		}
		t.Skip("HALLMARK_GOCSAF_BIN unset (.ci/setup.d/gocsaf.sh installs gocsaf's csaf_checker and csaf_downloader)")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}

// TestExportFeedGocsaf serves what hallmark serve export-feed writes on a
// loopback TLS server at /.well-known/csaf/ (with a security.txt naming
// it, as its operator would add) and lets gocsaf's csaf_checker, the BSI's
// CSAF provider checker, judge it: the domain passes as a csaf_provider;
// every requirement hallmark's files can meet passes (valid documents,
// file names, TLS, TLP:WHITE, no redirects, provider-metadata.json,
// well-known URL, folder per year, index.txt, changes.csv, directory
// listings, checksums). Not met, and said so in the README: OpenPGP
// signatures and keys (19, 20), ROLIE (15-17, an alternative to 11-14).
// And csaf_downloader, as a customer would run it, downloads the document.
//
// csaf_checker also looks up requirement 10's DNS name, so the test runs
// itself again in a network namespace with loopback only (unshare -n):
// nothing leaves the machine.
func TestExportFeedGocsaf(t *testing.T) {
	checker := gocsafTool(t, "csaf_checker")
	if os.Getenv("HALLMARK_TEST_NETNS") == "" {
		if _, err := exec.LookPath("unshare"); err != nil {
			t.Skip("unshare not installed: cannot keep csaf_checker's DNS look-ups on the machine")
		}
		cmd := exec.Command("unshare", "-n", os.Args[0], "-test.run=^TestExportFeedGocsaf$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "HALLMARK_TEST_NETNS=1")
		out, err := cmd.CombinedOutput()
		t.Logf("in a network namespace with loopback only:\n%s", out)
		if err != nil {
			t.Fatalf("in a network namespace: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "--- PASS: TestExportFeedGocsaf") {
			t.Fatalf("the test did not run in the namespace:\n%s", out)
		}
		return
	}
	loopbackUp(t)
	dir := t.TempDir()
	data := npmCLIStore(t, dir, nil)

	site := filepath.Join(dir, "site")
	os.MkdirAll(filepath.Join(site, ".well-known"), 0o755)
	hs := httptest.NewTLSServer(http.FileServer(http.Dir(site)))
	defer hs.Close()
	host := strings.TrimPrefix(hs.URL, "https://")
	base := hs.URL + "/.well-known/csaf"
	os.WriteFile(filepath.Join(site, ".well-known", "security.txt"), []byte("Contact: mailto:psirt@example.com\nCSAF: "+base+"/provider-metadata.json\n"), 0o644)
	if code, _, errs := run(t, "serve", "export-feed", "--data", data, "--out", filepath.Join(site, ".well-known", "csaf"),
		"--csaf-base-url", base, "--csaf-namespace", "https://npm.example", "--csaf-publisher", "npm Example"); code != ExitOK {
		t.Fatalf("export-feed: %d %s", code, errs)
	}
	// A customer's tool downloads the feed: csaf_downloader finds the
	// provider metadata, follows the directory's index, checks the hashes
	// and the schema, and stores the document unchanged (a missing OpenPGP
	// signature is not a failure: no --ignore_sigcheck needed).
	dl := filepath.Join(dir, "downloaded")
	if out, err := exec.Command(gocsafTool(t, "csaf_downloader"), "--insecure", "-d", dl, host).CombinedOutput(); err != nil {
		t.Fatalf("csaf_downloader: %v\n%s", err, out)
	}
	var got []string
	filepath.WalkDir(dl, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			got = append(got, p)
		}
		return nil
	})
	if log, err := os.ReadFile(filepath.Join(dl, "downloader.log")); err == nil {
		t.Logf("csaf_downloader's log:\n%s", log)
	}
	want, _ := os.ReadFile(filepath.Join(site, ".well-known", "csaf", "white", "2026", "hallmark-vex-npm-cli-10_9_0.json"))
	if len(got) != 1 || len(want) == 0 {
		t.Fatalf("csaf_downloader stored %v", got)
	}
	if b, _ := os.ReadFile(got[0]); !bytes.Equal(b, want) {
		t.Errorf("csaf_downloader's copy %s differs from the published document", got[0])
	}

	report := filepath.Join(dir, "report.json")
	if out, err := exec.Command(checker, "--insecure", "-o", report, "-f", "json", host).CombinedOutput(); err != nil {
		t.Fatalf("csaf_checker: %v\n%s", err, out)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Domains []struct {
			Role         string `json:"role"`
			Passed       bool   `json:"passed"`
			Requirements []struct {
				Num      int `json:"num"`
				Messages []struct {
					Type int    `json:"type"`
					Text string `json:"text"`
				} `json:"messages"`
			} `json:"requirements"`
		} `json:"domains"`
	}
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Domains) != 1 {
		t.Fatalf("report: %v\n%s", err, b)
	}
	d := rep.Domains[0]
	if !d.Passed || d.Role != "csaf_provider" {
		t.Errorf("csaf_checker: passed=%v role=%q", d.Passed, d.Role)
	}
	met := map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true, 9: true, 11: true, 12: true, 13: true, 14: true, 18: true}
	seen := 0
	for _, r := range d.Requirements {
		for _, m := range r.Messages {
			const errorType = 2
			if m.Type == errorType && met[r.Num] {
				t.Errorf("requirement %d: %s", r.Num, m.Text)
			}
			if m.Type == errorType && !met[r.Num] {
				t.Logf("requirement %d (not met, as documented): %s", r.Num, m.Text)
			}
		}
		if met[r.Num] {
			seen++
		}
	}
	if seen != len(met) {
		t.Errorf("the report covers %d of the %d requirements expected met:\n%s", seen, len(met), b)
	}
}

// loopbackUp brings up lo, which a new network namespace has down.
func loopbackUp(t *testing.T) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		t.Fatalf("lo flags: %v", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		t.Fatalf("bring lo up: %v", err)
	}
}
