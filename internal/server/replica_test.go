package server_test

// Reliability of several replicas over one store, on both backends: each
// replica is this test binary re-executed as a server process
// (replicaMain). A replica stops at a named point of ingest or of a job
// (the package's test hook) and says so on its stdout; the test then kills
// it with SIGKILL, or sends SIGTERM, at that known point: no timing.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hallmark-dev/hallmark/internal/sbom/cyclonedx"
	"github.com/hallmark-dev/hallmark/internal/scan"
	"github.com/hallmark-dev/hallmark/internal/server"
	"github.com/hallmark-dev/hallmark/internal/sharedtest"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/store/storetest"
)

const replicaAdmin = "hm-replica-test-admin-token-0123456789"

func TestMain(m *testing.M) {
	if os.Getenv("HALLMARK_TEST_REPLICA") != "" {
		os.Exit(replicaMain())
	}
	os.Exit(m.Run())
}

// replicaMain is one hallmark serve replica, as the serve command runs it
// (server.Serve: HTTP, background jobs, graceful SIGTERM), over HM_DSN and
// the index in HM_DBDIR. HM_BLOCK lists stops: "point#n" blocks forever at
// the n-th time the hook names point (to be killed there), "pause:point#n"
// blocks until a line arrives on stdin. Each hook call is printed as
// "HOOK point n detail", a stop as "BLOCKED point". HM_CLOCK_OFFSET shifts
// the replica's clock (a replica started after another died sees the
// dead one's lease as expired without the test waiting for it).
func replicaMain() int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "replica:", err); return 1 }
	offset, _ := time.ParseDuration(os.Getenv("HM_CLOCK_OFFSET"))
	stops := map[string]string{} // "point#n" -> mode
	for _, b := range strings.Split(os.Getenv("HM_BLOCK"), ",") {
		if mode, rest, ok := strings.Cut(b, ":"); ok {
			stops[rest] = mode
		} else if b != "" {
			stops[b] = "kill"
		}
	}
	var mu sync.Mutex
	counts := map[string]int{}
	stdin := bufio.NewReader(os.Stdin)
	server.SetTestHook(func(point, detail string) {
		mu.Lock()
		counts[point]++
		n := counts[point]
		fmt.Fprintf(os.Stdout, "HOOK %s %d %s\n", point, n, detail)
		mode, stop := stops[point+"#"+strconv.Itoa(n)]
		mu.Unlock()
		if !stop {
			return
		}
		fmt.Fprintf(os.Stdout, "BLOCKED %s\n", point)
		if mode == "pause" {
			stdin.ReadString('\n')
			return
		}
		select {} // until SIGKILL
	})
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer cancel()
	st, err := store.Open(ctx, os.Getenv("HM_DSN"))
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	// Batches of 8 names: the kill points below (name 40, name 5) are
	// at and inside a batch.
	srv := server.New(server.Config{Store: st, DBDir: os.Getenv("HM_DBDIR"), Replica: os.Getenv("HM_NAME"), RematchBatch: 8,
		Now: func() time.Time { return time.Now().UTC().Add(offset) }, Log: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if _, err := srv.Bootstrap(ctx, replicaAdmin); err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(os.Stdout, "LISTEN %s\n", ln.Addr())
	// The background loop runs at start and when woken; its timer never
	// fires in a test.
	if err := srv.Serve(ctx, server.NewHTTPServer("", srv.Handler()), ln, "", "", time.Hour, time.Minute); err != nil {
		return fail(err)
	}
	return 0
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// replica is a running replica process.
type replica struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *syncBuffer
	base   string
	names  []string // package names whose re-match it committed
	exited bool
}

func startReplica(t *testing.T, name, dsn, dbDir string, env ...string) *replica {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HALLMARK_TEST_REPLICA=1", "HM_DSN="+dsn, "HM_DBDIR="+dbDir, "HM_NAME="+name)
	cmd.Env = append(cmd.Env, env...)
	r := &replica{t: t, name: name, cmd: cmd, lines: make(chan string, 1024), stderr: &syncBuffer{}}
	cmd.Stderr = r.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if r.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		close(r.lines)
	}()
	t.Cleanup(func() {
		if !r.exited {
			r.cmd.Process.Kill()
			r.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("replica %s stderr:\n%s", r.name, r.stderr.String())
		}
	})
	r.base = "http://" + strings.TrimPrefix(r.expect("LISTEN "), "LISTEN ")
	return r
}

// expect reads the replica's output up to a line starting with prefix.
func (r *replica) expect(prefix string) string {
	r.t.Helper()
	failsafe := time.After(5 * time.Minute) // a hung replica, not a sync point
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				r.t.Fatalf("replica %s ended before %q:\n%s", r.name, prefix, r.stderr.String())
			}
			r.note(l)
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-failsafe:
			r.t.Fatalf("replica %s: no %q after 5 minutes:\n%s", r.name, prefix, r.stderr.String())
		}
	}
}

func (r *replica) note(l string) {
	if f := strings.Fields(l); len(f) == 4 && f[0] == "HOOK" && f[1] == "rematch-name" {
		r.names = append(r.names, f[3])
	}
}

func (r *replica) resume() {
	if _, err := io.WriteString(r.stdin, "go\n"); err != nil {
		r.t.Fatal(err)
	}
}

// kill sends SIGKILL and reaps the process.
func (r *replica) kill() {
	r.cmd.Process.Kill()
	r.wait()
}

// wait reads the rest of the output and returns the exit code.
func (r *replica) wait() int {
	for l := range r.lines {
		r.note(l)
	}
	r.cmd.Wait()
	r.exited = true
	return r.cmd.ProcessState.ExitCode()
}

func (r *replica) sigterm() {
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		r.t.Fatal(err)
	}
}

func sbomOf(t *testing.T, lockfile string) []byte {
	t.Helper()
	res, err := scan.Load(context.Background(), sharedtest.Path(t, lockfile), scan.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := cyclonedx.Encode(&b, res.Document, cyclonedx.Options{Version: "1.6"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tableCounts counts the rows of the tables a release fills.
func tableCounts(t *testing.T, st *store.Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tab := range []string{"products", "releases", "components", "findings", "finding_ids", "name_state", "vex"} {
		var n int
		if err := st.DB().QueryRow("SELECT COUNT(*) FROM " + tab).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tab] = n
	}
	return out
}

// ws 7.5.9 in npm/cli is affected by GHSA-3h5v-q93c-6h6q; the upload says
// it is not, which the store records as triage with the release.
const wsVEX = `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "test", "timestamp": "2026-12-01T00:00:00Z", "version": 1,
 "statements": [{"vulnerability": {"name": "GHSA-3h5v-q93c-6h6q"}, "products": [{"@id": "pkg:npm/ws@7.5.9"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}`

// A replica killed inside the ingest transaction leaves nothing of the
// release (nor of its new product, findings, name states, VEX); another
// replica then stores it whole. A replica stopped with SIGTERM in the
// middle of an upload finishes it before exiting 0.
func TestReplicaIngestKillAndSIGTERM(t *testing.T) {
	sb := npmSBOM(t)
	for backend, dsn := range storetest.TestBackends(t) {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			dbDir := t.TempDir()
			importDB(t, dbDir)
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			empty := tableCounts(t, st)

			a := startReplica(t, "a", dsn, dbDir, "HM_BLOCK=ingest-commit#1")
			a.expect("HOOK tick") // its start-up round is over
			errc := make(chan error, 1)
			go func() {
				_, err := server.Push(ctx, http.DefaultClient, a.base, replicaAdmin, "npm-cli", "10.9.0", sb, []byte(wsVEX))
				errc <- err
			}()
			a.expect("BLOCKED ingest-commit")
			a.kill()
			if err := <-errc; err == nil {
				t.Fatal("the upload to the killed replica succeeded")
			}
			if got := tableCounts(t, st); !mapsEqual(got, empty) {
				t.Fatalf("after kill -9 inside the ingest transaction: %v, before %v", got, empty)
			}

			// Another replica stores it whole.
			b := startReplica(t, "b", dsn, dbDir)
			out, err := server.Push(ctx, http.DefaultClient, b.base, replicaAdmin, "npm-cli", "10.9.0", sb, []byte(wsVEX))
			if err != nil {
				t.Fatal(err)
			}
			var up struct {
				Release      store.Release
				OpenFindings int
			}
			json.Unmarshal(out, &up)
			got := tableCounts(t, st)
			if up.Release.Components != 1036 || got["components"] != 1036 || got["findings"] == 0 || got["vex"] != 1 || got["name_state"] == 0 {
				t.Fatalf("upload after the kill: %s; rows %v", out, got)
			}

			// SIGTERM while an upload is in flight: it finishes (201), then
			// the replica exits 0.
			b.sigterm()
			if code := b.wait(); code != 0 {
				t.Fatalf("replica b after SIGTERM: exit %d", code)
			}
			c := startReplica(t, "c", dsn, dbDir, "HM_BLOCK=pause:ingest-commit#1")
			go func() {
				_, err := server.Push(ctx, http.DefaultClient, c.base, replicaAdmin, "npm-cli", "10.9.1", sb, nil)
				errc <- err
			}()
			c.expect("BLOCKED ingest-commit")
			c.sigterm()
			c.expect("HOOK shutdown")
			c.resume()
			if err := <-errc; err != nil {
				t.Fatalf("in-flight upload at SIGTERM: %v", err)
			}
			if code := c.wait(); code != 0 {
				t.Fatalf("replica c after SIGTERM: exit %d", code)
			}
			p, err := st.Product(ctx, "npm-cli")
			if err != nil {
				t.Fatal(err)
			}
			if r, err := st.ReleaseByVersion(ctx, p.ID, "10.9.1"); err != nil || r.Components != 1036 {
				t.Fatalf("release finished at shutdown: %+v %v", r, err)
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// findingSet is every open finding as "product version package vuln".
func findingSet(t *testing.T, st *store.Store) []string {
	t.Helper()
	ctx := context.Background()
	ps, err := st.Products(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		rs, err := st.Releases(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			fs, err := st.Findings(ctx, r.ID, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				if f.Resolved == nil {
					out = append(out, strings.Join([]string{p.Name, r.Version, f.Package, f.VulnID}, " "))
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// Two replicas and a new vulnerability index: one re-match job, run by one
// replica (the other, while it runs, finds nothing to claim). Killed with
// SIGKILL in the middle of the job, the replica's lease expires and a third
// replica takes the job over after the last name committed: every name
// re-matched exactly once across the two, the findings those of a fresh
// ingest, every change's webhook event delivered once.
func TestReplicaRematchKill(t *testing.T) {
	sbs := map[string][]byte{"npm-cli": npmSBOM(t), "bookstack": sbomOf(t, "corpus/npm/BookStackApp__BookStack/package-lock.json")}
	ctx := context.Background()

	// What a fresh ingest with the data finds: the reference.
	refDB := t.TempDir()
	importDB(t, refDB)
	ref, err := store.Open(ctx, t.TempDir()+"/ref.db")
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	refSrv := server.New(server.Config{Store: ref, DBDir: refDB})
	for p, sb := range sbs {
		if _, err := refSrv.Ingest(ctx, server.Upload{Product: p, Version: "1", AutoCreate: true, SBOM: sb}); err != nil {
			t.Fatal(err)
		}
	}
	want := findingSet(t, ref)

	for backend, dsn := range storetest.TestBackends(t) {
		t.Run(backend, func(t *testing.T) {
			dbDir := t.TempDir()
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			// Releases stored before any data: no findings yet.
			srv := server.New(server.Config{Store: st, DBDir: dbDir})
			for p, sb := range sbs {
				if _, err := srv.Ingest(ctx, server.Upload{Product: p, Version: "1", AutoCreate: true, SBOM: sb}); err != nil {
					t.Fatal(err)
				}
			}
			names, err := st.DistinctNames(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// A receiver that counts each event id.
			var mu sync.Mutex
			events := map[string]int{}
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				events[r.Header.Get("X-Hallmark-Event-Id")]++
				mu.Unlock()
			}))
			defer recv.Close()
			if _, err := st.AddWebhook(ctx, store.Webhook{URL: recv.URL, Secret: "0123456789abcdef-secret", Format: "json"}); err != nil {
				t.Fatal(err)
			}

			importDB(t, dbDir) // the new index both replicas see
			const killAt = 40
			a := startReplica(t, "a", dsn, dbDir, "HM_BLOCK=pause:job-claimed#1,rematch-name#"+strconv.Itoa(killAt))
			a.expect("BLOCKED job-claimed")
			// b starts while a holds the job: it queues nothing new (one job
			// per index) and claims nothing.
			b := startReplica(t, "b", dsn, dbDir)
			b.expect("HOOK tick")
			js, err := st.Jobs(ctx, 10)
			if err != nil || len(js) != 1 || js[0].State != store.JobRunning {
				t.Fatalf("jobs while a holds the re-match: %+v %v", js, err)
			}
			a.resume()
			a.expect("BLOCKED rematch-name")
			a.kill()
			if len(a.names) != killAt {
				t.Fatalf("a committed %d names before the kill, want %d", len(a.names), killAt)
			}
			j, err := st.JobByID(ctx, js[0].ID)
			if err != nil || j.State != store.JobRunning || j.DoneUnits != killAt {
				t.Fatalf("job after the kill: %+v %v", j, err)
			}

			// c comes up after a's lease ended (its clock two minutes on)
			// and takes the job over.
			c := startReplica(t, "c", dsn, dbDir, "HM_CLOCK_OFFSET=2m")
			c.expect("HOOK job-done")
			c.expect("HOOK tick") // and delivered its webhooks
			j, err = st.JobByID(ctx, js[0].ID)
			if err != nil || j.State != store.JobDone || j.Attempts != 2 || j.DoneUnits != len(names) {
				t.Fatalf("job after the take-over: %+v %v (%d names)", j, err, len(names))
			}
			done := map[string]int{}
			for _, n := range append(append([]string{}, a.names...), c.names...) {
				done[n]++
			}
			for n, k := range done {
				if k != 1 {
					t.Errorf("%s re-matched %d times", n, k)
				}
			}
			if len(done) != len(names) || len(b.names) != 0 {
				t.Errorf("re-matched %d of %d names; b re-matched %d", len(done), len(names), len(b.names))
			}
			if got := findingSet(t, st); !slices.Equal(got, want) {
				t.Errorf("findings after the take-over: %d, a fresh ingest finds %d", len(got), len(want))
			}
			var res struct{ Changes int }
			json.Unmarshal([]byte(j.Result), &res)
			mu.Lock()
			dups := 0
			for _, k := range events {
				if k != 1 {
					dups++
				}
			}
			if res.Changes != len(want) || len(events) != len(want) || dups != 0 {
				t.Errorf("%d changes, %d events delivered (%d more than once), %d findings", res.Changes, len(events), dups, len(want))
			}
			mu.Unlock()
			for _, r := range []*replica{b, c} {
				r.sigterm()
				if code := r.wait(); code != 0 {
					t.Errorf("replica %s after SIGTERM: exit %d", r.name, code)
				}
			}

			// The full re-match command, killed mid-way: it resumes after its
			// checkpoint (every name is re-matched, so the fingerprints do
			// not tell what was done).
			d := startReplica(t, "d", dsn, dbDir, "HM_BLOCK=rematch-name#"+strconv.Itoa(killAt))
			d.expect("HOOK tick")
			req, _ := http.NewRequest("POST", d.base+"/api/v1/rematch", nil)
			req.Header.Set("Authorization", "Bearer "+replicaAdmin)
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusAccepted {
				t.Fatalf("POST /api/v1/rematch: %v %v", resp, err)
			}
			resp.Body.Close()
			d.expect("BLOCKED rematch-name")
			d.kill()
			e := startReplica(t, "e", dsn, dbDir, "HM_CLOCK_OFFSET=2m")
			e.expect("HOOK job-done")
			full := map[string]int{}
			for _, n := range append(append([]string{}, d.names...), e.names...) {
				full[n]++
			}
			if len(d.names) != killAt || len(full) != len(names) || len(d.names)+len(e.names) != len(names) {
				t.Errorf("full re-match: %d names before the kill, %d after, %d distinct of %d", len(d.names), len(e.names), len(full), len(names))
			}
			if got := findingSet(t, st); !slices.Equal(got, want) {
				t.Errorf("findings after the full re-match: %d, want %d", len(got), len(want))
			}
			e.sigterm()
			if code := e.wait(); code != 0 {
				t.Errorf("replica e after SIGTERM: exit %d", code)
			}
		})
	}
}

// SIGTERM in the middle of a re-match job: the replica finishes the job
// before exiting 0.
func TestReplicaSIGTERMFinishesJob(t *testing.T) {
	sb := npmSBOM(t)
	for backend, dsn := range storetest.TestBackends(t) {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			dbDir := t.TempDir()
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			srv := server.New(server.Config{Store: st, DBDir: dbDir})
			if _, err := srv.Ingest(ctx, server.Upload{Product: "npm-cli", Version: "1", AutoCreate: true, SBOM: sb}); err != nil {
				t.Fatal(err)
			}
			names, _ := st.DistinctNames(ctx)
			importDB(t, dbDir)
			a := startReplica(t, "a", dsn, dbDir, "HM_BLOCK=pause:rematch-name#5")
			a.expect("BLOCKED rematch-name")
			a.sigterm()
			a.expect("HOOK shutdown")
			a.resume()
			a.expect("HOOK job-done")
			if code := a.wait(); code != 0 {
				t.Fatalf("exit %d after SIGTERM", code)
			}
			js, err := st.Jobs(ctx, 10)
			if err != nil || len(js) != 1 || js[0].State != store.JobDone || js[0].DoneUnits != len(names) || len(a.names) != len(names) {
				t.Fatalf("job after SIGTERM: %+v %v; %d of %d names", js, err, len(a.names), len(names))
			}
		})
	}
}

// --update-every: the server fetches the data itself, notices the new index
// and re-matches the releases stored before it.
func TestUpdateEvery(t *testing.T) {
	sb := npmSBOM(t)
	osvDir := sharedtest.Path(t, "osv")
	storetest.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		done := make(chan string, 1)
		server.SetTestHook(func(point, detail string) {
			if point == "job-done" {
				done <- detail
			}
		})
		t.Cleanup(func() { server.SetTestHook(nil) })
		srv := server.New(server.Config{Store: st, DBDir: t.TempDir(), UpdateEvery: time.Hour, UpdateSource: osvDir, UpdateEcosystems: []string{"npm"}})
		rel, err := srv.Ingest(ctx, server.Upload{Product: "npm-cli", Version: "1", AutoCreate: true, SBOM: sb})
		if err != nil {
			t.Fatal(err)
		}
		stop := srv.Background(time.Hour)
		<-done
		if err := stop(ctx); err != nil {
			t.Fatal(err)
		}
		fs, err := st.Findings(ctx, rel.ID, true)
		if err != nil || !slices.ContainsFunc(fs, func(f store.StoredFinding) bool { return f.VulnID == "GHSA-3h5v-q93c-6h6q" }) {
			t.Fatalf("after the server's own update: %d open findings, %v", len(fs), err)
		}
	})
}
