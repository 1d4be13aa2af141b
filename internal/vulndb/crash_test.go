//go:build unix

package vulndb

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The crash tests re-execute the test binary as a helper process (as the
// os/exec tests do). The helper runs a real Update with a write hook that,
// once it has written exactly N bytes of a temporary file of the chosen
// kind, reports "paused PID" on fd 3 and blocks reading stdin, so the parent
// kills it at a deterministic point, not after a sleep.
const (
	helperEnv       = "HALLMARK_VULNDB_HELPER"
	helperDirEnv    = "HALLMARK_VULNDB_HELPER_DIR"
	helperSourceEnv = "HALLMARK_VULNDB_HELPER_SOURCE"
	helperPauseEnv  = "HALLMARK_VULNDB_HELPER_PAUSE" // kind:bytes
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "import" {
		os.Exit(helperImport())
	}
	os.Exit(m.Run())
}

func helperImport() int {
	kind, n, ok := strings.Cut(os.Getenv(helperPauseEnv), ":")
	at, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil {
		fmt.Fprintln(os.Stderr, "helper: bad", helperPauseEnv)
		return 3
	}
	ready := os.NewFile(3, "ready")
	var once sync.Mutex // the first writer to reach the byte pauses; the others wait behind it
	testHookWrite = func(k string, w io.Writer) io.Writer {
		if k != kind {
			return w
		}
		return &pauseWriter{w: w, at: at, pause: func() {
			once.Lock()
			fmt.Fprintf(ready, "paused %d\n", os.Getpid())
			io.Copy(io.Discard, os.Stdin) // returns only if the parent goes away without killing us
			os.Exit(4)
		}}
	}
	_, err = Update(context.Background(), Options{Dir: os.Getenv(helperDirEnv), Source: os.Getenv(helperSourceEnv), Force: true})
	fmt.Fprintf(os.Stderr, "helper: Update returned without reaching byte %d of a %s file: %v\n", at, kind, err)
	return 3
}

// pauseWriter passes writes through until at bytes have been written, then
// writes exactly up to that byte and calls pause, which never returns.
type pauseWriter struct {
	w     io.Writer
	n, at int64
	pause func()
}

func (p *pauseWriter) Write(b []byte) (int, error) {
	if p.n+int64(len(b)) < p.at {
		n, err := p.w.Write(b)
		p.n += int64(n)
		return n, err
	}
	k := p.at - p.n
	if _, err := p.w.Write(b[:k]); err != nil {
		return 0, err
	}
	p.pause()
	panic("unreachable")
}

// failWriter passes writes through until at bytes, then fails as a full
// disk does.
type failWriter struct {
	w     io.Writer
	n, at int64
}

func (f *failWriter) Write(b []byte) (int, error) {
	if f.n+int64(len(b)) <= f.at {
		n, err := f.w.Write(b)
		f.n += int64(n)
		return n, err
	}
	k := f.at - f.n
	n, _ := f.w.Write(b[:k])
	f.n += int64(n)
	return n, &os.PathError{Op: "write", Path: "index", Err: syscall.ENOSPC}
}

// bigExport is an export of n npm advisories, one package each, large
// enough that a section and the index are many KB.
func bigExport(t *testing.T, n int, fixedMinor int) string {
	files := map[string]string{}
	for i := range n {
		id := fmt.Sprintf("GHSA-%04d-%04d-%04d", i, i, i)
		files[id+".json"] = record(id, "npm", fmt.Sprintf("pkg-%d", i), fmt.Sprintf("1.%d.%d", fixedMinor, i))
	}
	return exportDir(t, map[string]map[string]string{"npm": files})
}

// answers returns everything the index answers: for every package key of
// every ecosystem, its records and the full advisories, as JSON.
func answers(t *testing.T, dir string) map[string]string {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatalf("open index: %v", err)
	}
	defer db.Close()
	out := map[string]string{}
	for _, m := range db.Meta().Ecosystems {
		err := db.Keys(m.Name, func(key string) error {
			recs, ok, err := db.Lookup(m.Name, key)
			if err != nil || !ok {
				return fmt.Errorf("lookup %s %s: %v %v", m.Name, key, ok, err)
			}
			var advs []any
			for i, r := range recs {
				// Where an advisory sits in its section depends on the
				// order the parallel import finished in; its content does not.
				recs[i].Off, recs[i].Len = 0, 0
				e, err := db.Advisory(m.Name, r)
				if err != nil {
					return err
				}
				advs = append(advs, e)
			}
			b, err := json.Marshal([]any{recs, advs})
			out[m.Name+"/"+key] = string(b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(out) == 0 {
		t.Fatal("index answers nothing")
	}
	return out
}

// TestKilledImportKeepsIndex kills (SIGKILL) a real import part-way through
// writing a temporary file — a section, or the new index itself — and checks
// that the previous index still opens and answers exactly as before, that a
// second writer was refused while the killed one held the lock, and that the
// next import succeeds and removes the leftovers.
func TestKilledImportKeepsIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	srcA := bigExport(t, 300, 0)
	srcB := bigExport(t, 400, 1)
	wantB := t.TempDir()
	if _, err := Update(context.Background(), Options{Dir: wantB, Source: srcB}); err != nil {
		t.Fatal(err)
	}
	answersB := answers(t, wantB)

	for _, tt := range []struct {
		kind, prefix string
		at           int64
	}{
		{"index", ".index-", 8},        // just past the magic
		{"index", ".index-", 20 << 10}, // inside the npm section's advisories
		{"section", ".section-", 4096}, // while the section is being flushed
	} {
		t.Run(fmt.Sprintf("%s@%d", tt.kind, tt.at), func(t *testing.T) {
			dbDir := t.TempDir()
			if _, err := Update(context.Background(), Options{Dir: dbDir, Source: srcA}); err != nil {
				t.Fatal(err)
			}
			indexBefore, err := os.ReadFile(filepath.Join(dbDir, FileName))
			if err != nil {
				t.Fatal(err)
			}
			answersA := answers(t, dbDir)
			if cmp.Equal(answersA, answersB) {
				t.Fatal("test sources A and B answer alike")
			}

			cmd, pid := startPausedImport(t, dbDir, srcB, tt.kind, tt.at)

			// The helper stopped at exactly byte tt.at of its temporary file.
			var partial []string
			for _, n := range tempFiles(t, dbDir) {
				if st, err := os.Stat(filepath.Join(dbDir, n)); err == nil && strings.HasPrefix(n, tt.prefix) && st.Size() == tt.at {
					partial = append(partial, n)
				}
			}
			if len(partial) != 1 {
				t.Fatalf("want one %s*.tmp of %d bytes while paused, have %v", tt.prefix, tt.at, tempFiles(t, dbDir))
			}
			// A second writer is refused, naming the helper; readers are not.
			_, err = Update(context.Background(), Options{Dir: dbDir, Source: srcB, Force: true})
			if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "process "+strconv.Itoa(pid)) {
				t.Errorf("second writer while the helper runs: %v, want ErrLocked naming process %d", err, pid)
			}
			if diff := cmp.Diff(answersA, answers(t, dbDir)); diff != "" {
				t.Errorf("answers during the import (-before +during):\n%s", diff)
			}

			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("helper: %v, want killed by SIGKILL", err)
			}

			indexAfter, _ := os.ReadFile(filepath.Join(dbDir, FileName))
			if string(indexAfter) != string(indexBefore) {
				t.Error("the killed import changed index.hmdb")
			}
			if diff := cmp.Diff(answersA, answers(t, dbDir)); diff != "" {
				t.Errorf("answers after the kill (-before +after):\n%s", diff)
			}
			if left := tempFiles(t, dbDir); len(left) == 0 {
				t.Fatal("the killed import left no temporary file (did it get that far?)")
			}

			// The lock died with the helper; the next import succeeds,
			// serves the new data and removes the leftovers.
			if _, err := Update(context.Background(), Options{Dir: dbDir, Source: srcB}); err != nil {
				t.Fatalf("import after the kill: %v", err)
			}
			if left := tempFiles(t, dbDir); len(left) > 0 {
				t.Errorf("leftovers not cleaned: %v", left)
			}
			if diff := cmp.Diff(answersB, answers(t, dbDir)); diff != "" {
				t.Errorf("answers after the next import (-want +got):\n%s", diff)
			}
		})
	}
}

// startPausedImport starts the helper and returns once it has paused,
// with its process id.
func startPausedImport(t *testing.T, dir, src, kind string, at int64) (*exec.Cmd, int) {
	t.Helper()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	holdR, holdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=import", helperDirEnv+"="+dir, helperSourceEnv+"="+src,
		fmt.Sprintf("%s=%s:%d", helperPauseEnv, kind, at))
	cmd.Stdin = holdR
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.ExtraFiles = []*os.File{readyW}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	readyW.Close()
	holdR.Close()
	t.Cleanup(func() {
		holdW.Close() // lets a helper we did not kill exit
		cmd.Process.Kill()
		cmd.Wait()
		readyR.Close()
	})
	line, err := bufio.NewReader(readyR).ReadString('\n')
	if err != nil {
		cmd.Wait()
		t.Fatalf("helper exited before pausing: %v\n%s", err, stderr.String())
	}
	pid, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(line), "paused "))
	if err != nil || pid != cmd.Process.Pid {
		t.Fatalf("helper said %q, want paused %d", line, cmd.Process.Pid)
	}
	return cmd, pid
}

// TestFullDiskKeepsIndex injects ENOSPC into the build's writes, in a
// section and in the new index, and checks the update fails with that error,
// the previous index is untouched and no temporary file is left.
func TestFullDiskKeepsIndex(t *testing.T) {
	srcA := bigExport(t, 300, 0)
	srcB := bigExport(t, 400, 1)
	for _, tt := range []struct {
		kind string
		at   int64
	}{
		{"section", 0},
		{"section", 4096},
		{"index", 0},
		{"index", 8},
		{"index", 20 << 10},
	} {
		t.Run(fmt.Sprintf("%s@%d", tt.kind, tt.at), func(t *testing.T) {
			dbDir := t.TempDir()
			if _, err := Update(context.Background(), Options{Dir: dbDir, Source: srcA}); err != nil {
				t.Fatal(err)
			}
			indexBefore, _ := os.ReadFile(filepath.Join(dbDir, FileName))
			answersA := answers(t, dbDir)

			testHookWrite = func(kind string, w io.Writer) io.Writer {
				if kind != tt.kind {
					return w
				}
				return &failWriter{w: w, at: tt.at}
			}
			_, err := Update(context.Background(), Options{Dir: dbDir, Source: srcB, Force: true})
			testHookWrite = nil
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Update on a full disk: %v, want ENOSPC", err)
			}
			indexAfter, _ := os.ReadFile(filepath.Join(dbDir, FileName))
			if string(indexAfter) != string(indexBefore) {
				t.Error("the failed import changed index.hmdb")
			}
			if diff := cmp.Diff(answersA, answers(t, dbDir)); diff != "" {
				t.Errorf("answers after the failure (-before +after):\n%s", diff)
			}
			if left := tempFiles(t, dbDir); len(left) > 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
		})
	}
}
