package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/catalog"
)

// writeOutput runs write against standard output, or against file when it
// is set. A file is written to a temporary name beside it and renamed into
// place, so that a failure never leaves a partial file.
func writeOutput(e *env, file string, write func(io.Writer) error) error {
	if file == "" || file == "-" {
		bw := bufio.NewWriter(e.stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	bw := bufio.NewWriter(tmp)
	if err := write(bw); err != nil {
		tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// showProgress reports whether progress belongs on stderr: a terminal and
// no --quiet.
func showProgress(cmd *cobra.Command, e *env) bool {
	if q, _ := cmd.Flags().GetBool("quiet"); q {
		return false
	}
	return isTerminal(e.stderr)
}

// startProgress draws the walk's counters on stderr until the returned stop
// function is called, when stderr is a terminal and --quiet is not given.
func startProgress(cmd *cobra.Command, e *env, p *catalog.Progress) (stop func()) {
	if !showProgress(cmd, e) {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	draw := func() {
		fmt.Fprintf(e.stderr, "\r\033[Kcataloging: %d files, %d lockfiles/manifests (%d read), %d package entries",
			p.Files.Load(), p.Claimed.Load(), p.Parsed.Load(), p.Packages.Load())
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				draw()
				fmt.Fprintln(e.stderr)
				return
			case <-t.C:
				draw()
			}
		}
	}()
	return func() { close(done); <-finished }
}
